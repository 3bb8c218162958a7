"""Encode synthetic dashcam videos, including the hard cases a decoder must get right.

:func:`make_video` encodes the scene of :mod:`workbench.samples.scene` with PyAV
(libx264, libx265, libvpx-vp9 or libsvtav1), with exact control of GOP length, B-frames,
AV1 hidden frames shown later, open GOPs, variable frame rate, start time, an audio
track placed before the video track, odd sizes and rotation metadata.
:func:`make_edit_list_cut` stream-copies an MP4 from the middle of a GOP so that the
MP4 muxer writes an edit list.

Examples
--------
>>> import tempfile, pathlib, av
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> path = make_video(d / "a.mp4", size=(160, 96), frames=10, gop=5)
>>> with av.open(str(path)) as c:
...     [p.is_keyframe for p in c.demux(video=0) if p.size][:6]
[True, False, False, False, False, True]
"""

from __future__ import annotations

import contextlib
import math
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from workbench.errors import CorruptMediaError, InvalidArgumentError, SourceNotFoundError
from workbench.samples.drive import Drive, simulate_drive
from workbench.samples.framecode import MAX_FRAME_CODE
from workbench.samples.scene import SceneRenderer

__all__ = ["CODECS", "CONTAINERS", "PRESETS", "frame_times", "make_edit_list_cut", "make_video"]

#: codec name accepted by :func:`make_video` -> FFmpeg encoder used
CODECS = {"h264": "libx264", "hevc": "libx265", "vp9": "libvpx-vp9", "av1": "libsvtav1"}
#: file suffix -> (FFmpeg muxer, codecs it may hold)
CONTAINERS = {
    ".mp4": ("mp4", ("h264", "hevc", "av1")),
    ".mov": ("mov", ("h264", "hevc")),
    ".mkv": ("matroska", ("h264", "hevc", "vp9", "av1")),
    ".webm": ("webm", ("vp9", "av1")),
}
#: default constant rate factor per codec (lower = better quality, bigger file)
DEFAULT_CRF = {"h264": 20, "hevc": 24, "vp9": 32, "av1": 40}
#: codecs without B-frames or open GOPs in :func:`make_video` (their own prediction schemes)
_NO_BFRAMES = ("vp9", "av1")
#: SVT-AV1 mini-GOP: 2**levels frames predicted hierarchically in random-access mode; its
#: last frame (an alt-ref) and the middle ones are coded early as hidden frames inside an
#: earlier packet and shown later by tiny "show existing frame" packets
AV1_HIERARCHICAL_LEVELS = 3
#: SVT-AV1 speed preset (0 slowest .. 13 fastest)
AV1_PRESET = 12
#: time base of variable-frame-rate videos (the MPEG 90 kHz clock)
VFR_TIME_BASE = Fraction(1, 90000)
#: frame-duration multipliers (of 1/fps) that variable-frame-rate videos draw from
VFR_STEPS = (0.5, 1.0, 1.0, 1.0, 1.5, 2.0, 3.0)
#: x264/x265 presets, fastest first (ignored by vp9, which always uses realtime, cpu-used 8,
#: and by av1, which uses :data:`AV1_PRESET`)
PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)
_ROTATIONS = (0, 90, 180, 270, -90)
_AUDIO_RATE = 48000


def _invalid(msg: str) -> InvalidArgumentError:
    return InvalidArgumentError(msg)


