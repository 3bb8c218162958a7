"""Stored streams and storage backends.

Named videos in a datastore (copied in, or indexed in place), file collections,
packed binary files and SQL tables, on local disk or S3; all read lazily with
``load()``, and :func:`run` maps a function over input streams into output streams.

Examples
--------
>>> import tempfile
>>> from workbench.streams import Datastore, PackedStream
>>> store = Datastore(tempfile.mkdtemp())
>>> store.names()
[]
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module that defines it (imported on first use)
_LAZY: dict[str, str] = {
    "Datastore": "workbench.streams.datastore",
    "StreamEntry": "workbench.streams.datastore",
    "NamedVideoStream": "workbench.streams.named_video",
    "FilesStream": "workbench.streams.files",
    "FilesStorage": "workbench.streams.storage.base",
    "PackedStream": "workbench.streams.packed",
    "TableStream": "workbench.streams.table",
    "run": "workbench.streams.ops",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench.streams' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
