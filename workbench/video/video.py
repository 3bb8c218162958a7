"""The public ``Video`` class and ``open_video``.

Examples
--------
>>> import workbench as wb
>>> from workbench.samples import make_video                     # doctest: +SKIP
>>> v = wb.open_video(make_video("/tmp/clip.mp4", frames=60))    # doctest: +SKIP
>>> len(v), v[0].shape, v.get_frames_at([5, 1, 5]).indices.tolist()   # doctest: +SKIP
(60, (96, 160, 3), [5, 1, 5])
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, TypeVar

import av
import numpy as np

from workbench.errors import (
    CorruptMediaError,
    FrameIndexError,
    InvalidArgumentError,
    NoVideoStreamError,
)
from workbench.options import ReadOptions, frame_options
from workbench.video.batch import FrameBatch
from workbench.video.cache import IndexCache, cache_key
from workbench.video.decoder import IndexedDecoder, _usable_cpus
from workbench.video.framecache import FrameCache
from workbench.video.frames import Converter, OutputSpec
from workbench.video.index import VideoIndex, build_index
from workbench.video.source import Source

__all__ = ["Video", "VideoBase", "VideoMetadata", "open_video"]

_VideoT = TypeVar("_VideoT", bound="VideoBase")

#: default byte budget of the decoded-frame cache (stepping / scrubbing)
DEFAULT_FRAME_CACHE_BYTES = 192 * 2**20
#: iter_batches decodes segments in parallel only while the batches in flight fit in this
PARALLEL_BATCH_BYTES = 256 * 2**20
#: get_frames_at splits its keyframe groups into this many chunks per worker; workers
#: pull the next chunk when done, so unequal GOPs do not leave a core idle at the end
PARALLEL_CHUNKS_PER_WORKER = 6


@dataclass(frozen=True)
class VideoMetadata(Mapping):
    """Facts about the video stream; also readable as a mapping (``meta["fps"]``).

    ``width``/``height`` are the displayed size (after rotation, when applied);
    ``fps`` is the average rate over the whole stream (frames / duration), ``real_fps``
    the container's base rate. Times are presentation seconds (``pts * time_base``).
    """

    path: str
    codec: str
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    num_frames: int
    fps: float
    real_fps: float
    duration_seconds: float
    start_seconds: float
    end_seconds: float
    time_base: Fraction
    pix_fmt: str
    has_b_frames: bool
    bit_rate: int
    stream_index: int
    container_format: str
    truncated: bool

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(asdict(self))

    def __len__(self) -> int:
        return len(asdict(self))

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (``time_base`` as a string) suitable for JSON."""
        d = asdict(self)
        d["time_base"] = str(self.time_base)
        return d


def _stream_list(container: av.container.InputContainer) -> str:
    parts = []
    for s in container.streams:
        name = s.codec_context.name if s.codec_context is not None else "unknown"
        parts.append(f"#{s.index} {s.type} ({name})")
    return ", ".join(parts) or "none"


def _pick_stream(
    container: av.container.InputContainer, stream: int | None, name: str
) -> av.video.stream.VideoStream:
    videos = [s for s in container.streams if s.type == "video"]
    if stream is None:
        if not videos:
            if not container.streams or all(s.codec_context is None for s in container.streams):
                raise CorruptMediaError(
                    f"video {name!r} has no readable streams; it is not a media file or is damaged"
                )
            raise NoVideoStreamError(
                f"{name!r} has no video stream; streams found: {_stream_list(container)}"
            )
        # skip cover-art style attached pictures
        moving = [s for s in videos if not (s.disposition & av.stream.Disposition.attached_pic)]
        return (moving or videos)[0]
    if not 0 <= stream < len(container.streams):
        raise InvalidArgumentError(
            f"stream={stream} does not exist in {name!r}; streams found: {_stream_list(container)}"
        )
    s = container.streams[stream]
    if s.type != "video":
        raise NoVideoStreamError(
            f"stream={stream} of {name!r} is {s.type}, not video; streams found: "
            f"{_stream_list(container)}"
        )
    return s


def _build(source: Source, stream: int | None, timeout_seconds: float) -> VideoIndex:
    container = source.open(timeout=timeout_seconds)
    try:
        vs = _pick_stream(container, stream, source.name)
        return build_index(container, vs, name=source.name)
    finally:
        container.close()


