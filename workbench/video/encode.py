"""One H.264 writer set-up: libx264 in yuv420p for a size, rate, crf and preset.

Every writer of H.264 (``export_clip``'s re-encode and size estimate, the datastore's
named video streams) sets its encoder up here, so they share one rule for frame sizes:
yuv420p halves the chroma planes, so libx264 needs an even width and height, and
:func:`open_h264` / :func:`configure_h264` refuse an odd size with an error naming it.
A caller that *chooses* the output size (an export resizing by ``resize_rate``) asks
:func:`even_size` for the even size just below it first; a caller *given* frames (a
stream written from the user's arrays) passes their size unchanged, so a pixel row is
never dropped silently.

Examples
--------
>>> import av, numpy as np, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "out.mp4"
>>> with av.open(str(path), "w") as out:
...     fast = H264Settings(crf=23, preset="ultrafast")
...     stream = open_h264(out, rate=10, width=32, height=16, settings=fast)
...     frame = av.VideoFrame.from_ndarray(np.zeros((16, 32, 3), np.uint8), "rgb24")
...     out.mux(stream.encode(frame)); out.mux(stream.encode(None))
>>> with av.open(str(path)) as inp:
...     s = inp.streams.video[0]; (s.codec_context.name, s.width, s.height)
('h264', 32, 16)
>>> even_size(33, 17)
(32, 16)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from workbench.errors import InvalidArgumentError

__all__ = [
    "DEFAULT_CRF",
    "DEFAULT_PRESET",
    "PIX_FMT",
    "H264Settings",
    "check_even_size",
    "configure_h264",
    "even_size",
    "h264_codec",
    "open_h264",
]

#: libx264 quality and speed unless a caller says otherwise
DEFAULT_CRF = 20
DEFAULT_PRESET = "veryfast"
#: the pixel format every H.264 file we write uses (the one every player decodes)
PIX_FMT = "yuv420p"


def even_size(width: int, height: int) -> tuple[int, int]:
    """The even size at or just below ``width`` x ``height`` (at least 2 x 2), for yuv420p.

    Examples
    --------
    >>> even_size(1920, 1080), even_size(481, 271), even_size(1, 1)
    ((1920, 1080), (480, 270), (2, 2))
    """
    return max(2, width - width % 2), max(2, height - height % 2)


def check_even_size(width: int, height: int) -> None:
    """Refuse an odd (or empty) frame size for H.264 in yuv420p, naming it.

    Raises
    ------
    InvalidArgumentError
        The width or height is odd.

    Examples
    --------
    >>> try:
    ...     check_even_size(480, 271)
    ... except ValueError as exc:
    ...     print(str(exc).split(";")[0])
    H.264 (yuv420p) needs even frame sizes, got 480x271
    """
    if width % 2 or height % 2 or width <= 0 or height <= 0:
        raise InvalidArgumentError(
            f"H.264 ({PIX_FMT}) needs even frame sizes, got {width}x{height}; crop or pad "
            f"the frames by one pixel"
        )


@dataclass(frozen=True)
class H264Settings:
    """How libx264 encodes: quality, speed and GOP structure.

    Attributes
    ----------
    crf, preset
        libx264's quality (lower is better) and speed.
    gop, max_b_frames
        Keyframe interval and B-frames; libx264's own defaults when ``None``.
    """

    crf: int = DEFAULT_CRF
    preset: str = DEFAULT_PRESET
    gop: int | None = None
    max_b_frames: int | None = None


def configure_h264(
    target: Any, width: int, height: int, settings: H264Settings = H264Settings()
) -> None:
    """Set up a libx264 encoder: a PyAV video stream or a codec context.

    Parameters
    ----------
    target
        ``container.add_stream("libx264")``'s stream, or a libx264 ``av.CodecContext``.
    width, height
        The frame size; both must be even (see :func:`even_size`).
    settings
        Quality, speed and GOP structure.

    Raises
    ------
    InvalidArgumentError
        The width or height is odd.
    """
    check_even_size(width, height)
    target.width, target.height = width, height
    target.pix_fmt = PIX_FMT
    codec = getattr(target, "codec_context", target)
    if settings.gop is not None:
        codec.gop_size = settings.gop
    if settings.max_b_frames is not None:
        codec.max_b_frames = settings.max_b_frames
    target.options = {"crf": str(settings.crf), "preset": settings.preset}


def _rate(rate: float | Fraction) -> Fraction:
    return Fraction(rate).limit_denominator(100000)


def open_h264(
    container: Any,
    *,
    rate: float | Fraction,
    width: int,
    height: int,
    settings: H264Settings = H264Settings(),
) -> Any:
    """Add an H.264 stream at ``rate`` frames per second to an output ``container``.

    Frames encoded into it carry ``pts`` in frames (the stream's time base is
    ``1 / rate``); the size rule and the other parameters are :func:`configure_h264`'s.
    """
    check_even_size(width, height)
    stream = container.add_stream("libx264", rate=_rate(rate))
    configure_h264(stream, width, height, settings)
    stream.codec_context.time_base = 1 / _rate(rate)
    return stream


def h264_codec(
    *, rate: float | Fraction, width: int, height: int, settings: H264Settings = H264Settings()
) -> Any:
    """A stand-alone libx264 codec context (no container), for sizing encodes.

    Frames encoded into it carry ``pts`` in milliseconds.

    Examples
    --------
    >>> codec = h264_codec(rate=30, width=64, height=32)
    >>> codec.name, codec.pix_fmt, codec.width
    ('libx264', 'yuv420p', 64)
    """
    import av

    codec = av.CodecContext.create("libx264", "w")
    codec.time_base = Fraction(1, 1000)
    codec.framerate = _rate(rate)
    configure_h264(codec, width, height, settings)
    return codec
