"""The lazy reader every content type shares: segments on the time axis, plan, read_all.

A reader does nothing when it is created except check its arguments and look at the
file's time axis (for video: the persisted index). Iterating it yields one batch per
time segment of ``segment_duration`` seconds; ``len(reader)`` is the number of batches;
``reader.plan()`` says how many frames/rows and bytes the read will produce.

Frame readers (video, images) share :class:`FrameReader`: the file's per-frame absolute
times are known up front, so the frame on screen at every sample instant is computed
without decoding, and each segment decodes only its own frames.

Segments lie on the grid ``start + k * segment_duration`` and each batch holds one
segment. A frame reader given ``first_batch_seconds`` (e.g. 2) delivers its first
segment in two batches, its first ``first_batch_seconds`` and the rest, so the first
frames arrive after decoding a couple of seconds rather than a whole segment (a 10 s
segment at 2 fps spans ten GOPs of a dashcam file); every later batch is still one
whole segment on the grid. It is off by default: code that counts on one batch per
segment (the tutorials do) keeps it.

Examples
--------
>>> import numpy as np
>>> times = np.arange(0, 10, 1 / 30)                      # a 30 fps axis
>>> idx, ts, inst = sample_frames(times, 1 / 30, start=0.0, end=2.0, rate=2.0)
>>> idx.tolist()
[0, 15, 30, 45]
"""

from __future__ import annotations

import contextlib
import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import fields as dc_fields
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError
from workbench.options import FORMATS, MODES, ReadOptions
from workbench.readers.batches import ReadPlan
from workbench.readers.source import Source

__all__ = [
    "FORMATS",
    "MODES",
    "BaseReader",
    "FrameReader",
    "make_frame_batch",
    "output_size",
    "sample_frames",
]

#: seconds: times closer than this are equal (absolute epoch times carry ~2e-7 s of float noise)
TIME_EPS = 1e-6


def output_size(
    width: int, height: int, resize_rate: float | None, size: tuple[int, int] | None
) -> tuple[int, int]:
    """Return the (width, height) frames are delivered at.

    Examples
    --------
    >>> output_size(1920, 1080, 0.25, None)
    (480, 270)
    """
    if size is not None:
        return int(size[0]), int(size[1])
    if resize_rate is None:
        return int(width), int(height)
    return max(1, round(width * resize_rate)), max(1, round(height * resize_rate))


def make_frame_batch(
    frames: np.ndarray,
    timestamps: np.ndarray,
    indices: np.ndarray,
    *,
    columns: list[str],
    record_id: str | None,
) -> Any:
    """Build the decoder's ``FrameBatch``, filling the optional fields it supports."""
    from workbench.video.batch import FrameBatch

    kwargs: dict[str, Any] = {
        "frames": frames,
        "timestamps": np.asarray(timestamps, dtype="float64"),
        "indices": np.asarray(indices, dtype="int64"),
    }
    try:
        names = {f.name for f in dc_fields(FrameBatch)}
    except TypeError:
        names = set()
    extra = {"columns": list(columns), "record_id": record_id}
    for key, value in extra.items():
        if key in names:
            kwargs[key] = value
    batch = FrameBatch(**kwargs)
    for key, value in extra.items():
        if key not in names:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(batch, key, value)
    return batch


