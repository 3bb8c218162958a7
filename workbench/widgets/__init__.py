"""Notebook widgets: scrub, sample and export recordings (anywidget, front ends in ``widgets/``).

Frames travel to the browser as JPEG bytes in binary message buffers. The view keeps at
most one frame request in flight, a store of decoded frames and keyframe previews around
the cursor (so steps and drags paint without a round trip), and while playing lets the
kernel push frames paced by credits; the kernel prefetches around the cursor.

Examples
--------
.. code-block:: python

    import ipywidgets as W
    import workbench as wb

    s = wb.VideoScrubber("camera_01.mp4")
    W.VBox([s, wb.Filmstrip(s), wb.ExportPanel(s, out_dir="dump/")])
"""

from __future__ import annotations

from workbench._lazy import lazy_exports

__all__ = [
    "CatalogBrowser",
    "EventTable",
    "ExportPanel",
    "Filmstrip",
    "FrameEvent",
    "MapView",
    "Timeline",
    "VideoScrubber",
]

_MODULES = {
    "VideoScrubber": "workbench.widgets.scrubber",
    "FrameEvent": "workbench.widgets.scrubber",
    "ExportPanel": "workbench.widgets.export_panel",
    "Filmstrip": "workbench.widgets.filmstrip",
    "Timeline": "workbench.widgets.timeline",
    "CatalogBrowser": "workbench.widgets.catalog_browser",
    "EventTable": "workbench.widgets.event_table",
    "MapView": "workbench.widgets.map_view",
}


__getattr__, __dir__ = lazy_exports("workbench.widgets", _MODULES, globals(), __all__)
