"""Local files as a storage backend.

Keys are paths relative to ``root`` (or paths as given when there is no root). Writes
go to a temporary file in the same folder and are renamed into place, so a reader
never sees half a file.

Examples
--------
>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> PosixStorage(root=root).put("clip/meta.json", b"{}")
>>> (root / "clip" / "meta.json").read_bytes(), sorted(p.name for p in root.iterdir())
(b'{}', ['clip'])
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from workbench.errors import InvalidArgumentError, StreamNotFoundError
from workbench.streams.storage.base import FilesStorage

__all__ = ["PosixStorage", "atomic_write_path"]


class PosixStorage(FilesStorage):
    """Files on the local disk, keyed relative to ``root``.

    Parameters
    ----------
    storage_type : "posix"
        Always ``"posix"``.
    root : str or Path, optional
        Folder that keys are relative to; by default keys are paths as given.
    **storage_options
        Ignored for local files (accepted so that code can switch backends).

    Examples
    --------
    >>> from workbench.streams.storage.posix import PosixStorage
    >>> PosixStorage(root="/tmp").full_path("a.txt")
    '/tmp/a.txt'
    """

    storage_type = "posix"

    def __init__(
        self,
        storage_type: str = "posix",
        *,
        root: str | os.PathLike[str] | None = None,
        bucket: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        **storage_options: Any,
    ) -> None:
        if storage_type != "posix":
            raise InvalidArgumentError(
                f"PosixStorage needs storage_type='posix', not {storage_type!r}"
            )
        if bucket is not None or endpoint_url is not None:
            raise InvalidArgumentError(
                "bucket= and endpoint_url= are for storage_type='s3'; "
                "for local files pass root='<folder>'"
            )
        self.root = Path(root).expanduser().resolve() if root is not None else None
        self._fs = LocalFileSystem()

    def __repr__(self) -> str:
        return f"FilesStorage('posix', root={str(self.root) if self.root else None!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PosixStorage) and other.root == self.root

    def __hash__(self) -> int:
        return hash(("posix", self.root))

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        return self._fs

    @property
    def storage_options(self) -> dict[str, Any]:
        return {}

    def full_path(self, key: str) -> str:
        path = Path(key).expanduser()
        if self.root is not None and not path.is_absolute():
            path = self.root / path
        return str(path)

    def url(self, key: str) -> str:
        return self.full_path(key)

    def describe(self, key: str) -> str:
        return f"file {self.full_path(key)!r}"

    def put(self, key: str, data: bytes) -> None:
        key = self._check_key(key)
        with self._errors(key, "write"), atomic_write_path(self.full_path(key)) as tmp:
            Path(tmp).write_bytes(bytes(data))

    def put_file(self, local_path: str, key: str) -> None:
        key = self._check_key(key)
        with self._errors(key, "copy to"), atomic_write_path(self.full_path(key)) as tmp:
            shutil.copyfile(local_path, tmp)

    def ls(self, prefix: str = "") -> list[str]:
        base = Path(self.full_path(prefix)) if prefix else (self.root or Path.cwd())
        if base.is_file():
            return [prefix]
        if not base.exists():
            return []
        top = self.root or Path.cwd()
        keys = []
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(".tmp-"):
                try:
                    keys.append(path.relative_to(top).as_posix())
                except ValueError:
                    keys.append(str(path))
        return sorted(keys)

    def _rm_keys(self, keys: list[str]) -> None:
        for key in keys:
            with self._errors(key, "delete"), contextlib.suppress(FileNotFoundError):
                os.remove(self.full_path(key))

    def open(self, key: str, mode: str = "rb", **kwargs: Any) -> Any:
        key = self._check_key(key)
        if "r" in mode and not os.path.isfile(self.full_path(key)):
            raise StreamNotFoundError(f"{self.describe(key)} does not exist")
        return super().open(key, mode, **kwargs)


@contextlib.contextmanager
def atomic_write_path(path: str | os.PathLike[str]):
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.bin"
    >>> with atomic_write_path(target) as tmp:
    ...     _ = pathlib.Path(tmp).write_bytes(b"ok")
    >>> target.read_bytes()
    b'ok'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