def sample_frames(
    times: np.ndarray,
    frame_duration: float,
    *,
    start: float,
    end: float,
    rate: float | None,
    keyframes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Choose the frames a read returns; no decoding.

    Parameters
    ----------
    times : numpy.ndarray
        Absolute time of every frame, ascending (presentation order).
    frame_duration : float
        How long the last frame stays on screen.
    start, end : float
        Absolute window ``[start, end)``.
    rate : float or None
        Samples per second: the frame on screen at each instant ``start + k / rate``.
        ``None`` returns every frame whose time lies in the window.
    keyframes : numpy.ndarray, optional
        Keyframe indices: return the keyframe at or before each chosen frame instead,
        without repeats (the fast preview).

    Returns
    -------
    indices, timestamps, instants : numpy.ndarray
        Frame indices, their absolute times, and the sample instant each one stands for
        (used to cut segments on the time axis).
    """
    times = np.asarray(times, dtype="float64")
    if len(times) == 0:
        empty = np.zeros(0)
        return empty.astype("int64"), empty, empty
    last = times[-1] + frame_duration
    if rate is None:
        lo = int(np.searchsorted(times, start - TIME_EPS, "left"))
        hi = int(np.searchsorted(times, end - TIME_EPS, "left"))
        idx = np.arange(lo, hi, dtype="int64")
        instants = times[idx]
    else:
        n = max(0, math.ceil((min(end, last) - start - TIME_EPS) * rate))
        instants = start + np.arange(n, dtype="float64") / rate
        idx = np.searchsorted(times, instants + TIME_EPS, "right").astype("int64") - 1
        keep = idx >= 0
        idx, instants = idx[keep], instants[keep]
    if keyframes is not None and len(idx):
        kf = np.asarray(keyframes, dtype="int64")
        pos = np.searchsorted(kf, idx, "right") - 1
        pos = np.clip(pos, 0, len(kf) - 1)
        idx = kf[pos]
        first = np.ones(len(idx), dtype=bool)
        first[1:] = idx[1:] != idx[:-1]
        idx, instants = idx[first], instants[first]
    return idx, times[idx], instants


def _read_option(name: str) -> property:
    return property(
        lambda self: getattr(self.options, name),
        doc=f"``options.{name}`` (see :class:`~workbench.options.ReadOptions`)",
    )


class BaseReader(ABC):
    """A lazy, segmented read of one file. Subclasses implement the four abstract methods.

    Iterating yields batches (one per non-empty time segment); ``len()`` is the number
    of batches; :meth:`read_all` concatenates them; :meth:`plan` sizes the read first.
    What to read is one checked :class:`~workbench.options.ReadOptions` (``options``;
    its fields are also attributes: ``reader.start``, ``reader.target_frame_rate`` ...).
    """

    #: "frames" or "series": what the batches hold
    kind = "frames"

    @classmethod
    def kind_for(cls, record: Any) -> str:
        """What reading ``record`` (a catalog ``Record`` or row) with this class yields:
        ``"frames"`` or ``"series"``. Default :attr:`kind`; a reader that picks what it
        reads by the record (a bag's topic) overrides it
        (:func:`workbench.readers.streams.series_streams` asks it).

        Examples
        --------
        >>> from workbench.readers.timeseries import TimeSeriesReader
        >>> TimeSeriesReader.kind_for({"path": "gps.csv"})
        'series'
        """
        return cls.kind

    start = _read_option("start")
    end = _read_option("end")
    target_frame_rate = _read_option("target_frame_rate")
    resize_rate = _read_option("resize_rate")
    size = _read_option("size")
    segment_duration = _read_option("segment_duration")
    format = _read_option("format")
    mode = _read_option("mode")

    def __init__(self, source: Source, *, options: ReadOptions | None = None) -> None:
        self.source = source
        self.options = ReadOptions() if options is None else options

    @abstractmethod
    def __iter__(self) -> Iterator[Any]:
        """Yield one batch per non-empty segment."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of batches."""

    @abstractmethod
    def plan(self) -> ReadPlan:
        """Return how many batches, items and bytes the read will produce."""

    @abstractmethod
    def read_all(self) -> Any:
        """Read every segment and return one batch (meant for small windows)."""

    # -- shared ------------------------------------------------------------------------
    @property
    def record_id(self) -> str:
        return self.source.record_id

    def _window(self, lo: float, hi: float) -> tuple[float, float]:
        """Intersect the requested window with the file's extent ``[lo, hi)``."""
        start = lo if self.start is None else max(self.start, lo)
        end = hi if self.end is None else min(self.end, hi)
        if start >= end and (self.start is not None or self.end is not None):
            raise InvalidArgumentError(
                f"the window start={self.start}, end={self.end} does not overlap "
                f"{self.source.name} (record {self.source.record_id!r}), which spans "
                f"{lo:.3f} to {hi:.3f} absolute seconds; times are absolute, e.g. "
                f"start={lo:.3f} + offset"
            )
        return start, end

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.source.name!s} record={self.record_id!r} "
            f"start={self.start} end={self.end} rate={self.target_frame_rate} "
            f"segment_duration={self.segment_duration}>"
        )


