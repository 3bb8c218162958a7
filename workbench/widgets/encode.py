"""Encode decoded frames as JPEG bytes for the widgets' binary messages.

Examples
--------
>>> import numpy as np
>>> data = encode_jpeg(np.zeros((8, 8, 3), np.uint8), quality=80)
>>> data[:2] == b"\\xff\\xd8"
True
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from workbench.errors import InvalidArgumentError

__all__ = ["encode_jpeg", "thumbnail_size"]


def thumbnail_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    """Return ``(w, h)`` scaled down to at most ``max_width`` wide, aspect kept.

    Examples
    --------
    >>> thumbnail_size(1280, 720, 160)
    (160, 90)
    >>> thumbnail_size(100, 50, 160)
    (100, 50)
    """
    if width <= max_width:
        return width, height
    return max_width, max(1, round(height * max_width / width))


def encode_jpeg(rgb: np.ndarray, *, quality: int = 85, max_width: int | None = None) -> bytes:
    """Encode an ``(H, W, 3)`` uint8 RGB frame as baseline JPEG.

    Parameters
    ----------
    rgb
        The frame, as returned by the decoder.
    quality
        JPEG quality, 1–95.
    max_width
        Shrink the frame to at most this width first (aspect ratio kept).

    Raises
    ------
    InvalidArgumentError
        If the array is not ``(H, W, 3)`` uint8 or ``quality`` is out of range.
    """
    if not 1 <= int(quality) <= 95:
        raise InvalidArgumentError(f"JPEG quality must be in 1..95, got {quality!r}")
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise InvalidArgumentError(
            f"expected an (H, W, 3) uint8 RGB frame, got shape {arr.shape} dtype {arr.dtype}"
        )
    image = Image.fromarray(np.ascontiguousarray(arr), "RGB")
    if max_width is not None and image.width > max_width:
        image = image.resize(thumbnail_size(image.width, image.height, max_width), Image.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=int(quality))
    return out.getvalue()
