"""Flatten messages into numeric columns named by their field paths.

The choice (documented here, once): every numeric field becomes one float64 column named
by its dotted path (``latitude``, ``twist.linear.x``, ``header.stamp``); a time field
(``builtin_interfaces/msg/Time`` or ``Duration``) becomes one column in seconds; a
*fixed-size* numeric array becomes one column per element (``position_covariance.0`` ..
``position_covariance.8``); booleans become 0/1. Strings and variable-length arrays
(``header.frame_id``, image ``data``) are left out: they are not signals, and a column
per element would change shape from message to message. JSON messages (plain MCAP) are
flattened the same way from their first message's keys; values that are missing or not
numbers become NaN.

Examples
--------
>>> from rosbags.typesys import Stores, get_typestore
>>> store = get_typestore(Stores.ROS2_HUMBLE)
>>> cols = plan_columns(store, "sensor_msgs/msg/NavSatFix")
>>> [c.name for c in cols][:6]
['header.stamp', 'status.status', 'status.service', 'latitude', 'longitude', 'altitude']
>>> [c.name for c in cols][-2:]
['position_covariance.8', 'position_covariance_type']
>>> flatten_dict({"speed": 3, "wheel": {"fl": 1.5}, "tags": ["a"], "ok": True})
{'speed': 3.0, 'wheel.fl': 1.5, 'ok': 1.0}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np

__all__ = ["Column", "flatten_dict", "plan_columns", "to_values"]

_NUMERIC = {
    "bool",
    "byte",
    "char",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
    "octet",
}
_TIME_TYPES = {"builtin_interfaces/msg/Time", "builtin_interfaces/msg/Duration"}


@dataclass(frozen=True)
class Column:
    """One output column: the dotted attribute ``path`` it reads, and how.

    ``kind`` is ``"scalar"`` (a number), ``"time"`` (a ``sec``/``nanosec`` pair, in
    seconds) or ``"item"`` (element ``index`` of a fixed-size array).
    """

    name: str
    path: str
    kind: str = "scalar"
    index: int = 0


def plan_columns(store: Any, msgtype: str) -> list[Column]:
    """The columns of ``msgtype`` (see the module docstring), from the typestore's fields."""
    out: list[Column] = []

    def walk(typename: str, prefix: str) -> None:
        if typename in _TIME_TYPES:
            path = prefix.rstrip(".")
            out.append(Column(path, path, "time"))
            return
        _, fields = store.fielddefs[typename]
        for name, (nodetype, spec) in fields:
            path = f"{prefix}{name}"
            kind = getattr(nodetype, "name", str(nodetype))
            if kind == "BASE":
                if spec[0] in _NUMERIC:
                    out.append(Column(path, path))
            elif kind == "NAME":
                walk(spec, path + ".")
            elif kind == "ARRAY":
                (inner_kind, inner_spec), size = spec
                if getattr(inner_kind, "name", "") == "BASE" and inner_spec[0] in _NUMERIC:
                    out.extend(Column(f"{path}.{k}", path, "item", k) for k in range(size))
            # SEQUENCE (variable length) and strings: not columns (see module docstring)

    walk(msgtype, "")
    return out


def flatten_dict(obj: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a JSON object as ``{dotted.path: float}`` (lists of numbers
    become ``path.0``, ``path.1`` ...; strings and nested lists are left out)."""
    out: dict[str, float] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.update(flatten_dict(value, f"{prefix}{key}."))
    elif isinstance(obj, list):
        if all(isinstance(v, (int, float)) for v in obj):
            for k, v in enumerate(obj):
                out[f"{prefix}{k}"] = float(v)
    elif isinstance(obj, (bool, int, float)):
        out[prefix.rstrip(".")] = float(obj)
    return out


def to_values(messages: list[Any], columns: list[Column]) -> np.ndarray:
    """``(N, C)`` float64 values of ``messages`` in ``columns``.

    One C-level ``operator.attrgetter`` call per message fetches every scalar (times as
    their ``sec``/``nanosec`` fields) and one more every fixed array; numpy assembles
    the columns.
    """
    values = np.empty((len(messages), len(columns)), np.float64)
    if not messages or not columns:
        return values
    paths: list[str] = []
    for c in columns:
        if c.kind == "scalar":
            paths.append(c.path)
        elif c.kind == "time":
            paths += [f"{c.path}.sec", f"{c.path}.nanosec"]
    arrays = list(dict.fromkeys(c.path for c in columns if c.kind == "item"))
    pos = {p: k for k, p in enumerate(paths)}
    if paths:
        get = attrgetter(*paths)
        rows = [get(m) for m in messages]
        table = np.array(rows, dtype=np.float64).reshape(len(messages), len(paths))
    if arrays:
        get_arrays = attrgetter(*arrays)
        got = [get_arrays(m) for m in messages]
        if len(arrays) == 1:
            got = [(g,) for g in got]
        stacked = {
            p: np.stack([np.asarray(g[k], dtype=np.float64) for g in got])
            for k, p in enumerate(arrays)
        }
    for j, c in enumerate(columns):
        if c.kind == "scalar":
            values[:, j] = table[:, pos[c.path]]
        elif c.kind == "time":
            values[:, j] = (
                table[:, pos[f"{c.path}.sec"]] + table[:, pos[f"{c.path}.nanosec"]] * 1e-9
            )
        else:
            values[:, j] = stacked[c.path][:, c.index]
    return values


def dict_values(messages: list[dict[str, Any]], names: list[str]) -> np.ndarray:
    """``(N, C)`` float64 values of JSON messages (NaN where a key is missing)."""
    values = np.full((len(messages), len(names)), math.nan, np.float64)
    for i, msg in enumerate(messages):
        flat = flatten_dict(msg)
        values[i] = [flat.get(n, math.nan) for n in names]
    return values
