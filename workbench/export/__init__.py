"""Exports that never leave half-written files: frames, clips, contact sheets.

Examples
--------
>>> import workbench as wb
>>> wb.export_frames("camera_01.mp4", "dump/", target_frame_rate=2)   # doctest: +SKIP
"""

from __future__ import annotations

from workbench.export.clip import ClipResult, export_clip
from workbench.export.contact_sheet import contact_sheet
from workbench.export.frames import export_frames
from workbench.export.result import ExportFailure, ExportResult, SkippedItem

__all__ = [
    "ClipResult",
    "ExportFailure",
    "ExportResult",
    "SkippedItem",
    "contact_sheet",
    "export_clip",
    "export_frames",
]
