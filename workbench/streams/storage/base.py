"""The storage interface every backend implements, and the ``FilesStorage`` factory.

A storage is a flat namespace of keys (``"videos/a.mp4"``) on top of an fsspec
filesystem. The posix backend roots keys at a folder, the S3 backend at a bucket.
:class:`StorageBackend` names what a backend offers (a ``Protocol``, for type hints);
:class:`FilesStorage` is the ``abc`` base that implements it over fsspec, leaving a
backend only its abstract methods (the filesystem, key -> path and URL, listing, bulk
delete).
Every backend passes the same conformance suite (``tests/streams/test_storage.py``):
put, get, ranged read, ls, exists, delete and bulk delete, and the same errors
(:class:`~workbench.errors.StreamNotFoundError` for a missing key or bucket,
:class:`~workbench.errors.StorageError` for anything else, both naming the key).

Examples
--------
>>> import tempfile
>>> from workbench.streams.storage import FilesStorage
>>> storage = FilesStorage("posix", root=tempfile.mkdtemp())
>>> storage.put("a/b.txt", b"hello")
>>> storage.get("a/b.txt"), storage.read_range("a/b.txt", 1, 3), storage.ls()
(b'hello', b'el', ['a/b.txt'])
"""

# ruff: noqa: B024, B027  (bugbear does not see ``backend_method`` as abc.abstractmethod)
from __future__ import annotations

import abc
import contextlib
import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from workbench.errors import InvalidArgumentError, StreamNotFoundError, WorkbenchError
from workbench.remote import RemoteFile, is_range_error, remote_error
from workbench.streams.protocols import StorageStream

if TYPE_CHECKING:
    import fsspec

    _Method = TypeVar("_Method")

    def backend_method(method: _Method) -> _Method:
        """Type checkers see a plain method: ``FilesStorage("s3", ...)`` is the documented
        way to build a backend (``__new__`` picks the class), and a checker would refuse to
        instantiate an abstract class."""
        return method
else:
    #: what each backend must implement: abstract at run time, so an incomplete backend
    #: fails when it is instantiated, naming what it lacks
    backend_method = abc.abstractmethod

__all__ = ["STORAGE_TYPES", "FilesStorage", "StorageBackend"]

#: storage_type -> "module:class" of the backend that implements it
STORAGE_TYPES: dict[str, str] = {
    "posix": "workbench.streams.storage.posix:PosixStorage",
    "s3": "workbench.streams.storage.s3:S3Storage",
}


