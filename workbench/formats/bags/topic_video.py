"""An image topic of a bag, opened like a video: ``wb.open_video(bag, topic=...)``.

:class:`TopicVideo` has the interface of :class:`workbench.video.Video` (``len``, ``[i]``,
``metadata``, ``pts_seconds``, ``keyframe_indices``, ``get_frame_at``, ``get_frames_at``,
``get_frame_played_at``, ``get_frames_played_at``, ``get_keyframe_preview``,
``iter_batches``), so the scrubber, filmstrip and exports use it unchanged. Every message
is a keyframe: frame ``i`` costs reading one message (its chunk is decompressed once and
kept while neighbours are read) and decoding one image.

``pts_seconds`` count from the topic's first message (like a video's presentation
times); :attr:`TopicVideo.start_timestamp` is that message's absolute log time, so
``start_timestamp + pts_seconds`` are the absolute times the catalog and readers use.

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.samples.bags import write_sample_bag
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> bag = write_sample_bag(tmp / "drive.bag", duration_seconds=2)
>>> v = open_image_topic(bag, "/dashcam/image_raw/compressed", cache=tmp / "c")
>>> len(v), v[3].shape, v.pts_seconds[:3].round(2).tolist()
(20, (180, 320, 3), [0.0, 0.1, 0.2])
>>> v.get_frames_at([5, 1], resize_rate=0.5).frames.shape
(2, 90, 160, 3)
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import CorruptMediaError, FrameIndexError, InvalidArgumentError
from workbench.formats.bags.bag import Bag, open_bag
from workbench.formats.bags.images import SUPPORTED_ENCODINGS, image_size, is_image_type, to_frame
from workbench.options import ReadOptions
from workbench.video.batch import FrameBatch
from workbench.video.frames import OutputSpec
from workbench.video.video import VideoBase

if TYPE_CHECKING:
    from workbench.readers.source import SourceLike

__all__ = ["TopicVideo", "open_image_topic"]

#: decoded frames kept for stepping back and forth (full size, RGB)
DEFAULT_FRAME_CACHE_BYTES = 96 * 2**20


def _check_image_topic(bag: Bag, topic: str) -> None:
    entry = bag.store.entry(topic)  # unknown topic: the error lists them
    if not is_image_type(entry.msgtype):
        images = [t.topic for t in bag.topics() if is_image_type(t.msgtype)]
        raise InvalidArgumentError(
            f"topic {topic!r} of {bag.path.name} is {entry.msgtype}, not an image topic; image "
            f"topics there: {', '.join(images) or 'none'} (read series with wb.read(..., "
            "topic=...))"
        )
    if entry.count == 0:
        raise CorruptMediaError(f"image topic {topic!r} of {bag.path.name} has no messages")


class TopicVideo(VideoBase):
    """Frame-accurate random access to an image topic. Use :func:`open_image_topic`.

    Indexing and ``iter_batches`` are :class:`VideoBase`'s.
    """

    def __init__(
        self,
        bag: Bag,
        topic: str,
        *,
        frame_cache_bytes: int = DEFAULT_FRAME_CACHE_BYTES,
        open_args: dict[str, Any] | None = None,
    ) -> None:
        _check_image_topic(bag, topic)
        self.bag = bag
        self.topic = topic
        self.index_event = bag.index_event
        entry = bag.store.entry(topic)
        self.msgtype = entry.msgtype
        self._time_ns = entry.time_ns
        self.start_timestamp = float(entry.time_ns[0]) / 1e9
        pts = (entry.time_ns - entry.time_ns[0]).astype(np.float64) / 1e9
        pts.flags.writeable = False
        self._pts_seconds = pts
        self._lock = threading.RLock()
        self._cache: OrderedDict[tuple[int, tuple[int, int] | None, str], np.ndarray] = (
            OrderedDict()
        )
        self._cache_bytes = 0
        self._cache_limit = int(frame_cache_bytes)
        self._open_args = open_args or {}
        first = self._message(0)
        try:
            self.width, self.height = image_size(first, self.msgtype)
        except Exception as exc:  # the first image does not even have a readable header
            raise CorruptMediaError(
                f"the first image of topic {topic!r} in {bag.path.name} cannot be read ({exc})"
            ) from None
        self._coded_size = (self.width, self.height)
        self._encoding = str(getattr(first, "format", "") or getattr(first, "encoding", ""))
        n = len(pts)
        self._frame_duration = float(np.median(np.diff(pts))) if n > 1 else 0.1
        self._metadata: Any = None

    # -- facts -------------------------------------------------------------------------
    @property
    def path(self) -> str:
        """The recording (file or ROS 2 folder)."""
        return str(self.bag.path)

    def __len__(self) -> int:
        return len(self._pts_seconds)

    @property
    def pts_seconds(self) -> np.ndarray:
        """float64 seconds since the topic's first message (read-only)."""
        return self._pts_seconds

    @property
    def timestamps(self) -> np.ndarray:
        """float64 absolute log time of every frame."""
        return self.start_timestamp + self._pts_seconds

    @property
    def keyframe_indices(self) -> np.ndarray:
        """Every message is a keyframe."""
        return np.arange(len(self), dtype=np.int64)

    @property
    def metadata(self) -> Any:
        """A :class:`workbench.video.VideoMetadata` describing the topic."""
        if self._metadata is None:
            from workbench.video.video import VideoMetadata

            n = len(self)
            end = float(self._pts_seconds[-1]) + self._frame_duration
            self._metadata = VideoMetadata(
                path=self.path,
                codec=self._encoding or self.msgtype.rsplit("/", 1)[-1],
                width=self.width,
                height=self.height,
                coded_width=self.width,
                coded_height=self.height,
                rotation=0,
                num_frames=n,
                fps=n / end if end > 0 else 0.0,
                real_fps=1.0 / self._frame_duration if self._frame_duration > 0 else 0.0,
                duration_seconds=end,
                start_seconds=0.0,
                end_seconds=end,
                time_base=Fraction(1, 10**9),
                pix_fmt=self._encoding,
                has_b_frames=False,
                bit_rate=0,
                stream_index=-1,
                container_format=self.bag.index.kind,
                truncated=self.bag.truncated,
            )
        return self._metadata

    def record_fields(self) -> dict[str, Any]:
        """What a reader needs to read this topic again (path, topic, absolute start)."""
        from workbench.formats.bags.layout import content_type_of_recording

        return {
            "path": self.path,
            "contents": self.topic,
            "content_type": content_type_of_recording(self.path),
            "start_timestamp": self.start_timestamp,
            "end_timestamp": float(self.timestamps[-1]),
        }

    def __repr__(self) -> str:
        return (
            f"<TopicVideo {Path(self.path).name!r} {self.topic} {self.width}x{self.height} "
            f"{len(self)} frames>"
        )

    # -- life cycle --------------------------------------------------------------------
    def close(self) -> None:
        """Close the recording's files and drop cached frames (idempotent)."""
        with self._lock:
            self.bag.close()
            self._cache.clear()
            self._cache_bytes = 0

    def __reduce__(self) -> tuple[Any, ...]:
        return (_reopen, (self._open_args,))

    # -- decoding ----------------------------------------------------------------------
    def _message(self, i: int) -> Any:
        return self.bag.store.decode(self.topic, [i])[0]

    def _normalize(self, i: Any) -> int:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise InvalidArgumentError(f"frame index must be an int, not {type(i).__name__}: {i!r}")
        n = len(self)
        if not -n <= int(i) < n:
            raise FrameIndexError(
                f"frame index {i} is out of range for topic {self.topic!r} of "
                f"{Path(self.path).name}, which has {n} frames (valid: {-n} .. {n - 1})"
            )
        return int(i) + n if int(i) < 0 else int(i)

    def _size(self, spec: OutputSpec) -> tuple[int, int] | None:
        """The size to decode to, ``None`` for the images' own (decoded without resizing)."""
        size = (spec.width, spec.height)
        return None if size == (self.width, self.height) else size

    def _decode(self, i: int, msg: Any, size: tuple[int, int] | None, format: str) -> np.ndarray:
        want = size or (self.width, self.height)
        try:
            frame = to_frame(msg, self.msgtype, size=want, format=format)
        except CorruptMediaError as exc:
            t = float(self._time_ns[i]) / 1e9
            raise CorruptMediaError(
                f"frame {i} of topic {self.topic!r} at {t:.6f} s (absolute) in "
                f"{Path(self.path).name} is damaged: {exc}"
            ) from None
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(
                f"topic {self.topic!r} of {Path(self.path).name}: {exc}"
            ) from None
        return frame

    def _frames(
        self, unique: Sequence[int], size: tuple[int, int] | None, format: str
    ) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        todo = []
        with self._lock:
            for i in unique:
                hit = self._cache.get((i, size, format))
                if hit is not None:
                    self._cache.move_to_end((i, size, format))
                    out[i] = hit
                else:
                    todo.append(i)
            if todo:
                for i, msg in zip(todo, self.bag.store.decode(self.topic, todo), strict=True):
                    frame = self._decode(i, msg, size, format)
                    out[i] = frame
                    self._remember((i, size, format), frame)
        return out

    def _remember(self, key: tuple[int, tuple[int, int] | None, str], frame: np.ndarray) -> None:
        if frame.nbytes > self._cache_limit:
            return
        self._cache[key] = frame
        self._cache_bytes += frame.nbytes
        while self._cache_bytes > self._cache_limit:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= old.nbytes

    def _frame_at(self, i: int, spec: OutputSpec) -> np.ndarray:
        i = self._normalize(i)
        return self._frames([i], self._size(spec), spec.format)[i]

    _keyframe_preview = _frame_at  # every message is a keyframe

    def keyframe_for(self, i: int) -> int:
        """Every frame is its own keyframe."""
        return self._normalize(i)

    def _frames_at(self, indices: Sequence[int] | np.ndarray, spec: OutputSpec) -> FrameBatch:
        idx = np.asarray(indices).reshape(-1)
        if idx.size and idx.dtype.kind not in "iu":
            raise InvalidArgumentError(f"frame indices must be integers, got dtype {idx.dtype}")
        idx = np.array([self._normalize(int(i)) for i in idx.tolist()], dtype=np.int64)
        frames = np.empty((len(idx), *spec.shape), np.uint8)
        got = self._frames(sorted(set(idx.tolist())), self._size(spec), spec.format)
        for slot, i in enumerate(idx.tolist()):
            frames[slot] = got[i]
        return FrameBatch(
            frames=frames,
            timestamps=self._pts_seconds[idx],
            indices=idx,
            columns=["gray"] if spec.format == "gray" else list(spec.format[:3]),
            meta={"path": self.path, "topic": self.topic},
        )

    def index_played_at(self, seconds: float) -> int:
        """Index of the frame on screen at ``seconds`` (since the first message)."""
        t = float(seconds)
        end = float(self._pts_seconds[-1]) + self._frame_duration
        if not (math.isfinite(t) and 0.0 <= t < end):
            raise FrameIndexError(
                f"time {seconds} s is outside topic {self.topic!r}, which plays from 0 s to "
                f"{end:.6g} s (end excluded)"
            )
        return int(np.searchsorted(self._pts_seconds, t, side="right") - 1)

    def _iter_window(self, options: ReadOptions) -> Iterator[FrameBatch]:
        from workbench.readers.base import sample_frames

        spec = self._spec(options.resize_rate, options.size, options.format)
        end = float(self._pts_seconds[-1]) + self._frame_duration
        lo = 0.0 if options.start is None else max(0.0, options.start)
        hi = end if options.end is None else min(end, options.end)
        if hi <= lo:
            return
        idx, _, instants = sample_frames(
            self._pts_seconds,
            self._frame_duration,
            start=lo,
            end=hi,
            rate=options.target_frame_rate,
        )
        seg = np.floor((instants - lo) / options.segment_duration).astype(np.int64)
        for part in np.split(idx, np.flatnonzero(np.diff(seg)) + 1):
            if len(part):
                yield self._frames_at(part, spec)


