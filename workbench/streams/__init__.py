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

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports, type_checking_imports

# ruff: noqa: F401  (the public names are imports under TYPE_CHECKING, exported via _LAZY)
if TYPE_CHECKING:  # the public names (see workbench._lazy)
    from workbench.streams.datastore import Datastore, StreamEntry
    from workbench.streams.files import FilesStream
    from workbench.streams.named_video import NamedVideoStream
    from workbench.streams.ops import map_streams
    from workbench.streams.packed import PackedStream
    from workbench.streams.storage.base import FilesStorage
    from workbench.streams.table import TableStream

#: public name -> module that defines it, read from the block above
_LAZY: dict[str, str] = type_checking_imports(__file__)

__all__ = list(_LAZY)

#: renamed, not listed: ``run`` is :func:`map_streams`' old name (it warns when called)
_UNLISTED = {"run": "workbench.streams.ops"}

__getattr__, __dir__ = lazy_exports("workbench.streams", {**_LAZY, **_UNLISTED}, globals(), __all__)
