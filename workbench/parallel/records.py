"""``RecordSpec``: the small, picklable description of one record that travels to a worker.

A worker gets where the file is (a local path or an fsspec URL such as ``s3://b/k.mp4``),
the record's id and absolute start/end, its content type, the time window to work on and
the storage options; never an open file or decoded frames. The worker opens the file
itself (videos reuse the persisted index cache, see :mod:`workbench.video.cache`).

:func:`as_specs` turns whatever the user passed (a catalog ``Selection``, ``Record`` s, a
DataFrame of catalog rows, row dicts, paths or URLs) into a list of specs, in order.

Examples
--------
>>> spec = RecordSpec(path="/data/016/camera_01.mp4", record_id="016",
...                   start_timestamp=100.0, end_timestamp=160.0, content_type="video/mp4")
>>> [(s.start, s.end) for s in spec.split(25.0)]
[(100.0, 125.0), (125.0, 150.0), (150.0, 160.0)]
>>> import pickle
>>> pickle.loads(pickle.dumps(spec)) == spec
True
"""

from __future__ import annotations

import inspect
import itertools
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from workbench.errors import InvalidArgumentError
from workbench.options import ReadOptions, take_old_spellings
from workbench.remote import is_url

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "WINDOW_SPELLINGS",
    "RecordLike",
    "RecordSpec",
    "RecordsLike",
    "SelectionLike",
    "as_specs",
    "take_window_duration",
]


@runtime_checkable
class SelectionLike(Protocol):
    """A catalog ``Selection`` as this layer sees it (it sits below the catalog): its rows
    as a DataFrame and its records grouped by id."""

    @property
    def df(self) -> pd.DataFrame: ...

    def recordings(self) -> list[Any]: ...


#: one record: a path or fsspec URL, a catalog ``Record`` or row dict, or a spec
RecordLike: TypeAlias = "str | os.PathLike[str] | Mapping[str, Any] | RecordSpec"
#: what ``map_records`` and friends take: a selection, a DataFrame of catalog rows, one
#: record or an iterable of them
RecordsLike: TypeAlias = "SelectionLike | pd.DataFrame | RecordLike | Iterable[RecordLike]"

#: ``map_records`` and ``Selection.to_dask`` once said ``segment_seconds`` for the windows
#: they cut records into, a word that elsewhere meant the batch length (``segment_duration``)
WINDOW_SPELLINGS = {"segment_seconds": "window_duration"}

#: row fields a spec keeps besides its own (small, picklable, useful to ``fn``)
_KEPT_FIELDS = ("contents", "tags", "data_type", "width", "height", "fps", "timestamps_path")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


