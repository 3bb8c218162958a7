"""``Record``: one catalogued stream (a camera video, a CAN log, a GPS track...).

A record behaves like the dict dwtk users knew (``rec["record_id"]``) and like an
object (``rec.record_id``). ``rec.path`` is an absolute :class:`pathlib.Path` (or, for
a catalog built over a remote prefix, the full URL string ``"s3://bucket/..."``, with
the fsspec options to open it in ``rec.storage_options``),
``rec.tags`` a list, ``rec.extra`` a dict of every other sidecar key (also reachable as
``rec["that_key"]``), and ``rec.read(...)`` hands the record to the segmented readers.

Examples
--------
>>> rec = Record({"record_id": "016_0001", "path": "records/016_0001/cam.mp4",
...               "tags": ["camera", "front"], "content_type": "video/mp4",
...               "extra": '{"weather": "rain"}'}, root="/data")
>>> rec.record_id, rec.path.as_posix(), rec.tags, rec["weather"]
('016_0001', '/data/records/016_0001/cam.mp4', ['camera', 'front'], 'rain')
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from workbench.catalog.schema import TAG_SEPARATOR
from workbench.errors import SourceNotFoundError
from workbench.options import ReadOptions
from workbench.sidecars import find_timestamps

__all__ = ["Record", "is_remote", "normalise_row"]

_ALIASES = {"content-type": "content_type", "type": "data_type"}


def is_remote(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an fsspec URL of a remote store (``s3://``, ``memory://``...).

    Examples
    --------
    >>> is_remote("s3://bucket/a.mp4"), is_remote("/data/a.mp4"), is_remote("C:/data")
    (True, False, False)
    """
    from fsspec.utils import get_protocol

    return isinstance(path, str) and get_protocol(path) not in ("file", "local")


def _tags(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [t for t in value.split(TAG_SEPARATOR) if t]
    return list(value)


def _extra(value: Any) -> dict[str, Any]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return {}
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return dict(value)


def normalise_row(row: Mapping[str, Any], root: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Return a plain dict with absolute ``path``, ``tags`` as a list, ``extra`` a dict.

    Examples
    --------
    >>> normalise_row({"path": "a/b.csv", "tags": "x\\x1fy", "extra": None}, "/r")["tags"]
    ['x', 'y']
    """
    out = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
    out["tags"] = _tags(row.get("tags"))
    out["extra"] = _extra(row.get("extra"))
    path = row.get("path")
    if path is not None and not is_remote(path):
        p = Path(path)
        out["path"] = p if p.is_absolute() or root is None else Path(root) / p
    return out


class Record(Mapping[str, Any]):
    """One catalogued stream; attribute and mapping access to its fields.

    Parameters
    ----------
    row
        The catalog row (as :meth:`Selection.df` holds it).
    root
        The dataset root relative paths are resolved against.
    storage_options
        fsspec options to open a remote ``path`` with (credentials never come from
        the catalog file: they are the ones given to ``open_catalog``/``build_catalog``).

    Examples
    --------
    >>> rec = Record({"record_id": "r1", "path": "/abs/gps.csv", "tags": ["gps"]})
    >>> sorted(rec)[:3], rec.get("missing", "default")
    (['extra', 'path', 'record_id'], 'default')
    """

    __slots__ = ("_fields", "_storage_options")

    def __init__(
        self,
        row: Mapping[str, Any],
        root: str | os.PathLike[str] | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ):
        object.__setattr__(self, "_fields", normalise_row(row, root))
        object.__setattr__(self, "_storage_options", dict(storage_options or {}))

    @property
    def storage_options(self) -> dict[str, Any]:
        """fsspec options for opening a remote ``path`` (empty for local files)."""
        return self._storage_options

    @property
    def is_remote(self) -> bool:
        """Whether ``path`` is a URL in a remote store."""
        return is_remote(self._fields.get("path"))

    # mapping ------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        fields = self._fields
        key = _ALIASES.get(key, key)
        if key in fields:
            return fields[key]
        extra = fields.get("extra") or {}
        if key in extra:
            return extra[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    # attributes ---------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"Record has no field {name!r}; fields: {', '.join(self._fields)}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Record is read-only; change the sidecar and re-ingest instead")

    def __repr__(self) -> str:
        f = self._fields
        return (
            f"Record(record_id={f.get('record_id')!r}, contents={f.get('contents')!r}, "
            f"content_type={f.get('content_type')!r}, path='{f.get('path')}', "
            f"tags={f.get('tags')!r})"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return self._fields == other._fields
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Record, (self._fields, None, self._storage_options))

    # helpers ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain ``dict`` copy of the fields (``path`` absolute, ``tags`` a list)."""
        return dict(self._fields)

    @property
    def timestamps_csv(self) -> Path | None:
        """The ``<video>_timestamps.csv`` next to this file, if there is one (local only)."""
        found = None if self.is_remote else find_timestamps(Path(self.path))
        return Path(found) if found is not None else None

    def check_exists(self) -> Path | str:
        """Return ``self.path`` or raise :class:`SourceNotFoundError` naming the file.

        A remote path is returned unchecked: its reader names a missing object.
        """
        if self.is_remote:
            return self._fields["path"]
        path = Path(self._fields["path"])
        if not path.is_file():
            raise SourceNotFoundError(
                f"'{path}' (record {self._fields.get('record_id')!r}, content "
                f"{self._fields.get('contents')!r}) is in the catalog but not on disk: it was "
                "moved or deleted; re-run build_catalog/Catalog.ingest on the dataset root"
            )
        return path

    def read(
        self,
        *,
        start: float | None = None,
        end: float | None = None,
        target_frame_rate: float | None = None,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        segment_duration: float = 10.0,
        format: str = "rgb24",
        mode: str = "exact",
        options: ReadOptions | None = None,
        **reader_options: Any,
    ) -> Any:
        """Read this stream lazily, in segments, through :func:`workbench.read`; returns
        its reader (a :class:`workbench.readers.BaseReader`).

        The options are those of :func:`workbench.read` (``start``, ``end``,
        ``target_frame_rate``, ``resize_rate``, ``size``, ``segment_duration``, ``format``,
        ``mode``, or ``options=`` a :class:`~workbench.options.ReadOptions`); other keywords
        go to the reader (``chunk_rows``, ``topic`` ...).

        Raises
        ------
        SourceNotFoundError
            When the file moved or was deleted since it was catalogued.
        """
        options = ReadOptions.from_keywords(locals(), where="Record.read")
        self.check_exists()
        from workbench.readers import read

        return read(self, options=options, **reader_options)
