"""SQL tables as streams: the rows of a query over the catalog or any SQLite file.

The database is opened read-only, parameters are bound (never pasted into the SQL),
and rows are fetched in chunks as ``load()`` is consumed, so a large table never sits
in memory at once.

Examples
--------
>>> import sqlite3, tempfile, os
>>> from workbench.streams import TableStream
>>> path = os.path.join(tempfile.mkdtemp(), "t.db")
>>> with sqlite3.connect(path) as conn:
...     _ = conn.execute("CREATE TABLE t (id INTEGER, tag TEXT)")
...     _ = conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2, "b"), (3, "a")])
>>> conn.close()
>>> table = TableStream(path, "SELECT id FROM t WHERE tag = ? ORDER BY id", params=["a"])
>>> len(table), list(table.load())
(2, [{'id': 1}, {'id': 3}])
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeAlias
from urllib.request import pathname2url

from workbench.errors import (
    CatalogQueryError,
    InvalidArgumentError,
    ReadOnlyCatalogError,
    SourceNotFoundError,
)

__all__ = ["DatabaseLike", "TableStream"]


class _WithDbPath(Protocol):  # a Datastore
    @property
    def db_path(self) -> str | os.PathLike[str]: ...


class _WithPath(Protocol):  # a Catalog
    @property
    def path(self) -> str | os.PathLike[str]: ...


class _WithDatabase(Protocol):  # dwtk's DBHandler
    @property
    def database(self) -> str | os.PathLike[str]: ...


#: a SQLite file, or an object that names one (looked up as ``db_path``, ``path``, then
#: ``database``)
DatabaseLike: TypeAlias = "str | os.PathLike[str] | _WithDbPath | _WithPath | _WithDatabase"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FORMATS = ("dict", "dataframe")


def _database_path(source: DatabaseLike) -> Path:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).expanduser()
    for attribute in ("db_path", "path", "database"):
        value = getattr(source, attribute, None)
        if isinstance(value, (str, os.PathLike)):
            return Path(value).expanduser()
    raise InvalidArgumentError(
        f"TableStream needs a SQLite file path or a catalog, not {type(source).__name__}"
    )


class TableStream:
    """The rows of a SQL query over a SQLite file (the catalog, a datastore, any file).

    Parameters
    ----------
    source : str, Path, or catalog
        A SQLite file, or an object with a ``db_path``/``path`` attribute (a catalog,
        a :class:`~workbench.streams.Datastore`).
    query : str
        A ``SELECT`` statement, or a bare table name (read whole).
    params : sequence or mapping, optional
        Values bound to ``?`` or ``:name`` placeholders.
    chunk_size : int
        Rows fetched from SQLite at a time (and rows per DataFrame chunk).

    Examples
    --------
    >>> import tempfile
    >>> from workbench.streams import Datastore, TableStream
    >>> store = Datastore(tempfile.mkdtemp())
    >>> TableStream(store, "streams").columns[:3]
    ['name', 'kind', 'id']
    """

    def __init__(
        self,
        source: DatabaseLike,
        query: str,
        params: Sequence[Any] | Mapping[str, Any] = (),
        *,
        chunk_size: int = 1000,
    ) -> None:
        self.path = _database_path(source)
        if not isinstance(query, str) or not query.strip():
            raise InvalidArgumentError(
                f"query must be a SELECT statement or a table name, not {query!r}"
            )
        self.query = f'SELECT * FROM "{query}"' if _IDENTIFIER.match(query.strip()) else query
        self.params = params
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidArgumentError(f"chunk_size must be a positive int, not {chunk_size!r}")
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"TableStream({str(self.path)!r}, {self.query!r})"

    def exists(self) -> bool:
        """Whether the database file exists."""
        return self.path.is_file()

    def _connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise SourceNotFoundError(
                f"SQLite file {str(self.path)!r} does not exist; check the path"
            )
        uri = f"file:{pathname2url(str(self.path.absolute()))}?mode=ro"
        try:
            return sqlite3.connect(uri, uri=True)
        except sqlite3.Error as exc:
            raise SourceNotFoundError(f"cannot open SQLite file {str(self.path)!r}: {exc}") from exc

    def _execute(self, conn: sqlite3.Connection, sql: str) -> sqlite3.Cursor:
        try:
            return conn.execute(sql, self.params)
        except sqlite3.Error as exc:
            message = str(exc)
            if "readonly" in message or "read-only" in message:
                raise ReadOnlyCatalogError(
                    f"TableStream opens {str(self.path)!r} read-only; {self.query!r} tried to "
                    f"write. Use a SELECT"
                ) from exc
            raise CatalogQueryError(
                f"query {self.query!r} on {str(self.path)!r} failed: {message}"
            ) from exc

    @property
    def columns(self) -> list[str]:
        """The column names of the query's result."""
        conn = self._connect()
        try:
            cursor = self._execute(conn, self.query)
            return [d[0] for d in cursor.description or ()]
        finally:
            conn.close()

    def __len__(self) -> int:
        conn = self._connect()
        try:
            return int(self._execute(conn, f"SELECT COUNT(*) FROM ({self.query})").fetchone()[0])
        finally:
            conn.close()

    def load(self, *, format: str = "dict", chunk_size: int | None = None) -> Iterator[Any]:
        """Yield the rows lazily: one dict per row, or DataFrame chunks of ``chunk_size`` rows.

        Parameters
        ----------
        format : {"dict", "dataframe"}
            ``"dict"`` yields ``{column: value}`` per row; ``"dataframe"`` yields
            pandas DataFrames of up to ``chunk_size`` rows.
        chunk_size : int, optional
            Rows fetched at a time (default: the stream's ``chunk_size``).

        Examples
        --------
        >>> import tempfile
        >>> from workbench.streams import Datastore, TableStream
        >>> store = Datastore(tempfile.mkdtemp())
        >>> list(TableStream(store, "streams").load(format="dataframe"))
        []
        """
        if format not in FORMATS:
            raise InvalidArgumentError(f"format must be one of {FORMATS}, not {format!r}")
        size = self.chunk_size if chunk_size is None else chunk_size
        if not isinstance(size, int) or size < 1:
            raise InvalidArgumentError(f"chunk_size must be a positive int, not {size!r}")
        return self._rows(format, size)

    def _rows(self, format: str, size: int) -> Iterator[Any]:
        conn = self._connect()
        try:
            cursor = self._execute(conn, self.query)
            columns = [d[0] for d in cursor.description or ()]
            while True:
                try:
                    chunk = cursor.fetchmany(size)
                except sqlite3.Error as exc:
                    raise CatalogQueryError(
                        f"query {self.query!r} on {str(self.path)!r} failed: {exc}"
                    ) from exc
                if not chunk:
                    break
                if format == "dataframe":
                    import pandas as pd

                    yield pd.DataFrame.from_records(chunk, columns=columns)
                else:
                    for row in chunk:
                        yield dict(zip(columns, row, strict=True))
        finally:
            conn.close()

    def __iter__(self) -> Iterator[Any]:
        return self.load()
