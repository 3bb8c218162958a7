"""Packed binary files: many byte strings in one file, with random access by row.

Layout (all integers little-endian uint64)::

    count | size_0 | size_1 | ... | size_{count-1} | payload_0 | payload_1 | ...

The header is read once (one ranged read); row ``i`` is then one ranged read of
``size_i`` bytes at a known offset, and consecutive rows are fetched together.
A file whose sizes do not add up to its length raises
:class:`~workbench.errors.CorruptStreamError`.

Examples
--------
>>> import tempfile, os
>>> from workbench.streams import PackedStream
>>> path = os.path.join(tempfile.mkdtemp(), "blobs.bin")
>>> packed = PackedStream(path).write([b"a", b"bcd", b""])
>>> len(packed), packed[1], list(packed.load())
(3, b'bcd', [b'a', b'bcd', b''])
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import CorruptStreamError, FrameIndexError, InvalidArgumentError
from workbench.streams.storage import FilesStorage

__all__ = ["PackedStream", "PackedWriter"]

_U64 = np.dtype("<u8")
#: largest span of consecutive rows fetched in one ranged read
_MAX_READ_BYTES = 16 * 2**20


class PackedStream:
    """A packed binary file (a count, the sizes, then the payloads), readable and writable.

    Parameters
    ----------
    path : str or Path
        The file, a key of ``storage``.
    storage : FilesStorage, optional
        Where the file lives; default local files.

    Examples
    --------
    >>> import tempfile, os
    >>> from workbench.streams import PackedStream
    >>> packed = PackedStream(os.path.join(tempfile.mkdtemp(), "p.bin"))
    >>> packed.exists()
    False
    >>> _ = packed.write(b"%d" % i for i in range(5))
    >>> packed[-1], list(packed.load(rows=[3, 0]))
    (b'4', [b'3', b'0'])
    """

    def __init__(self, path: str | os.PathLike[str], *, storage: FilesStorage | None = None):
        self.path = os.fspath(path)
        self.storage = storage if storage is not None else FilesStorage("posix")
        self._sizes: np.ndarray | None = None
        self._offsets: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"PackedStream({self.path!r}, storage={self.storage!r})"

    @property
    def name(self) -> str:
        """The file's key."""
        return self.path

    # -- reading ---------------------------------------------------------------------------
    def _header(self) -> tuple[np.ndarray, np.ndarray]:
        if self._sizes is None or self._offsets is None:
            where = self.storage.describe(self.path)
            total = self.storage.size(self.path)
            if total < 8:
                raise CorruptStreamError(
                    f"packed file {where} has {total} bytes, fewer than its 8-byte count; "
                    f"it is truncated or not a packed file: rewrite it"
                )
            count = int(np.frombuffer(self.storage.read_range(self.path, 0, 8), _U64)[0])
            header = 8 + 8 * count
            if count > total or header > total:
                raise CorruptStreamError(
                    f"packed file {where} claims {count} rows but has only {total} bytes; "
                    f"it is truncated or not a packed file: rewrite it"
                )
            sizes = np.frombuffer(self.storage.read_range(self.path, 8, header), _U64).astype(
                np.int64
            )
            if (sizes < 0).any():
                raise CorruptStreamError(f"packed file {where} has impossible row sizes")
            expected = header + int(sizes.sum())
            if expected != total:
                raise CorruptStreamError(
                    f"packed file {where}: {count} rows whose sizes add up to {expected} bytes, "
                    f"but the file has {total} bytes; it is truncated or damaged: rewrite it"
                )
            offsets = np.empty(count + 1, np.int64)
            offsets[0] = header
            np.cumsum(sizes, out=offsets[1:])
            offsets[1:] += header
            self._sizes, self._offsets = sizes, offsets
        return self._sizes, self._offsets

    def refresh(self) -> PackedStream:
        """Forget the cached header (after the file was rewritten elsewhere)."""
        self._sizes = self._offsets = None
        return self

    def __len__(self) -> int:
        return len(self._header()[0])

    @property
    def sizes(self) -> np.ndarray:
        """Size in bytes of each row."""
        return self._header()[0].copy()

    def exists(self) -> bool:
        """Whether the file exists."""
        return self.storage.exists(self.path)

    def _row(self, row: int) -> int:
        n = len(self)
        if not isinstance(row, (int, np.integer)) or isinstance(row, bool):
            raise InvalidArgumentError(f"a row must be an int, not {row!r}")
        if not -n <= row < n:
            raise FrameIndexError(
                f"row {row} is out of range for packed file "
                f"{self.storage.describe(self.path)} ({n} rows)"
            )
        return int(row) % n

    def __getitem__(self, row: int) -> bytes:
        _, offsets = self._header()
        i = self._row(row)
        return self.storage.read_range(self.path, int(offsets[i]), int(offsets[i + 1]))

    def load(self, rows: Sequence[int] | range | None = None) -> Iterator[bytes]:
        """Yield the payloads of ``rows`` (default all), in the order asked, lazily.

        Consecutive rows are fetched with one ranged read of up to 16 MiB.

        Examples
        --------
        >>> import tempfile, os
        >>> from workbench.streams import PackedStream
        >>> p = PackedStream(os.path.join(tempfile.mkdtemp(), "p.bin")).write([b"x", b"yz"])
        >>> list(p.load(rows=range(1, 2)))
        [b'yz']
        """
        _, offsets = self._header()
        wanted = range(len(self)) if rows is None else [self._row(r) for r in rows]
        run: list[int] = []
        for i in wanted:
            if run and (i != run[-1] + 1 or offsets[i + 1] - offsets[run[0]] > _MAX_READ_BYTES):
                yield from self._read_run(run, offsets)
                run = []
            run.append(i)
        if run:
            yield from self._read_run(run, offsets)

    def _read_run(self, run: list[int], offsets: np.ndarray) -> Iterator[bytes]:
        start, end = int(offsets[run[0]]), int(offsets[run[-1] + 1])
        data = self.storage.read_range(self.path, start, end)
        view = memoryview(data)
        for i in run:
            yield bytes(view[int(offsets[i]) - start : int(offsets[i + 1]) - start])

    def __iter__(self) -> Iterator[bytes]:
        return self.load()

    # -- writing ---------------------------------------------------------------------------
    def writer(self) -> PackedWriter:
        """A context manager that appends rows and writes the file atomically on exit.

        Examples
        --------
        >>> import tempfile, os
        >>> from workbench.streams import PackedStream
        >>> p = PackedStream(os.path.join(tempfile.mkdtemp(), "p.bin"))
        >>> with p.writer() as w:
        ...     w.append(b"row0")
        >>> p[0]
        b'row0'
        """
        return PackedWriter(self)

    def write(self, items: Iterable[Any]) -> PackedStream:
        """Write ``items`` (bytes-like) as the rows of the file, atomically; return self."""
        with self.writer() as w:
            for item in items:
                w.append(item)
        return self

    @classmethod
    def from_items(
        cls,
        path: str | os.PathLike[str],
        items: Iterable[Any],
        *,
        storage: FilesStorage | None = None,
    ) -> PackedStream:
        """Write ``items`` to a new packed file at ``path`` and return its stream."""
        return cls(path, storage=storage).write(items)

    def delete(self) -> None:
        """Delete the file (no error if it is already gone)."""
        self.storage.rm(self.path)
        self.refresh()

    def storage_keys(self) -> list[str]:
        """The keys this stream occupies on its storage (for bulk delete)."""
        return [self.path]


