"""Which records of a recording are signals: the one rule events and the Timeline share.

A record is a *series stream* when the reader the registry names for it yields
``SeriesBatch``es for that record: the reader class says so, per record, with its
:meth:`~workbench.readers.base.BaseReader.kind_for` (``"series"`` or ``"frames"``).
Most readers read one kind whatever the record (CSV and Parquet series, CAN logs;
videos and images); a bag reader answers per topic (an image topic is frames, every
other topic a series). Camera-timestamps sidecars (tagged ``timestamps``) are the
cameras' clocks, not signals, and are skipped.

Examples
--------
>>> rows = [
...     {"path": "gps.csv", "content_type": "text/csv", "contents": "gps"},
...     {"path": "cam_timestamps.csv", "content_type": "text/csv", "tags": ["timestamps"]},
...     {"path": "cam.mp4", "content_type": "video/mp4"},
...     {"path": "notes.xyz", "content_type": "application/x-unknown"},
... ]
>>> [r["path"] for r in series_streams(rows)]
['gps.csv']
>>> record_kind(rows[2]), record_kind(rows[3])
('frames', None)
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any

from workbench.content_types import content_type_of_suffix
from workbench.errors import UnknownContentTypeError
from workbench.readers.registry import find_reader

__all__ = ["record_field", "record_kind", "series_streams", "unique_name"]

#: the tag of a camera-timestamps sidecar (a camera's clock, not a signal)
TIMESTAMPS_TAG = "timestamps"


def record_field(record: Any, key: str) -> Any:
    """``record[key]`` of a catalog ``Record`` or row dict, else its attribute (or None).

    Examples
    --------
    >>> record_field({"contents": "gps"}, "contents"), record_field(object(), "contents")
    ('gps', None)
    """
    if isinstance(record, Mapping):
        return record.get(key)
    return getattr(record, key, None)


def unique_name(candidates: Sequence[str], taken: Container[str], *, sep: str = "_") -> str:
    """The first of ``candidates`` not ``taken``, else the last one numbered (``sep`` 2, 3 ...).

    Streams and columns are named so (a topic in two bags of one record).

    Examples
    --------
    >>> unique_name(["speed", "gps_speed"], {"speed"})
    'gps_speed'
    >>> unique_name(["speed", "gps_speed"], {"speed", "gps_speed", "gps_speed_2"})
    'gps_speed_3'
    """
    for name in candidates:
        if name not in taken:
            return name
    n = 2
    while f"{candidates[-1]}{sep}{n}" in taken:
        n += 1
    return f"{candidates[-1]}{sep}{n}"


def record_kind(record: Any) -> str | None:
    """What reading ``record`` yields: ``"series"``, ``"frames"``, or None (no reader).

    The reader class the registry names for the record's content type (or, without one,
    its path's suffix) decides, with :meth:`~workbench.readers.base.BaseReader.kind_for`.
    """
    path = record_field(record, "path")
    ctype = record_field(record, "content_type")
    if not ctype and path is not None:
        ctype = content_type_of_suffix(path)
    try:
        reader = find_reader(ctype, path)
    except UnknownContentTypeError:  # no reader for it (or its reader cannot be imported)
        return None
    kind_for = getattr(reader, "kind_for", None)
    return kind_for(record) if kind_for is not None else getattr(reader, "kind", None)


def series_streams(recording: Iterable[Any]) -> list[Any]:
    """The records of ``recording`` whose read yields time series (not camera timestamps).

    Parameters
    ----------
    recording
        A catalog ``Recording`` (or any iterable of ``Record`` s or row dicts).

    Returns
    -------
    list
        The series records, in the recording's order.
    """
    return [
        rec
        for rec in recording
        if TIMESTAMPS_TAG not in set(record_field(rec, "tags") or [])
        and record_kind(rec) == "series"
    ]
