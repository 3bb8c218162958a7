"""Storage backends for stored streams: local files and S3, one module each.

Examples
--------
>>> from workbench.streams.storage import FilesStorage
>>> FilesStorage("posix")
FilesStorage('posix', root=None)
"""

from __future__ import annotations

from workbench.streams.storage.base import STORAGE_TYPES, FilesStorage, StorageBackend

__all__ = ["STORAGE_TYPES", "FilesStorage", "StorageBackend"]
