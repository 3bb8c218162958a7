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

import difflib
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
from workbench.catalog.record import is_remote
from workbench.catalog.schema import TAG_SEPARATOR, normalise_tag
from workbench.catalog.selection import Selection
from workbench.catalog.sql_guard import read_only_statements
from workbench.catalog.store import Store, translate_error
from workbench.errors import (
    CatalogError,
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
        Refuse every write (the file is opened with SQLite's ``mode=ro``, or
        ``immutable=1`` on a read-only mount).
    create
        Create an empty catalog if ``path`` does not exist.
    storage_options
        fsspec options (credentials, ``endpoint_url``...) for a catalog of a remote
        dataset (``s3://...``): handed to every :class:`Record` it selects, never
        written into the catalog file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        create: bool = False,
        storage_options: dict[str, Any] | None = None,
    ):
        self._store = Store(path, readonly=readonly, create=create)
        self.path = self._store.path
        self.readonly = readonly
        self.storage_options: dict[str, Any] = dict(storage_options or {})
        self.last_report: IngestReport | None = None
        self._postings = TagPostings(self._store.con)
        self._root: Path | str | None = None

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
        return int(self._store.execute("SELECT count(*) FROM contents").fetchone()[0])

    # root -------------------------------------------------------------------------------
    def _info(self, key: str) -> str | None:
        row = self._store.execute("SELECT value FROM catalog_info WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def root(self) -> Path | str | None:
        """The dataset root that catalog paths are relative to (``None`` before ingest).

        A local folder as a :class:`~pathlib.Path`; a remote prefix as its URL string
        (``"s3://bucket/prefix"``).
        """
        if self._root is None:  # set once by the first ingest, then never changes
            self._root = self._read_root()
        return self._root

    def _read_root(self) -> Path | str | None:
        value = self._info("root")
        if value is None:
            return None
        if is_remote(value):
            return value
        root = Path(value)
        if not root.is_absolute():  # stored relative to the catalog file's folder
            root = (self.path.parent / root).resolve()
        return root

    def _set_root(self, con: sqlite3.Connection, root: Path | str) -> None:
        db_dir = self.path.parent.resolve()
        stored = str(root)
        if isinstance(root, Path) and (db_dir == root or root in db_dir.parents):
            stored = os.path.relpath(root, db_dir)  # the catalog travels with its dataset
        con.execute("INSERT OR REPLACE INTO catalog_info(key, value) VALUES ('root', ?)", (stored,))

    # writing ----------------------------------------------------------------------------
    def ingest(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        progress: bool = False,
        follow_external_links: bool = False,
        storage_options: dict[str, Any] | None = None,
    ) -> IngestReport:
        """Bring the catalog up to date with the files under ``root``.

        ``root`` defaults to the catalog's root. The first ingest sets the root; later
        ones may pass the root or a folder inside it (only that folder is rescanned).
        Unchanged files (same size and mtime, or size and ETag in a remote store, same
        sidecar) are not read again; changed ones are replaced, vanished ones removed.
        Malformed sidecars and unreadable files are skipped and listed in the returned
        report.

        Parameters
        ----------
        root
            A local folder, or an fsspec URL prefix such as ``"s3://bucket/data/"``.
        progress
            Show a progress bar while reading changed files.
        follow_external_links
            Catalogue symbolic links that point outside the dataset root (by default
            they are skipped, with the reason in the report).
        storage_options
            fsspec options for a remote root (kept in memory for the records this
            catalog selects; never written into the catalog file).

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
            raise self._store.readonly_error("ingest")
        if storage_options is not None:
            self.storage_options = dict(storage_options)
        current = self.root
        if root is None:
            if current is None:
                raise InvalidArgumentError(
                    f"catalog '{self.path}' has no dataset root yet; pass the folder to ingest"
                )
            root = current
        top: Path | str
        if is_remote(os.fspath(root)):
            top = os.fspath(root).rstrip("/")
        else:
            top = Path(root).expanduser().resolve()
            if not top.is_dir():
                raise SourceNotFoundError(
                    f"dataset folder '{top}' does not exist or is not a folder"
                )
        if current is None:
            with self._store.write() as con:
                if self._info("root") is None:  # re-checked under the lock
                    self._set_root(con, top)
            current = self.root
        assert current is not None
        if not _is_inside(top, current):
            raise InvalidArgumentError(
                f"'{top}' is outside the catalog's dataset root '{current}'; ingest the root "
                "or a folder inside it, or build a separate catalog for that folder"
            )
        try:
            self.last_report = ingest(
                self._store,
                current,
                top,
                progress=progress,
                follow_external_links=follow_external_links,
                storage_options=self.storage_options,
            )
        finally:
            self._postings.clear()
        self._store.checkpoint()
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
        value = self._store.execute(
            "SELECT max(end_timestamp - start_timestamp) FROM contents"
        ).fetchone()[0]
        return None if value is None else float(value)

    def _execute(self, sql: str, params: Any) -> sqlite3.Cursor:
        try:
            return self._store.con.execute(sql, params)
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc):
                raise ReadOnlyCatalogError(f"catalog '{self.path}' is read-only: {exc}") from exc
            raise CatalogQueryError(f"catalog query failed: {exc} (SQL: {sql})") from exc
        except (sqlite3.InterfaceError, sqlite3.ProgrammingError, OverflowError) as exc:
            raise CatalogQueryError(f"catalog query failed: {exc} (SQL: {sql})") from exc
        except sqlite3.DatabaseError as exc:  # damaged file
            raise translate_error(exc, self.path) from exc

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
            ``camera_raw``; surrounding whitespace is ignored, as at ingest).
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
            When tags match nothing, its repr (and the error of ``sel[0]``) names the
            known tags close to the ones asked for.

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
            try:
                matched = self._postings.match(all_of=tags_all, any_of=tags_any, none_of=tags_none)
            except sqlite3.DatabaseError as exc:
                raise translate_error(exc, self.path) from exc
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
        hint = ""
        if df.empty:  # only then: it reads every tag of the catalog
            hint = self._tag_hint(_tag_list(tags, "tags") + _tag_list(any_tags, "any_tags"))
        return Selection(
            df, description=description, hint=hint, storage_options=self.storage_options
        )

    def _tag_hint(self, asked: list[str]) -> str:
        """For tags no stream carries, the known tags spelled closest (difflib)."""
        if not asked:
            return ""
        known = self.tags()["tag"].tolist()
        known_set = set(known)
        lowered = {t.lower(): t for t in known}
        notes = []
        for tag in dict.fromkeys(asked):
            if tag in known_set:
                continue
            close = difflib.get_close_matches(tag, known, n=3, cutoff=0.6)
            if tag.lower() in lowered and lowered[tag.lower()] not in close:
                close.insert(0, lowered[tag.lower()])
            if close:
                spelled = " or ".join(map(repr, close))
                notes.append(f"no stream has tag {tag!r}; did you mean {spelled}?")
            else:
                notes.append(f"no stream has tag {tag!r}")
        return "; ".join(notes)

    def _frame(self, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
        """Build the selection's DataFrame column by column (one pandas construction)."""
        root = self.root
        if root is None:
            prefix = ""
        elif isinstance(root, str):  # a remote prefix: paths are full URLs
            prefix = root + "/"
        else:
            prefix = str(root) + os.sep
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
        rows = self._store.execute(
            "SELECT tag, count(*) AS n FROM tags GROUP BY tag ORDER BY n DESC, tag"
        ).fetchall()
        return pd.DataFrame(rows, columns=["tag", "count"])

    def record_ids(self) -> list[str]:
        """Distinct record ids, sorted."""
        rows = self._store.execute(
            "SELECT DISTINCT record_id FROM contents ORDER BY record_id"
        ).fetchall()
        return [r[0] for r in rows]

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> pd.DataFrame:
        """Run a read-only SQL query against the catalog and return a DataFrame.

        Tables: ``contents`` (``tags`` joined by 0x1f), ``tags``, ``files``; view
        ``meta_df`` (dwtk shape, tags joined by ``;``). Only statements that read are
        allowed (checked by SQLite's authorizer as each statement is compiled): writes,
        ``ATTACH``, transactions and pragmas that change settings
        (``PRAGMA foreign_keys=OFF``, ``PRAGMA journal_mode=DELETE``) are refused.

        Raises
        ------
        ReadOnlyCatalogError
            When the statement would change the catalog or its settings.
        CatalogQueryError
            When the query is malformed.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> cat = Catalog(pathlib.Path(tempfile.mkdtemp()) / "c.db", create=True)
        >>> cat.sql("SELECT count(*) AS n FROM contents")["n"].tolist()
        [0]
        >>> cat.sql("PRAGMA journal_mode = DELETE")
        Traceback (most recent call last):
        ...
        workbench.errors.ReadOnlyCatalogError: Catalog.sql only runs statements that read; ...
        """
        if not isinstance(query, str) or not query.lstrip().lower().startswith(
            ("select", "with", "explain", "pragma", "values")
        ):
            raise ReadOnlyCatalogError(
                f"Catalog.sql only runs queries (SELECT/WITH/EXPLAIN/PRAGMA), not {query!r}; "
                "use ingest to change the catalog"
            )
        with read_only_statements(self._store.con) as refused:
            try:
                cur = self._execute(query, params)
                columns = [d[0] for d in cur.description or ()]
                rows = cur.fetchall()
            except CatalogError:
                if refused:
                    raise ReadOnlyCatalogError(
                        f"Catalog.sql only runs statements that read; {query!r} would "
                        f"{refused[0]}. Use ingest to change the catalog"
                    ) from None
                raise
        return pd.DataFrame(rows, columns=columns)

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
    """The tags asked for, spelled as ingest stores them (:func:`normalise_tag`)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidArgumentError(f"{name} must be strings, got {item!r}")
        tag = normalise_tag(item)
        if not tag:
            raise InvalidArgumentError(f"{name} {item!r} is empty; give tag names")
        out.append(tag)
    return out


def _is_inside(top: Path | str, root: Path | str) -> bool:
    """Whether ``top`` is ``root`` or lies under it (folders or URL prefixes)."""
    if isinstance(root, str) or isinstance(top, str):
        top_s, root_s = str(top).rstrip("/"), str(root).rstrip("/")
        return top_s == root_s or top_s.startswith(root_s + "/")
    return top == root or root in top.parents


def open_catalog(
    path: str | os.PathLike[str],
    readonly: bool = False,
    *,
    storage_options: dict[str, Any] | None = None,
) -> Catalog:
    """Open an existing catalog file.

    Parameters
    ----------
    path
        The SQLite catalog, as written by :func:`build_catalog`.
    readonly
        Open with SQLite's ``mode=ro`` (``immutable=1`` where the folder cannot be
        written, e.g. a read-only mount): every write raises
        :class:`~workbench.errors.ReadOnlyCatalogError`.
    storage_options
        fsspec options (credentials, ``endpoint_url``...) for the records of a catalog
        built over a remote prefix: each selected :class:`Record` carries them in
        ``record.storage_options``. They are not stored in the catalog file.

    Raises
    ------
    CatalogNotFoundError
        When ``path`` does not exist (no empty database is created).
    CatalogError
        When ``path`` is not a workbench catalog (another SQLite file, an empty file)
        or is damaged; nothing is written to it.
    ReadOnlyCatalogError
        When ``readonly=False`` and the file or its folder cannot be written.

    Examples
    --------
    >>> open_catalog("/no/such/catalog.db")
    Traceback (most recent call last):
    ...
    workbench.errors.CatalogNotFoundError: catalog '/no/such/catalog.db' does not exist; ...
    """
    return Catalog(path, readonly=readonly, create=False, storage_options=storage_options)


def build_catalog(
    root: str | os.PathLike[str],
    db: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    storage_options: dict[str, Any] | None = None,
    follow_external_links: bool = False,
) -> Catalog:
    """Create or update the catalog of the dataset under ``root`` and return it.

    Parameters
    ----------
    root
        The dataset folder (dwtk layout ``records/<record_id>/data/...`` with
        ``<file>.json`` sidecars, or plain folders of videos), or an fsspec URL
        prefix holding the same layout (``"s3://bucket/data/"``).
    db
        The catalog file; default ``<root>/catalog.db``. Re-running updates it
        incrementally. Required (a local path) when ``root`` is a URL.
    progress
        Show a progress bar while reading changed files.
    storage_options
        fsspec options for a remote ``root`` (``endpoint_url``, credentials...). Kept
        on the returned catalog and its records, never written into the catalog file.
    follow_external_links
        Catalogue symbolic links (files or folders) that point outside ``root``. By
        default they are skipped and listed in the report, so a dataset cannot pull in
        files from elsewhere on the machine.

    Returns
    -------
    Catalog
        Its ``last_report`` (an :class:`~workbench.catalog.ingest.IngestReport`) lists
        what was added, updated, removed and skipped (with reasons).
    """
    if is_remote(os.fspath(root)):
        if db is None:
            raise InvalidArgumentError(
                f"build_catalog({os.fspath(root)!r}) needs db=<a local catalog file>: the "
                "catalog of a remote dataset is written on this machine"
            )
        root_path: Path | str = os.fspath(root)
    else:
        root_path = Path(root).expanduser()
        if not root_path.is_dir():
            raise SourceNotFoundError(
                f"dataset folder '{root_path}' does not exist or is not a folder"
            )
    db_path = Path(db).expanduser() if db is not None else Path(root_path) / DEFAULT_DB_NAME
    catalog = Catalog(db_path, create=True, storage_options=storage_options)
    try:
        catalog.ingest(root_path, progress=progress, follow_external_links=follow_external_links)
    except BaseException:
        catalog.close()
        raise
    return catalog
