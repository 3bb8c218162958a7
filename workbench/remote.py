"""Files behind fsspec URLs (``s3://``, ``memory://`` ...): one home for what every layer needs.

The video decoder, the readers, the exports and the stream storages all read remote
bytes through fsspec. What they share lives here, once:

- :func:`is_url` tells a URL from a local path;
- :func:`url_to_fs` and :func:`object_info` find an object and its size and version
  (``ETag`` / modification time), never from a stale listing;
- :func:`remote_error` turns an fsspec / s3fs / botocore exception into the workbench
  error that says what happened (missing key or bucket, overwritten object, a read past
  the end, denied access, an endpoint that does not answer), naming the object;
- :class:`RemoteFile` is a read-only file whose reads raise those errors;
- :func:`open_file` opens a local path or a URL for reading, the same way for both.

Examples
--------
>>> is_url("s3://bucket/drive/cam.mp4"), is_url("C:\\\\data\\\\cam.mp4"), is_url("cam.mp4")
(True, False, False)
>>> import fsspec
>>> fs = fsspec.filesystem("memory")
>>> fs.pipe_file("/remote-doc/a.csv", b"t,x\\n0,1\\n")
>>> with open_file("memory://remote-doc/a.csv") as f:
...     f.read()
b't,x\\n0,1\\n'
>>> open_file("memory://remote-doc/missing.csv")
Traceback (most recent call last):
...
workbench.errors.SourceNotFoundError: 'memory://remote-doc/missing.csv' does not exist ...
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from workbench.errors import (
    InvalidArgumentError,
    ObjectChangedError,
    SourceNotFoundError,
    StorageError,
    StorageUnreachableError,
    WorkbenchError,
)

__all__ = [
    "RemoteFile",
    "is_range_error",
    "is_url",
    "object_changed",
    "object_identity",
    "object_info",
    "object_stamp",
    "open_file",
    "refuse_local_options",
    "remote_error",
    "require_local",
    "url_name",
    "url_to_fs",
]

#: exception class names (anywhere in an exception's MRO or cause chain) that mean the
#: storage did not answer: connection refused or reset, timeouts, a cut-off response
_UNREACHABLE_NAMES = frozenset(
    {
        "ConnectionError",
        "TimeoutError",
        "HTTPClientError",  # botocore: EndpointConnectionError, ConnectTimeoutError, ...
        "ClientConnectionError",  # aiohttp: ClientOSError, ServerDisconnectedError, ...
        "ClientPayloadError",
        "FSTimeoutError",
        "IncompleteRead",
        "ResponseParserError",
    }
)
#: the stamp keys fsspec backends use for an object's version, most telling first
_STAMP_KEYS = ("ETag", "etag", "mtime", "LastModified", "last_modified", "created")


def is_url(path: Any) -> bool:
    """Whether ``path`` is an fsspec URL (``s3://...``) rather than a local path.

    Only strings can be URLs: ``pathlib.Path("s3://b/k")`` already lost a slash.

    Examples
    --------
    >>> is_url("memory://x/y.csv"), is_url("/data/y.csv")
    (True, False)
    """
    return isinstance(path, str) and "://" in path and not (len(path) > 1 and path[1] == ":")


def require_local(path: Any, what: str) -> None:
    """Refuse a URL where only a local path works (the outputs of exports).

    Examples
    --------
    >>> require_local("s3://bucket/dump", "out_dir")
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: out_dir='s3://bucket/dump' is a URL; ...
    """
    if is_url(path):
        raise InvalidArgumentError(
            f"{what}={path!r} is a URL; exports are written to a local path (sources may be "
            "URLs). Export to a local folder, then upload it, e.g. with "
            "FilesStorage('s3', ...).put_file"
        )


def refuse_local_options(location: Any, storage_options: dict[str, Any] | None) -> None:
    """Refuse fsspec ``storage_options`` given with a local path (they only apply to URLs).

    Examples
    --------
    >>> refuse_local_options("s3://bucket/cam.mp4", {"anon": True})  # a URL: fine
    >>> refuse_local_options("/data/cam.mp4", {"anon": True})
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: storage_options= only applies to URLs like ...
    """
    if storage_options and not is_url(location):
        raise InvalidArgumentError(
            "storage_options= only applies to URLs like 's3://bucket/key', not "
            f"{os.fspath(location)!r}"
        )


def url_name(url: str) -> str:
    """The last part of a URL's path (``"cam.mp4"`` for ``"s3://b/rec/cam.mp4"``).

    Examples
    --------
    >>> url_name("s3://bucket/rec/cam.mp4?versionId=3")
    'cam.mp4'
    """
    return PurePosixPath(url.split("://", 1)[-1].split("?", 1)[0].rstrip("/")).name


def url_to_fs(url: str, storage_options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """Return ``(filesystem, path)`` for ``url`` (fsspec's own lookup, instances shared).

    Raises
    ------
    InvalidArgumentError
        The protocol is unknown or the options do not fit it.
    StorageError
        The protocol's package (e.g. s3fs) is not installed.
    """
    import fsspec

    try:
        return fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as exc:
        raise StorageError(
            f"reading {url!r} needs the fsspec backend for its protocol ({exc}); for s3:// "
            "install s3fs: pip install 'workbench[s3]'"
        ) from exc
    except (ValueError, TypeError) as exc:
        raise InvalidArgumentError(
            f"cannot open {url!r} with storage_options={_public(storage_options)}: {exc}"
        ) from exc


def _public(options: dict[str, Any] | None) -> dict[str, Any]:
    secret = ("key", "secret", "token", "password", "session")
    return {
        k: ("***" if any(s in k.lower() for s in secret) else v) for k, v in (options or {}).items()
    }


def object_info(fs: Any, fs_path: str, what: str) -> dict[str, Any]:
    """Return fsspec's ``info`` of ``fs_path``, asked afresh (never a cached listing).

    Raises
    ------
    SourceNotFoundError
        The object (or its bucket) does not exist; the message says which.
    StorageError
        Anything else, as :func:`remote_error` maps it.
    """
    try:
        fs.invalidate_cache(fs_path)  # never trust a listing cached before an overwrite
        return dict(fs.info(fs_path))
    except Exception as exc:
        raise remote_error(exc, what, action="open", fs=fs, fs_path=fs_path) from exc


def object_stamp(info: dict[str, Any]) -> str:
    """Every version stamp in ``info`` as ``"ETag=...;LastModified=..."`` (index caches).

    Examples
    --------
    >>> object_stamp({"size": 3, "ETag": '"abc"', "LastModified": "2024-01-01"})
    'ETag="abc";LastModified=2024-01-01'
    """
    return ";".join(f"{k}={info[k]}" for k in _STAMP_KEYS if info.get(k) is not None)


def object_identity(info: dict[str, Any]) -> dict[str, Any]:
    """What identifies an object's content for export manifests: size and ETag (else mtime).

    The ETag changes with the bytes, not with a re-upload of the same bytes, so a resumed
    export trusts what it wrote from an identical object.

    Examples
    --------
    >>> object_identity({"size": 3, "ETag": '"abc"', "LastModified": "2024-01-01"})
    {'size': 3, 'etag': '"abc"'}
    """
    ident: dict[str, Any] = {"size": int(info.get("size") or 0)}
    etag = info.get("ETag") or info.get("etag")
    if etag is not None:
        ident["etag"] = str(etag)
    else:
        for key in _STAMP_KEYS[2:]:
            if info.get(key) is not None:
                ident["mtime"] = str(info[key])
                break
    return ident


# -- errors ------------------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _error_code(exc: BaseException) -> str:
    """The S3 error code (``"InvalidRange"``, ``"NoSuchBucket"``...) along the cause chain."""
    for e in _chain(exc):
        response = getattr(e, "response", None)
        if isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code")
            if code:
                return str(code)
    return ""


def is_range_error(exc: BaseException) -> bool:
    """Whether the storage refused a byte range that starts past the end of an object.

    Examples
    --------
    >>> is_range_error(OSError(22, "The requested range is not satisfiable"))
    True
    """
    return _error_code(exc) == "InvalidRange" or "range is not satisfiable" in str(exc).lower()


def _unreachable(exc: BaseException) -> bool:
    for e in _chain(exc):
        if any(cls.__name__ in _UNREACHABLE_NAMES for cls in type(e).__mro__):
            return True
    return False


def _is_s3(fs: Any) -> bool:
    protocol = getattr(fs, "protocol", None)
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol or ())
    return any(p in ("s3", "s3a") for p in protocols)


def _bucket_missing(fs: Any, bucket: str) -> bool:
    try:
        fs.invalidate_cache(bucket)
        return not fs.exists(bucket)
    except Exception:
        return False  # cannot tell: do not claim the bucket is missing


def object_changed(what: str) -> ObjectChangedError:
    """The error for an object overwritten while it was read (its ETag no longer matches).

    Examples
    --------
    >>> object_changed("key 'a.bin'")
    ObjectChangedError("key 'a.bin' was overwritten while it was being read; ...")
    """
    return ObjectChangedError(
        f"{what} was overwritten while it was being read; nothing read from it was kept. "
        "Open it again to read the new version"
    )


def remote_error(
    exc: BaseException,
    what: str,
    *,
    action: str = "read",
    fs: Any = None,
    fs_path: str | None = None,
    not_found: type[WorkbenchError] = SourceNotFoundError,
    missing_hint: str = "check the URL",
    where: str = "",
) -> BaseException:
    """Map an fsspec / s3fs / botocore exception to the workbench error that says what happened.

    Parameters
    ----------
    exc
        The exception raised by the backend.
    what
        How the message names the object (``"video 's3://b/k.mp4'"``, ``"key 'k' in
        bucket 'b'"``).
    action
        What was being done (``"read"``, ``"open"``, ``"write"`` ...).
    fs, fs_path
        The filesystem and path, to tell a missing S3 bucket from a missing key.
    not_found
        The class raised for a missing object (a subclass of ``FileNotFoundError``).
    missing_hint
        What to do about a missing object.
    where
        Appended to a bucket's name in messages (e.g. ``" at http://127.0.0.1:9000"``).

    Examples
    --------
    >>> remote_error(FileNotFoundError("gone"), "key 'a.bin'")
    SourceNotFoundError("key 'a.bin' does not exist (read); check the URL")
    >>> remote_error(OSError(22, "The requested range is not satisfiable"), "key 'a.bin'")
    ObjectChangedError("a read past the end of key 'a.bin' was refused ...")
    """
    if isinstance(exc, WorkbenchError):
        return exc
    name, text, code = type(exc).__name__, str(exc), _error_code(exc)
    if (
        name == "FileExpired"
        or code == "PreconditionFailed"
        or "PreconditionFailed" in text
        or "pre-conditions" in text
    ):
        return object_changed(what)
    if is_range_error(exc):
        return ObjectChangedError(
            f"a read past the end of {what} was refused ({text}): the object is shorter "
            "than when it was opened (truncated or replaced). Open it again"
        )
    if isinstance(exc, FileNotFoundError) or code in ("NoSuchKey", "NoSuchBucket", "404"):
        if fs is not None and fs_path and "/" in fs_path.strip("/") and _is_s3(fs):
            bucket, key = fs_path.strip("/").split("/", 1)
            if code == "NoSuchBucket" or "NoSuchBucket" in text or _bucket_missing(fs, bucket):
                return not_found(
                    f"bucket {bucket!r} does not exist{where} (while trying to {action} "
                    f"{what}); create it or check the bucket name and endpoint_url"
                )
            if f"key {key!r}" not in what:
                what = f"{what} (key {key!r} in bucket {bucket!r})"
        return not_found(f"{what} does not exist ({action}); {missing_hint}")
    if isinstance(exc, PermissionError) or code in ("AccessDenied", "403", "InvalidAccessKeyId"):
        return StorageError(
            f"access to {what} was denied ({action}); check the credentials and the bucket policy"
        )
    if _unreachable(exc):
        attempts = getattr(fs, "retries", None)
        tries = f" ({attempts} attempt(s))" if isinstance(attempts, int) else ""
        return StorageUnreachableError(
            f"could not {action} {what}: the storage did not answer after its retries{tries} "
            f"({name}: {text}). Check that the endpoint is reachable and try again"
        )
    return StorageError(f"could not {action} {what}: {name}: {text}")


class RemoteFile(io.RawIOBase):
    """A read-only file over an fsspec file; backend errors become workbench errors.

    Parameters
    ----------
    handle
        The fsspec file (``fs.open(path, "rb")``).
    translate
        Maps a backend exception to the workbench error to raise (see :func:`remote_error`).
    """

    def __init__(self, handle: Any, translate: Callable[[BaseException], BaseException]) -> None:
        super().__init__()
        self._handle = handle
        self._translate = translate

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._handle.read(size)
        except WorkbenchError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    @property
    def size(self) -> int:
        """Size of the object in bytes."""
        return int(self._handle.size)

    @property
    def details(self) -> dict[str, Any]:
        """fsspec's info of the object as the handle saw it when it opened."""
        return dict(getattr(self._handle, "details", None) or {})

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):  # closing a read handle is best effort
                self._handle.close()
        super().close()


def open_file(
    location: str | os.PathLike[str],
    storage_options: dict[str, Any] | None = None,
    *,
    what: str | None = None,
    **open_kwargs: Any,
) -> BinaryIO:
    """Open a local path or an fsspec URL for reading bytes.

    Parameters
    ----------
    location
        A local path or a URL (``s3://bucket/key``).
    storage_options
        fsspec options for a URL (endpoint, credentials ...); refused for a local path.
    what
        How errors name the file (default: the location, quoted).
    **open_kwargs
        Passed to ``fs.open`` for URLs (``block_size=``, ``cache_type=`` ...).

    Raises
    ------
    SourceNotFoundError
        The file or object does not exist.
    StorageError
        The storage failed (see :func:`remote_error`); reads from the returned file raise
        the same errors.
    """
    what = what or repr(os.fspath(location))
    if not is_url(location):
        refuse_local_options(location, storage_options)
        try:
            return open(location, "rb")  # the caller closes it
        except FileNotFoundError:
            raise SourceNotFoundError(f"{what} does not exist; check the path") from None
    url = str(location)
    fs, fs_path = url_to_fs(url, storage_options)
    try:
        fs.invalidate_cache(fs_path)
        handle = fs.open(fs_path, "rb", **open_kwargs)
    except Exception as exc:
        raise remote_error(exc, what, action="open", fs=fs, fs_path=fs_path) from exc
    return RemoteFile(handle, lambda exc: remote_error(exc, what, fs=fs, fs_path=fs_path))  # type: ignore[return-value]