@runtime_checkable
class StorageBackend(Protocol):
    """What every storage backend provides: keys in, bytes out, the same errors.

    Every backend passes one conformance suite (``tests/streams/test_stream_storage.py``).

    Examples
    --------
    >>> import tempfile
    >>> from workbench.streams.storage import FilesStorage, StorageBackend
    >>> isinstance(FilesStorage(root=tempfile.mkdtemp()), StorageBackend)
    True
    """

    storage_type: str

    @property
    def fs(self) -> fsspec.AbstractFileSystem: ...
    @property
    def storage_options(self) -> dict[str, Any]: ...
    def full_path(self, key: str) -> str: ...
    def url(self, key: str) -> str: ...
    def describe(self, key: str) -> str: ...
    def put(self, key: str, data: bytes) -> None: ...
    def put_file(self, local_path: str, key: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def get_file(self, key: str, local_path: str) -> None: ...
    def read_range(self, key: str, start: int, end: int) -> bytes: ...
    def info(self, key: str) -> dict[str, Any]: ...
    def size(self, key: str) -> int: ...
    def exists(self, key: str) -> bool: ...
    def ls(self, prefix: str = "") -> list[str]: ...
    def open(self, key: str, mode: str = "rb", **kwargs: Any) -> io.IOBase: ...
    def rm(self, keys: str | Iterable[str]) -> None: ...
    def delete(self, store: Any, streams: Iterable[Any]) -> None: ...


class FilesStorage(abc.ABC):
    """Where stream files live: local files (``"posix"``) or an S3 bucket (``"s3"``).

    ``FilesStorage(storage_type, ...)`` returns the backend for ``storage_type``
    (:class:`~workbench.streams.storage.posix.PosixStorage` or
    :class:`~workbench.streams.storage.s3.S3Storage`); both are ``FilesStorage``.

    Parameters
    ----------
    storage_type : {"posix", "s3"}
        The backend.
    bucket : str, optional
        S3 only: the bucket that holds the keys.
    region : str, optional
        S3 only: the bucket's region.
    endpoint_url : str, optional
        S3 only: a non-AWS endpoint (MinIO, moto, Ceph).
    root : str or Path, optional
        Posix only: the folder keys are relative to (default: keys are paths as given).
    **storage_options
        Passed to the fsspec filesystem (``key=``, ``secret=``, ``retries=`` ...).

    Examples
    --------
    >>> import tempfile
    >>> from workbench.streams.storage import FilesStorage
    >>> storage = FilesStorage(root=tempfile.mkdtemp())
    >>> type(storage).__name__, storage.storage_type
    ('PosixStorage', 'posix')
    """

    storage_type: str = ""

    def __new__(cls, storage_type: str = "posix", *args: Any, **kwargs: Any) -> FilesStorage:
        if cls is not FilesStorage:
            return super().__new__(cls)
        target = STORAGE_TYPES.get(storage_type)
        if target is None:
            raise InvalidArgumentError(
                f"unknown storage_type {storage_type!r}; use one of {sorted(STORAGE_TYPES)}"
            )
        import importlib

        module_name, class_name = target.split(":")
        backend = getattr(importlib.import_module(module_name), class_name)
        return super().__new__(backend)

    # -- what a backend provides ---------------------------------------------------------
    @property
    @backend_method
    def fs(self) -> fsspec.AbstractFileSystem:
        """The fsspec filesystem underneath."""

    @property
    @backend_method
    def storage_options(self) -> dict[str, Any]:
        """Options that rebuild :attr:`fs` through fsspec (``fsspec.filesystem(protocol, **o)``)."""

    @backend_method
    def full_path(self, key: str) -> str:
        """The path of ``key`` as the fsspec filesystem names it (``bucket/key``, ``/root/key``)."""

    @backend_method
    def url(self, key: str) -> str:
        """A URL (``s3://bucket/key``) or local path for ``key`` that ``open_video`` accepts."""

    def describe(self, key: str) -> str:
        """How error messages name ``key`` (e.g. ``"key 'a.mp4' in bucket 'b'"``)."""
        return f"{key!r}"

    def _where(self) -> str:
        """Appended to the bucket's name in messages (e.g. the endpoint)."""
        return ""

    def _translate(self, exc: BaseException, key: str, action: str) -> BaseException:
        """Map a backend exception to a workbench error naming ``key`` (one translator
        for every backend and for videos: :func:`workbench.remote.remote_error`)."""
        return remote_error(
            exc,
            self.describe(key),
            action=action,
            fs=self.fs,
            fs_path=self.full_path(key),
            not_found=StreamNotFoundError,
            missing_hint="check the key, or list what is there with storage.ls()",
            where=self._where(),
        )

    # -- common operations (backends may override for speed or atomicity) -------------------
    @contextlib.contextmanager
    def _errors(self, key: str, action: str) -> Iterator[None]:
        try:
            yield
        except WorkbenchError:
            raise
        except (OSError, RuntimeError, ValueError) as exc:
            raise self._translate(exc, key, action) from exc
        except Exception as exc:  # botocore/aiohttp errors that are not OSError
            if type(exc).__module__.split(".")[0] in {"botocore", "aiobotocore", "aiohttp"}:
                raise self._translate(exc, key, action) from exc
            raise

    def _check_key(self, key: str) -> str:
        if not isinstance(key, str) or not key.strip("/"):
            raise InvalidArgumentError(f"a storage key must be a non-empty string, not {key!r}")
        return key.strip("/") if self.storage_type == "s3" else key

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically (readers see the old or the new bytes)."""
        key = self._check_key(key)
        with self._errors(key, "write"):
            self.fs.pipe_file(self.full_path(key), bytes(data))

    def put_file(self, local_path: str, key: str) -> None:
        """Upload the local file ``local_path`` to ``key`` atomically."""
        key = self._check_key(key)
        with self._errors(key, "upload to"):
            self.fs.put_file(str(local_path), self.full_path(key))

    def get(self, key: str) -> bytes:
        """Return the whole content of ``key``."""
        key = self._check_key(key)
        with self._errors(key, "read"):
            return self.fs.cat_file(self.full_path(key))

    def get_file(self, key: str, local_path: str) -> None:
        """Download ``key`` to the local file ``local_path``."""
        key = self._check_key(key)
        with self._errors(key, "download"):
            self.fs.get_file(self.full_path(key), str(local_path))

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Return bytes ``[start, end)`` of ``key`` with one ranged read."""
        key = self._check_key(key)
        if start < 0 or end < start:
            raise InvalidArgumentError(f"bad byte range [{start}, {end}) for {self.describe(key)}")
        if end == start:
            # still tell a missing key from an empty range
            self.size(key)
            return b""
        with self._errors(key, "read"):
            try:
                data = self.fs.cat_file(self.full_path(key), start=start, end=end)
            except OSError as exc:  # S3 refuses a range that starts past the end
                if not is_range_error(exc):
                    raise
                data = b""
        if len(data) != end - start:  # never a silently short result
            size = self.size(key)
            raise InvalidArgumentError(
                f"bytes [{start}, {end}) of {self.describe(key)} lie past its end: it has "
                f"{size} bytes. Ask for a range within storage.size(key); if the range came "
                "from the object's own header, the object was truncated or replaced"
            )
        return data

    def info(self, key: str) -> dict[str, Any]:
        """Return the fsspec info of ``key`` (``size`` and, on S3, ``ETag``), never cached."""
        key = self._check_key(key)
        with self._errors(key, "inspect"):
            self.fs.invalidate_cache(self.full_path(key))
            info = self.fs.info(self.full_path(key))
        if info.get("type") == "directory":
            raise StreamNotFoundError(f"{self.describe(key)} is a folder, not a file")
        return info

    def size(self, key: str) -> int:
        """Return the size of ``key`` in bytes."""
        return int(self.info(key)["size"])

    def exists(self, key: str) -> bool:
        """Whether ``key`` is a stored file."""
        key = self._check_key(key)
        with self._errors(key, "check"):
            self.fs.invalidate_cache(self.full_path(key))
            return bool(self.fs.isfile(self.full_path(key)))

    @backend_method
    def ls(self, prefix: str = "") -> list[str]:
        """Return the sorted keys under ``prefix`` (recursively), relative to the root."""

    def open(self, key: str, mode: str = "rb", **kwargs: Any) -> io.IOBase:
        """Open ``key`` as a file; reads map backend errors to workbench errors."""
        key = self._check_key(key)
        with self._errors(key, "open"):
            self.fs.invalidate_cache(self.full_path(key))
            handle = self.fs.open(self.full_path(key), mode, **kwargs)
        if "r" not in mode:
            return handle
        return RemoteFile(handle, lambda exc: self._translate(exc, key, "read"))

    def rm(self, keys: str | Iterable[str]) -> None:
        """Delete one key or many keys in one bulk call; missing keys are ignored."""
        keys = [self._check_key(k) for k in ([keys] if isinstance(keys, str) else keys)]
        if keys:
            self._rm_keys(keys)

    @backend_method
    def _rm_keys(self, keys: list[str]) -> None:
        """Delete ``keys`` (checked, non-empty) in as few requests as the backend allows."""

    def delete(self, store: Any, streams: Iterable[Any]) -> None:
        """Delete ``streams`` (and their data) in bulk.

        Streams whose files live on this storage (:class:`FilesStream`,
        :class:`PackedStream`) have their keys removed in one bulk request; streams
        held in a datastore (:class:`NamedVideoStream`) are removed from ``store``.
        Plain strings are taken as keys.

        Parameters
        ----------
        store : Datastore or None
            The datastore that holds named streams (may be None if there are none).
        streams : iterable
            Streams or keys.

        Examples
        --------
        >>> import tempfile
        >>> from workbench.streams.storage import FilesStorage
        >>> storage = FilesStorage(root=tempfile.mkdtemp())
        >>> storage.put("x.bin", b"1"); storage.put("y.bin", b"2")
        >>> storage.delete(None, ["x.bin", "y.bin"]); storage.ls()
        []
        """
        keys: list[str] = []
        named: list[Any] = []
        for stream in streams:
            if isinstance(stream, str):
                keys.append(stream)
            elif isinstance(stream, StorageStream):
                keys.extend(stream.storage_keys())
            elif hasattr(stream, "name") and hasattr(stream, "delete"):
                named.append(stream)
            else:
                raise InvalidArgumentError(f"cannot delete {stream!r}: pass streams or keys (str)")
        if named:
            if store is None:
                raise InvalidArgumentError(
                    "named streams live in a datastore: call storage.delete(store, streams)"
                )
            store.delete(named)
        self.rm(keys)
