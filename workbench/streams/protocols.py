"""What a stored stream offers, named once as ``Protocol``s (for type checkers and for
``isinstance`` checks where a function takes "any stream").

Every stream (:class:`~workbench.streams.FilesStream`, :class:`~workbench.streams.PackedStream`,
:class:`~workbench.streams.NamedVideoStream`, :class:`~workbench.streams.TableStream`) is a
:class:`Stream`: it has a length, says whether it exists and reads lazily with ``load()``
(each kind adds its own keyword options) or by iterating. Streams that can be written and
deleted are :class:`WritableStream`; those whose files are keys on a storage backend
(files, packed) are :class:`StorageStream`, so ``storage.delete`` removes them in one
bulk request.

Examples
--------
>>> import tempfile
>>> from workbench.streams import PackedStream, TableStream, Datastore
>>> from workbench.streams.protocols import Stream, StorageStream, WritableStream
>>> folder = tempfile.mkdtemp()
>>> packed = PackedStream(folder + "/p.bin")
>>> table = TableStream(Datastore(folder), "streams")
>>> [isinstance(s, Stream) for s in (packed, table)]
[True, True]
>>> isinstance(packed, StorageStream), isinstance(table, WritableStream)
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

__all__ = ["StorageStream", "Stream", "StreamWriter", "WritableStream"]


@runtime_checkable
class Stream(Protocol):
    """A stored stream: a length, whether it exists, and lazy reading."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...

    def exists(self) -> bool:
        """Whether the stream's data is stored."""
        ...

    def load(self) -> Iterator[Any]:
        """Yield the stream's items lazily (each kind adds keyword options: rows, format ...)."""
        ...


@runtime_checkable
class StreamWriter(Protocol):
    """What ``stream.writer()`` returns: a context manager that appends items and commits
    them on a clean exit (nothing is left behind on an exception)."""

    def __enter__(self) -> Any: ...

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any: ...

    def append(self, item: Any) -> None: ...


@runtime_checkable
class WritableStream(Stream, Protocol):
    """A stream that can be written (all at once or item by item) and deleted."""

    def writer(self) -> AbstractContextManager[Any]:
        """A :class:`StreamWriter` whose ``append(item)`` adds the next item."""
        ...

    def write(self, items: Iterable[Any]) -> Any:
        """Write ``items`` as the stream, atomically; return the stream."""
        ...

    def delete(self) -> None:
        """Delete the stream and its data."""
        ...


@runtime_checkable
class StorageStream(WritableStream, Protocol):
    """A stream whose data are keys on a storage backend (bulk-deleted by the storage)."""

    def storage_keys(self) -> list[str]:
        """The keys this stream occupies on its storage."""
        ...
