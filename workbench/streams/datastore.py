"""The datastore: a folder of named streams, their indexes and a table of what is stored.

Layout of the folder (default ``~/.workbench/db``, or ``$WORKBENCH_HOME/db``)::

    streams.sqlite          one row per stream: name, kind, path, inplace, created, size
    streams/<id>/...        the data of streams that were copied in
    index/<id>/...          the video index of each video stream (the decoder's cache)

Data persists across sessions until it is deleted with :meth:`Datastore.delete`
(or a stream's own ``delete()``).

Examples
--------
>>> import tempfile
>>> from workbench.streams import Datastore
>>> store = Datastore(tempfile.mkdtemp())
>>> store.names()
[]
>>> "cam" in store
False
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import (
    CorruptStreamError,
    InvalidArgumentError,
    StorageError,
    StreamNotFoundError,
)

__all__ = ["Datastore", "StreamEntry", "default_datastore_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    name     TEXT PRIMARY KEY,
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL UNIQUE,
    path     TEXT NOT NULL,
    inplace  INTEGER NOT NULL DEFAULT 0,
    created  REAL NOT NULL,
    size     INTEGER NOT NULL DEFAULT 0,
    meta     TEXT NOT NULL DEFAULT '{}'
)
"""

_COLUMNS = ("name", "kind", "id", "path", "inplace", "created", "size", "meta")


