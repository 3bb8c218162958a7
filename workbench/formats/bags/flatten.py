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
from collections.abc import Callable
from dataclasses import dataclass
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
    """One output column: its name and how to get its value from a message."""

    name: str
    get: Callable[[Any], float]


def _time_getter(inner: Callable[[Any], Any]) -> Callable[[Any], float]:
    def get(msg: Any) -> float:
        t = inner(msg)
        return t.sec + t.nanosec * 1e-9

    return get


def _attr(inner: Callable[[Any], Any], name: str) -> Callable[[Any], Any]:
    return lambda msg: getattr(inner(msg), name)


def _item(inner: Callable[[Any], Any], k: int) -> Callable[[Any], Any]:
    return lambda msg: inner(msg)[k]


def plan_columns(store: Any, msgtype: str) -> list[Column]:
    """The columns of ``msgtype`` (see the module docstring), from the typestore's fields."""
    out: list[Column] = []

    def walk(typename: str, prefix: str, get: Callable[[Any], Any]) -> None:
        if typename in _TIME_TYPES:
            out.append(Column(prefix.rstrip("."), _time_getter(get)))
            return
        _, fields = store.fielddefs[typename]
        for name, (nodetype, spec) in fields:
            path = f"{prefix}{name}"
            kind = getattr(nodetype, "name", str(nodetype))
            if kind == "BASE":
                if spec[0] in _NUMERIC:
                    out.append(Column(path, _attr(get, name)))
            elif kind == "NAME":
                walk(spec, path + ".", _attr(get, name))
            elif kind == "ARRAY":
                (inner_kind, inner_spec), size = spec
                if getattr(inner_kind, "name", "") == "BASE" and inner_spec[0] in _NUMERIC:
                    arr = _attr(get, name)
                    out.extend(Column(f"{path}.{k}", _item(arr, k)) for k in range(size))
            # SEQUENCE (variable length) and strings: not columns (see module docstring)

    walk(msgtype, "", lambda msg: msg)
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
    """``(N, C)`` float64 values of ``messages`` in ``columns``."""
    values = np.empty((len(messages), len(columns)), np.float64)
    getters = [c.get for c in columns]
    for i, msg in enumerate(messages):
        values[i] = [g(msg) for g in getters]
    return values


def dict_values(messages: list[dict[str, Any]], names: list[str]) -> np.ndarray:
    """``(N, C)`` float64 values of JSON messages (NaN where a key is missing)."""
    values = np.full((len(messages), len(names)), math.nan, np.float64)
    for i, msg in enumerate(messages):
        flat = flatten_dict(msg)
        values[i] = [flat.get(n, math.nan) for n in names]
    return values
