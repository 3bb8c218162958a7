"""SQLite connection handling for the catalog: WAL, busy timeout, write transactions.

Writers open ``BEGIN IMMEDIATE`` transactions so two processes ingesting at once queue
on the database lock (for up to :data:`BUSY_TIMEOUT_MS`) instead of failing half-way;
readers never block writers thanks to WAL. A read-only store opens the file through a
``file:...?mode=ro`` URI, so SQLite itself refuses writes.

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.catalog.store import Store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "catalog.db"
>>> store = Store(db, create=True)
>>> with store.write() as con:
...     _ = con.execute("INSERT INTO catalog_info VALUES ('note', 'hello')")
>>> Store(db, readonly=True).con.execute(
...     "SELECT value FROM catalog_info WHERE key = 'note'").fetchone()[0]
'hello'
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from workbench.catalog.schema import SCHEMA_VERSION, create_schema, schema_version
from workbench.errors import CatalogError, CatalogNotFoundError, ReadOnlyCatalogError

__all__ = ["BUSY_TIMEOUT_MS", "Store"]

#: how long a writer waits for another process's write transaction (milliseconds)
BUSY_TIMEOUT_MS = 60_000


def _ro_uri(path: Path) -> str:
    return "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"


class Store:
    """One SQLite catalog file and the connection to it.

    Parameters
    ----------
    path
        The database file.
    readonly
        Open with ``mode=ro``: every write raises
        :class:`~workbench.errors.ReadOnlyCatalogError`.
    create
        Create the file (and its schema) if it does not exist. Without it a missing
        file raises :class:`~workbench.errors.CatalogNotFoundError` and nothing is
        created.

    Examples
    --------
    >>> Store("/no/such/catalog.db")
    Traceback (most recent call last):
    ...
    workbench.errors.CatalogNotFoundError: catalog '/no/such/catalog.db' does not exist; ...
    """

    def __init__(
        self, path: str | os.PathLike[str], *, readonly: bool = False, create: bool = False
    ):
        self.path = Path(path).expanduser()
        self.readonly = readonly
        if not self.path.is_file():
            if self.path.exists() and not self.path.is_file():  # re-check: another may create it
                raise CatalogError(f"catalog path '{self.path}' exists but is not a file")
            if readonly or not create:
                raise CatalogNotFoundError(
                    f"catalog '{self.path}' does not exist; build one with "
                    f"workbench.build_catalog(root, db='{self.path}') or "
                    f"`workbench catalog build ROOT --db {self.path}`"
                )
            if not self.path.parent.is_dir():
                raise CatalogNotFoundError(
                    f"cannot create catalog '{self.path}': folder '{self.path.parent}' "
                    "does not exist"
                )
        self.con = self._connect()
        if not readonly:
            if schema_version(self.con) != SCHEMA_VERSION:
                with self.write() as con:  # re-checked under the lock: another may have won
                    if schema_version(con) != SCHEMA_VERSION:
                        create_schema(con)
        elif schema_version(self.con) == 0:
            raise CatalogError(
                f"'{self.path}' is not a workbench catalog (no catalog_info table); "
                "build one with workbench.build_catalog"
            )

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                con = sqlite3.connect(
                    _ro_uri(self.path), uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not self.readonly:
                _switch_to_wal(con)
                con.execute("PRAGMA synchronous = NORMAL")
            con.execute("PRAGMA foreign_keys = ON")
            # make sure this really is a database before going on
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(
                f"cannot open catalog '{self.path}': {exc}; is it a workbench catalog?"
            ) from exc
        return con

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run the body in one ``BEGIN IMMEDIATE`` transaction; roll back on error.

        Raises
        ------
        ReadOnlyCatalogError
            When the store was opened read-only.
        """
        if self.readonly:
            raise ReadOnlyCatalogError(
                f"catalog '{self.path}' was opened read-only; "
                "open it with open_catalog(path, readonly=False) to change it"
            )
        con = self.con
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _translate(exc, self.path) from exc
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            try:
                con.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                con.execute("ROLLBACK")
                raise _translate(exc, self.path) from exc

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with contextlib.suppress(sqlite3.Error):
            self.con.close()


def _translate(exc: sqlite3.Error, path: Path) -> Exception:
    """Map an SQLite error raised by a write to the matching workbench error."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return ReadOnlyCatalogError(
            f"catalog '{path}' cannot be written ({text}); check the file's permissions "
            "or open it with readonly=True to only read it"
        )
    return CatalogError(f"catalog '{path}': {text}")


def _switch_to_wal(con: sqlite3.Connection) -> None:
    """Put the database in WAL mode, waiting while another connection holds it locked.

    Switching the journal mode can fail with "database is locked" at once, without
    SQLite's busy handler being called, while another process is creating the same
    catalog; so it is retried here for up to ``BUSY_TIMEOUT_MS``.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            con.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
