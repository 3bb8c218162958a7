"""Indexed video: frame-accurate random access at close to the decode limit.

``open_video`` builds (once, then caches) a :class:`VideoIndex` by demuxing packets and
returns a :class:`Video` whose frames are read by an :class:`IndexedDecoder`.

Examples
--------
>>> import workbench as wb
>>> v = wb.open_video("camera_01.mp4")           # doctest: +SKIP
>>> v[10].shape                                   # doctest: +SKIP
(1080, 1920, 3)
"""

from __future__ import annotations

from workbench.video.batch import FrameBatch
from workbench.video.decoder import IndexedDecoder
from workbench.video.index import VideoIndex
from workbench.video.video import Video, VideoMetadata, open_video

__all__ = ["FrameBatch", "IndexedDecoder", "Video", "VideoIndex", "VideoMetadata", "open_video"]