class FrameReader(BaseReader):
    """Shared logic of readers whose frames have known absolute times (video, images).

    Subclasses implement the abstract :meth:`_load_axis` (per-frame absolute times, frame
    duration, keyframe indices, source width and height) and :meth:`fetch` (decode given
    indices).

    ``first_batch_seconds`` (default ``None``: off) splits the first segment into two
    batches, its first ``first_batch_seconds`` and the rest (the first frames sooner).
    """

    kind = "frames"

    def __init__(
        self,
        source: Source,
        *,
        options: ReadOptions | None = None,
        first_batch_seconds: float | None = None,
    ) -> None:
        super().__init__(source, options=options)
        if first_batch_seconds is not None:
            try:
                ok = float(first_batch_seconds) > 0 and math.isfinite(float(first_batch_seconds))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise InvalidArgumentError(
                    f"first_batch_seconds={first_batch_seconds!r} must be a positive number "
                    "of seconds, or None to deliver whole segments only"
                )
            first_batch_seconds = float(first_batch_seconds)
        self.first_batch_seconds = first_batch_seconds
        self._planned: tuple[np.ndarray, np.ndarray, list[slice]] | None = None
        self._axis: tuple[np.ndarray, float, np.ndarray | None, int, int] | None = None

    @abstractmethod
    def _load_axis(self) -> tuple[np.ndarray, float, np.ndarray | None, int, int]:
        """Return (times, frame_duration, keyframe_indices or None, width, height)."""

    @abstractmethod
    def fetch(self, indices: np.ndarray, timestamps: np.ndarray | None = None) -> Any:
        """Decode frames ``indices`` (ascending) into a ``FrameBatch``."""

    # -- shared ------------------------------------------------------------------------
    def axis(self) -> tuple[np.ndarray, float, np.ndarray | None, int, int]:
        if self._axis is None:
            self._axis = self._load_axis()
        return self._axis

    @property
    def channels(self) -> int:
        return FORMATS[self.format][0]

    @property
    def columns(self) -> list[str]:
        return list(FORMATS[self.format][1])

    def frame_shape(self) -> tuple[int, int, int]:
        """``(H, W, C)`` of the frames this read returns."""
        _, _, _, width, height = self.axis()
        w, h = output_size(width, height, self.resize_rate, self.size)
        return h, w, self.channels

    def extent(self) -> tuple[float, float]:
        """The file's absolute time extent ``[first frame, end of last frame)``."""
        times, duration, _, _, _ = self.axis()
        if len(times) == 0:
            return 0.0, 0.0
        return float(times[0]), float(times[-1] + duration)

    def sample_plan(self) -> tuple[np.ndarray, np.ndarray, list[slice]]:
        """Return (indices, timestamps, segment slices) of everything the read returns."""
        if self._planned is None:
            times, duration, keyframes, _, _ = self.axis()
            lo, hi = self.extent()
            start, end = self._window(lo, hi)
            idx, ts, instants = sample_frames(
                times,
                duration,
                start=start,
                end=end,
                rate=self.target_frame_rate,
                keyframes=keyframes if self.mode == "keyframes" else None,
            )
            seg = np.floor((instants - start + TIME_EPS) / self.segment_duration).astype("int64")
            part = seg * 2  # batch key: segment k -> 2k; the rest of the first segment -> 1
            first = self.first_batch_seconds
            if first is not None and first < self.segment_duration:
                part[(seg == 0) & (instants - start + TIME_EPS >= first)] = 1
            bounds = np.flatnonzero(np.diff(part)) + 1
            edges = [0, *bounds.tolist(), len(idx)]
            slices = [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]
            self._planned = (idx, ts, slices)
            self._window_used = (start, end)
        return self._planned

    def __len__(self) -> int:
        return len(self.sample_plan()[2])

    def __iter__(self) -> Iterator[Any]:
        idx, ts, slices = self.sample_plan()
        for sl in slices:
            yield self.fetch(idx[sl], ts[sl])

    def plan(self) -> ReadPlan:
        idx, _, slices = self.sample_plan()
        h, w, c = self.frame_shape()
        start, end = self._window_used
        return ReadPlan(
            segments=len(slices),
            items=len(idx),
            bytes=len(idx) * h * w * c,
            start=start,
            end=end,
            shape=(h, w, c),
        )

    def read_all(self) -> Any:
        idx, ts, _ = self.sample_plan()
        if len(idx) == 0:
            h, w, c = self.frame_shape()
            return make_frame_batch(
                np.zeros((0, h, w, c), np.uint8),
                ts,
                idx,
                columns=self.columns,
                record_id=self.record_id,
            )
        return self.fetch(idx, ts)
