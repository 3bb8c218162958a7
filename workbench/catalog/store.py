"""SQLite connection handling for the catalog: WAL, busy timeout, write transactions.

Writers open ``BEGIN IMMEDIATE`` transactions so two processes ingesting at once queue
on the database lock (for up to :data:`BUSY_TIMEOUT_MS`) instead of failing half-way;
readers never block writers thanks to WAL.

A new catalog is written whole under a temporary name and linked into place, so a
file at a catalog's path is always a complete catalog: an SQLite file without the
catalog's tables, or an empty (0-byte) file, is someone else's and is refused, never
written into.

A read-only store opens the file through a ``file:...?mode=ro`` URI, so SQLite itself
refuses writes. Where even that fails because the folder is not writable (a read-only
mount: WAL wants to create the ``-shm`` file next to the catalog), it falls back to
SQLite's ``immutable=1``, which reads the main file only, without locks: the state
written by the last completed ingest (every ingest ends with a checkpoint).

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.catalog.store import Store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "catalog.db"
>>> store = Store(db, create=True)
>>> with store.write() as con:
...     _ = con.execute("INSERT INTO catalog_info VALUES ('note', 'hello')")
>>> Store(db, readonly=True).execute(
...     "SELECT value FROM catalog_info WHERE key = 'note'").fetchone()[0]
'hello'
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.catalog.schema import SCHEMA_VERSION, create_schema, schema_version
from workbench.errors import (
    CatalogError,
    CatalogNotFoundError,
    CatalogPermissionError,
    ReadOnlyCatalogError,
)

__all__ = ["BUSY_TIMEOUT_MS", "Store", "translate_error"]

#: how long a writer waits for another process's write transaction (milliseconds)
BUSY_TIMEOUT_MS = 60_000


def _ro_uri(path: Path, *, immutable: bool = False) -> str:
    query = "mode=ro&immutable=1" if immutable else "mode=ro"
    return "file:" + urllib.parse.quote(str(path.resolve())) + "?" + query


def _is_file(path: Path) -> bool:
    """``path.is_file()`` with a permission problem raised as a catalog error."""
    try:
        return path.is_file()
    except PermissionError:
        raise CatalogPermissionError(
            f"cannot look at catalog '{path}': permission denied on folder '{path.parent}'; "
            "check the folder's permissions or use a catalog path you can read"
        ) from None


def _check_readable(path: Path) -> None:
    """Raise :class:`CatalogPermissionError` when the file itself cannot be read."""
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise CatalogPermissionError(
            f"cannot read catalog '{path}': permission denied; check the file's permissions"
        ) from None
    except OSError:
        pass  # not a permission problem: SQLite's own message says more


class Store:
    """One SQLite catalog file and the connection to it.

    Parameters
    ----------
    path
        The database file.
    readonly
        Open with ``mode=ro`` (or ``immutable=1`` where the folder is not writable):
        every write raises :class:`~workbench.errors.ReadOnlyCatalogError`.
    create
        Create the file (and its schema) if it does not exist. Without it a missing
        file raises :class:`~workbench.errors.CatalogNotFoundError` and nothing is
        created.

    Attributes
    ----------
    immutable
        True when a read-only store had to open the file with ``immutable=1``.

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
        self.immutable = False
        if not _is_file(self.path):
            if self.path.exists():
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
            self._create()
        self.con = self._connect()
        try:
            found = schema_version(self.con)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise translate_error(exc, self.path) from exc
        if found == 0:
            self.close()
            size = self.path.stat().st_size
            what = "an empty (0-byte) file" if size == 0 else "an SQLite file without them"
            raise CatalogError(
                f"'{self.path}' is not a workbench catalog (no catalog tables: {what}); "
                "nothing was written to it. Give the path of a catalog, or a new path for "
                "workbench.build_catalog to create"
            )
        if not readonly:  # only now that it is known to be a catalog: WAL writes
            self._switch_to_wal()
        if not readonly and found != SCHEMA_VERSION:
            with self.write() as con:  # an older catalog: migrate under the lock
                if schema_version(con) != SCHEMA_VERSION:
                    create_schema(con)

    def _create(self) -> None:
        """Write a new, complete catalog under a temporary name and link it into place.

        ``os.link`` fails when the path exists, so when two processes create the same
        catalog at once one wins and the other opens the winner's file.
        """
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            try:
                con = sqlite3.connect(tmp, isolation_level=None)
            except sqlite3.OperationalError as exc:
                raise _cannot_write(self.path, str(exc)) from exc
            try:
                con.execute("PRAGMA journal_mode = WAL")
                con.execute("BEGIN IMMEDIATE")
                create_schema(con)
                con.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                raise _cannot_write(self.path, str(exc)) from exc
            finally:
                con.close()  # checkpoints: the main file holds everything
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process created it first: use theirs
            except OSError:  # a filesystem without hard links: rename if still free
                if not self.path.exists():
                    os.replace(tmp, self.path)
        except PermissionError as exc:
            raise _cannot_write(self.path, exc.strerror or str(exc)) from None
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                con = self._connect_readonly()
            else:
                con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA foreign_keys = ON")
            # make sure this really is a database before going on
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            _check_readable(self.path)
            if not self.readonly and _is_readonly_error(exc):
                raise _cannot_write(self.path, str(exc)) from exc
            raise CatalogError(f"cannot open catalog '{self.path}': {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise CatalogError(
                f"cannot open catalog '{self.path}': {exc}; is it a workbench catalog?"
            ) from exc
        return con

    def _switch_to_wal(self) -> None:
        try:
            _switch_to_wal(self.con)
            self.con.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as exc:
            self.close()
            if _is_readonly_error(exc):
                raise _cannot_write(self.path, str(exc)) from exc
            raise CatalogError(f"cannot open catalog '{self.path}': {exc}") from exc

    def _connect_readonly(self) -> sqlite3.Connection:
        """``mode=ro``; where WAL cannot create its ``-shm`` file, ``immutable=1``."""
        con = sqlite3.connect(
            _ro_uri(self.path), uri=True, isolation_level=None, check_same_thread=False
        )
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return con
        except sqlite3.OperationalError as exc:
            con.close()
            if not _is_readonly_error(exc):
                raise
        # a read-only folder: SQLite cannot create the -shm file WAL readers need
        self.immutable = True
        return sqlite3.connect(
            _ro_uri(self.path, immutable=True),
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Run one statement, with SQLite's errors raised as workbench errors.

        Raises
        ------
        CatalogError
            When the file is damaged (``database disk image is malformed``).
        ReadOnlyCatalogError
            When the statement writes and the catalog cannot be written.
        """
        try:
            return self.con.execute(sql, params)
        except sqlite3.DatabaseError as exc:
            raise translate_error(exc, self.path) from exc

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run the body in one ``BEGIN IMMEDIATE`` transaction; roll back on error.

        Raises
        ------
        ReadOnlyCatalogError
            When the store was opened read-only.
        """
        if self.readonly:
            raise self.readonly_error("change it")
        con = self.con
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise translate_error(exc, self.path) from exc
        try:
            yield con
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.Error):
                con.execute("ROLLBACK")
            raise translate_error(exc, self.path) from exc
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            try:
                con.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                con.execute("ROLLBACK")
                raise translate_error(exc, self.path) from exc

    def readonly_error(self, action: str) -> ReadOnlyCatalogError:
        """The error for a write to this read-only store, saying why and what to do."""
        if self.immutable:
            return ReadOnlyCatalogError(
                f"catalog '{self.path}' is in a folder that cannot be written (a read-only "
                f"mount?), so it was opened as an immutable file and nothing can {action}; "
                "copy it to a writable folder to change it"
            )
        return ReadOnlyCatalogError(
            f"catalog '{self.path}' was opened read-only; "
            f"open it with open_catalog(path, readonly=False) to {action}"
        )

    def checkpoint(self) -> None:
        """Copy the WAL into the main file, so ``immutable`` readers see everything.

        Passive: it never waits for readers of other processes (what they still read
        is copied by a later checkpoint).
        """
        if not self.readonly:
            with contextlib.suppress(sqlite3.OperationalError):
                self.con.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with contextlib.suppress(sqlite3.Error, AttributeError):
            self.con.close()


def _is_readonly_error(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _cannot_write(path: Path, reason: str) -> ReadOnlyCatalogError:
    return ReadOnlyCatalogError(
        f"catalog '{path}' cannot be written ({reason}): the file or its folder "
        f"'{path.parent}' is not writable (SQLite's WAL journal creates '{path.name}-wal' "
        f"and '{path.name}-shm' next to it); use a writable folder, or open it with "
        "open_catalog(path, readonly=True) to only read it"
    )


def translate_error(exc: sqlite3.Error, path: Path) -> Exception:
    """Map an SQLite error to the matching workbench error naming the catalog ``path``.

    Examples
    --------
    >>> translate_error(sqlite3.DatabaseError("database disk image is malformed"),
    ...                 Path("c.db"))  # doctest: +ELLIPSIS
    CatalogError("catalog 'c.db' is damaged (database disk image is malformed); ...")
    """
    text = str(exc)
    if _is_readonly_error(exc):
        return _cannot_write(path, text)
    if "malformed" in text or "not a database" in text or "disk I/O error" in text:
        return CatalogError(
            f"catalog '{path}' is damaged ({text}); rebuild it with "
            "workbench.build_catalog(root, db=...) (a catalog is derived data: the "
            "sidecars and media are untouched)"
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
