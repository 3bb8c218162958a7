"""Indexed video: frame-accurate random access at close to the decode limit.

``open_video`` builds (once, then caches) a :class:`VideoIndex` by demuxing packets and
returns a :class:`Video` whose frames are read by an :class:`IndexedDecoder`.

Decisions worth knowing
-----------------------
* Indices count the frames FFmpeg presents (``container.decode()``), in presentation
  order; packets an MP4 edit list discards are decoding references, not frames.
* Times are presentation seconds, ``pts * time_base``; the stream's start offset is not
  subtracted (``video.pts_seconds[0] == video.metadata.start_seconds``). Readers move
  them to absolute time with :meth:`FrameBatch.shifted`.
* ``get_frame_played_at(t)`` is the last frame whose pts <= t; times outside
  ``[start_seconds, end_seconds)`` raise :class:`~workbench.errors.FrameIndexError`.
* A truncated file exposes the frames whose packets are complete; asking for a frame
  the header promised but the file lacks raises :class:`~workbench.errors.CorruptMediaError`,
  and a requested frame that does not come out of the decoder does too (never a short
  result).
* The index cache folder is ``cache=``, else ``$WORKBENCH_CACHE/index``, else
  ``~/.cache/workbench/index``. If it cannot be written, the index is kept in memory
  and an :class:`~workbench.video.cache.IndexCacheWarning` says so; opening never fails
  because of the cache. ``cache=False`` skips it silently.
* Frames are upright (display rotation applied, ``apply_rotation=False`` turns it off);
  ``metadata.width``/``height`` are the displayed size.
* Decoded pictures (not RGB copies) are cached by frame index within a byte budget
  (``frame_cache_bytes=``), so stepping back and re-reading at another size is instant.

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
