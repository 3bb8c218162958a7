"""Notebook widgets: scrub, sample and export recordings (anywidget, front ends in ``widgets/``).

Frames travel to the browser as JPEG bytes in binary message buffers; the view keeps at
most one request in flight and the kernel prefetches around the cursor.

Examples
--------
.. code-block:: python

    import ipywidgets as W
    import workbench as wb

    s = wb.VideoScrubber("camera_01.mp4")
    W.VBox([s, wb.Filmstrip(s), wb.ExportPanel(s, out_dir="dump/")])
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CatalogBrowser",
    "ExportPanel",
    "Filmstrip",
    "FrameEvent",
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
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