def _check_int(name: str, value: object, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise _invalid(f"{name}={value!r} is not an integer; pass an int >= {lo}")
    if value < lo or (hi is not None and value > hi):
        allowed = f">= {lo}" if hi is None else f"from {lo} to {hi}"
        raise _invalid(f"{name}={value!r} is out of range; allowed: {allowed}")
    return int(value)


def _check_fps(fps: object) -> Fraction:
    if isinstance(fps, bool) or not isinstance(
        fps, (int, float, Fraction, np.integer, np.floating)
    ):
        raise _invalid(f"fps={fps!r} is not a number; pass e.g. 30, 25 or Fraction(30000, 1001)")
    rate = Fraction(fps).limit_denominator(1001) if not isinstance(fps, Fraction) else fps
    if not (0 < rate <= 240) or not math.isfinite(float(fps)):
        raise _invalid(f"fps={fps!r} is out of range; allowed: more than 0, at most 240")
    return rate


def _check_size(size: object) -> tuple[int, int]:
    ok = (
        isinstance(size, Sequence)
        and not isinstance(size, str)
        and len(size) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
    )
    if not ok:
        raise _invalid(f"size={size!r} must be two integers (width, height), e.g. (1280, 720)")
    w, h = int(size[0]), int(size[1])  # type: ignore[index]
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise _invalid(f"size={size!r} is out of range; width and height must be 16 to 8192")
    return w, h


def frame_times(
    frames: int,
    fps: float | Fraction = 30,
    *,
    vfr: bool = False,
    start_pts: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, Fraction]:
    """Presentation times that :func:`make_video` gives its frames.

    Parameters
    ----------
    frames, fps, vfr, start_pts, seed
        As for :func:`make_video`.

    Returns
    -------
    pts : numpy.ndarray
        int64 pts of every frame, in ``time_base`` ticks, strictly increasing.
    time_base : fractions.Fraction
        ``1/fps`` for constant frame rate; :data:`VFR_TIME_BASE` (1/90000) when ``vfr``.

    Notes
    -----
    With ``vfr=True`` every frame lasts ``step / fps`` seconds, ``step`` drawn (seeded)
    from :data:`VFR_STEPS`. ``start_pts`` is in seconds and rounded to the nearest tick
    (so, at constant frame rate, to a multiple of ``1/fps``). Containers may store
    other time bases (MP4 picks its own timescale) but the times in seconds are the same.

    Examples
    --------
    >>> pts, tb = frame_times(4, 30, start_pts=1.0)
    >>> pts.tolist(), tb
    ([30, 31, 32, 33], Fraction(1, 30))
    """
    rate = _check_fps(fps)
    if vfr:
        tb = VFR_TIME_BASE
        rng = np.random.default_rng([seed, 7])
        steps = rng.choice(np.array(VFR_STEPS), size=frames)
        steps[0] = 0.0
        ticks_per_frame = float(1 / (rate * tb))
        offsets = np.round(np.cumsum(steps) * ticks_per_frame).astype(np.int64)
    else:
        tb = 1 / rate
        offsets = np.arange(frames, dtype=np.int64)
    start = round(float(start_pts) / float(tb))
    return offsets + start, tb


def _pick_pix_fmt(codec: str, size: tuple[int, int], pix_fmt: str | None) -> str:
    odd = size[0] % 2 or size[1] % 2
    if pix_fmt is None:
        return "yuv444p" if odd and codec not in _NO_BFRAMES else "yuv420p"
    supported = [f.name for f in av.Codec(CODECS[codec], "w").video_formats or []]
    if pix_fmt not in supported:
        raise _invalid(
            f"pix_fmt={pix_fmt!r} is not supported by {CODECS[codec]}; allowed: "
            f"{', '.join(supported)}"
        )
    subsampled = pix_fmt.startswith(("yuv420", "yuvj420", "nv12", "yuv422"))
    if odd and codec not in _NO_BFRAMES and subsampled:
        raise _invalid(
            f"size={size} is odd but pix_fmt={pix_fmt!r} subsamples chroma, which "
            f"{CODECS[codec]} refuses for odd sizes; pass pix_fmt=None (auto: yuv444p) "
            "or 'yuv444p', or use an even size"
        )
    return pix_fmt


def _x26x_params(gop: int, bframes: int, open_gop: bool, b_pyramid: str) -> list[str]:
    """The GOP structure in x264's and x265's shared option words (exact keyframe
    distance, no scene cuts, a fixed B-frame pattern)."""
    return [
        f"keyint={gop}",
        f"min-keyint={gop}",
        "scenecut=0",
        f"bframes={bframes}",
        "b-adapt=0",
        f"b-pyramid={b_pyramid}",
        f"open-gop={int(open_gop)}",
    ]


def _encoder_options(plan: _VideoPlan) -> dict[str, str]:
    """The encoder's options for the planned GOP structure and quality."""
    codec, gop, bframes, open_gop = plan.codec, plan.gop, plan.bframes, plan.open_gop
    crf, preset = plan.crf, plan.preset
    if codec == "h264":
        params = _x26x_params(gop, bframes, open_gop, "normal" if bframes >= 2 else "none")
        return {"preset": preset, "crf": str(crf), "x264-params": ":".join(params)}
    if codec == "hevc":
        params = _x26x_params(gop, bframes, open_gop, str(int(bframes >= 2)))
        params += ["pools=1", "frame-threads=1", "log-level=error"]
        return {"preset": preset, "crf": str(crf), "x265-params": ":".join(params)}
    if codec == "av1":
        params = [
            f"keyint={gop}",
            "scd=0",  # keyframes exactly every `gop` frames
            "pred-struct=2",  # random access: hidden alt-refs, shown later
            f"hierarchical-levels={AV1_HIERARCHICAL_LEVELS}",
            "lp=1",  # one thread: the same arguments give the same bytes
        ]
        return {"preset": str(AV1_PRESET), "crf": str(int(crf)), "svtav1-params": ":".join(params)}
    return {
        "crf": str(int(crf)),
        "b": "0",
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "row-mt": "0",
        "keyint_min": str(gop),
    }


def _sine_audio(seconds: float, codec_rate: int, seed: int) -> np.ndarray:
    """Engine-like hum (two sines) of ``seconds`` at ``codec_rate``, float32 mono."""
    n = max(1, round(seconds * codec_rate))
    t = np.arange(n) / codec_rate
    f0 = 90.0 + 10 * (seed % 5)
    wave = 0.2 * np.sin(2 * np.pi * f0 * t) + 0.05 * np.sin(2 * np.pi * 3.1 * f0 * t)
    return wave.astype(np.float32)


@contextlib.contextmanager
def _written_atomically(path: Path) -> Iterator[Path]:
    """Yield a temporary name beside ``path``; rename it to ``path`` when the block ends
    cleanly, delete it otherwise (a failure leaves nothing behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True, eq=False)
class _VideoPlan:
    """Every choice :func:`make_video` makes, checked, before a byte is written."""

    muxer: str
    codec: str
    width: int
    height: int
    rate: Fraction
    frames: int
    gop: int
    bframes: int
    open_gop: bool
    rotation: int
    audio: bool
    seed: int
    crf: float
    pix_fmt: str
    preset: str
    drive: Drive
    scene: SceneRenderer
    pts: np.ndarray
    time_base: Fraction

    @property
    def first(self) -> float:
        """Time of the first frame, seconds."""
        return float(self.pts[0] * self.time_base)

    @property
    def last(self) -> float:
        """Time of the last frame, seconds."""
        return float(self.pts[-1] * self.time_base)


def make_video(
    path: str | os.PathLike[str],
    *,
    codec: str = "h264",
    size: tuple[int, int] = (1280, 720),
    fps: float | Fraction = 30,
    frames: int = 90,
    gop: int = 30,
    bframes: int = 0,
    open_gop: bool = False,
    vfr: bool = False,
    rotation: int = 0,
    start_pts: float = 0.0,
    audio: bool = False,
    seed: int = 0,
    crf: float | None = None,
    pix_fmt: str | None = None,
    preset: str = "ultrafast",
    speed_profile: Drive | None = None,
    view: str = "front",
    label: str | None = None,
) -> Path:
    """Encode a synthetic driving video with exactly the structure asked for.

    Every frame shows a road scene with ``frame <i>  t=<seconds> s`` burnt in and a
    machine-readable code of ``i`` (read it back with
    :func:`~workbench.samples.read_frame_code`). The file is written to a temporary
    name beside ``path`` and renamed when complete, so a failure leaves nothing behind.
    Encoders run single-threaded, so the same arguments give byte-identical files.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; the suffix picks the container: ``.mp4`` (h264, hevc, av1),
        ``.mov`` (h264, hevc), ``.mkv`` (h264, hevc, vp9, av1), ``.webm`` (vp9, av1).
    codec : {"h264", "hevc", "vp9", "av1"}
        Encoder: libx264, libx265, libvpx-vp9 or libsvtav1. AV1 is encoded in SVT-AV1's
        random-access mode with mini-GOPs of ``2**AV1_HIERARCHICAL_LEVELS`` frames: most
        packets (temporal units) carry hidden frames that later 3-byte "show existing
        frame" packets present, as aomenc's alt-refs (``lag-in-frames``) do. Decode order
        equals presentation order (pts == dts), yet a decoder must have seen the earlier
        packet to show the later frame.
    size : (int, int)
        (width, height), 16 to 8192. Odd sizes are allowed: h264/hevc then use
        ``yuv444p`` (x264/x265 refuse 4:2:0 at odd sizes); vp9 and av1 keep ``yuv420p``.
    fps : float or Fraction
        Nominal frame rate (e.g. 30, 25, ``Fraction(30000, 1001)``).
    frames : int
        Number of frames, 1 to 2**20.
    gop : int
        Distance between keyframes in frames, exactly (scene-cut detection is off).
    bframes : int
        Consecutive B-frames (h264/hevc only; fixed pattern, pyramid when >= 2).
    open_gop : bool
        Open GOPs (h264/hevc; needs ``bframes >= 1`` and ``gop`` a multiple of
        ``bframes + 1``): keyframes after the first are non-IDR (x264 recovery-point
        I-frames, x265 CRA), and the ``bframes`` frames just before each of them in
        presentation order are B-frames decoded *after* it that also reference the
        previous GOP (HEVC RASL pictures): they cannot be decoded when decoding starts
        at that keyframe.
    vfr : bool
        Variable frame rate: frame durations of 0.5 to 3 frame periods (see
        :func:`frame_times`); time base 1/90000.
    rotation : {0, 90, 180, 270, -90}
        Display-matrix rotation in degrees counter-clockwise, as PyAV's
        ``VideoFrame.rotation`` reads it back (``-90`` is stored as ``270``). The pixels
        are not rotated. MP4/MOV only.
    start_pts : float
        Presentation time of the first frame, in **seconds** (rounded to the time base).
    audio : bool
        Add a mono 48 kHz audio track (AAC; Opus in WebM) as stream 0, *before* the
        video stream (which then is stream 1), covering the same time span.
    seed : int
        Drives the simulated drive (speed, braking), colours and VFR pattern.
    crf : float, optional
        Constant rate factor; default 20 (h264), 24 (hevc), 32 (vp9), 40 (av1).
    pix_fmt : str, optional
        Encoder pixel format; default ``yuv420p`` (``yuv444p`` for odd h264/hevc sizes).
    preset : str
        x264/x265 preset (default ``ultrafast``; the B-frame/GOP settings override it;
        see :data:`PRESETS`). VP9 always encodes in realtime mode, ``cpu-used`` 8; AV1
        with SVT-AV1 preset :data:`AV1_PRESET`.
    speed_profile : Drive, optional
        The drive to show (see :func:`workbench.samples.drive.simulate_drive`), time 0 at
        the first frame; default: simulated from ``seed``.
    view : {"front", "rear"}
        Camera direction: the rear view shows a following car with headlights.
    label : str, optional
        Text on the second overlay line (default: the view name).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InvalidArgumentError
        A bad argument; the message names it and lists what is allowed.

    Examples
    --------
    >>> import tempfile, pathlib, av
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> p = make_video(d / "b.mp4", size=(160, 96), frames=12, gop=6, bframes=2, audio=True)
    >>> with av.open(str(p)) as c:
    ...     [s.type for s in c.streams], c.streams.video[0].frames
    (['audio', 'video'], 12)
    >>> a = make_video(d / "c.mkv", codec="av1", size=(160, 96), frames=16, gop=16)
    >>> with av.open(str(a)) as c:
    ...     sizes = [p.size for p in c.demux(video=0) if p.size]
    >>> len(sizes), min(sizes) < 16  # tiny units that show a frame decoded earlier
    (16, True)
    """
    path = Path(path)
    plan = _plan_video(
        path,
        codec=codec,
        size=size,
        fps=fps,
        frames=frames,
        gop=gop,
        bframes=bframes,
        open_gop=open_gop,
        vfr=vfr,
        rotation=rotation,
        start_pts=start_pts,
        audio=audio,
        seed=seed,
        crf=crf,
        pix_fmt=pix_fmt,
        preset=preset,
        speed_profile=speed_profile,
        view=view,
        label=label,
    )
    if codec == "av1":  # SVT-AV1 prints its whole configuration unless told to log errors
        os.environ.setdefault("SVT_LOG", "1")
    with (
        _written_atomically(path) as tmp,
        av.open(str(tmp), "w", format=plan.muxer, options={"fflags": "+bitexact"}) as out,
    ):
        _encode_video(out, plan)
    return path


def _check_container(path: Path, codec: str) -> str:
    """The FFmpeg muxer for ``path``'s suffix, which must hold ``codec``."""
    suffix = path.suffix.lower()
    if suffix not in CONTAINERS:
        raise _invalid(
            f"cannot tell the container from {path.name!r}; use one of the suffixes "
            f"{', '.join(CONTAINERS)}"
        )
    if codec not in CODECS:
        raise _invalid(f"codec={codec!r} is not supported; allowed: {', '.join(CODECS)}")
    muxer, allowed = CONTAINERS[suffix]
    if codec not in allowed:
        raise _invalid(
            f"codec={codec!r} cannot go in a {suffix} file; {suffix} takes {', '.join(allowed)}"
        )
    return muxer


def _check_gop(codec: str, gop: object, bframes: object, open_gop: bool) -> tuple[int, int]:
    """``(gop, bframes)`` checked against the codec and the open-GOP rules."""
    gop = _check_int("gop", gop, 1, 10_000)
    bframes = _check_int("bframes", bframes, 0, 16)
    if codec in _NO_BFRAMES and bframes:
        raise _invalid(f"bframes={bframes} is not possible with codec={codec!r}; use h264 or hevc")
    if open_gop and codec in _NO_BFRAMES:
        raise _invalid(f"open_gop=True is not possible with codec={codec!r}; use h264 or hevc")
    if open_gop and bframes < 1:
        raise _invalid("open_gop=True needs bframes >= 1 (the leading B-frames make a GOP open)")
    if open_gop and gop % (bframes + 1):
        raise _invalid(
            f"open_gop=True needs gop to be a multiple of bframes + 1 (got gop={gop}, "
            f"bframes={bframes}) so that B-frames lead every keyframe; e.g. gop="
            f"{max(bframes + 1, gop // (bframes + 1) * (bframes + 1))}"
        )
    return gop, bframes


def _check_quality(codec: str, crf: float | None, preset: str) -> float:
    """``crf`` (default per codec) checked, and the x264/x265 preset."""
    max_crf = 63 if codec in _NO_BFRAMES else 51
    if crf is None:
        crf = DEFAULT_CRF[codec]
    elif isinstance(crf, bool) or not isinstance(crf, (int, float)) or not 0 <= crf <= max_crf:
        raise _invalid(f"crf={crf!r} is out of range for {codec}; allowed: 0 to {max_crf}")
    if codec not in _NO_BFRAMES and preset not in PRESETS:
        raise _invalid(
            f"preset={preset!r} is not an x264/x265 preset; allowed: {', '.join(PRESETS)}"
        )
    return crf


def _plan_video(
    path: Path,
    *,
    codec: str,
    size: tuple[int, int],
    fps: float | Fraction,
    frames: int,
    gop: int,
    bframes: int,
    open_gop: bool,
    vfr: bool,
    rotation: int,
    start_pts: float,
    audio: bool,
    seed: int,
    crf: float | None,
    pix_fmt: str | None,
    preset: str,
    speed_profile: Drive | None,
    view: str,
    label: str | None,
) -> _VideoPlan:
    """Check :func:`make_video`'s arguments (each error names the argument and what is
    allowed) and settle the defaults: pixel format, frame times, the drive shown."""
    muxer = _check_container(path, codec)
    width, height = _check_size(size)
    rate = _check_fps(fps)
    frames = _check_int("frames", frames, 1, MAX_FRAME_CODE + 1)
    gop, bframes = _check_gop(codec, gop, bframes, open_gop)
    seed = _check_int("seed", seed, 0)
    if rotation not in _ROTATIONS:
        raise _invalid(f"rotation={rotation!r} is not allowed; allowed: {_ROTATIONS}")
    if rotation and muxer not in ("mp4", "mov"):
        raise _invalid(f"rotation={rotation} needs an .mp4 or .mov file, not {path.suffix.lower()}")
    if isinstance(start_pts, bool) or not isinstance(start_pts, (int, float, np.number)):
        raise _invalid(f"start_pts={start_pts!r} must be a number of seconds >= 0")
    if not (0 <= float(start_pts) < 1e6):
        raise _invalid(f"start_pts={start_pts!r} is out of range; allowed: 0 <= seconds < 1e6")
    if view not in ("front", "rear"):
        raise _invalid(f"view={view!r} is not allowed; allowed: 'front', 'rear'")
    crf = _check_quality(codec, crf, preset)
    if speed_profile is not None and not isinstance(speed_profile, Drive):
        raise _invalid(
            f"speed_profile must be a workbench.samples.Drive (from simulate_drive), "
            f"not {type(speed_profile).__name__}"
        )
    pix_fmt = _pick_pix_fmt(codec, (width, height), pix_fmt)
    label = label or view
    scene = SceneRenderer(width, height, pix_fmt=pix_fmt, seed=seed, view=view, label=label)
    pts, time_base = frame_times(frames, rate, vfr=vfr, start_pts=float(start_pts), seed=seed)
    if speed_profile is None:
        span = float(pts[-1] * time_base) - float(pts[0] * time_base)
        speed_profile = simulate_drive(span + 1.0, seed=seed)
    return _VideoPlan(
        muxer=muxer,
        codec=codec,
        width=width,
        height=height,
        rate=rate,
        frames=frames,
        gop=gop,
        bframes=bframes,
        open_gop=open_gop,
        rotation=rotation,
        audio=audio,
        seed=seed,
        crf=crf,
        pix_fmt=pix_fmt,
        preset=preset,
        drive=speed_profile,
        scene=scene,
        pts=pts,
        time_base=time_base,
    )


def _add_video_stream(out: av.container.OutputContainer, plan: _VideoPlan) -> Any:
    """The video stream, its encoder set up for exactly the planned structure."""
    vstream = out.add_stream(
        CODECS[plan.codec],
        rate=plan.rate,
        options=_encoder_options(plan),
    )
    vstream.width, vstream.height, vstream.pix_fmt = plan.width, plan.height, plan.pix_fmt
    vstream.time_base = plan.time_base
    cc = vstream.codec_context
    cc.time_base = plan.time_base
    cc.gop_size = plan.gop
    cc.max_b_frames = plan.bframes
    cc.thread_count = 1
    if plan.codec == "hevc" and plan.muxer in ("mp4", "mov"):
        cc.codec_tag = "hvc1"
    if plan.rotation:
        vstream.set_display_rotation(plan.rotation % 360)
    return vstream


def _encode_video(out: av.container.OutputContainer, plan: _VideoPlan) -> None:
    """Render, encode and mux every frame (and the audio track, interleaved)."""
    astream = None
    if plan.audio:  # added first: the audio track is stream 0
        acodec = "libopus" if plan.muxer == "webm" else "aac"
        astream = out.add_stream(acodec, rate=_AUDIO_RATE, layout="mono")
    vstream = _add_video_stream(out, plan)
    first, time_base = plan.first, plan.time_base
    samples = (
        _sine_audio(plan.last - first + float(1 / plan.rate), _AUDIO_RATE, plan.seed)
        if astream is not None
        else None
    )
    audio_done = 0
    audio_start = round(first * _AUDIO_RATE)
    for i in range(plan.frames):
        t = float(plan.pts[i] * time_base)
        frame = plan.scene.render(i, t, plan.drive.at(t - first))
        frame.pts = int(plan.pts[i])
        frame.time_base = time_base
        out.mux(vstream.encode(frame))
        if samples is not None and astream is not None:
            until = min(len(samples), int((t - first + 0.1) * _AUDIO_RATE))
            audio_done = _mux_audio(out, astream, samples, audio_done, until, audio_start)
    out.mux(vstream.encode(None))
    if samples is not None and astream is not None:
        _mux_audio(out, astream, samples, audio_done, len(samples), audio_start)
        out.mux(astream.encode(None))


def _mux_audio(out, stream, samples: np.ndarray, done: int, until: int, start: int) -> int:  # type: ignore[no-untyped-def]
    """Encode ``samples[done:until]`` in 1024-sample frames; return the new ``done``."""
    chunk = 1024
    while done < until:
        part = samples[done : done + chunk]
        if len(part) < chunk and until < len(samples):
            break
        frame = av.AudioFrame.from_ndarray(part[None, :], format="flt", layout="mono")
        frame.sample_rate = _AUDIO_RATE
        frame.pts = start + done
        frame.time_base = Fraction(1, _AUDIO_RATE)
        out.mux(stream.encode(frame))
        done += len(part)
    return done


def make_edit_list_cut(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], start_seconds: float
) -> Path:
    """Stream-copy ``src`` (MP4/MOV) from mid-GOP so the MP4 muxer writes an edit list.

    The video packets are copied without re-encoding from the last keyframe at or
    before ``start_seconds`` (presentation time in ``src``, seconds) to the end. Times
    are shifted so the *cut frame* (the first frame whose pts >= ``start_seconds``)
    has pts 0; the packets before it get negative timestamps, which the MP4 muxer
    stores with an edit list (``elst`` media time = the cut frame's offset). Audio and
    other streams are dropped.

    What a reader sees in ``dst`` (FFmpeg's demuxer, as used by PyAV):

    * demuxing yields *all* copied packets, the leading ones (from the keyframe up to
      the cut) with negative pts and marked to be discarded;
    * a sequential decode (``container.decode(video=0)``) decodes those leading packets
      (they are needed as references) but drops their frames, so the first frame it
      yields is the cut frame, at pts 0, and then every later frame of ``src``.

    Parameters
    ----------
    src : str or os.PathLike
        A video made by :func:`make_video` (or any MP4/MOV with a video stream).
    dst : str or os.PathLike
        Output ``.mp4`` or ``.mov``; written atomically.
    start_seconds : float
        Where the cut starts, on ``src``'s presentation timeline.

    Returns
    -------
    pathlib.Path
        ``dst``.

    Examples
    --------
    >>> import tempfile, pathlib, av
    >>> from workbench.samples import read_frame_code
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> src = make_video(d / "src.mp4", size=(160, 96), frames=60, gop=30)
    >>> cut = make_edit_list_cut(src, d / "cut.mp4", 0.5)   # frame 15, mid-GOP
    >>> with av.open(str(cut)) as c:
    ...     first = next(c.decode(video=0))
    >>> read_frame_code(first.to_ndarray(format="rgb24")), first.pts
    (15, 0)
    """
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise SourceNotFoundError(f"make_edit_list_cut: {src} does not exist")
    if dst.suffix.lower() not in (".mp4", ".mov"):
        raise _invalid(f"dst={str(dst)!r} must end in .mp4 or .mov (edit lists are MP4/MOV)")
    if isinstance(start_seconds, bool) or not isinstance(start_seconds, (int, float)):
        raise _invalid(f"start_seconds={start_seconds!r} must be a number of seconds")
    try:
        inp = av.open(str(src))
    except av.FFmpegError as exc:
        raise CorruptMediaError(f"cannot open {src}: {exc}") from exc
    with inp:
        if not inp.streams.video:
            raise CorruptMediaError(f"{src} has no video stream to cut")
        ist = inp.streams.video[0]
        tb = ist.time_base
        packets = [p for p in inp.demux(ist) if p.size and p.pts is not None]
        if not packets:
            raise CorruptMediaError(f"{src} has no video packets")
        start_ticks = math.ceil(float(start_seconds) / float(tb) - 1e-6)
        later = [p.pts for p in packets if p.pts >= start_ticks]
        if not later:
            last = max(p.pts for p in packets) * float(tb)
            raise _invalid(
                f"start_seconds={start_seconds} is after the last frame of {src} (at {last:.3f} s)"
            )
        cut_pts = min(later)
        # last keyframe (decode order) whose pts is at or before the cut frame
        first = 0
        for k, p in enumerate(packets):
            if p.is_keyframe and p.pts <= cut_pts:
                first = k
        muxer = CONTAINERS[dst.suffix.lower()][0]
        with _written_atomically(dst) as tmp, av.open(str(tmp), "w", format=muxer) as out:
            ost = out.add_stream_from_template(ist)
            for p in packets[first:]:
                p.pts -= cut_pts
                if p.dts is not None:
                    p.dts -= cut_pts
                p.stream = ost
                out.mux(p)
    return dst
