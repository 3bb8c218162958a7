"""An S3 bucket (AWS, MinIO, moto ...) as a storage backend, through s3fs.

Errors name the bucket and key and say what to do: a missing bucket or key raises
:class:`~workbench.errors.StreamNotFoundError`; an object overwritten while it is read
raises :class:`~workbench.errors.ObjectChangedError` (s3fs sends ``If-Match: <ETag>``
with every ranged read); an unreachable server raises
:class:`~workbench.errors.StorageError` after a bounded number of retries (``retries``
attempts, each bounded by ``connect_timeout`` / ``read_timeout``), never a hang.

Examples
--------
>>> from workbench.streams.storage import FilesStorage
>>> storage = FilesStorage("s3", bucket="recordings", endpoint_url="http://127.0.0.1:9000")
>>> storage.url("2024/cam.mp4")
's3://recordings/2024/cam.mp4'
"""

from __future__ import annotations

import copy
from typing import Any

import fsspec

from workbench.errors import InvalidArgumentError, StorageError
from workbench.streams.storage.base import FilesStorage

__all__ = ["S3Storage", "s3_storage_options"]

#: largest number of keys S3's DeleteObjects accepts in one request
_DELETE_BATCH = 1000


def s3_storage_options(
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    retries: int = 3,
    connect_timeout: float = 5.0,
    read_timeout: float = 15.0,
    **storage_options: Any,
) -> dict[str, Any]:
    """Return s3fs options with bounded retries and timeouts (fsspec's convention).

    botocore's retries are bounded by ``retries`` (s3fs's own loop is bounded by
    :class:`S3Storage` on its filesystem instance, which s3fs does not take as an option).

    Examples
    --------
    >>> opts = s3_storage_options(endpoint_url="http://127.0.0.1:9000", retries=2)
    >>> opts["config_kwargs"]["retries"]["total_max_attempts"]
    2
    """
    if retries < 1:
        raise InvalidArgumentError(f"retries must be at least 1, not {retries!r}")
    options: dict[str, Any] = dict(storage_options)
    config = dict(options.pop("config_kwargs", {}) or {})
    config.setdefault("retries", {"total_max_attempts": retries, "mode": "standard"})
    config.setdefault("connect_timeout", connect_timeout)
    config.setdefault("read_timeout", read_timeout)
    options["config_kwargs"] = config
    if endpoint_url is not None:
        options["endpoint_url"] = endpoint_url
    if region is not None:
        client_kwargs = dict(options.pop("client_kwargs", {}) or {})
        client_kwargs.setdefault("region_name", region)
        options["client_kwargs"] = client_kwargs
    return options


class S3Storage(FilesStorage):
    """Keys in one S3 bucket.

    Parameters
    ----------
    storage_type : "s3"
        Always ``"s3"``.
    bucket : str
        The bucket.
    region : str, optional
        The bucket's region.
    endpoint_url : str, optional
        A non-AWS endpoint such as ``"http://127.0.0.1:9000"``.
    retries : int
        Attempts per request before a :class:`~workbench.errors.StorageError` (default 3).
    connect_timeout, read_timeout : float
        Seconds before one attempt gives up.
    **storage_options
        More s3fs options (``key=``, ``secret=``, ``anon=``, ``client_kwargs=`` ...).

    Examples
    --------
    >>> from workbench.streams.storage import FilesStorage
    >>> s = FilesStorage("s3", bucket="b", endpoint_url="http://127.0.0.1:9000", retries=2)
    >>> s.storage_options["endpoint_url"], s.describe("a.mp4")
    ('http://127.0.0.1:9000', "key 'a.mp4' in bucket 'b' at http://127.0.0.1:9000")
    """

    storage_type = "s3"

    def __init__(
        self,
        storage_type: str = "s3",
        *,
        bucket: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        retries: int = 3,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        **storage_options: Any,
    ) -> None:
        if storage_type != "s3":
            raise InvalidArgumentError(f"S3Storage needs storage_type='s3', not {storage_type!r}")
        if not bucket or not isinstance(bucket, str) or "/" in bucket.strip("/"):
            raise InvalidArgumentError(
                f"storage_type='s3' needs bucket='<name>' (no slashes), not {bucket!r}"
            )
        if storage_options.pop("root", None) is not None:
            raise InvalidArgumentError("root= is for storage_type='posix'; S3 keys live in bucket=")
        self.bucket = bucket.strip("/")
        self.region = region
        self.endpoint_url = endpoint_url
        self.retries = retries
        self._options = s3_storage_options(
            region=region,
            endpoint_url=endpoint_url,
            retries=retries,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            **storage_options,
        )
        self._fs: fsspec.AbstractFileSystem | None = None

    def __repr__(self) -> str:
        extra = f", endpoint_url={self.endpoint_url!r}" if self.endpoint_url else ""
        return f"FilesStorage('s3', bucket={self.bucket!r}{extra})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, S3Storage)
            and other.bucket == self.bucket
            and other.endpoint_url == self.endpoint_url
        )

    def __hash__(self) -> int:
        return hash(("s3", self.bucket, self.endpoint_url))

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        if self._fs is None:
            try:
                # a deep copy: botocore rewrites the retry dict in place, which would
                # change fsspec's instance token and break instance sharing
                fs = fsspec.filesystem("s3", **copy.deepcopy(self._options))
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise StorageError(
                    "storage_type='s3' needs s3fs: pip install 'workbench[s3]'"
                ) from exc
            # s3fs's own retry loop (on top of botocore's); an attribute, not an option.
            # fsspec caches instances, so open_video(url, storage_options=...) shares it.
            fs.retries = self.retries
            self._fs = fs
        return self._fs

    @property
    def storage_options(self) -> dict[str, Any]:
        return copy.deepcopy(self._options)

    def full_path(self, key: str) -> str:
        return f"{self.bucket}/{key.strip('/')}"

    def url(self, key: str) -> str:
        return f"s3://{self.full_path(key)}"

    def _where(self) -> str:
        return f" at {self.endpoint_url}" if self.endpoint_url else ""

    def describe(self, key: str) -> str:
        return f"key {key!r} in bucket {self.bucket!r}{self._where()}"

    def ls(self, prefix: str = "") -> list[str]:
        root = self.full_path(prefix) if prefix.strip("/") else self.bucket
        with self._errors(prefix or "(all keys)", "list"):
            self.fs.invalidate_cache(self.bucket)
            if not self.fs.exists(self.bucket):
                raise FileNotFoundError(f"NoSuchBucket {self.bucket}")
            found = self.fs.find(root)
        cut = len(self.bucket) + 1
        return sorted(p[cut:] for p in found)

    def _rm_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            with self._errors(
                batch[0] if len(batch) == 1 else f"{batch[0]} (+{len(batch) - 1})", "delete"
            ):
                out = self.fs.call_s3(
                    "delete_objects",
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k.strip("/")} for k in batch], "Quiet": True},
                )
            errors = out.get("Errors") or []
            if errors:
                first = errors[0]
                raise StorageError(
                    f"could not delete {len(errors)} key(s) in bucket {self.bucket!r}, e.g. "
                    f"{first.get('Key')!r}: {first.get('Code')} {first.get('Message')}"
                )
        self.fs.invalidate_cache(self.bucket)