def open_image_topic(
    source: SourceLike,
    topic: str | None = None,
    *,
    cache: Any = None,
    frame_cache_bytes: int = DEFAULT_FRAME_CACHE_BYTES,
) -> TopicVideo:
    """Open an image topic of a bag for random access (the index is cached).

    Parameters
    ----------
    source : str, os.PathLike, Record or row dict
        The recording, or a catalog row of the topic (its ``contents`` is the topic).
    topic : str, optional
        The image topic; default: the record's ``contents``.
    cache : None, False or path
        Index cache folder (as for ``open_video``).

    Raises
    ------
    InvalidArgumentError
        No topic given, the topic does not exist (the message lists them) or is not an
        image topic.
    """
    path, topic = _path_and_topic(source, topic)
    bag = open_bag(path, cache=cache)
    try:
        return TopicVideo(
            bag,
            topic,
            frame_cache_bytes=frame_cache_bytes,
            open_args={"source": str(path), "topic": topic, "cache": cache},
        )
    except BaseException:
        bag.close()
        raise


def _path_and_topic(source: SourceLike, topic: str | None) -> tuple[Path, str]:
    import os

    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        contents = None
    else:
        raw = source.get("path") if isinstance(source, dict) else getattr(source, "path", None)
        if raw is None:
            raise InvalidArgumentError(
                f"cannot open an image topic of a {type(source).__name__}; pass a bag path "
                "or a catalog record of the topic"
            )
        path = Path(raw)
        contents = (
            source.get("contents")
            if isinstance(source, dict)
            else getattr(source, "contents", None)
        )
    topic = topic or contents
    if not topic:
        raise InvalidArgumentError(
            f"which topic of {path.name}? pass topic='/camera/...' (see "
            "workbench.formats.bags.open_bag(path).topics())"
        )
    return path, str(topic)


#: content types whose records are bags (their ``contents`` is a topic)
BAG_CONTENT_TYPES = ("application/x-rosbag", "application/x-ros2bag", "application/x-mcap")


def open_scrub_topic(src: SourceLike) -> TopicVideo | None:
    """The image topic a resolved source names (a bag record), or None for other sources.

    Sets ``src.start_timestamp`` to the topic's first message, the origin of its
    ``pts_seconds``, so ``start_timestamp + pts_seconds`` are absolute log times.
    """
    if str(src.content_type).split(";")[0].strip().lower() not in BAG_CONTENT_TYPES:
        return None
    contents = src.metadata.get("contents")
    video = open_image_topic(src.path, contents if isinstance(contents, str) else None)
    src.start_timestamp = video.start_timestamp
    return video


def _reopen(args: dict[str, Any]) -> TopicVideo:
    return open_image_topic(args["source"], args["topic"], cache=args["cache"])


__all__ += ["SUPPORTED_ENCODINGS"]
