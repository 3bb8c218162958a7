"""workbench: a Jupyter workbench for driving-behaviour recordings.

Public names are re-exported here and imported lazily, so ``import workbench`` is
quick and a missing optional extra only fails where it is used.

Examples
--------
>>> import workbench as wb
>>> wb.__version__
'0.1.0'
"""

from __future__ import annotations

from workbench._lazy import lazy_exports
from workbench.errors import *  # noqa: F403
from workbench.errors import __all__ as _error_names

__version__ = "0.1.0"

#: public name -> module that defines it
_LAZY: dict[str, str] = {
    "open_video": "workbench.video",
    "Video": "workbench.video",
    "VideoIndex": "workbench.video",
    "FrameBatch": "workbench.video",
    "make_video": "workbench.samples",
    "make_sample_database": "workbench.samples",
    "read_frame_code": "workbench.samples",
    "make_edit_list_cut": "workbench.samples",
    "open_catalog": "workbench.catalog",
    "build_catalog": "workbench.catalog",
    "Catalog": "workbench.catalog",
    "Selection": "workbench.catalog",
    "Record": "workbench.catalog",
    "read": "workbench.readers",
    "register_reader": "workbench.readers",
    "SeriesBatch": "workbench.readers",
    "find_events": "workbench.events",
    "Events": "workbench.events",
    "export_frames": "workbench.export",
    "export_clip": "workbench.export",
    "contact_sheet": "workbench.export",
    "ExportResult": "workbench.export",
    "VideoScrubber": "workbench.widgets",
    "ExportPanel": "workbench.widgets",
    "Filmstrip": "workbench.widgets",
    "Timeline": "workbench.widgets",
    "CatalogBrowser": "workbench.widgets",
    "EventTable": "workbench.widgets",
    "MapView": "workbench.widgets",
    "Datastore": "workbench.streams",
    "NamedVideoStream": "workbench.streams",
    "FilesStream": "workbench.streams",
    "FilesStorage": "workbench.streams",
    "PackedStream": "workbench.streams",
    "TableStream": "workbench.streams",
    "run": "workbench.streams",
    "open_bag": "workbench.formats.bags",
    "map_records": "workbench.parallel",
    "RecordSpec": "workbench.parallel",
    "export_clips": "workbench.export.cluster",
    "decode_can": "workbench.formats.can",
}

__all__ = ["__version__", *_error_names, *_LAZY]


__getattr__, __dir__ = lazy_exports("workbench", _LAZY, globals(), __all__)
