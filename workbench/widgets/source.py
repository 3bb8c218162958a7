"""Open what a scrubber was given (a Video, a catalog Record or a path) on one clock.

Examples
--------
>>> import numpy as np
>>> clock = FrameClock(np.array([0.0, 0.5, 1.0]), np.array([10.0, 10.5, 11.0]))
>>> clock.index_at_time(0.7), clock.index_at_timestamp(11.2)
(1, 2)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.errors import FrameIndexError, WorkbenchError

__all__ = ["FrameClock", "VideoSource", "open_scrub_source"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameClock:
    """Presentation times of a video's frames, relative and absolute.

    Attributes
    ----------
    pts_seconds
        Presentation time of every frame (the decoder's clock), ascending.
    timestamps
        Absolute seconds of every frame: the per-frame timestamps sidecar where present,
        else the record's ``start_timestamp`` plus ``pts_seconds``.
    """

    pts_seconds: np.ndarray
    timestamps: np.ndarray

    @property
    def num_frames(self) -> int:
        """Number of frames."""
        return int(self.pts_seconds.size)

    def check_index(self, index: int) -> int:
        """Return ``index`` (negative counts from the end) or raise :class:`FrameIndexError`."""
        n = self.num_frames
        i = int(index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise FrameIndexError(
                f"frame index {index} is out of range for a video of {n} frames "
                f"(use 0..{n - 1}, or -1 for the last frame)"
            )
        return i

    def index_at_time(self, seconds: float) -> int:
        """Return the frame on screen at ``seconds`` of presentation time.

        Raises
        ------
        FrameIndexError
            If ``seconds`` lies before the first frame or after the end of the video.
        """
        return self._lookup(self.pts_seconds, float(seconds), "time")

    def index_at_timestamp(self, timestamp: float) -> int:
        """Return the frame on screen at absolute ``timestamp`` (clamped to the video)."""
        pos = int(np.searchsorted(self.timestamps, float(timestamp), side="right")) - 1
        return min(max(pos, 0), self.num_frames - 1)

    def _lookup(self, times: np.ndarray, value: float, name: str) -> int:
        step = float(np.median(np.diff(times))) if times.size > 1 else 0.0
        first, last = float(times[0]), float(times[-1]) + step
        if not (first - 1e-6 <= value <= last + 1e-6) or not np.isfinite(value):
            raise FrameIndexError(
                f"{name} {value!r} s is outside the video ({first:.3f} .. {last:.3f} s)"
            )
        pos = int(np.searchsorted(times, value + 1e-9, side="right")) - 1
        return min(max(pos, 0), self.num_frames - 1)


@dataclass
class VideoSource:
    """An opened video plus what the widgets need to know about it.

    ``origin`` is what exports should read: the Record / path the user gave, or the
    file of a ``Video`` they passed (so an export never shares the scrubber's decoder).
    """

    video: Any
    clock: FrameClock
    label: str
    record_id: str
    start_timestamp: float
    path: Any = None
    owns_video: bool = False
    origin: Any = None

    def close(self) -> None:
        """Close the video if this source opened it."""
        if self.owns_video and hasattr(self.video, "close"):
            try:
                self.video.close()
            except Exception:  # closing is best effort
                log.debug("closing %s failed", self.path, exc_info=True)


def open_scrub_source(source: Any, *, storage_options: dict[str, Any] | None = None) -> VideoSource:
    """Open a ``Video``, catalog ``Record``, row dict, path or URL for a scrubber.

    Parameters
    ----------
    source
        What to show; a URL (``"s3://bucket/cam.mp4"``) or a remote Record / Video is
        read through fsspec.
    storage_options : dict, optional
        fsspec options for a URL.

    Raises
    ------
    SourceNotFoundError
        The file does not exist.
    InvalidArgumentError
        ``source`` is none of the accepted kinds.
    """
    from dataclasses import replace

    from workbench.readers.camera_timestamps import load_camera_timestamps
    from workbench.readers.source import resolve_source

    if hasattr(source, "get_frames_at") and hasattr(source, "metadata"):
        video, owns = source, False
        path = getattr(source, "path", None)
        src = resolve_source(source, storage_options=storage_options) if path is not None else None
    else:
        from workbench.formats.bags.topic_video import open_scrub_topic  # bag image topics
        from workbench.video import open_video

        src = resolve_source(source, storage_options=storage_options)
        opts = {"storage_options": src.storage_options} if src.is_remote else {}
        video, owns = open_scrub_topic(src) or open_video(str(src.path), **opts), True
    pts = np.asarray(video.pts_seconds, dtype=np.float64)
    start = float(src.start_timestamp) if src is not None else 0.0
    timestamps = start + pts
    if src is not None and src.timestamps_path is not None:
        try:
            sidecar = load_camera_timestamps(
                src.timestamps_path, storage_options=src.storage_options
            )
        except WorkbenchError:
            log.warning("ignoring unreadable timestamps file %s", src.timestamps_path)
        else:
            if sidecar.size >= pts.size:
                timestamps = sidecar[: pts.size].astype(np.float64)
            else:
                log.warning(
                    "%s has %d times for %d frames; using container times",
                    src.timestamps_path,
                    sidecar.size,
                    pts.size,
                )
    label = src.name if src is not None else "video"
    record_id = src.record_id if src is not None else ""
    if src is not None and src.timestamps_path is not None and timestamps.size:
        start = float(timestamps[0]) - float(pts[0])
    if src is not None and src.is_remote:  # the URL with its options, not this decoder
        origin = replace(src, video=None)
    elif owns or src is None:
        origin = source
    else:
        origin = src.path
    return VideoSource(
        video=video,
        clock=FrameClock(pts, timestamps),
        label=label,
        record_id=record_id,
        start_timestamp=start,
        path=src.path if src is not None else None,
        owns_video=owns,
        origin=origin,
    )
