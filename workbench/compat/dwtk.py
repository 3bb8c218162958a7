"""Run old dwtk / pydtk notebooks unchanged on a workbench catalog.

``DBHandler`` and ``BaseFileReader`` keep the names, arguments and return shapes the
dwtk seed tutorial used, on top of the SQLite catalog and the segmented readers::

    from workbench.compat.dwtk import DBHandler, BaseFileReader

    db_handler = DBHandler(db_class='meta', db_host='data/catalog.db',
                           base_dir_path='data', read_on_init=False)
    db_handler.read(where='tags like "%camera%" and record_id like "%016_%"')
    len(db_handler.df)
    sample = next(db_handler)
    timestamps, data, columns = BaseFileReader().read(sample, target_frame_rate=2,
                                                      resize_rate=0.25)
    rgb = data[0][:, :, ::-1]        # frames are BGR, as OpenCV gave them

What changed, on purpose:

- ``where`` is still raw SQL over the dwtk columns (``tags`` is the old ``;``-joined
  string, served by the ``meta_df`` view), but a wrong statement raises
  :class:`~workbench.errors.CatalogQueryError` with SQLite's message instead of
  quietly returning an empty frame.
- Yielded dicts always carry ``tags`` as a list (dwtk turned a single tag into a bare
  string) and ``path`` as an absolute string; ``handler.df`` keeps dwtk's shape
  (paths relative to the base folder, ``tags`` joined by ``;``).
- ``BaseFileReader().read(..., as_generator=True)`` yields ``(timestamps, data,
  columns)`` per time segment (``segment_duration`` seconds, default 10) instead of per
  sample: the first frames arrive at once and memory stays bounded.
- Frame sampling and resizing come from :func:`workbench.readers.read` (decoding only
  the frames that are kept) rather than one OpenCV seek per frame.

New code should use :func:`workbench.open_catalog` and :meth:`Record.read` directly.

Examples
--------
>>> import json, tempfile, pathlib
>>> import workbench as wb
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "can.csv").write_text("timestamp,speed\\n100.0,1.5\\n100.01,1.6\\n")
>>> _ = (root / "can.csv.json").write_text(json.dumps({"record_id": "016_0001",
...     "start_timestamp": 100.0, "end_timestamp": 100.01, "content-type": "text/csv",
...     "contents": {"can": {"tags": ["can", "vehicle"]}}}))
>>> wb.build_catalog(root).close()
>>> handler = DBHandler(db_class="meta", db_host=str(root / "catalog.db"),
...                     base_dir_path=str(root), read_on_init=False)
>>> handler.read(where='tags like "%can%" and record_id like "%016_%"')
>>> len(handler.df), handler.df.tags.tolist()
(1, ['can;vehicle'])
>>> sample = next(handler)
>>> sample["contents"], sample["tags"]
('can', ['can', 'vehicle'])
>>> timestamps, data, columns = BaseFileReader().read(sample)
>>> timestamps.tolist(), data[:, 0].tolist(), columns
([100.0, 100.01], [1.5, 1.6], ['speed'])
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.catalog.catalog import DEFAULT_DB_NAME, Catalog
from workbench.catalog.schema import DWTK_FIELDS
from workbench.errors import (
    CatalogQueryError,
    InvalidArgumentError,
    SourceNotFoundError,
    UnknownContentTypeError,
)

__all__ = ["BaseFileReader", "DBHandler", "NoModelMatchedError"]

#: dwtk raised this when no model could read a file; here it is the readers' error
NoModelMatchedError = UnknownContentTypeError

_ENGINES = (None, "sqlite", "sqlite3")


def _resolve_db(db_host: str | os.PathLike[str] | None) -> Path:
    if db_host is None:
        db_host = os.environ.get("PYDTK_META_DB_HOST")
    if db_host is None:
        raise InvalidArgumentError(
            "db_host is required: the path of the catalog (a workbench SQLite file, see "
            "workbench.build_catalog); PYDTK_META_DB_HOST is not set either"
        )
    path = Path(db_host).expanduser()
    if path.is_dir():
        path = path / DEFAULT_DB_NAME
    return path


class DBHandler:
    """dwtk's metadata handler, served from a workbench catalog (read-only).

    Parameters
    ----------
    db_class
        Only ``'meta'`` is supported.
    db_host
        The catalog file (or a folder holding ``catalog.db``); default
        ``$PYDTK_META_DB_HOST``.
    base_dir_path
        Folder the relative paths are joined to; default the catalog's dataset root.
    read_on_init
        Read every row at once, as dwtk did by default.
    db_engine
        ``'sqlite'`` or ``None``.
    **kwargs
        Other dwtk arguments (``database_id``, ``db_name``, ``db_username``...) are
        accepted and ignored.

    Raises
    ------
    CatalogNotFoundError
        When the catalog does not exist (no empty database is created).
    """

    def __init__(
        self,
        db_class: str = "meta",
        db_host: str | os.PathLike[str] | None = None,
        base_dir_path: str | os.PathLike[str] | None = None,
        read_on_init: bool = True,
        db_engine: str | None = None,
        **kwargs: Any,
    ) -> None:
        if db_class != "meta":
            raise InvalidArgumentError(
                f"db_class={db_class!r} is not supported; the workbench catalog serves 'meta'"
            )
        if db_engine not in _ENGINES:
            raise InvalidArgumentError(
                f"db_engine={db_engine!r} is not supported; the workbench catalog is SQLite "
                "(use 'sqlite' or leave it out)"
            )
        self._catalog = Catalog(_resolve_db(db_host), readonly=True)
        root = self._catalog.root
        if base_dir_path is not None:
            self.base_dir_path = os.path.realpath(os.fspath(base_dir_path))
        else:
            self.base_dir_path = str(root) if root is not None else os.getcwd()
        self._df = pd.DataFrame(columns=list(DWTK_FIELDS))
        self._cursor = 0
        self._count_total = 0
        if read_on_init:
            self.read()

    # -- reading -----------------------------------------------------------------------
    def read(
        self,
        where: str | None = None,
        order_by: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        query: str | None = None,
        disable_count_total: bool = False,
        **kwargs: Any,
    ) -> None:
        """Select rows into :attr:`df` and rewind the iterator.

        Parameters
        ----------
        where
            SQL condition over the dwtk columns, e.g.
            ``'tags like "%camera%" and record_id like "%016_%"'`` (used verbatim).
        order_by
            SQL ordering, e.g. ``'start_timestamp desc'``.
        limit, offset
            Page through the rows (bound as parameters).
        query
            A complete SELECT over ``meta_df`` instead of ``where``.
        disable_count_total
            Skip counting every matching row into :attr:`count_total`.

        Raises
        ------
        CatalogQueryError
            With SQLite's message, when the SQL is wrong (dwtk returned nothing).
        """
        con = self._catalog._store.con
        fields = ", ".join(f'"{f}"' for f in DWTK_FIELDS)
        params: list[Any] = []
        if query is not None:
            sql = query
            count_sql = f"SELECT count(*) FROM ({query})"
        else:
            base = "FROM meta_df" + (f" WHERE ({where})" if where else "")
            sql = f"SELECT {fields} {base} ORDER BY {order_by or 'record_id, path, contents, id'}"
            count_sql = f"SELECT count(*) {base}"
            if limit is not None or offset is not None:
                sql += " LIMIT ? OFFSET ?"
                params = [-1 if limit is None else int(limit), int(offset or 0)]
        try:
            cur = con.execute(sql, params)
            columns = [d[0] for d in cur.description or ()]
            df = pd.DataFrame(cur.fetchall(), columns=columns)
            count = len(df)
            if not disable_count_total and (limit is not None or offset is not None):
                count = int(con.execute(count_sql).fetchone()[0])
        except Exception as exc:  # sqlite3.Error, and Warning for several statements
            raise CatalogQueryError(f"dwtk query failed: {exc} (SQL: {sql})") from exc
        self._df = df
        self._count_total = count
        self._cursor = 0

    @property
    def df(self) -> pd.DataFrame:
        """The rows read last, in dwtk's shape (relative ``path``, ``;``-joined ``tags``)."""
        return self._df

    @df.setter
    def df(self, value: pd.DataFrame) -> None:
        self._df = value
        self._cursor = 0

    @property
    def count_total(self) -> int:
        """Number of rows matching the last :meth:`read`, ignoring ``limit``."""
        return self._count_total

    @property
    def catalog(self) -> Catalog:
        """The underlying :class:`~workbench.catalog.Catalog` (for new code)."""
        return self._catalog

    # -- iteration ---------------------------------------------------------------------
    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        """Return the next row as a dwtk dict; at the end rewind and stop."""
        if self._cursor >= len(self._df):
            self._cursor = 0
            raise StopIteration
        row = self._df.iloc[self._cursor].to_dict()
        self._cursor += 1
        return self._as_dict(row)

    def _as_dict(self, row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in DWTK_FIELDS:
            value = row.get(key)
            if isinstance(value, float) and np.isnan(value):
                value = None
            elif isinstance(value, np.generic):
                value = value.item()
            out[key] = value
        tags = out.get("tags")
        out["tags"] = [t for t in tags.split(";") if t] if isinstance(tags, str) else []
        if out.get("path") is not None:
            out["path"] = os.path.join(self.base_dir_path, out["path"])
        return out

    # -- dwtk's derived frames ----------------------------------------------------------
    @property
    def content_df(self) -> pd.DataFrame:
        """Columns record_id, path (absolute), content, msg_type, tag (list)."""
        df = self._df[["record_id", "path", "contents", "msg_type", "tags"]].copy()
        df = df.rename(columns={"contents": "content", "tags": "tag"})
        df["tag"] = df["tag"].map(lambda x: [t for t in (x or "").split(";") if t])
        df["path"] = df["path"].map(lambda x: os.path.join(self.base_dir_path, x))
        return df

    @property
    def file_df(self) -> pd.DataFrame:
        """One row per file: path, record_id, type, content-type, start/end timestamps."""
        df = self._df.rename(columns={"data_type": "type", "content_type": "content-type"})
        df = df.groupby("path", as_index=False).agg(
            {
                "record_id": "first",
                "type": "first",
                "content-type": "first",
                "start_timestamp": "min",
                "end_timestamp": "max",
            }
        )
        df["path"] = df["path"].map(lambda x: os.path.join(self.base_dir_path, x))
        return df

    @property
    def record_id_df(self) -> pd.DataFrame:
        """One row per record: start/end timestamps, duration and the union of tags."""
        df = self._df.groupby("record_id", as_index=False).agg(
            {
                "start_timestamp": "min",
                "end_timestamp": "max",
                "tags": lambda s: ";".join(t for t in s if t),
            }
        )
        df["duration"] = df["end_timestamp"] - df["start_timestamp"]
        df["tags"] = df["tags"].map(lambda x: sorted({t for t in x.split(";") if t}))
        return df

    # -- writes are the catalog's job --------------------------------------------------
    def add_data(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: write sidecars and run ``workbench.build_catalog`` instead."""
        raise NotImplementedError(
            "the dwtk compatibility handler is read-only; write <file>.json sidecars and "
            "run workbench.build_catalog(root) (or `workbench catalog build ROOT`)"
        )

    add_list_of_data = add_data
    save = add_data

    def __repr__(self) -> str:
        return f"<DBHandler (workbench catalog '{self._catalog.path}', {len(self._df)} rows)>"


class BaseFileReader:
    """dwtk's file reader: ``read(metadata, ...) -> (timestamps, data, columns)``.

    Video frames come back as ``(N, H, W, 3)`` uint8 in **BGR** order (as dwtk's
    OpenCV reader gave them), time series as ``(N, C)`` values; ``timestamps`` are
    absolute seconds (the per-frame ``<video>_timestamps.csv`` wins where present).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.preprocesses: list[Any] = []

    def add_preprocess(self, preprocess: Any) -> None:
        """Append an object with ``processing(timestamps, data) -> (timestamps, data)``."""
        self.preprocesses.append(preprocess)

    def read(
        self,
        metadata: Any = None,
        as_generator: bool = False,
        model_kwargs: dict[str, Any] | None = None,
        as_ndarray: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Read the file a dwtk metadata dict (or a catalog ``Record``) describes.

        Parameters
        ----------
        metadata
            A dict from ``DBHandler`` (or a ``Record``); or ``None`` with ``path=...``
            (its ``<file>.json`` sidecar is used).
        as_generator
            Yield ``(timestamps, data, columns)`` per segment instead of all at once.
        model_kwargs, as_ndarray
            Accepted for compatibility.
        **kwargs
            ``target_frame_rate``, ``resize_rate``, ``start_timestamp``,
            ``end_timestamp``, ``raw`` (no sampling or resizing), ``segment_duration``
            (seconds per generator step, default 10), ``path``.

        Raises
        ------
        SourceNotFoundError
            The file named in the metadata is missing (the message names it).
        NoModelMatchedError
            No reader for the content type (``UnknownContentTypeError``).
        """
        from workbench.readers import read as wb_read

        source: Any
        if metadata is None:
            if "path" not in kwargs:
                raise InvalidArgumentError("either metadata or path= must be given")
            source = Path(kwargs.pop("path"))
        else:
            source = dict(metadata)  # a dwtk dict or a catalog Record
            if "path" in kwargs:
                source["path"] = kwargs.pop("path")
            if isinstance(source.get("tags"), str):
                source["tags"] = source["tags"].split(";")
        path = Path(source if isinstance(source, Path) else source.get("path") or "")
        if not path.exists():
            raise SourceNotFoundError(
                f"'{path}' does not exist (record "
                f"{None if isinstance(source, Path) else source.get('record_id')!r}); the file "
                "was moved or deleted since it was catalogued: rebuild the catalog"
            )
        raw = bool(kwargs.pop("raw", False))
        rate = kwargs.pop("target_frame_rate", None)
        resize = kwargs.pop("resize_rate", None)
        if raw:
            rate, resize = None, None
        if resize is not None and float(resize) == 1.0:
            resize = None
        reader = wb_read(
            source,
            start=kwargs.pop("start_timestamp", None),
            end=kwargs.pop("end_timestamp", None),
            target_frame_rate=rate,
            resize_rate=resize,
            segment_duration=float(kwargs.pop("segment_duration", 10.0)),
            format="bgr24",
        )
        if as_generator:
            return (self._unpack(batch) for batch in reader)
        return self._unpack(reader.read_all())

    def _unpack(self, batch: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
        timestamps = np.asarray(batch.timestamps, dtype="float64")
        data = batch.frames if hasattr(batch, "frames") else batch.values
        columns = list(batch.columns or [])
        for preprocess in self.preprocesses:
            timestamps, data = preprocess.processing(timestamps, data)
        return timestamps, data, columns