def open_video(
    path: str | os.PathLike[str],
    *,
    stream: int | None = None,
    cache: bool | str | os.PathLike[str] | None = None,
    threads: int | None = None,
    storage_options: dict[str, Any] | None = None,
    apply_rotation: bool = True,
    frame_cache_bytes: int = DEFAULT_FRAME_CACHE_BYTES,
    timeout_seconds: float = 60.0,
    storage: Any = None,
    topic: str | None = None,
) -> Video:
    """Open a video for frame-accurate random access.

    The index is built once by demuxing (no decoding) and then loaded from the cache.

    Parameters
    ----------
    path : str or os.PathLike
        Local path, or an fsspec URL such as ``"s3://bucket/key.mp4"``.
    stream : int, optional
        Container stream number (as ffprobe counts) of the video; default: the first
        video stream.
    cache : None, False or path
        Index cache folder; ``None`` uses ``$WORKBENCH_CACHE/index`` or
        ``~/.cache/workbench/index``; ``False`` keeps the index in memory only.
    threads : int, optional
        Decoder threads for long runs (default: CPU count).
    storage_options : dict, optional
        Passed to fsspec for URLs (credentials, endpoint...).
    apply_rotation : bool
        Return frames upright as players show them (default); ``False`` returns the
        coded orientation.
    frame_cache_bytes : int
        Byte budget of the decoded-frame cache used for stepping and scrubbing.
    timeout_seconds : float
        Longest time without progress when opening or decoding before
        :class:`~workbench.errors.DecodeTimeoutError`.
    storage : FilesStorage, optional
        A storage backend (``wb.FilesStorage("s3", bucket=..., endpoint_url=...)``);
        ``path`` may then be a key in it, and its options (bounded retries and
        timeouts) are used instead of ``storage_options``.
    topic : str, optional
        An image topic of a ROS bag or MCAP file (``path`` may then also be a catalog
        record of the bag): returns a
        :class:`~workbench.formats.bags.topic_video.TopicVideo` with this interface.

    Returns
    -------
    Video

    Raises
    ------
    SourceNotFoundError
        The file does not exist.
    CorruptMediaError
        Empty, not media, or damaged beyond use (e.g. an MP4 without 'moov').
    NoVideoStreamError
        The file has no video stream; the message lists the streams it has.

    Examples
    --------
    >>> import workbench as wb
    >>> with wb.open_video("camera_01.mp4") as v:            # doctest: +SKIP
    ...     frame = v[100]
    """
    if topic is not None:  # image topics of bags: a lazy import, so video knows no bags
        from workbench.formats.bags.topic_video import open_image_topic

        return open_image_topic(path, topic, cache=cache, frame_cache_bytes=frame_cache_bytes)
    if storage is not None:  # duck-typed: video does not import streams
        if not isinstance(path, (str, os.PathLike)) or "://" not in os.fspath(path):
            path = storage.url(os.fspath(path))
        _ = storage.fs  # create the (fsspec-cached) filesystem with its retry settings
        storage_options = {**storage.storage_options, **(storage_options or {})} or None
    source = Source.resolve(path, storage_options)
    if stream is not None and (isinstance(stream, bool) or not isinstance(stream, int)):
        raise InvalidArgumentError(f"stream={stream!r} must be an int or None")
    build = functools.partial(_build, source, stream, timeout_seconds)
    event = "built-in-memory"
    if cache is False:
        index = build()
    else:
        if cache is True:
            cache = None
        store = IndexCache(cache)
        identity = source.identity()
        key = cache_key(identity, stream)

        def build_with_identity() -> VideoIndex:
            idx = build()
            idx.header.identity.update(identity)
            return idx

        index = store.get_or_build(key, build_with_identity, name=source.name)
        event = store.last_event
    return Video(
        source,
        index,
        threads=threads,
        apply_rotation=apply_rotation,
        frame_cache_bytes=frame_cache_bytes,
        timeout_seconds=timeout_seconds,
        index_event=event,
        open_args={
            "path": path,
            "stream": stream,
            "cache": cache,
            "threads": threads,
            "storage_options": storage_options,
            "apply_rotation": apply_rotation,
            "frame_cache_bytes": frame_cache_bytes,
            "timeout_seconds": timeout_seconds,
        },
    )


