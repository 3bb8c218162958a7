"""Where a video's bytes come from: a local path or an fsspec URL (``s3://``, ``memory://``).

A :class:`Source` knows how to open a PyAV container on the bytes and how to describe
the file's identity (size, modification stamp, a hash of the first and last 256 KiB) so the
index cache can tell when the file changed.

Examples
--------
>>> src = Source.resolve("memory://nothing-here.mp4")  # doctest: +SKIP
Traceback (most recent call last):
...
workbench.errors.SourceNotFoundError: video 'memory://nothing-here.mp4' does not exist ...
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from workbench.errors import (
    CorruptMediaError,
    InvalidArgumentError,
    SourceNotFoundError,
    StorageError,
)
from workbench.remote import (
    RemoteFile,
    is_url,
    object_changed,
    object_info,
    object_stamp,
    refuse_local_options,
    remote_error,
    url_to_fs,
)

__all__ = ["HASH_BYTES", "Source", "open_container"]

#: bytes hashed at the head and at the tail of a file for its identity (with the size and
#: modification stamp; 256 KiB holds an MP4's header or its first pictures, and hashing
#: it costs ~0.15 ms where 1 MiB cost ~1.2 ms of every open from the index cache)
HASH_BYTES = 256 * 2**10
#: block size of the fsspec read cache for remote files
REMOTE_BLOCK_SIZE = 4 * 2**20


@dataclass
class Source:
    """A video file, local or remote.

    Use :meth:`resolve`; it checks that the file exists.
    """

    name: str
    local_path: Path | None = None
    fs: Any = None
    fs_path: str | None = None
    storage_options: dict[str, Any] = field(default_factory=dict)
    size: int = 0
    stamp: str = ""

    @classmethod
    def resolve(cls, path: str | os.PathLike[str], storage_options: dict | None = None) -> Source:
        """Check that ``path`` exists and capture its size and modification stamp.

        Raises
        ------
        SourceNotFoundError
            If the file or object does not exist.
        """
        if isinstance(path, (str, os.PathLike)):
            spath = os.fspath(path)
        else:
            raise InvalidArgumentError(
                f"video path must be a str or os.PathLike, not {type(path).__name__}"
            )
        if is_url(spath):
            return cls._resolve_url(spath, dict(storage_options or {}))
        refuse_local_options(spath, storage_options)
        p = Path(spath).expanduser().absolute()
        try:
            st = p.stat()
        except FileNotFoundError:
            raise SourceNotFoundError(
                f"video {spath!r} does not exist (looked for {str(p)!r}); check the path"
            ) from None
        if not p.is_file():
            raise SourceNotFoundError(f"video {spath!r} is not a file; give the path of a video")
        return cls(name=str(p), local_path=p, size=st.st_size, stamp=f"mtime_ns={st.st_mtime_ns}")

    @classmethod
    def _resolve_url(cls, url: str, storage_options: dict[str, Any]) -> Source:
        fs, fs_path = url_to_fs(url, storage_options)
        info = object_info(fs, fs_path, f"video {url!r}")
        if info.get("type", "file") == "directory":
            raise SourceNotFoundError(f"video {url!r} is a directory, not a file")
        return cls(
            name=url,
            fs=fs,
            fs_path=fs_path,
            storage_options=storage_options,
            size=int(info.get("size") or 0),
            stamp=object_stamp(info),
        )

    # -- identity ---------------------------------------------------------------------

    def _read_range(self, start: int, end: int) -> bytes:
        if self.local_path is not None:
            with open(self.local_path, "rb") as f:
                f.seek(start)
                return f.read(end - start)
        with self.open_remote(block_size=max(end - start, 1), cache_type="none") as f:
            f.seek(start)
            return f.read(end - start)

    def open_remote(self, **kwargs: Any) -> RemoteFile:
        """Open the remote bytes as a file that raises workbench errors.

        On S3 every ranged read carries ``If-Match: <ETag seen by resolve>``, so an
        object overwritten since (or while) it is read raises
        :class:`~workbench.errors.ObjectChangedError` instead of mixing two versions.
        """
        what = f"video {self.name!r}"
        try:
            handle = self.fs.open(self.fs_path, "rb", **kwargs)
        except Exception as exc:
            raise remote_error(exc, what, action="open", fs=self.fs, fs_path=self.fs_path) from exc
        etag = _etag(self.stamp)
        details = getattr(handle, "details", None) or {}
        if etag is not None and details.get("ETag") not in (None, etag):
            handle.close()
            raise object_changed(what)
        return RemoteFile(
            handle, lambda exc: remote_error(exc, what, fs=self.fs, fs_path=self.fs_path)
        )

    def content_hash(self) -> str:
        """SHA-1 of the first and last :data:`HASH_BYTES` of the file (whole file if small)."""
        h = hashlib.sha1(usedforsecurity=False)
        if self.size <= 2 * HASH_BYTES:
            h.update(self._read_range(0, self.size))
        elif self.local_path is None:  # one remote handle (one HEAD), two ranged reads
            with self.open_remote(block_size=HASH_BYTES, cache_type="none") as f:
                h.update(f.read(HASH_BYTES))
                f.seek(self.size - HASH_BYTES)
                h.update(f.read(HASH_BYTES))
        else:
            h.update(self._read_range(0, HASH_BYTES))
            h.update(self._read_range(self.size - HASH_BYTES, self.size))
        return h.hexdigest()

    def identity(self) -> dict[str, Any]:
        """What the index cache keys on: path, size, stamp and head/tail hash."""
        return {
            "path": self.name,
            "size": self.size,
            "stamp": self.stamp,
            "head_tail_sha1": self.content_hash(),
        }

    # -- opening ----------------------------------------------------------------------

    def open(self, *, timeout: float | None = 30.0) -> av.container.InputContainer:
        """Open a PyAV container on the bytes; see :func:`open_container`."""
        return open_container(self, timeout=timeout)


def open_container(source: Source, *, timeout: float | None = 30.0) -> av.container.InputContainer:
    """Open ``source`` with PyAV, mapping FFmpeg failures to workbench errors.

    Raises
    ------
    CorruptMediaError
        The bytes are empty or not a media file FFmpeg can demux.
    """
    if source.size == 0:
        raise CorruptMediaError(
            f"video {source.name!r} is empty (0 bytes); re-copy or re-record it"
        )
    fileobj = None
    try:
        if source.local_path is not None:
            return av.open(str(source.local_path), timeout=timeout)
        fileobj = source.open_remote(block_size=REMOTE_BLOCK_SIZE, cache_type="blockcache")
        # PyAV keeps a reference to ``fileobj`` (``container.file``) while it is open
        return av.open(fileobj, timeout=timeout, buffer_size=256 * 1024)
    except StorageError:
        if fileobj is not None:
            fileobj.close()
        raise
    except FileNotFoundError:
        raise SourceNotFoundError(f"video {source.name!r} disappeared while opening it") from None
    except (av.FFmpegError, EOFError, OSError, ValueError) as exc:
        if fileobj is not None:
            fileobj.close()
        raise CorruptMediaError(
            f"video {source.name!r} cannot be opened as media ({exc}); the file is not a video "
            "FFmpeg can read, or it is damaged (e.g. an MP4 whose 'moov' index is missing)"
        ) from exc


def _etag(stamp: str) -> str | None:
    for part in stamp.split(";"):
        if part.startswith("ETag="):
            return part[len("ETag=") :]
    return None
