"""Lazy segmented readers, one per content type, behind :func:`read`.

Examples
--------
>>> import workbench as wb
>>> for batch in wb.read("camera_01.mp4", target_frame_rate=2, resize_rate=0.25):  # doctest: +SKIP
...     batch.frames.shape
"""

from __future__ import annotations

from workbench.readers.api import read
from workbench.readers.base import BaseReader, FrameReader
from workbench.readers.batches import ReadPlan, SeriesBatch
from workbench.readers.registry import find_reader, known_content_types, register_reader
from workbench.readers.source import Source, SourceLike, resolve_source

__all__ = [
    "BaseReader",
    "FrameReader",
    "ReadPlan",
    "SeriesBatch",
    "Source",
    "SourceLike",
    "find_reader",
    "known_content_types",
    "read",
    "register_reader",
    "resolve_source",
]
