"""``Catalog``: one SQLite file listing the streams of a dataset, selected by tags and time.

Examples
--------
>>> import json, tempfile, pathlib
>>> import workbench as wb
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> for rid, tags in [("016_01", ["can", "vehicle"]), ("016_02", ["can", "raw"])]:
...     (root / rid).mkdir()
...     _ = (root / rid / "can.csv").write_text("t,v\\n0,1\\n")
...     _ = (root / rid / "can.csv.json").write_text(json.dumps({"record_id": rid,
...         "start_timestamp": 100.0, "end_timestamp": 160.0, "content-type": "text/csv",
...         "contents": {"can": {"tags": tags}}}))
>>> cat = wb.build_catalog(root)
>>> sel = cat.select(tags=["can", "vehicle"], record_id="016_*", between=(150, 170))
>>> len(sel), sel.df.record_id.tolist(), next(iter(sel)).tags
(1, ['016_01'], ['can', 'vehicle'])
>>> cat.tags().to_dict("records")[0]
{'tag': 'can', 'count': 2}
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.catalog.ingest import IngestReport, ingest
from workbench.catalog.labels import Labels
from workbench.catalog.postings import TagPostings
from workbench.catalog.query import SELECT_COLUMNS, build_select
from workbench.catalog.schema import TAG_SEPARATOR
from workbench.catalog.selection import Selection
from workbench.catalog.store import Store
from workbench.errors import (
    CatalogQueryError,
    InvalidArgumentError,
    ReadOnlyCatalogError,
    SourceNotFoundError,
)

__all__ = ["DEFAULT_DB_NAME", "Catalog", "build_catalog", "open_catalog"]

#: file name of the catalog ``build_catalog(root)`` writes inside ``root``
DEFAULT_DB_NAME = "catalog.db"

_INT_COLUMNS = ("id", "count", "width", "height", "num_frames")
#: above this many tag matches, a select that also filters by time, id or type lets
#: SQLite check the tags of its candidate rows rather than binding every matched id
_MAX_BOUND_IDS = 5000
_FLOAT_COLUMNS = ("start_timestamp", "end_timestamp", "frequency", "fps", "duration")


class Catalog:
    """A catalog of recordings in one SQLite file.

    Use :func:`open_catalog` or :func:`build_catalog` rather than the constructor.

    Parameters
    ----------
    path
        The SQLite file.
    readonly
        Refuse every write (the file is opened with SQLite's ``mode=ro``).
    create
        Create an empty catalog if ``path`` does not exist.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, readonly: bool = False, create: bool = False
    ):
        self._store = Store(path, readonly=readonly, create=create)
        self.path = self._store.path
        self.readonly = readonly
        self.last_report: IngestReport | None = None
        self._postings = TagPostings(self._store.con)
        self._root: Path | None = None

    # lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the database connection."""
        self._store.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.readonly else "read-write"
        return f"<Catalog '{self.path}' ({len(self)} streams, {mode}, root '{self.root}')>"

    def __len__(self) -> int:
        return int(self._store.con.execute("SELECT count(*) FROM contents").fetchone()[0])

    # root -------------------------------------------------------------------------------
    def _info(self, key: str) -> str | None:
        row = self._store.con.execute(
            "SELECT value FROM catalog_info WHERE key = ?", (key,)
        ).fetchone()
        return row[0] if row else None

    @property
    def root(self) -> Path | None:
        """The dataset root that catalog paths are relative to (``None`` before ingest)."""
        if self._root is None:  # set once by the first ingest, then never changes
            self._root = self._read_root()
        return self._root

    def _read_root(self) -> Path | None:
        value = self._info("root")
        if value is None:
            return None
        root = Path(value)
        if not root.is_absolute():  # stored relative to the catalog file's folder
            root = (self.path.parent / root).resolve()
        return root

    def _set_root(self, con: sqlite3.Connection, root: Path) -> None:
        db_dir = self.path.parent.resolve()
        stored = str(root)
        if db_dir == root or root in db_dir.parents:
            stored = os.path.relpath(root, db_dir)  # the catalog travels with its dataset
        con.execute("INSERT OR REPLACE INTO catalog_info(key, value) VALUES ('root', ?)", (stored,))

    # writing ----------------------------------------------------------------------------
    def ingest(
        self, root: str | os.PathLike[str] | None = None, *, progress: bool = False
    ) -> IngestReport:
        """Bring the catalog up to date with the files under ``root``.

        ``root`` defaults to the catalog's root. The first ingest sets the root; later
        ones may pass the root or a folder inside it (only that folder is rescanned).
        Unchanged files (same size and mtime, same sidecar) are not read again;
        changed ones are replaced, vanished ones removed. Malformed sidecars and
        unreadable files are skipped and listed in the returned report.

        Raises
        ------
        ReadOnlyCatalogError
            When the catalog was opened read-only.
        SourceNotFoundError
            When ``root`` is not a folder.
        InvalidArgumentError
            When ``root`` lies outside the catalog's root.
        """
        if self.readonly:
            raise ReadOnlyCatalogError(
                f"catalog '{self.path}' was opened read-only; open it with "
                "open_catalog(path, readonly=False) to ingest"
            )
        current = self.root
        if root is None:
            if current is None:
                raise InvalidArgumentError(
                    f"catalog '{self.path}' has no dataset root yet; pass the folder to ingest"
                )
            root = current
        top = Path(root).expanduser().resolve()
        if not top.is_dir():
            raise SourceNotFoundError(f"dataset folder '{top}' does not exist or is not a folder")
        if current is None:
            with self._store.write() as con:
                if self._info("root") is None:  # re-checked under the lock
                    self._set_root(con, top)
            current = self.root
        assert current is not None
        if top != current and current not in top.parents:
            raise InvalidArgumentError(
                f"'{top}' is outside the catalog's dataset root '{current}'; ingest the root "
                "or a folder inside it, or build a separate catalog for that folder"
            )
        try:
            self.last_report = ingest(self._store, current, top, progress=progress)
        finally:
            self._postings.clear()
        return self.last_report

    @property
    def labels(self) -> Labels:
        """Time-range labels of this catalog's records: add, remove, select, export.

        See :class:`workbench.catalog.labels.Labels`; ``select(labels=[...])`` selects
        the records that carry them.
        """
        return Labels(self)

    # reading ----------------------------------------------------------------------------
    def _max_span(self) -> float | None:
        value = self._store.con.execute(
            "SELECT max(end_timestamp - start_timestamp) FROM contents"
        ).fetchone()[0]
        return None if value is None else float(value)

    def _execute(self, sql: str, params: Any) -> sqlite3.Cursor:
        try:
            return self._store.con.execute(sql, params)
        except sqlite3.Error as exc:
            if "readonly" in str(exc):
                raise ReadOnlyCatalogError(f"catalog '{self.path}' is read-only: {exc}") from exc
            raise CatalogQueryError(f"catalog query failed: {exc} (SQL: {sql})") from exc

    def select(
        self,
        *,
        tags: str | Sequence[str] | None = None,
        any_tags: str | Sequence[str] | None = None,
        exclude_tags: str | Sequence[str] | None = None,
        record_id: str | Sequence[str] | None = None,
        content_type: str | Sequence[str] | None = None,
        between: tuple[float, float] | None = None,
        labels: str | Sequence[str] | None = None,
        where: str | None = None,
        params: Sequence[Any] | dict[str, Any] | None = None,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Selection:
        """Select streams; every value is bound as a parameter, never pasted into SQL.

        Parameters
        ----------
        tags
            Streams carrying *all* these tags (exact match: ``camera`` is not
            ``camera_raw``).
        any_tags
            Streams carrying at least one of these tags.
        exclude_tags
            Streams carrying none of these tags.
        record_id
            Glob (``"016_*"``, ``"0?6_[0-9]*"``) or list of globs, case-sensitive.
        content_type
            Glob such as ``"video/*"`` or ``"text/csv"``, or a list of them.
        between
            ``(t0, t1)`` absolute seconds: streams whose
            ``[start_timestamp, end_timestamp]`` overlaps it (answered from an index).
        labels
            Streams of records carrying *all* these labels (see :attr:`labels`).
        where, params
            Raw SQL condition over the ``contents`` columns (``tags`` there is the list
            joined by the 0x1f character; match tags with the ``tags`` parameters),
            with its own bound ``params`` (a sequence for ``?``, a dict for ``:name``).
            An SQL error raises :class:`~workbench.errors.CatalogQueryError` carrying
            SQLite's message.
        order_by
            Column name(s); ``"-col"`` or ``"col desc"`` for descending. Default: by
            record id, path and content.
        limit
            At most this many streams.

        Returns
        -------
        Selection

        Examples
        --------
        >>> import tempfile, pathlib
        >>> cat = Catalog(pathlib.Path(tempfile.mkdtemp()) / "c.db", create=True)
        >>> len(cat.select(tags=["a' OR 1=1 --"]))
        0
        >>> cat.select(where="no_such_column = 1")
        Traceback (most recent call last):
        ...
        workbench.errors.CatalogQueryError: catalog query failed: no such column: ...
        """
        max_span = self._max_span() if between is not None else None
        ids = None
        tags_all = _tag_list(tags, "tags")
        tags_any = _tag_list(any_tags, "any_tags")
        tags_none = _tag_list(exclude_tags, "exclude_tags")
        narrowed = any(v is not None for v in (record_id, content_type, between, labels, where))
        if tags_all or tags_any:
            # exact tags through the cached sorted postings: numpy set operations; when
            # they match many rows and another filter narrows the search, SQLite checks
            # the tags of its few candidate rows instead (tags table, by content id)
            matched = self._postings.match(all_of=tags_all, any_of=tags_any, none_of=tags_none)
            if len(matched) <= _MAX_BOUND_IDS or not narrowed:
                ids, tags_all, tags_any, tags_none = matched, [], [], []
        sql, bound = build_select(
            ids=ids,
            tags=tags_all,
            any_tags=tags_any,
            exclude_tags=tags_none,
            record_id=record_id,
            content_type=content_type,
            between=between,
            labels=labels,
            max_span=max_span,
            where=where,
            params=params,
            order_by=order_by,
            limit=limit,
        )
        rows = self._execute(sql, bound).fetchall()
        df = self._frame(rows)
        described = {
            k: v
            for k, v in dict(
                tags=tags,
                any_tags=any_tags,
                exclude_tags=exclude_tags,
                record_id=record_id,
                content_type=content_type,
                between=between,
                labels=labels,
                where=where,
                limit=limit,
            ).items()
            if v is not None
        }
        description = ", ".join(f"{k}={v!r}" for k, v in described.items())
        return Selection(df, description=description)

    def _frame(self, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
        """Build the selection's DataFrame column by column (one pandas construction)."""
        root = self.root
        prefix = "" if root is None else str(root) + os.sep
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(SELECT_COLUMNS)
        data: dict[str, Any] = {}
        for name, values in zip(SELECT_COLUMNS, columns, strict=True):
            if name in _INT_COLUMNS:
                data[name] = pd.array(values, dtype="Int64")
            elif name == "path":
                data[name] = pd.Series([prefix + v for v in values], dtype=object)
            elif name == "tags":
                data[name] = pd.Series(
                    [v.split(TAG_SEPARATOR) if v else [] for v in values], dtype=object
                )
            elif name in _FLOAT_COLUMNS:
                data[name] = np.array(values, dtype="float64")  # None -> NaN
            else:
                data[name] = pd.Series(values, dtype=object)
        return pd.DataFrame(data)

    def tags(self) -> pd.DataFrame:
        """Every tag with the number of streams carrying it, most common first.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> Catalog(pathlib.Path(tempfile.mkdtemp()) / "c.db", create=True).tags().columns.tolist()
        ['tag', 'count']
        """
        rows = self._store.con.execute(
            "SELECT tag, count(*) AS n FROM tags GROUP BY tag ORDER BY n DESC, tag"
        ).fetchall()
        return pd.DataFrame(rows, columns=["tag", "count"])

    def record_ids(self) -> list[str]:
        """Distinct record ids, sorted."""
        rows = self._store.con.execute(
            "SELECT DISTINCT record_id FROM contents ORDER BY record_id"
        ).fetchall()
        return [r[0] for r in rows]

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> pd.DataFrame:
        """Run a read-only SQL query against the catalog and return a DataFrame.

        Tables: ``contents`` (``tags`` joined by 0x1f), ``tags``, ``files``; view
        ``meta_df`` (dwtk shape, tags joined by ``;``). Writing statements are refused.
        """
        if not query.lstrip().lower().startswith(("select", "with", "explain", "pragma")):
            raise ReadOnlyCatalogError(
                "Catalog.sql only runs queries (SELECT/WITH/EXPLAIN); use ingest to change "
                "the catalog"
            )
        con = self._store.con
        if not self.readonly:
            con.execute("PRAGMA query_only = ON")
        try:
            cur = self._execute(query, params)
            columns = [d[0] for d in cur.description or ()]
            return pd.DataFrame(cur.fetchall(), columns=columns)
        finally:
            if not self.readonly:
                con.execute("PRAGMA query_only = OFF")

    def _repr_html_(self) -> str:
        import html

        tags = self.tags().head(20)
        tag_text = ", ".join(
            f"<code>{html.escape(str(t))}</code> ({n})"
            for t, n in zip(tags["tag"], tags["count"], strict=True)
        )
        return (
            f"<div><b>Catalog</b> <code>{html.escape(str(self.path))}</code>: {len(self)} "
            f"streams from {len(self.record_ids())} records, root "
            f"<code>{html.escape(str(self.root))}</code>"
            f"{' (read-only)' if self.readonly else ''}<br>tags: {tag_text}</div>"
        )


def _tag_list(value: str | Sequence[str] | None, name: str) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str):
            raise InvalidArgumentError(f"{name} must be strings, got {item!r}")
    return items


def open_catalog(path: str | os.PathLike[str], readonly: bool = False) -> Catalog:
    """Open an existing catalog file.

    Parameters
    ----------
    path
        The SQLite catalog, as written by :func:`build_catalog`.
    readonly
        Open with SQLite's ``mode=ro``: every write raises
        :class:`~workbench.errors.ReadOnlyCatalogError`.

    Raises
    ------
    CatalogNotFoundError
        When ``path`` does not exist (no empty database is created).

    Examples
    --------
    >>> open_catalog("/no/such/catalog.db")
    Traceback (most recent call last):
    ...
    workbench.errors.CatalogNotFoundError: catalog '/no/such/catalog.db' does not exist; ...
    """
    return Catalog(path, readonly=readonly, create=False)


def build_catalog(
    root: str | os.PathLike[str],
    db: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
) -> Catalog:
    """Create or update the catalog of the dataset under ``root`` and return it.

    Parameters
    ----------
    root
        The dataset folder (dwtk layout ``records/<record_id>/data/...`` with
        ``<file>.json`` sidecars, or plain folders of videos).
    db
        The catalog file; default ``<root>/catalog.db``. Re-running updates it
        incrementally.
    progress
        Show a progress bar while reading changed files.

    Returns
    -------
    Catalog
        Its ``last_report`` (an :class:`~workbench.catalog.ingest.IngestReport`) lists
        what was added, updated, removed and skipped (with reasons).
    """
    root_path = Path(root).expanduser()
    if not root_path.is_dir():
        raise SourceNotFoundError(f"dataset folder '{root_path}' does not exist or is not a folder")
    db_path = Path(db).expanduser() if db is not None else root_path / DEFAULT_DB_NAME
    catalog = Catalog(db_path, create=True)
    try:
        catalog.ingest(root_path, progress=progress)
    except BaseException:
        catalog.close()
        raise
    return catalog