@dataclass(frozen=True)
class RecordSpec:
    """Where one record's file is and which part of it to work on.

    Attributes
    ----------
    path : str
        Absolute local path, or an fsspec URL (``s3://bucket/key.mp4``).
    record_id : str
        The record's id (the file stem when unknown).
    start_timestamp, end_timestamp : float or None
        Absolute seconds of the record's start and end, as the catalog knows them.
    content_type : str or None
        MIME type (picks the reader on the worker).
    start, end : float or None
        Absolute time window to work on (``None``: the whole record); set by :meth:`split`.
    storage_options : dict
        fsspec options for a URL (endpoint, credentials ...).
    fields : dict
        Other catalog fields (``contents``, ``tags`` ...), available as ``spec["tags"]``.
    """

    path: str
    record_id: str
    start_timestamp: float | None = None
    end_timestamp: float | None = None
    content_type: str | None = None
    start: float | None = None
    end: float | None = None
    storage_options: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)

    # -- what a worker does with it ----------------------------------------------------
    @property
    def is_local(self) -> bool:
        """True for a local file (``path`` is not a remote URL)."""
        return not is_url(self.path)

    @property
    def local_path(self) -> Path:
        """The local :class:`~pathlib.Path` (raises for a remote URL)."""
        if not self.is_local:
            raise InvalidArgumentError(
                f"{self.path} is remote; use spec.open() (fsspec) instead of a local path"
            )
        return Path(self.path)

    @property
    def name(self) -> str:
        """The file name (last part of the path or URL)."""
        return PurePosixPath(self.path.replace("\\", "/")).name

    def open(self, mode: str = "rb") -> Any:
        """Open the file through fsspec (local paths and URLs alike)."""
        import fsspec

        return fsspec.open(self.path, mode, **self.storage_options).open()

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
        """Read this record (within its window) lazily through :func:`workbench.read`;
        returns its reader.

        The options are those of :func:`workbench.read` (or ``options=`` a
        :class:`~workbench.options.ReadOptions`); ``start`` / ``end`` default to the
        spec's window. Other keywords go to the reader (``chunk_rows``, ``topic`` ...).
        """
        from workbench.readers import read  # the worker opens the file itself

        options = ReadOptions.from_keywords(locals(), where="RecordSpec.read")
        options = options.replace(
            start=self.start if options.start is None else options.start,
            end=self.end if options.end is None else options.end,
        )
        return read(self.as_row(), options=options, **reader_options)

    def as_row(self) -> dict[str, Any]:
        """A catalog-row dict (``path``, ``record_id``, times, ``content_type`` ...)."""
        row = {k: v for k, v in self.fields.items() if v is not None}
        row.update(
            path=str(self.local_path) if self.is_local else self.path,
            record_id=self.record_id,
        )
        for key in ("start_timestamp", "end_timestamp", "content_type"):
            value = getattr(self, key)
            if value is not None:
                row[key] = value
        return row

    def __getitem__(self, key: str) -> Any:
        if key in self.fields:
            return self.fields[key]
        if key in ("path", "record_id", "start_timestamp", "end_timestamp", "content_type"):
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """``spec[key]``, or ``default`` when the spec has no such field."""
        try:
            return self[key]
        except KeyError:
            return default

    # -- splitting long records ----------------------------------------------------------
    def split(self, seconds: float | None) -> list[RecordSpec]:
        """Cut the window into consecutive pieces of at most ``seconds`` (absolute times).

        A record whose start or end is unknown is returned whole.
        """
        lo = self.start if self.start is not None else self.start_timestamp
        hi = self.end if self.end is not None else self.end_timestamp
        if not seconds or lo is None or hi is None or hi - lo <= seconds:
            return [self]
        if seconds <= 0:
            raise InvalidArgumentError(f"window_duration={seconds!r} must be a positive number")
        n = math.ceil((hi - lo) / seconds - 1e-9)
        edges = [lo + k * seconds for k in range(n)] + [hi]
        return [replace(self, start=a, end=b) for a, b in itertools.pairwise(edges)]


def _from_row(row: Mapping[str, Any], storage_options: dict[str, Any]) -> RecordSpec:
    raw = row.get("path")
    if raw is None:
        raise InvalidArgumentError(f"a record row needs a 'path'; got the fields {sorted(row)}")
    path = str(raw)
    if path.startswith("file://"):  # fsspec's local files: opened directly, as a path
        path = path.removeprefix("file://")
    if not is_url(path):
        path = str(Path(path).expanduser().absolute())
    ctype = row.get("content_type") or row.get("content-type")
    kept = {k: row[k] for k in _KEPT_FIELDS if k in row and row[k] is not None}
    if "timestamps_path" in kept:
        kept["timestamps_path"] = str(kept["timestamps_path"])
    return RecordSpec(
        path=path,
        record_id=str(row.get("record_id") or PurePosixPath(path).stem),
        start_timestamp=_number(row.get("start_timestamp")),
        end_timestamp=_number(row.get("end_timestamp")),
        content_type=str(ctype) if ctype else None,
        start=_number(row.get("start")),
        end=_number(row.get("end")),
        storage_options=dict(row.get("storage_options") or storage_options),
        fields=kept,
    )