class VideoBase(ABC):
    """What :class:`Video` and a bag's image topic (``TopicVideo``) share: the indexing
    methods (their signatures and checks, written once here) and reads over a window
    (:meth:`iter_batches`).

    The indexing methods take the options that shape each frame, in the read vocabulary
    (:data:`~workbench.options.FRAME_OPTION_NAMES`: ``resize_rate`` or ``size``, and
    ``format``); the old spelling ``scale`` still works, with a
    :class:`~workbench.errors.WorkbenchDeprecationWarning`. Subclasses give ``len()``,
    ``_coded_size`` and ``_rotation`` (a frame as stored, before resizing),
    :meth:`index_played_at`, and the decoding of requests: ``_frame_at``, ``_frames_at``,
    ``_keyframe_preview`` and ``_iter_window``.
    """

    #: ``(width, height)`` of a frame as stored (before rotation and resizing)
    _coded_size: tuple[int, int]
    #: counter-clockwise display rotation applied to frames (degrees)
    _rotation: int = 0

    @abstractmethod
    def __len__(self) -> int:
        """The number of frames."""

    @abstractmethod
    def close(self) -> None:
        """Release the files and cached frames (idempotent)."""

    def __enter__(self: _VideoT) -> _VideoT:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def index_played_at(self, seconds: float) -> int:
        """Index of the frame on screen at ``seconds`` (last frame with pts <= t)."""

    @abstractmethod
    def _frame_at(self, i: int, spec: OutputSpec) -> np.ndarray:
        """Frame ``i`` (as given: the subclass checks it) decoded to ``spec``."""

    @abstractmethod
    def _frames_at(self, indices: Sequence[int] | np.ndarray, spec: OutputSpec) -> FrameBatch:
        """Frames at ``indices`` (as given, checked there), in that order, decoded to ``spec``."""

    @abstractmethod
    def _keyframe_preview(self, i: int, spec: OutputSpec) -> np.ndarray:
        """The keyframe of frame ``i``'s group, decoded to ``spec``."""

    @abstractmethod
    def _iter_window(self, options: ReadOptions) -> Iterator[FrameBatch]:
        """The batches of a read over ``options``' window (already checked)."""

    def _spec(
        self,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        format: str = "rgb24",
    ) -> OutputSpec:
        """What a returned frame looks like (this checks the frame options)."""
        w, h = self._coded_size
        return OutputSpec.make(
            w, h, rotation=self._rotation, resize_rate=resize_rate, size=size, format=format
        )

    def _output(self, call: Mapping[str, Any], method: str) -> OutputSpec:
        """The spec an indexing method's call (its ``locals()``) asks for; an old spelling
        warns at the line that called the method."""
        where = f"{type(self).__name__}.{method}"
        old = call["old_spellings"]
        return self._spec(**frame_options(call, where=where, old_spellings=old, stacklevel=4))

    def _indices_played_at(self, seconds: Sequence[float] | np.ndarray) -> np.ndarray:
        """The index on screen at each of ``seconds`` (order kept)."""
        t = np.asarray(seconds, dtype=np.float64).reshape(-1)
        return np.array([self.index_played_at(float(v)) for v in t], dtype=np.int64)

    # -- indexing: the public signatures, once ---------------------------------------------
    def get_frame_at(
        self,
        i: int,
        *,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        format: str = "rgb24",
        **old_spellings: Any,
    ) -> np.ndarray:
        """Frame ``i`` (negative counts from the end) as an ``(H, W, C)`` uint8 array.

        ``resize_rate`` (a scale factor) *or* ``size`` (``(width, height)``) resizes the
        upright frame; ``format`` is ``"rgb24"``, ``"bgr24"`` or ``"gray"``.

        Raises
        ------
        FrameIndexError
            ``i`` is out of range (the message names it and the length).
        CorruptMediaError
            The frame is missing or damaged (the message names the file).
        """
        return self._frame_at(i, self._output(locals(), "get_frame_at"))

    def get_frames_at(
        self,
        indices: Sequence[int] | np.ndarray,
        *,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        format: str = "rgb24",
        **old_spellings: Any,
    ) -> FrameBatch:
        """Frames at ``indices`` (any order, duplicates allowed), returned in that order
        as a :class:`FrameBatch`; the options are :meth:`get_frame_at`'s.

        A video groups the requests by keyframe and decodes them with one seek per group
        (or one sequential pass when they are dense).
        """
        return self._frames_at(indices, self._output(locals(), "get_frames_at"))

    def get_frame_played_at(
        self,
        seconds: float,
        *,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        format: str = "rgb24",
        **old_spellings: Any,
    ) -> np.ndarray:
        """The frame on screen at ``seconds``: the last frame whose pts is <= ``seconds``.

        Raises
        ------
        FrameIndexError
            ``seconds`` is before the first frame or at/after the end of the last one.
        """
        spec = self._output(locals(), "get_frame_played_at")
        return self._frame_at(self.index_played_at(seconds), spec)

    def get_frames_played_at(
        self,
        seconds: Sequence[float] | np.ndarray,
        *,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        format: str = "rgb24",
        **old_spellings: Any,
    ) -> FrameBatch:
        """The frames on screen at each of ``seconds`` (order kept, duplicates allowed)."""
        spec = self._output(locals(), "get_frames_played_at")
        return self._frames_at(self._indices_played_at(seconds), spec)

    def get_keyframe_preview(
        self,
        i: int,
        *,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        format: str = "rgb24",
        **old_spellings: Any,
    ) -> np.ndarray:
        """The keyframe of frame ``i``'s group, decoding that one frame only (an instant
        preview). The result equals ``video[video.keyframe_for(i)]``."""
        return self._keyframe_preview(i, self._output(locals(), "get_keyframe_preview"))

    def __getitem__(self, key: int | slice) -> np.ndarray | FrameBatch:
        if isinstance(key, slice):
            return self.get_frames_at(np.arange(len(self))[key])
        return self.get_frame_at(key)

    def __iter__(self) -> Iterator[np.ndarray]:
        for batch in self.iter_batches():
            yield from batch.frames

    def iter_batches(
        self,
        start: float | None = None,
        end: float | None = None,
        *,
        target_frame_rate: float | None = None,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        segment_duration: float = 10.0,
        format: str = "rgb24",
        mode: str = "exact",
        options: ReadOptions | None = None,
        **old_spellings: Any,
    ) -> Iterator[FrameBatch]:
        """Read ``[start, end)`` seconds of presentation time in segments.

        The options are the read vocabulary of ``wb.read`` (see
        :class:`~workbench.options.ReadOptions`), on this video's own time axis (its pts
        seconds; ``wb.read`` adds the record's start to make them absolute; an image
        topic's count from its first message, and each message is a keyframe). With
        ``target_frame_rate=None`` every frame whose pts lies in the range is returned;
        with ``target_frame_rate=f`` the range is sampled at ``start + k / f`` and each
        sample is the frame on screen at that instant (``mode="keyframes"``: the
        keyframe at or before it, without repeats). Each yielded :class:`FrameBatch`
        covers one segment of ``segment_duration`` seconds (empty segments are skipped);
        timestamps are the frames' own pts seconds. Each worker decodes forward (seeking
        over long gaps); with several CPUs, consecutive segments are decoded in parallel
        by ``threads`` single-threaded decoders, at most that many segments ahead of the
        consumer, so memory stays bounded by ``threads + 1`` batches (one worker when
        batches are larger than :data:`PARALLEL_BATCH_BYTES` together).

        The old spellings ``stop``, ``fps``, ``scale`` and ``segment_seconds`` still work,
        with a :class:`~workbench.errors.WorkbenchDeprecationWarning`.

        Raises
        ------
        InvalidArgumentError
            A bad option (``start >= end``, a rate that is not positive ...), at the call.

        Examples
        --------
        >>> batches = video.iter_batches(target_frame_rate=2, resize_rate=0.25)  # doctest: +SKIP
        >>> for batch in batches:                                               # doctest: +SKIP
        ...     print(batch.timestamps[0], batch.frames.shape)
        """
        where = f"{type(self).__name__}.iter_batches"
        options = ReadOptions.from_keywords(locals(), where=where, old_spellings=old_spellings)
        return self._iter_window(options)


