"""Stored streams and storage backends.

Named videos in a datastore (copied in, or indexed in place), file collections,
packed binary files and SQL tables, on local disk or S3; all read lazily with
``load()``, and :func:`map_streams` maps a function over input streams into output
streams (``run`` is its deprecated old name).

Examples
--------
>>> import tempfile
>>> from workbench.streams import Datastore, PackedStream
>>> store = Datastore(tempfile.mkdtemp())
>>> store.names()
[]
"""

from __future__ import annotations

from workbench._lazy import lazy_exports

#: public name -> module that defines it (imported on first use)
_LAZY: dict[str, str] = {
    "Datastore": "workbench.streams.datastore",
    "StreamEntry": "workbench.streams.datastore",
    "NamedVideoStream": "workbench.streams.named_video",
    "FilesStream": "workbench.streams.files",
    "FilesStorage": "workbench.streams.storage.base",
    "PackedStream": "workbench.streams.packed",
    "TableStream": "workbench.streams.table",
    "map_streams": "workbench.streams.ops",
    "run": "workbench.streams.ops",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports("workbench.streams", _LAZY, globals(), __all__)