def default_datastore_path() -> Path:
    """``$WORKBENCH_HOME/db`` if ``WORKBENCH_HOME`` is set, else ``~/.workbench/db``.

    Examples
    --------
    >>> default_datastore_path().name
    'db'
    """
    home = os.environ.get("WORKBENCH_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".workbench"
    return base / "db"


@dataclass(frozen=True)
class StreamEntry:
    """One row of the datastore's table.

    Attributes
    ----------
    name : str
        The stream's name.
    kind : str
        ``"video"`` (more kinds may follow).
    id : str
        Folder name of the stream's data and index inside the datastore.
    path : str
        Where the data lies: inside the datastore, or the user's file for ``inplace``.
    inplace : bool
        Whether the data was indexed where it lies instead of copied in.
    created : float
        Unix time of ingestion.
    size : int
        Bytes of the data.
    meta : dict
        Kind-specific facts (fps, frame count, source path ...).
    """

    name: str
    kind: str
    id: str
    path: str
    inplace: bool
    created: float
    size: int
    meta: dict[str, Any] = field(default_factory=dict)


class Datastore:
    """A folder holding named streams, their indexes and a small table of what is stored.

    Parameters
    ----------
    path : str or Path, optional
        The folder; default :func:`default_datastore_path` (``$WORKBENCH_HOME/db`` or
        ``~/.workbench/db``). Created if missing.

    Examples
    --------
    >>> import tempfile
    >>> from workbench.streams import Datastore
    >>> store = Datastore(tempfile.mkdtemp())
    >>> len(store), store.names()
    (0, [])
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser().absolute() if path else default_datastore_path()
        try:
            (self.path / "streams").mkdir(parents=True, exist_ok=True)
            (self.path / "index").mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(
                f"cannot use {str(self.path)!r} as a datastore ({exc}); pass a writable "
                f"folder or set WORKBENCH_HOME"
            ) from exc

    def __repr__(self) -> str:
        return f"Datastore({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Datastore) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    # -- the table ------------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        """The SQLite file listing the stored streams."""
        return self.path / "streams.sqlite"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.db_path, timeout=30)) as conn, conn:
            yield conn

    def entries(self) -> list[StreamEntry]:
        """All stored streams, sorted by name."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM streams ORDER BY name")
            return [self._entry(row) for row in rows.fetchall()]

    def names(self) -> list[str]:
        """The names of all stored streams, sorted."""
        return [entry.name for entry in self.entries()]

    def __len__(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM streams").fetchone()[0])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def get(self, name: str) -> StreamEntry | None:
        """The entry of ``name``, or None."""
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM streams WHERE name = ?", (name,)
            ).fetchone()
        return self._entry(row) if row else None

    def entry(self, name: str) -> StreamEntry:
        """The entry of ``name``; raises StreamNotFoundError listing the known names."""
        found = self.get(name)
        if found is None:
            known = self.names()
            listed = ", ".join(repr(n) for n in known[:20]) or "none"
            more = f" (and {len(known) - 20} more)" if len(known) > 20 else ""
            raise StreamNotFoundError(
                f"no stream named {name!r} in datastore {str(self.path)!r}; "
                f"stored streams: {listed}{more}"
            )
        return found

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame (one row per stream)."""
        import pandas as pd

        rows = [{**e.__dict__, "meta": json.dumps(e.meta)} for e in self.entries()]
        return pd.DataFrame(rows, columns=list(_COLUMNS))

    @staticmethod
    def _entry(row: tuple[Any, ...]) -> StreamEntry:
        values = dict(zip(_COLUMNS, row, strict=True))
        try:
            values["meta"] = json.loads(values["meta"] or "{}")
        except json.JSONDecodeError as exc:
            raise CorruptStreamError(
                f"datastore entry {values['name']!r} has unreadable metadata; delete it"
            ) from exc
        values["inplace"] = bool(values["inplace"])
        return StreamEntry(**values)

    # -- folders ---------------------------------------------------------------------------
    def new_id(self) -> str:
        """A fresh folder id for a new stream."""
        return uuid.uuid4().hex[:16]

    def data_dir(self, stream_id: str) -> Path:
        """Folder of the copied-in data of stream ``stream_id``."""
        return self.path / "streams" / stream_id

    def index_dir(self, stream_id: str) -> Path:
        """Folder of the index of stream ``stream_id`` (the decoder's cache folder)."""
        return self.path / "index" / stream_id

    # -- writing -----------------------------------------------------------------------------
    def register(
        self,
        name: str,
        *,
        kind: str,
        stream_id: str,
        path: str | os.PathLike[str],
        inplace: bool = False,
        size: int = 0,
        meta: dict[str, Any] | None = None,
        replace: bool = False,
    ) -> StreamEntry:
        """Record a stream whose data and index are already in place.

        Raises
        ------
        InvalidArgumentError
            If ``name`` is taken and ``replace`` is false.
        """
        check_name(name)
        entry = StreamEntry(
            name=name,
            kind=kind,
            id=stream_id,
            path=str(path),
            inplace=inplace,
            created=time.time(),
            size=int(size),
            meta=dict(meta or {}),
        )
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        try:
            with self._connect() as conn:
                conn.execute(
                    f"{verb} INTO streams ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry.name,
                        entry.kind,
                        entry.id,
                        entry.path,
                        int(entry.inplace),
                        entry.created,
                        entry.size,
                        json.dumps(entry.meta),
                    ),
                )
        except sqlite3.IntegrityError:
            raise InvalidArgumentError(
                f"a stream named {name!r} already exists in {str(self.path)!r}; delete it "
                f"first (store.delete([{name!r}])) or pick another name"
            ) from None
        return entry

    def delete(self, streams: Iterable[Any] | str) -> None:
        """Delete streams (by name or stream object) with their data and indexes, in bulk.

        Inplace streams lose only their entry and index: the user's file is never touched.
        Names that are not stored are ignored.

        Examples
        --------
        >>> import tempfile
        >>> from workbench.streams import Datastore
        >>> store = Datastore(tempfile.mkdtemp())
        >>> store.delete(["not-there"])
        >>> store.names()
        []
        """
        names = [streams] if isinstance(streams, str) else [_name_of(s) for s in streams]
        if not names:
            return
        with self._connect() as conn:
            marks = ", ".join("?" for _ in names)
            rows = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM streams WHERE name IN ({marks})", names
            ).fetchall()
            conn.execute(f"DELETE FROM streams WHERE name IN ({marks})", names)
        for entry in map(self._entry, rows):
            self.remove_files(entry.id)

    def remove_files(self, stream_id: str) -> None:
        """Remove the data folder and index folder of ``stream_id`` (never user files)."""
        for folder in (self.data_dir(stream_id), self.index_dir(stream_id)):
            shutil.rmtree(folder, ignore_errors=True)

    def clear(self) -> None:
        """Delete every stored stream."""
        self.delete(self.names())


def check_name(name: object) -> str:
    """Return ``name`` if it is a usable stream name, else raise InvalidArgumentError."""
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise InvalidArgumentError(
            f"a stream name must be a non-empty string of at most 255 characters, not {name!r}"
        )
    return name


def _name_of(stream: Any) -> str:
    if isinstance(stream, str):
        return stream
    name = getattr(stream, "name", None)
    if not isinstance(name, str):
        raise InvalidArgumentError(f"cannot delete {stream!r}: pass stream names or streams")
    return name
