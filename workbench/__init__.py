"""workbench: a Jupyter workbench for driving-behaviour recordings.

Public names are re-exported here and imported lazily, so ``import workbench`` is
quick and a missing optional extra only fails where it is used. They are listed once, as
imports under ``if TYPE_CHECKING:``, so editors and type checkers see every signature.

Sample-making and test utilities (``make_video``, ``read_frame_code``,
``make_edit_list_cut``, ``make_sample_database``) live under ``wb.samples``; their old
top-level names still work and warn (:class:`WorkbenchDeprecationWarning`).

Examples
--------
>>> import workbench as wb
>>> wb.__version__
'0.1.0'
>>> callable(wb.samples.make_video), "make_video" in dir(wb)
(True, False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports, type_checking_imports
from workbench.errors import *  # noqa: F403
from workbench.errors import __all__ as _error_names

__version__ = "0.1.0"

if TYPE_CHECKING:  # the public names, one line per module (see workbench._lazy)
    from workbench import samples
    from workbench.catalog import Catalog, Record, Selection, build_catalog, open_catalog
    from workbench.events import Events, find_events
    from workbench.export import ExportResult, contact_sheet, export_clip, export_frames
    from workbench.export.cluster import export_clips
    from workbench.formats.bags import open_bag
    from workbench.formats.can import decode_can
    from workbench.parallel import RecordSpec, map_records
    from workbench.readers import SeriesBatch, read, register_reader
    from workbench.streams import (
        Datastore,
        FilesStorage,
        FilesStream,
        NamedVideoStream,
        PackedStream,
        TableStream,
        map_streams,
    )
    from workbench.video import FrameBatch, Video, VideoIndex, open_video
    from workbench.widgets import (
        CatalogBrowser,
        EventTable,
        ExportPanel,
        Filmstrip,
        MapView,
        Timeline,
        VideoScrubber,
    )

#: public name -> module that defines it, read from the block above
_LAZY: dict[str, str] = type_checking_imports(__file__)

#: old top-level name -> where it lives now (still works, with a WorkbenchDeprecationWarning)
_MOVED: dict[str, str] = dict.fromkeys(
    ["make_edit_list_cut", "make_sample_database", "make_video", "read_frame_code"],
    "workbench.samples",
)

__all__ = ["__version__", *_error_names, *_LAZY]

#: renamed, not listed: ``wb.run`` is ``map_streams``' old name (it warns when called)
_UNLISTED = {"run": "workbench.streams.ops"}


__getattr__, __dir__ = lazy_exports(
    "workbench", {**_LAZY, **_UNLISTED}, globals(), __all__, moved=_MOVED
)
