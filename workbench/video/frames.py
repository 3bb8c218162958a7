"""Turning decoded frames into numpy arrays: one swscale pass, then rotation upright.

The output of a request is described by an :class:`OutputSpec` (size after rotation,
pixel format). Colour conversion and resizing happen in a single
``VideoFrame.reformat`` call; a display rotation is applied afterwards with a cheap
``numpy.rot90`` (a view made contiguous), as players do.

Examples
--------
>>> spec = OutputSpec.make(1920, 1080, rotation=0, resize_rate=0.25)
>>> (spec.width, spec.height, spec.format)
(480, 270, 'rgb24')
>>> OutputSpec.make(1920, 1080, rotation=90).shape
(1920, 1080, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from workbench.errors import InvalidArgumentError
from workbench.options import FORMATS as READ_FORMATS

__all__ = ["FORMATS", "Converter", "OutputSpec", "to_array"]

#: pixel formats a caller may ask for -> channels (the read vocabulary's formats)
FORMATS: dict[str, int] = {name: channels for name, (channels, _) in READ_FORMATS.items()}


@dataclass(frozen=True)
class OutputSpec:
    """What a returned frame looks like.

    Parameters
    ----------
    width, height : int
        Size of the returned (upright) frame.
    format : str
        ``"rgb24"``, ``"bgr24"`` or ``"gray"``.
    rotation : int
        Counter-clockwise display rotation in degrees (0, 90, 180, 270) to apply.
    """

    width: int
    height: int
    format: str = "rgb24"
    rotation: int = 0

    @classmethod
    def make(
        cls,
        coded_width: int,
        coded_height: int,
        *,
        rotation: int = 0,
        resize_rate: float | None = None,
        size: tuple[int, int] | None = None,
        format: str = "rgb24",
    ) -> OutputSpec:
        """Build a spec from the coded size, the rotation and ``resize_rate`` *or* ``size``.

        ``size`` is ``(width, height)`` of the upright output; ``resize_rate`` multiplies
        the upright size (rounded, at least 1 pixel). The words are the read vocabulary's
        (:class:`~workbench.options.ReadOptions`).
        """
        if format not in FORMATS:
            raise InvalidArgumentError(
                f"format={format!r} is not supported; use one of {sorted(FORMATS)}"
            )
        rotation = int(rotation) % 360
        if rotation % 90:
            rotation = 0  # arbitrary angles are not applied (players ignore them too)
        w, h = (coded_height, coded_width) if rotation in (90, 270) else (coded_width, coded_height)
        if resize_rate is not None and size is not None:
            raise InvalidArgumentError("give either resize_rate= or size=, not both")
        if resize_rate is not None:
            rate = float(resize_rate)
            if not (rate > 0 and np.isfinite(rate)):
                raise InvalidArgumentError(f"resize_rate={rate!r} must be a positive number")
            w, h = max(1, round(w * rate)), max(1, round(h * rate))
        elif size is not None:
            try:
                w, h = (int(v) for v in size)
            except (TypeError, ValueError):
                raise InvalidArgumentError(
                    f"size={size!r} must be a (width, height) pair of integers"
                ) from None
            if w <= 0 or h <= 0:
                raise InvalidArgumentError(f"size={size!r} must be positive")
        return cls(int(w), int(h), format, rotation)

    @property
    def channels(self) -> int:
        """Number of channels in the returned array."""
        return FORMATS[self.format]

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(H, W, C)`` of one returned frame."""
        return (self.height, self.width, self.channels)

    @property
    def nbytes(self) -> int:
        """Bytes of one returned frame."""
        return self.height * self.width * self.channels


class Converter:
    """Converts frames with one reused swscale context per output spec.

    Reusing the context (``VideoReformatter``) avoids re-initialising swscale for every
    frame, which costs more than the conversion itself; ``threads=1`` keeps swscale
    from spawning a thread pool per frame (decoding already uses the cores).

    Examples
    --------
    >>> import av
    >>> Converter().convert(av.VideoFrame(64, 48, "yuv420p"), OutputSpec(32, 24)).shape
    (24, 32, 3)
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._reformatters: dict[OutputSpec, VideoReformatter] = {}

    def convert(self, frame: av.VideoFrame, spec: OutputSpec) -> np.ndarray:
        """Convert ``frame`` to a contiguous ``(H, W, C)`` uint8 array per ``spec``."""
        r = self._reformatters.get(spec)
        if r is None:
            if len(self._reformatters) > 8:
                self._reformatters.clear()
            r = self._reformatters[spec] = VideoReformatter()
        rot = spec.rotation
        w, h = (spec.height, spec.width) if rot in (90, 270) else (spec.width, spec.height)
        # BGR is RGB with its channels reversed: swscale's own bgr24 path rounds
        # differently, and a BGR frame must be exactly the RGB one reversed.
        swscale_format = "rgb24" if spec.format == "bgr24" else spec.format
        out = r.reformat(frame, width=w, height=h, format=swscale_format, threads=self.threads)
        arr = out.to_ndarray()
        if out is frame:  # nothing to convert: never hand out a view of a cached picture
            arr = arr.copy()
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if spec.format == "bgr24":
            arr = arr[:, :, ::-1]
        if rot:
            arr = np.ascontiguousarray(np.rot90(arr, k=rot // 90))
        elif not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
        return arr


def to_array(frame: av.VideoFrame, spec: OutputSpec) -> np.ndarray:
    """Convert one decoded frame to a contiguous ``(H, W, C)`` uint8 array per ``spec``.

    Examples
    --------
    >>> import av
    >>> f = av.VideoFrame(64, 48, "yuv420p")
    >>> to_array(f, OutputSpec(32, 24)).shape
    (24, 32, 3)
    """
    return Converter().convert(frame, spec)
