"""Persistent cache of :class:`~workbench.video.index.VideoIndex` files.

One ``<key>.npz`` per (file identity, stream, schema version) under the cache folder:
``cache=`` argument, else ``$WORKBENCH_CACHE/index``, else ``~/.cache/workbench/index``.
Writes are atomic (temporary file + ``os.replace``); a :mod:`filelock` lock makes two
processes that open the same new file build its index once; a damaged or inconsistent
file is rebuilt, never trusted.

If the folder cannot be created or written, the index is kept in memory and a
:class:`IndexCacheWarning` says why (opening a video never fails because of the cache).

Examples
--------
>>> from workbench.video.cache import default_cache_dir
>>> default_cache_dir().name
'index'
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import filelock

from workbench.video.index import SCHEMA_VERSION, VideoIndex

__all__ = ["IndexCache", "IndexCacheWarning", "default_cache_dir"]

log = logging.getLogger(__name__)

#: seconds a process waits for another one building the same index
LOCK_TIMEOUT_SECONDS = 900.0


class IndexCacheWarning(UserWarning):
    """The index cache folder is unusable; the index lives in memory only."""


def default_cache_dir() -> Path:
    """``$WORKBENCH_CACHE/index`` if set, else ``~/.cache/workbench/index``."""
    env = os.environ.get("WORKBENCH_CACHE")
    if env:
        return Path(env).expanduser() / "index"
    return Path.home() / ".cache" / "workbench" / "index"


def cache_key(identity: dict, stream_index: int | None) -> str:
    """Hex digest naming the index file of ``identity`` (see ``Source.identity``)."""
    payload = json.dumps(
        {"identity": identity, "stream": stream_index, "schema": SCHEMA_VERSION}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


class IndexCache:
    """Load-or-build access to index files in one folder.

    Parameters
    ----------
    folder : path, optional
        Where index files go; default :func:`default_cache_dir`.

    Attributes
    ----------
    last_event : str
        ``"loaded"``, ``"built"`` or ``"built-in-memory"`` for the last
        :meth:`get_or_build` (tests and benchmarks use it).
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder).expanduser() if folder is not None else default_cache_dir()
        self.last_event = ""

    def path_for(self, key: str) -> Path:
        """File holding the index of ``key``."""
        return self.folder / f"{key}.npz"

    #: what the cache stores: a class with ``from_file(path)`` whose instances have
    #: ``to_bytes()`` and ``header.identity`` (subclasses store other indexes, e.g. a bag's)
    index_type: Any = VideoIndex
    #: how log messages name what is stored
    what = "index"

    def _load(self, path: Path, key: str) -> Any:
        """The index stored for ``key``, or ``None`` when missing, unreadable or another's."""
        if not path.exists():
            return None
        try:
            index = self.index_type.from_file(path)
        except ValueError as exc:
            log.warning("rebuilding %s: %s", self.what, exc)
            return None
        if index.header.identity.get("key") != key:
            log.warning("rebuilding %s %s: it belongs to another file", self.what, path)
            return None
        return index

    def _write(self, path: Path, index: VideoIndex) -> None:
        data = index.to_bytes()
        fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get_or_build(
        self, key: str, build: Callable[[], VideoIndex], *, name: str = ""
    ) -> VideoIndex:
        """Return the cached index of ``key``, building and saving it if needed."""
        path = self.path_for(key)
        index = self._load(path, key)
        if index is not None:
            self.last_event = "loaded"
            return index
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)
            lock.acquire()
        except (OSError, filelock.Timeout) as exc:
            warnings.warn(
                f"index cache folder {str(self.folder)!r} is not usable ({exc}); the index of "
                f"{name!r} is kept in memory only. Set WORKBENCH_CACHE or cache= to a "
                "writable folder, or cache=False to silence this.",
                IndexCacheWarning,
                stacklevel=4,
            )
            index = build()
            self.last_event = "built-in-memory"
            return index
        try:
            index = self._load(path, key)  # another process may have built it meanwhile
            if index is not None:
                self.last_event = "loaded"
                return index
            index = build()
            index.header.identity["key"] = key
            try:
                self._write(path, index)
                self.last_event = "built"
            except OSError as exc:
                warnings.warn(
                    f"could not write the index of {name!r} to {str(path)!r} ({exc}); it is "
                    "kept in memory only",
                    IndexCacheWarning,
                    stacklevel=4,
                )
                self.last_event = "built-in-memory"
            return index
        finally:
            lock.release()