class Video(VideoBase):
    """A video stream with frame-accurate random access. Use :func:`open_video`.

    Frames are ``(H, W, 3)`` uint8 RGB arrays, upright. Indices count presented frames
    in presentation order; times are presentation seconds (``pts * time_base``: the
    stream's start offset is *not* subtracted, so ``pts_seconds[0] == start_seconds``).

    Examples
    --------
    >>> import workbench as wb
    >>> v = wb.open_video("clip.mp4")                       # doctest: +SKIP
    >>> v[-1].shape, v[2:5].indices.tolist()                # doctest: +SKIP
    ((96, 160, 3), [2, 3, 4])
    """

    def __init__(
        self,
        source: Source,
        index: VideoIndex,
        *,
        threads: int | None = None,
        apply_rotation: bool = True,
        frame_cache_bytes: int = DEFAULT_FRAME_CACHE_BYTES,
        timeout_seconds: float = 60.0,
        index_event: str = "",
        open_args: dict[str, Any] | None = None,
    ) -> None:
        self.source = source
        self.index = index
        self.index_event = index_event
        self.apply_rotation = apply_rotation
        self.frame_cache = FrameCache(frame_cache_bytes)
        # single frames: a 2-thread swscale halves the conversion at 1080p (batches
        # convert on their worker threads, one thread each)
        self._converter = Converter(threads=min(2, threads or _usable_cpus()))
        self._last_single: int | None = None
        self._workers: list[tuple[IndexedDecoder, Converter]] = []
        self._threads = threads
        self._timeout = timeout_seconds
        self._open_args = open_args or {}
        self._decoder: IndexedDecoder | None = None
        self._lock = threading.RLock()
        self._closed = False
        h = index.header
        self._coded_size = (h.width, h.height)
        self._rotation = (h.rotation % 360) if apply_rotation else 0
        self._pts_seconds = index.pts_seconds
        self._pts_seconds.flags.writeable = False
        tb = index.time_base
        self._end_seconds = float((int(index.pts[-1]) + h.last_frame_duration) * tb)
        self._metadata: VideoMetadata | None = None

    # -- basic facts ------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The file or URL."""
        return self.source.name

    def __len__(self) -> int:
        return self.index.num_frames

    @property
    def metadata(self) -> VideoMetadata:
        """Facts about the stream, see :class:`VideoMetadata`."""
        if self._metadata is None:
            h = self.index.header
            n = len(self)
            start = float(self._pts_seconds[0])
            duration = self._end_seconds - start
            spec = self._spec()
            self._metadata = VideoMetadata(
                path=self.path,
                codec=h.codec,
                width=spec.width,
                height=spec.height,
                coded_width=h.width,
                coded_height=h.height,
                rotation=h.rotation % 360,
                num_frames=n,
                fps=n / duration if duration > 0 else h.real_fps,
                real_fps=h.real_fps,
                duration_seconds=duration,
                start_seconds=start,
                end_seconds=self._end_seconds,
                time_base=self.index.time_base,
                pix_fmt=h.pix_fmt,
                has_b_frames=h.has_b_frames,
                bit_rate=h.bit_rate,
                stream_index=h.stream_index,
                container_format=h.container_format,
                truncated=h.truncated,
            )
        return self._metadata

    @property
    def pts_seconds(self) -> np.ndarray:
        """float64 presentation time of every frame (read-only array)."""
        return self._pts_seconds

    @property
    def keyframe_indices(self) -> np.ndarray:
        """int64 indices of the keyframes."""
        return self.index.keyframe_indices

    def __repr__(self) -> str:
        h = self.index.header
        return (
            f"<Video {self.path!r} {h.codec} {self.metadata.width}x{self.metadata.height} "
            f"{len(self)} frames {self.metadata.duration_seconds:.2f}s>"
        )

    # -- life cycle -------------------------------------------------------------------

    @property
    def decoder(self) -> IndexedDecoder:
        """The warm decoder used for random access (created on first use)."""
        if self._closed:
            raise InvalidArgumentError(f"video {self.path!r} is closed; open it again")
        if self._decoder is None:
            self._decoder = self._new_decoder()
        return self._decoder

    def _new_decoder(self, threads: int | None = None) -> IndexedDecoder:
        return IndexedDecoder(
            self.source,
            self.index,
            threads=threads or self._threads,
            timeout_seconds=self._timeout,
        )

    def close(self) -> None:
        """Release the decoders and the frame cache (idempotent; never blocks at exit).

        At interpreter exit a thread that was decoding (a widget's daemon frame server)
        is stopped where it stands and never releases the lock: closing then only marks
        the video closed, and the process's end releases the decoders.
        """
        if not self._lock.acquire(blocking=not sys.is_finalizing()):
            self._closed = True
            return
        try:
            if self._decoder is not None:
                self._decoder.close()
                self._decoder = None
            for decoder, _ in self._workers:
                decoder.close()
            self._workers.clear()
            self.frame_cache.clear()
            self._closed = True
        finally:
            self._lock.release()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        # pickles as "how to open it again" (for multiprocessing / Dask workers)
        return (_reopen, (self._open_args,))

    # -- index helpers ----------------------------------------------------------------

    def _declared_frames(self) -> int:
        h = self.index.header
        if h.declared_frames:
            return h.declared_frames
        fps = self.metadata.fps
        return round((h.declared_end_seconds - self.metadata.start_seconds) * fps)

    def _normalize(self, i: Any) -> int:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise InvalidArgumentError(f"frame index must be an int, not {type(i).__name__}: {i!r}")
        n = len(self)
        i = int(i)
        if -n <= i < n:
            return i + n if i < 0 else i
        if self.index.header.truncated and n <= i < self._declared_frames():
            raise CorruptMediaError(
                f"frame {i} of {self.path!r} is missing: the file is truncated and only its "
                f"first {n} frames exist (the header promised {self._declared_frames()}); "
                "re-copy the file"
            )
        raise FrameIndexError(
            f"frame index {i} is out of range for {self.path!r}, which has {n} frames "
            f"(valid: {-n} .. {n - 1})"
        )

    def _normalize_many(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        arr = np.asarray(indices)
        if arr.ndim != 1:
            arr = arr.reshape(-1)
        if arr.size == 0:
            return np.zeros(0, np.int64)
        if arr.dtype.kind not in "iu":
            raise InvalidArgumentError(
                f"frame indices must be integers, got dtype {arr.dtype} ({indices!r:.80})"
            )
        arr = arr.astype(np.int64)
        n = len(self)
        bad = (arr < -n) | (arr >= n)
        if bad.any():
            self._normalize(int(arr[bad][0]))  # raises the right error
        return np.where(arr < 0, arr + n, arr)

    def index_played_at(self, seconds: float) -> int:
        """Index of the frame on screen at ``seconds`` (last frame with pts <= t)."""
        t = float(seconds)
        if not math.isfinite(t):
            raise InvalidArgumentError(f"seconds={seconds!r} must be a finite number")
        start = float(self._pts_seconds[0])
        if start <= t < self._end_seconds:
            return int(np.searchsorted(self._pts_seconds, t, side="right") - 1)
        h = self.index.header
        if h.truncated and self._end_seconds <= t < h.declared_end_seconds:
            raise CorruptMediaError(
                f"time {t} s of {self.path!r} is missing: the file is truncated and its frames "
                f"end at {self._end_seconds:.3f} s (the header says {h.declared_end_seconds:.3f} "
                "s); re-copy the file"
            )
        raise FrameIndexError(
            f"time {t} s is outside {self.path!r}, which plays from {start:.6g} s to "
            f"{self._end_seconds:.6g} s (end excluded)"
        )

    def keyframe_for(self, i: int) -> int:
        """Index of the last keyframe at or before frame ``i`` (-1 if there is none)."""
        i = self._normalize(i)
        kf = self.index.keyframe_indices
        j = int(np.searchsorted(kf, i, side="right")) - 1
        return int(kf[j]) if j >= 0 else -1

    # -- decoding ---------------------------------------------------------------------

    def _decode_into(
        self, unique: np.ndarray, spec: OutputSpec, out: np.ndarray, slot_of: dict[int, int]
    ) -> None:
        """Fill ``out[slot_of[i]]`` for every index in ``unique`` (sorted)."""
        with self._lock:
            missing = []
            for i in unique.tolist():
                hit = self.frame_cache.get(i)
                if hit is not None:
                    out[slot_of[i]] = self._converter.convert(hit, spec)
                else:
                    missing.append(i)
            if not missing:
                return
            chunks = self._parallel_chunks(np.asarray(missing, np.int64))
            if len(chunks) < 2:
                for i, frame in self.decoder.decode(missing):
                    out[slot_of[i]] = self._converter.convert(frame, spec)
                return
            # independent keyframe groups: decode them on several single-threaded
            # decoders at once (GOP-level parallelism has no frame-thread overhead).
            # Each worker pulls the next chunk of groups when it is done with its own
            # (dynamic balance: GOPs cost unequal time), and converts what it decodes.
            workers = min(len(chunks), self._worker_count())
            while len(self._workers) < workers:
                self._workers.append((self._new_decoder(threads=1), Converter()))
            todo = iter(chunks)
            todo_lock = threading.Lock()

            def work(k: int) -> None:
                decoder, converter = self._workers[k]
                while True:
                    with todo_lock:
                        chunk = next(todo, None)
                    if chunk is None:
                        return
                    for i, frame in decoder.decode(chunk):
                        out[slot_of[i]] = converter.convert(frame, spec)

            with ThreadPoolExecutor(workers, thread_name_prefix="wb-decode") as pool:
                futures = [pool.submit(work, k) for k in range(workers)]
                try:
                    for f in futures:
                        f.result()
                finally:
                    todo = iter(())  # on failure the other workers stop after their chunk

    def _worker_count(self) -> int:
        return self._threads if self._threads else _usable_cpus()

    def _parallel_chunks(self, targets: np.ndarray) -> list[np.ndarray]:
        """Split sorted targets into contiguous runs of whole keyframe groups of about
        equal decoding cost, a few per worker (workers pull them in turn), when there is
        enough independent work (else one chunk)."""
        workers = self._worker_count()
        starts = self.index.frame_start_packet[targets]
        group_first = np.flatnonzero(np.r_[True, starts[1:] != starts[:-1]])
        if workers < 2 or len(group_first) < 2 * workers:
            return [targets]
        # balance by packets to decode: from each group's keyframe to its last target
        ends = np.r_[group_first[1:], len(targets)] - 1
        cost = self.index.frame_packet[targets[ends]] - starts[group_first] + 4
        pieces = min(len(group_first), workers * PARALLEL_CHUNKS_PER_WORKER)
        edges = np.searchsorted(np.cumsum(cost), np.arange(1, pieces) * cost.sum() / pieces)
        cuts = [int(group_first[e + 1]) for e in edges if e + 1 < len(group_first)]
        return [c for c in np.split(targets, sorted(set(cuts))) if len(c)]

    def _cache_frame(self, i: int, frame: av.VideoFrame) -> None:
        self.frame_cache.put(i, frame)

    def _decoded_frame(self, i: int) -> av.VideoFrame:
        """Frame ``i`` decoded, from the frame cache or the warm decoder (lock held).

        Every picture that comes out on the way is cached, so stepping back is instant;
        when the caller is stepping backwards past the cache, the whole way from the
        keyframe is decoded (no skipping) so that the next steps back hit the cache.
        """
        frame = self.frame_cache.get(i)
        if frame is None:
            last = self._last_single
            backward = last is not None and 0 < last - i <= 2
            for _, decoded in self.decoder.decode(
                [i], keep_all=backward, on_frame=self._cache_frame
            ):
                frame = decoded
                break
            else:  # pragma: no cover - decode() raises instead
                raise CorruptMediaError(f"frame {i} of {self.path!r} did not decode")
        self._last_single = i
        return frame

    def _frame_at(self, i: int, spec: OutputSpec) -> np.ndarray:
        i = self._normalize(i)
        with self._lock:
            return self._converter.convert(self._decoded_frame(i), spec)

    def _batch(self, idx: np.ndarray, spec: OutputSpec) -> FrameBatch:
        # each distinct frame is converted straight into the first slot asking for it
        # (no gather copy of the whole batch afterwards); only duplicates are copied
        unique, first, inverse = np.unique(idx, return_index=True, return_inverse=True)
        slot_of = dict(zip(unique.tolist(), first.tolist(), strict=True))
        frames = np.empty((len(idx), *spec.shape), np.uint8)
        self._decode_into(unique, spec, frames, slot_of)
        dup = np.flatnonzero(first[inverse] != np.arange(len(idx)))
        if len(dup):
            frames[dup] = frames[first[inverse[dup]]]
        return self._as_batch(frames, idx, spec)

    def _frames_at(self, indices: Sequence[int] | np.ndarray, spec: OutputSpec) -> FrameBatch:
        return self._batch(self._normalize_many(indices), spec)

    def _indices_played_at(self, seconds: Sequence[float] | np.ndarray) -> np.ndarray:
        t = np.asarray(seconds, dtype=np.float64).ravel()
        idx = np.searchsorted(self._pts_seconds, t, side="right").astype(np.int64) - 1
        bad = ~np.isfinite(t) | (t < self._pts_seconds[0]) | (t >= self._end_seconds)
        if bad.any():
            self.index_played_at(float(t[bad][0]))  # raises the right error
        return idx

    def _keyframe_preview(self, i: int, spec: OutputSpec) -> np.ndarray:
        i = self._normalize(i)
        kf = self.keyframe_for(i)
        if kf < 0:  # an edit list starting mid-GOP: its first frames have no keyframe
            return self._frame_at(0, spec)
        with self._lock:
            frame = self.frame_cache.get(kf)
            if frame is None:
                frame = self.decoder.decode_keyframe(int(self.index.frame_packet[kf]))
                self.frame_cache.put(kf, frame)
            return self._converter.convert(frame, spec)

    def _iter_window(self, options: ReadOptions) -> Iterator[FrameBatch]:
        spec = self._spec(options.resize_rate, options.size, options.format)  # checked here
        return self._iter_window_of(options, spec)

    def _iter_window_of(self, options: ReadOptions, spec: OutputSpec) -> Iterator[FrameBatch]:
        first = float(self._pts_seconds[0])
        start = first if options.start is None else max(options.start, first)
        stop = self._end_seconds if options.end is None else min(options.end, self._end_seconds)
        if not stop > start:
            return
        pts = self._pts_seconds
        fps = options.target_frame_rate
        if fps is None:
            lo = int(np.searchsorted(pts, start, side="left"))
            hi = int(np.searchsorted(pts, stop, side="left"))
            idx = np.arange(lo, hi, dtype=np.int64)
            instants = pts[idx]
        else:
            count = max(0, math.ceil((stop - start) * fps - 1e-9))
            instants = start + np.arange(count, dtype=np.float64) / fps
            instants = instants[instants < stop]
            idx = np.searchsorted(pts, instants, side="right").astype(np.int64) - 1
            keep = idx >= 0
            idx, instants = idx[keep], instants[keep]
        if options.mode == "keyframes" and len(idx):
            idx, instants = self._keyframes_of(idx, instants)
        if len(idx) == 0:
            return
        segment = np.floor((instants - start) / options.segment_duration).astype(np.int64)
        yield from self._iter_segments(idx, segment, spec)

    def _keyframes_of(self, idx: np.ndarray, instants: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The keyframe at or before each frame (the frame itself before the first
        keyframe), keeping the first instant of each run of the same keyframe."""
        kf = np.asarray(self.index.keyframe_indices, dtype=np.int64)
        pos = np.searchsorted(kf, idx, side="right") - 1
        idx = np.where(pos >= 0, kf[np.clip(pos, 0, max(len(kf) - 1, 0))], idx) if len(kf) else idx
        first = np.r_[True, idx[1:] != idx[:-1]]
        return idx[first], instants[first]

    def _iter_segments(
        self, idx: np.ndarray, segment: np.ndarray, spec: OutputSpec
    ) -> Iterator[FrameBatch]:
        bounds = np.flatnonzero(np.diff(segment)) + 1
        groups = [idx[g] for g in np.split(np.arange(len(idx)), bounds)]
        workers = self._threads if self._threads else _usable_cpus()
        biggest = max(len(np.unique(g)) for g in groups) * spec.nbytes
        if workers < 2 or len(groups) < 2 or biggest * (workers + 1) > PARALLEL_BATCH_BYTES:
            yield from self._iter_segments_serial(groups, spec)
            return
        # segment-level parallelism: segment k goes to worker k % W (each a private,
        # single-threaded decoder, so it mostly decodes forward), at most W segments
        # ahead of the consumer: memory stays bounded by W + 1 batches
        pools = [ThreadPoolExecutor(1, thread_name_prefix="wb-segment") for _ in range(workers)]
        decoders = [(self._new_decoder(threads=1), Converter()) for _ in range(workers)]

        def job(k: int) -> FrameBatch:
            decoder, converter = decoders[k % workers]
            gidx = groups[k]
            unique = np.unique(gidx)
            buf = np.empty((len(unique), *spec.shape), np.uint8)
            for j, (_, frame) in enumerate(decoder.decode(unique)):
                buf[j] = converter.convert(frame, spec)
            return self._segment_batch(buf, unique, gidx, spec)

        futures: deque[Future[FrameBatch]] = deque()
        try:
            nxt = 0
            for _ in range(len(groups)):
                while nxt < len(groups) and len(futures) < workers:
                    futures.append(pools[nxt % workers].submit(job, nxt))
                    nxt += 1
                yield futures.popleft().result()
        finally:
            for f in futures:
                f.cancel()
            for pool in pools:
                pool.shutdown(wait=True)
            for decoder, _ in decoders:
                decoder.close()

    def _segment_batch(
        self, buf: np.ndarray, unique: np.ndarray, gidx: np.ndarray, spec: OutputSpec
    ) -> FrameBatch:
        frames = buf if len(unique) == len(gidx) else buf[np.searchsorted(unique, gidx)]
        return self._as_batch(frames, gidx, spec)

    def _as_batch(self, frames: np.ndarray, indices: np.ndarray, spec: OutputSpec) -> FrameBatch:
        """Frames ``indices`` of this video, decoded to ``spec``, as a batch."""
        return FrameBatch(
            frames=frames,
            timestamps=self._pts_seconds[indices],
            indices=indices,
            columns=list(spec.format[:3]) if spec.format != "gray" else ["gray"],
            meta={"path": self.path},
        )

    def _iter_segments_serial(
        self, groups: list[np.ndarray], spec: OutputSpec
    ) -> Iterator[FrameBatch]:
        decoder = self._new_decoder()  # private: interleaved video[i] calls do not disturb it
        converter = Converter()
        try:
            frames_iter = decoder.decode(np.concatenate(groups))
            current: tuple[int, av.VideoFrame] | None = None
            for gidx in groups:
                unique = np.unique(gidx)
                buf = np.empty((len(unique), *spec.shape), np.uint8)
                for k, want in enumerate(unique.tolist()):
                    while current is None or current[0] < want:
                        current = next(frames_iter)
                    buf[k] = converter.convert(current[1], spec)
                yield self._segment_batch(buf, unique, gidx, spec)
        finally:
            decoder.close()


def _reopen(args: dict[str, Any]) -> Video:
    args = dict(args)
    return open_video(args.pop("path"), **args)
