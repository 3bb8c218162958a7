"""Events and labels tables as windows of cameras: what the exports cut from.

``wb.find_events`` and ``cat.labels.df`` give one row per moment (``record_id``,
``start``, ``end``), not per file. The exports take such a table directly: each row
becomes the record's first camera with that row's window.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from workbench.errors import InvalidArgumentError

__all__ = ["camera_windows", "window_of"]


def camera_windows(items: Any, catalog: Any = None) -> Any:
    """An events or labels table (no ``path``) as rows of each record's first camera,
    each with its window ``start``/``end``; anything else is returned as it is.

    The camera is the one ``wb.find_events`` noted (``attrs["cameras"]``), else the first
    video ``catalog`` has for the record.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"record_id": ["r1"], "start": [10.0], "end": [12.0]})
    >>> events.attrs["cameras"] = {"r1": "/data/r1/front.mp4"}
    >>> camera_windows(events)
    [{'path': '/data/r1/front.mp4', 'record_id': 'r1', 'start': 10.0, 'end': 12.0}]
    """

    if not isinstance(items, pd.DataFrame) or "path" in items.columns:
        return items
    missing = [c for c in ("record_id", "start", "end") if c not in items.columns]
    if missing:
        raise InvalidArgumentError(
            f"items lack {missing}: pass rows with a path, or an events/labels table "
            f"(record_id, start, end); got columns {list(items.columns)}"
        )
    cameras: dict[str, Any] = dict(items.attrs.get("cameras") or {})
    rows = []
    for row in items.to_dict("records"):
        rid = str(row["record_id"])
        if cameras.get(rid) is None and catalog is not None:
            found = catalog.select(record_id=rid, content_type="video/*")
            cameras[rid] = found[0] if len(found) else None
        camera = cameras.get(rid)
        if camera is None:
            raise InvalidArgumentError(
                f"record {rid!r} has no camera to cut a clip from"
                + ("" if catalog is not None else "; pass catalog= for a labels table")
            )
        base = dict(camera) if isinstance(camera, Mapping) else {"path": str(camera)}
        rows.append({**base, "record_id": rid, "start": row["start"], "end": row["end"]})
    return rows


def window_of(row: Any) -> tuple[float, float] | None:
    """The ``(start, end)`` window a source row carries (an event's), or None.

    Examples
    --------
    >>> window_of({"path": "a.mp4", "start": 1.0, "end": 2.0}), window_of("a.mp4")
    ((1.0, 2.0), None)
    """
    if not isinstance(row, Mapping) or row.get("start") is None or row.get("end") is None:
        return None
    return float(row["start"]), float(row["end"])
