"""``export_clip``: cut a time window of a video into its own file.

When the window starts on a keyframe, ends on a keyframe (or at the end of the file) and
nothing is transformed, the packets are copied as they are: instant and lossless.
Otherwise the frames are decoded through the segmented reader (sampled / resized as
asked) and re-encoded with libx264 (``crf`` 20, ``preset`` veryfast by default). Either
way the clip is written under a temp name and renamed, so a failure never leaves a
partial file.

Examples
--------
>>> import workbench as wb
>>> wb.export_clip("camera_01.mp4", "clip.mp4", start=10.0, end=20.0)   # doctest: +SKIP
ClipResult(method='copy', frames=300, ...)
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, InvalidArgumentError
from workbench.export.atomic import atomic_path, check_writable, export_error, reason
from workbench.options import ReadOptions
from workbench.readers.api import read
from workbench.readers.base import output_size
from workbench.readers.source import SourceLike
from workbench.readers.video import VideoReader
from workbench.remote import require_local
from workbench.video.encode import (
    DEFAULT_CRF,
    DEFAULT_PRESET,
    H264Settings,
    even_size,
    h264_codec,
    open_h264,
)

__all__ = ["ClipResult", "can_copy", "estimate_clip_bytes", "export_clip"]

_CONTAINERS = (".mp4", ".mov", ".mkv", ".m4v")
#: libx264's default keyframe interval (export_clip does not change it)
X264_KEYINT = 250
#: decoded bytes per segment while re-encoding (bounds memory at full resolution)
CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ClipResult:
    """What :func:`export_clip` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The clip.
    method : str
        ``"copy"`` (packets copied, lossless) or ``"encode"`` (re-encoded with libx264).
    frames : int
        Frames in the clip.
    start, end : float
        Absolute times of the first frame and of the end of the last one.
    bytes : int
        Size of the clip.
    seconds : float
        Wall time of the call.
    """

    path: Path
    method: str
    frames: int
    start: float
    end: float
    bytes: int
    seconds: float


def _copy_packets(reader: VideoReader, first: int, stop: int, tmp: Path) -> int:
    """Copy the packets of frames ``[first, stop)`` (a keyframe-aligned run) into ``tmp``."""
    import av

    video = reader.video
    pts_s = np.asarray(video.pts_seconds, dtype="float64")
    n = len(pts_s)
    half = (float(np.median(np.diff(pts_s))) if n > 1 else 0.04) / 2
    t_first = pts_s[first]
    t_stop = pts_s[stop] if stop < n else math.inf
    written = 0
    try:
        # the Video's own source opens local files and URLs alike (fsspec for URLs)
        with video.source.open() as inp, av.open(str(tmp), "w") as out:
            ist = inp.streams.video[0]
            ost = out.add_stream_from_template(ist)
            tb = ist.time_base
            shift = round(t_first / tb) if tb else 0
            inp.seek(max(0, shift), stream=ist, backward=True, any_frame=False)
            for pkt in inp.demux(ist):
                if pkt.size == 0 or pkt.pts is None:
                    continue
                t = float(pkt.pts * tb)
                if t < t_first - half:
                    continue
                if t >= t_stop - half:
                    if pkt.is_keyframe:
                        break
                    continue
                pkt.pts -= shift
                if pkt.dts is not None:
                    pkt.dts -= shift
                pkt.stream = ost
                out.mux(pkt)
                written += 1
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(
            f"cannot copy packets from {reader.source.path} ({exc}); the file may be damaged"
        ) from exc
    return written


def can_copy(indices: np.ndarray, num_frames: int, keyframes: Any, transform: bool) -> bool:
    """Whether a clip of frames ``indices`` is made by copying packets (no re-encoding).

    True when nothing is transformed and the frames are one run that starts on a
    keyframe and ends at a keyframe or at the end of the video.

    Examples
    --------
    >>> can_copy(np.arange(30, 60), 90, [0, 30, 60], transform=False)
    True
    >>> can_copy(np.arange(31, 60), 90, [0, 30, 60], transform=False)
    False
    """
    if transform or len(indices) == 0:
        return False
    kf = set(np.asarray(keyframes).tolist())
    first, stop = int(indices[0]), int(indices[-1]) + 1
    contiguous = len(indices) == stop - first
    return contiguous and first in kf and (stop >= num_frames or stop in kf)


def estimate_clip_bytes(
    sample: np.ndarray,
    total_frames: int,
    rate: float,
    *,
    crf: int = DEFAULT_CRF,
    preset: str = DEFAULT_PRESET,
) -> int:
    """Estimate the size of a re-encoded clip of ``total_frames`` frames from a sample.

    ``sample`` holds the first consecutive frames of the clip ``(N, H, W, 3)`` (at the
    output size, even width and height). They are encoded with the clip's own settings;
    the estimate is one keyframe per :data:`X264_KEYINT` frames at the sample's keyframe
    size plus the other frames at the sample's mean inter-frame size.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((4, 64, 64, 3), np.uint8)
    >>> 0 < estimate_clip_bytes(frames, 100, 30.0) < 100_000
    True
    """
    import av

    _, h, w, _ = sample.shape
    codec = h264_codec(rate=rate, width=w, height=h, settings=H264Settings(crf, preset))
    sizes: list[tuple[int, bool]] = []
    for k, arr in enumerate(sample):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), "rgb24")
        frame.pts = round(k * 1000 / rate)
        sizes += [(p.size, bool(p.is_keyframe)) for p in codec.encode(frame)]
    sizes += [(p.size, bool(p.is_keyframe)) for p in codec.encode(None)]
    key = [b for b, is_key in sizes if is_key] or [max(b for b, _ in sizes)]
    inter = [b for b, is_key in sizes if not is_key] or key
    keyframes = max(1, math.ceil(total_frames / X264_KEYINT))
    others = max(0, total_frames - keyframes)
    return int(keyframes * np.mean(key) + others * np.mean(inter))


def _encode(
    reader: VideoReader,
    tmp: Path,
    rate: float,
    crf: int,
    preset: str,
    progress: bool,
    total: int,
) -> int:
    import av
    from tqdm.auto import tqdm

    h, w, _ = reader.frame_shape()
    frames = 0
    bar = tqdm(total=total, unit="frame", disable=not progress, desc="clip")
    try:
        with av.open(str(tmp), "w") as out:
            settings = H264Settings(crf, preset)
            stream = open_h264(out, rate=rate, width=w, height=h, settings=settings)
            for batch in reader:
                for arr in batch.frames:
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), "rgb24")
                    frame.pts = frames
                    out.mux(stream.encode(frame))
                    frames += 1
                bar.update(len(batch))
            out.mux(stream.encode(None))
    finally:
        bar.close()
    return frames


def export_clip(
    source: SourceLike,
    out_path: str | os.PathLike[str],
    *,
    start: float,
    end: float,
    target_frame_rate: float | None = None,
    resize_rate: float | None = None,
    size: tuple[int, int] | None = None,
    crf: int = DEFAULT_CRF,
    preset: str = DEFAULT_PRESET,
    progress: bool = True,
    storage_options: dict[str, Any] | None = None,
) -> ClipResult:
    """Write the frames of ``source`` in ``[start, end)`` (absolute seconds) to ``out_path``.

    Parameters
    ----------
    source : Record, dict, path, URL or Video
        The video to cut (a local file, an fsspec URL such as ``"s3://bucket/cam.mp4"``,
        or a Video opened from either).
    out_path : str or os.PathLike
        The clip to write (``.mp4``, ``.mov``, ``.mkv``); replaced atomically if it exists.
    start, end : float
        Absolute window in seconds, on the axis of the reader's timestamps.
    target_frame_rate : float, optional
        Re-sample to this rate (forces re-encoding).
    resize_rate, size : optional
        Scale factor or ``(width, height)`` (forces re-encoding; sizes are rounded
        down to even numbers for yuv420p).
    crf, preset : optional
        libx264 quality and speed when re-encoding.
    progress : bool
        Show a ``tqdm.auto`` bar while re-encoding.
    storage_options : dict, optional
        fsspec options for a URL source; the clip itself is written locally.

    Returns
    -------
    ClipResult
        Path, method (``"copy"`` or ``"encode"``), frames, window, bytes, seconds.

    Raises
    ------
    InvalidArgumentError
        ``start >= end``, negative rates, a window outside the video, a source that is
        not a video, or an unsupported container suffix.
    ExportError
        The output cannot be written (folder, permissions, disk full); nothing is left.
    CorruptMediaError
        The video cannot be decoded in the window; nothing is left.

    Examples
    --------
    >>> import workbench as wb
    >>> r = wb.export_clip(rec, "brake.mp4", start=rec.start_timestamp + 12,
    ...                    end=rec.start_timestamp + 18)            # doctest: +SKIP
    >>> r.method, r.frames                                          # doctest: +SKIP
    ('encode', 180)
    """
    if start is None or end is None:
        raise InvalidArgumentError("export_clip needs both start= and end= (absolute seconds)")
    options = ReadOptions.from_keywords(locals(), where="export_clip")
    t_call = time.perf_counter()
    require_local(out_path, "out_path")
    out_path = Path(out_path)
    if out_path.suffix.lower() not in _CONTAINERS:
        raise InvalidArgumentError(
            f"out_path={str(out_path)!r} must end in one of {', '.join(_CONTAINERS)}"
        )
    window = ReadOptions(start=options.start, end=options.end)
    probe = read(source, options=window, storage_options=storage_options)
    if not isinstance(probe, VideoReader):
        raise InvalidArgumentError(
            f"export_clip needs a video; {probe.source.path} is {probe.source.content_type}"
        )
    _, _, _, width, height = probe.axis()
    w, h = output_size(width, height, resize_rate, size)
    even = even_size(w, h)  # export_clip chooses the size: the even one just below
    transform = target_frame_rate is not None or (w, h) != (width, height) or even != (w, h)
    fps = float(getattr(probe.video.metadata, "fps", 0) or 0) or 30.0
    per_second = even[0] * even[1] * 3 * (target_frame_rate or fps)
    encoded = window.replace(
        target_frame_rate=target_frame_rate,
        size=even if (w, h) != (width, height) or even != (w, h) else None,
        segment_duration=max(0.05, min(10.0, CHUNK_BYTES / per_second)),
    )
    reader = read(probe.source, options=encoded)
    assert isinstance(reader, VideoReader)
    reader._video = probe.video
    indices, timestamps, _ = reader.sample_plan()
    if len(indices) == 0:
        raise InvalidArgumentError(
            f"no frame of {reader.source.path} lies in start={start}, end={end}"
        )
    check_writable(out_path.parent)
    times, duration, keyframes, _, _ = reader.axis()
    first, stop = int(indices[0]), int(indices[-1]) + 1
    with atomic_path(out_path, fsync=True) as tmp:
        if can_copy(indices, len(times), keyframes, transform):
            frames = _copy_packets(reader, first, stop, tmp)
            if frames != len(indices):
                raise CorruptMediaError(
                    f"copied {frames} packets for {len(indices)} frames from "
                    f"{reader.source.path}; the file's packets do not match its index"
                )
            method = "copy"
        else:
            rate = target_frame_rate or fps
            frames = _encode(reader, tmp, rate, crf, preset, progress, len(indices))
            method = "encode"
    try:
        nbytes = out_path.stat().st_size
    except OSError as exc:  # pragma: no cover - the rename just succeeded
        raise export_error(exc.errno, f"cannot stat {out_path}: {reason(exc)}") from exc
    end_t = float(timestamps[-1] + (1.0 / target_frame_rate if target_frame_rate else duration))
    return ClipResult(
        path=out_path,
        method=method,
        frames=frames,
        start=float(timestamps[0]),
        end=end_t,
        bytes=nbytes,
        seconds=time.perf_counter() - t_call,
    )
