"""Catalog rows for a CAN log: one row per message seen in the log, tagged by names.

The catalog's ingest calls :func:`catalog_rows` for a data file whose content type is a
CAN log (:func:`~workbench.formats.can.logs.is_can_log`). The database is the one the
sidecar names (``"database": "vehicle.dbc"``) or the one next to the log. Each row is
the sidecar's row with ``contents`` = message name, the message's first and last frame
times, its frame count and rate, tags ``can`` + the sidecar's tags + the words of the
message and signal names (``VehicleSpeed.speed_kmh`` -> ``vehiclespeed, vehicle, speed,
speed_kmh, kmh``), and in ``extra`` the frame id, signals, units and choices.

Examples
--------
>>> name_tags("VehicleSpeed"), name_tags("speed_kmh")
(['vehiclespeed', 'vehicle', 'speed'], ['speed_kmh', 'speed', 'kmh'])
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, SourceNotFoundError
from workbench.formats.can.database import find_database, load_database
from workbench.formats.can.decode import compile_database
from workbench.formats.can.logs import iter_frames

__all__ = ["catalog_rows", "name_tags"]

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def name_tags(name: str) -> list[str]:
    """The name in lower case, then its words (CamelCase and snake_case split)."""
    out = [name.lower()]
    for word in _WORDS.findall(name):
        word = word.lower()
        if word not in out and not word.isdigit():
            out.append(word)
    return out


def catalog_rows(path: str | os.PathLike[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn the sidecar rows of a CAN log into one row per message the log carries.

    Parameters
    ----------
    path : str or os.PathLike
        The log file.
    rows : list of dict
        The rows parsed from its sidecar (the first one is the template; its ``extra``
        holds the sidecar's own keys, e.g. ``database``).

    Raises
    ------
    ValueError
        (:class:`~workbench.errors.CorruptMediaError`) the database or the log cannot
        be read; ``SourceNotFoundError`` when no database is named or found.
    """
    path = Path(path)
    base = rows[0]
    extra = dict(base.get("extra") or {})
    db_path = find_database(path, extra)
    if db_path is None:
        raise SourceNotFoundError(
            f"no CAN database for {path.name}: name it in the sidecar ('database': 'car.dbc') "
            "or put one .dbc next to the log"
        )
    plans = compile_database(load_database(db_path))
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    count: dict[int, int] = {}
    for frames in iter_frames(path, content_type=base.get("content_type")):
        if len(frames) == 0:
            continue
        order = np.argsort(frames.ids, kind="stable")
        ids = frames.ids[order]
        t = frames.timestamps[order]
        uniq, starts, n = np.unique(ids, return_index=True, return_counts=True)
        for fid, a, c in zip(uniq.tolist(), starts.tolist(), n.tolist(), strict=True):
            lo, hi = float(t[a : a + c].min()), float(t[a : a + c].max())
            first[fid] = min(first.get(fid, lo), lo)
            last[fid] = max(last.get(fid, hi), hi)
            count[fid] = count.get(fid, 0) + c
    base_tags = ["can", *[tag for tag in base.get("tags", []) if tag != "can"]]
    out = []
    for fid in sorted(count):
        plan = plans.get(fid)
        if plan is None:
            continue
        tags = list(base_tags)
        for word in [*name_tags(plan.name), *(w for s in plan.signals for w in name_tags(s.name))]:
            if word not in tags:
                tags.append(word)
        span = last[fid] - first[fid]
        out.append(
            {
                **base,
                "contents": plan.name,
                "msg_type": "can_message",
                "start_timestamp": first[fid],
                "end_timestamp": last[fid],
                "count": count[fid],
                "frequency": round((count[fid] - 1) / span, 6) if span > 0 else None,
                "extra": {
                    **extra,
                    "database": os.path.relpath(db_path, path.parent),
                    "frame_id": fid,
                    "signals": [s.name for s in plan.signals],
                    "units": plan.units,
                    "choices": {
                        k: {str(v): n for v, n in c.items()} for k, c in plan.choices.items()
                    },
                },
                "tags": tags,
            }
        )
    if not out:
        raise CorruptMediaError(
            f"{path.name} has no frame of the {len(plans)} messages of {db_path.name}; "
            "is it the right database?"
        )
    unknown = sum(c for fid, c in count.items() if fid not in plans)
    if unknown and out:
        out[0]["extra"]["unknown_frames"] = unknown
    return out
