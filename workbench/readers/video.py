"""Read a camera video through the indexed decoder, one time segment at a time.

The time axis comes from the persisted video index (no decoding): frame ``i`` is at
``start_timestamp + pts_seconds[i]``, unless a per-frame timestamps sidecar
(``<video>_timestamps.csv``) exists, whose times then win. Each segment asks the decoder
for exactly its frames (``get_frames_at``), which seeks to the right keyframe: the first
batch costs the same wherever ``start`` lies.

Examples
--------
>>> import workbench as wb
>>> reader = wb.read("camera_01.mp4", start=30, end=40, target_frame_rate=2)  # doctest: +SKIP
>>> batch = next(iter(reader))                                                # doctest: +SKIP
>>> batch.timestamps[:2]                                                      # doctest: +SKIP
array([30. , 30.5])
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np

from workbench.readers.base import FrameReader, make_frame_batch
from workbench.readers.source import Source
from workbench.remote import url_name

__all__ = ["VideoReader", "frame_times"]


def frame_times(video: Any, source: Source) -> np.ndarray:
    """Absolute time of every frame: the timestamps sidecar when present, else
    ``start_timestamp + pts_seconds``.

    A sidecar with more rows than frames is cut to the frames; one with fewer rows is
    continued with the container's frame spacing (both with a warning).
    """
    pts = np.asarray(video.pts_seconds, dtype="float64")
    if source.timestamps_path is None:
        return source.start_timestamp + pts
    from workbench.readers.camera_timestamps import load_camera_timestamps

    times = load_camera_timestamps(source.timestamps_path, storage_options=source.storage_options)
    n = len(pts)
    if len(times) != n:
        warnings.warn(
            f"{url_name(str(source.timestamps_path))} has {len(times)} times for {n} frames "
            f"in {source.name}; {'cutting' if len(times) > n else 'extending'} it",
            stacklevel=3,
        )
        if len(times) > n:
            times = times[:n]
        else:
            tail = times[-1] + (pts[len(times) :] - pts[len(times) - 1]) if len(times) else pts
            times = np.concatenate([times, tail])
    return times


class VideoReader(FrameReader):
    """Segmented reader over a video file (any codec the indexed decoder opens).

    Extra options
    -------------
    cache : str or os.PathLike, optional
        Where the decoder persists its index (passed to ``open_video``).
    threads : int, optional
        Decoder threads (passed to ``open_video``).
    first_batch_seconds : float, optional
        Deliver the first segment as two batches, its first ``first_batch_seconds``
        (e.g. 2) and the rest, so the first frames arrive sooner; default ``None``:
        one batch per segment (see :mod:`workbench.readers.base`).
    """

    def __init__(
        self, source: Source, *, cache: Any = None, threads: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(source, **kwargs)  # options=, first_batch_seconds=
        self._cache = cache
        self._threads = threads
        self._video = source.video

    @property
    def video(self) -> Any:
        """The opened ``Video`` (opened, and indexed if needed, on first use)."""
        if self._video is None:
            from workbench.video import open_video

            kwargs: dict[str, Any] = {}
            if self._cache is not None:
                kwargs["cache"] = self._cache
            if self._threads is not None:
                kwargs["threads"] = self._threads
            if self.source.is_remote:
                kwargs["storage_options"] = self.source.storage_options
            self._video = open_video(str(self.source.path), **kwargs)
        return self._video

    def _load_axis(self) -> tuple[np.ndarray, float, np.ndarray | None, int, int]:
        video = self.video
        meta = video.metadata
        times = frame_times(video, self.source)
        fps = float(getattr(meta, "fps", 0) or 0)
        if len(times) > 1:
            duration = float(np.median(np.diff(times)))
        else:
            duration = 1.0 / fps if fps > 0 else 1.0
        keyframes = np.asarray(video.keyframe_indices, dtype="int64")
        return times, duration, keyframes, int(meta.width), int(meta.height)

    def _decode_kwargs(self) -> dict[str, Any]:
        h, w, _ = self.frame_shape()
        _, _, _, width, height = self.axis()
        params = inspect.signature(self.video.get_frames_at).parameters
        kwargs: dict[str, Any] = {}
        if (w, h) != (width, height):
            kwargs["size"] = (w, h)
        if self.format != "rgb24":
            kwargs["format"] = self.format
        unsupported = [k for k in kwargs if k not in params]
        if unsupported:  # pragma: no cover - guards against a decoder API change
            raise TypeError(f"the video decoder does not accept {unsupported}")
        return kwargs

    def fetch(self, indices: np.ndarray, timestamps: np.ndarray | None = None) -> Any:
        indices = np.asarray(indices, dtype="int64")
        if len(indices) == 0:
            h, w, c = self.frame_shape()
            frames = np.zeros((0, h, w, c), np.uint8)
            ts = np.zeros(0)
        else:
            batch = self.video.get_frames_at(indices.tolist(), **self._decode_kwargs())
            frames = batch.frames
            ts = self.axis()[0][indices] if timestamps is None else timestamps
        return make_frame_batch(frames, ts, indices, columns=self.columns, record_id=self.record_id)
