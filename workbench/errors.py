"""The exceptions workbench raises.

Every error derives from :class:`WorkbenchError` and also from the built-in
exception a caller would naturally catch, so ``except FileNotFoundError`` and
``except WorkbenchError`` both work. Messages name the file or value at fault and
say what to do about it.

Examples
--------
>>> from workbench.errors import FrameIndexError, WorkbenchError
>>> try:
...     raise FrameIndexError("frame 12 is out of range for 'a.mp4' (10 frames)")
... except IndexError as exc:
...     isinstance(exc, WorkbenchError)
True
"""

from __future__ import annotations

__all__ = [
    "WorkbenchError",
    "InvalidArgumentError",
    "SourceNotFoundError",
    "CorruptMediaError",
    "NoVideoStreamError",
    "DecodeTimeoutError",
    "FrameIndexError",
    "IndexCacheError",
    "CatalogError",
    "CatalogNotFoundError",
    "CatalogQueryError",
    "ReadOnlyCatalogError",
    "CatalogPermissionError",
    "SelectionIndexError",
    "UnknownContentTypeError",
    "ExportError",
    "StorageError",
    "StreamNotFoundError",
    "ObjectChangedError",
    "StorageUnreachableError",
    "CorruptStreamError",
    "MissingExtraError",
    "ClusterError",
    "WorkbenchDeprecationWarning",
]


class WorkbenchError(Exception):
    """Base class of every error raised by workbench."""


class InvalidArgumentError(WorkbenchError, ValueError):
    """An argument has a value that is not allowed; the message lists what is."""


class SourceNotFoundError(WorkbenchError, FileNotFoundError):
    """A file, folder or object that was asked for does not exist."""


class CorruptMediaError(WorkbenchError, ValueError):
    """A media file cannot be demuxed or decoded (empty, truncated, not media)."""


class NoVideoStreamError(WorkbenchError, ValueError):
    """A media file has no video stream; the message lists the streams it has."""


class DecodeTimeoutError(CorruptMediaError):
    """Decoding took longer than its time limit; the file is probably damaged."""


class FrameIndexError(WorkbenchError, IndexError):
    """A frame index or time lies outside the video."""


class IndexCacheError(WorkbenchError, OSError):
    """The persisted video index cannot be written or read."""


class CatalogError(WorkbenchError):
    """Base class of catalog errors."""


class CatalogNotFoundError(CatalogError, FileNotFoundError):
    """The catalog database file does not exist."""


class CatalogQueryError(CatalogError, ValueError):
    """A query is malformed; carries SQLite's own message."""


class ReadOnlyCatalogError(CatalogError, PermissionError):
    """A write was attempted on a catalog opened read-only."""


class CatalogPermissionError(CatalogError, PermissionError):
    """The catalog file or its folder cannot be read (permissions)."""


class SelectionIndexError(WorkbenchError, IndexError):
    """An index lies outside a catalog selection (the message says why it is short)."""


class UnknownContentTypeError(WorkbenchError, LookupError):
    """No reader is registered for a content type; the message lists those that are."""


class ExportError(WorkbenchError, OSError):
    """An export could not be written (no space, no permission, bad template)."""


class StorageError(WorkbenchError, OSError):
    """A storage backend failed (network, permissions, bucket)."""


class StreamNotFoundError(StorageError, FileNotFoundError):
    """A stored stream, bucket or key does not exist."""


class ObjectChangedError(StorageError):
    """A stored object changed while it was being read; nothing was cached from it."""


class StorageUnreachableError(StorageError, ConnectionError):
    """The storage (an S3 endpoint ...) did not answer within its bounded retries."""


class CorruptStreamError(CorruptMediaError):
    """A stored stream (packed file, datastore entry) is damaged: its parts do not add up."""


class MissingExtraError(WorkbenchError, ImportError):
    """An optional extra is not installed; the message names it and how to install it."""


class ClusterError(WorkbenchError, ConnectionError):
    """A Dask scheduler cannot be reached or the cluster failed; the message names its address."""


class WorkbenchDeprecationWarning(WorkbenchError, DeprecationWarning):
    """A workbench name or spelling still works but has moved; the message names the new one."""