class PackedWriter:
    """Appends rows to a spool file; on a clean exit writes the packed file atomically.

    On an exception nothing is written and the previous file (if any) is kept.
    """

    def __init__(self, stream: PackedStream) -> None:
        self.stream = stream
        self.sizes: list[int] = []
        self._spool: Any = None

    def __enter__(self) -> PackedWriter:
        self._spool = tempfile.TemporaryFile(prefix="wb-packed-")
        return self

    def append(self, item: Any) -> None:
        """Add one row (bytes, bytearray or memoryview)."""
        if self._spool is None:
            raise InvalidArgumentError("use the writer in a with-block: with stream.writer() as w")
        if isinstance(item, str) or not isinstance(item, (bytes, bytearray, memoryview)):
            raise InvalidArgumentError(
                f"row {len(self.sizes)} of packed file {self.stream.path!r} must be bytes, "
                f"bytearray or memoryview, not {type(item).__name__}; encode it first"
            )
        data = bytes(item)
        self._spool.write(data)
        self.sizes.append(len(data))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        spool, self._spool = self._spool, None
        try:
            if exc_type is None:
                self._commit(spool)
        finally:
            spool.close()

    def _commit(self, spool: Any) -> None:
        from workbench.streams.storage.posix import PosixStorage, atomic_write_path

        stream = self.stream
        header = np.array([len(self.sizes), *self.sizes], dtype=_U64).tobytes()
        spool.seek(0)
        if isinstance(stream.storage, PosixStorage):
            target = stream.storage.full_path(stream.path)
            with stream.storage._errors(stream.path, "write"), atomic_write_path(target) as tmp:
                _concat(Path(tmp), header, spool)
        else:
            fd, tmp = tempfile.mkstemp(prefix="wb-packed-", suffix=".bin")
            os.close(fd)
            try:
                _concat(Path(tmp), header, spool)
                stream.storage.put_file(tmp, stream.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(tmp)
        stream.refresh()


def _concat(target: Path, header: bytes, spool: Any) -> None:
    import shutil

    with open(target, "wb") as out:
        out.write(header)
        shutil.copyfileobj(spool, out, 4 * 2**20)