def take_window_duration(
    window_duration: float | None,
    old_spellings: Mapping[str, Any],
    *,
    of: Callable[..., Any],
    stacklevel: int = 3,
) -> float | None:
    """``window_duration``, or its old spelling ``segment_seconds`` (:data:`WINDOW_SPELLINGS`)
    with a :class:`~workbench.errors.WorkbenchDeprecationWarning` at the line that called
    ``of`` (the public function whose ``**old_spellings`` these are); another keyword is
    refused, naming those ``of`` takes.

    Examples
    --------
    >>> import warnings
    >>> def count(records, *, window_duration=None, **old_spellings): ...
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     take_window_duration(None, {"segment_seconds": 5.0}, of=count)
    5.0
    >>> print(caught[0].message)
    count: segment_seconds= is deprecated, use window_duration= (same meaning)
    """
    if not old_spellings:
        return window_duration
    params = inspect.signature(of).parameters.values()
    renamed = take_old_spellings(
        old_spellings,
        WINDOW_SPELLINGS,
        where=of.__qualname__,
        allowed=[p.name for p in params if p.kind is p.KEYWORD_ONLY],
        given={"window_duration": window_duration},
        defaults={"window_duration": None},
        stacklevel=stacklevel + 1,
    )
    return renamed.get("window_duration", window_duration)


def as_specs(
    records: RecordsLike,
    *,
    storage_options: dict[str, Any] | None = None,
    window_duration: float | None = None,
) -> list[RecordSpec]:
    """Return one :class:`RecordSpec` per record (or per window of it), in input order.

    Parameters
    ----------
    records : Selection, DataFrame, list of Record / dict / path / URL / RecordSpec
        What to work on. A selection or DataFrame gives one spec per row (stream).
    storage_options : dict, optional
        fsspec options for URLs that do not carry their own.
    window_duration : float, optional
        Cut every record with known start and end into consecutive windows of at most
        this many seconds (:meth:`RecordSpec.split`), one spec each.

    Raises
    ------
    InvalidArgumentError
        ``records`` is not something records can be made of, or ``window_duration`` is
        not a positive number.

    Examples
    --------
    >>> [s.record_id for s in as_specs(["/d/a.mp4", {"path": "/d/b.csv", "record_id": "r2"}])]
    ['a', 'r2']
    """
    specs = _specs(records, dict(storage_options or {}))
    if window_duration is None:
        return specs
    if isinstance(window_duration, bool) or not (
        isinstance(window_duration, (int, float)) and 0 < window_duration < math.inf
    ):
        raise InvalidArgumentError(
            f"window_duration={window_duration!r} must be a positive number of seconds"
        )
    return [piece for spec in specs for piece in spec.split(window_duration)]


def _specs(records: RecordsLike, opts: dict[str, Any]) -> list[RecordSpec]:
    if isinstance(records, SelectionLike):  # a catalog Selection
        records = records.df
    if hasattr(records, "to_dict") and hasattr(records, "columns"):  # a DataFrame
        records = records.to_dict("records")
    elif isinstance(records, (str, os.PathLike, RecordSpec, Mapping)):
        records = [records]
    if not isinstance(records, Iterable):
        raise InvalidArgumentError(
            f"records must be a Selection, a DataFrame, or a list of records / paths, not a "
            f"{type(records).__name__}"
        )
    specs: list[RecordSpec] = []
    for item in records:
        if isinstance(item, RecordSpec):
            specs.append(item)
        elif isinstance(item, (str, os.PathLike)):
            specs.append(_from_row({"path": os.fspath(item)}, opts))
        elif isinstance(item, Mapping):  # a row dict, or a catalog Record (a Mapping)
            row = item.to_dict() if hasattr(item, "to_dict") else dict(item)
            specs.append(_from_row(row, opts))
        else:
            raise InvalidArgumentError(
                f"cannot describe a {type(item).__name__} as a record: pass Records, catalog "
                "row dicts, paths or fsspec URLs"
            )
    return specs
