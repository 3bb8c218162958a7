"""Turn ``sensor_msgs/Image`` and ``sensor_msgs/CompressedImage`` messages into frames.

Raw images are reinterpreted with numpy (``rgb8``, ``rgba8``, ``bgr8``, ``bgra8``,
``mono8``/``8UC1``, ``mono16``/``16UC1`` scaled to 8 bits, ``8UC3`` as ``bgr8``, and the
Bayer encodings as their raw one-channel mosaic); compressed images (JPEG, PNG, anything
Pillow opens) are decoded by Pillow, which decodes JPEG directly at a reduced scale
(``draft``) when a smaller size is asked for. Frames leave as ``(H, W, C)`` uint8 in the
reader formats (``rgb24``, ``bgr24``, ``gray``).

Examples
--------
>>> import numpy as np
>>> class Img:  # the fields of sensor_msgs/msg/Image
...     height, width, encoding, step, is_bigendian = 2, 3, "mono8", 3, 0
...     data = np.arange(6, dtype=np.uint8)
>>> to_frame(Img(), "sensor_msgs/msg/Image").shape
(2, 3, 3)
>>> image_size(Img(), "sensor_msgs/msg/Image")
(3, 2)
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, InvalidArgumentError

__all__ = [
    "IMAGE_TYPES",
    "SUPPORTED_ENCODINGS",
    "image_size",
    "is_image_type",
    "to_frame",
]

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
#: raw encoding -> (channels, dtype, channel order)
_RAW: dict[str, tuple[int, str, str]] = {
    "rgb8": (3, "u1", "rgb"),
    "rgba8": (4, "u1", "rgb"),
    "bgr8": (3, "u1", "bgr"),
    "bgra8": (4, "u1", "bgr"),
    "8UC3": (3, "u1", "bgr"),
    "mono8": (1, "u1", "gray"),
    "8UC1": (1, "u1", "gray"),
    "mono16": (1, "u2", "gray"),
    "16UC1": (1, "u2", "gray"),
    "bayer_rggb8": (1, "u1", "gray"),
    "bayer_bggr8": (1, "u1", "gray"),
    "bayer_gbrg8": (1, "u1", "gray"),
    "bayer_grbg8": (1, "u1", "gray"),
}
SUPPORTED_ENCODINGS = (*_RAW, "jpeg", "png (CompressedImage)")


def is_image_type(msgtype: str | None) -> bool:
    """True for the two image message types (ROS 1 names are normalised by rosbags)."""
    return msgtype in IMAGE_TYPES


def _compressed(msgtype: str) -> bool:
    return msgtype.endswith("CompressedImage")


def image_size(msg: Any, msgtype: str) -> tuple[int, int]:
    """``(width, height)`` of the image in ``msg`` (compressed: read from its header)."""
    if not _compressed(msgtype):
        return int(msg.width), int(msg.height)
    from PIL import Image

    with Image.open(io.BytesIO(bytes(msg.data))) as im:
        return im.size


def _raw_rgb(msg: Any) -> np.ndarray:
    enc = str(msg.encoding)
    if enc not in _RAW:
        raise InvalidArgumentError(
            f"image encoding {enc!r} is not supported; supported: {', '.join(SUPPORTED_ENCODINGS)}"
        )
    channels, dtype, order = _RAW[enc]
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    dt = np.dtype(dtype).newbyteorder(">" if msg.is_bigendian else "<")
    buf = np.asarray(msg.data, dtype=np.uint8)
    row = w * channels * dt.itemsize
    if step < row or len(buf) < step * h:
        raise CorruptMediaError(
            f"a {w}x{h} {enc} image needs {step * h} bytes (step {step}), the message holds "
            f"{len(buf)}"
        )
    rows = buf[: step * h].reshape(h, step)[:, :row]
    pix = np.ascontiguousarray(rows).view(dt).reshape(h, w, channels)
    if dt.itemsize == 2:
        pix = (pix >> 8).astype(np.uint8)
    if order == "gray":
        return np.repeat(pix, 3, axis=2)
    pix = pix[..., :3]
    return pix[..., ::-1] if order == "bgr" else pix


def to_frame(
    msg: Any, msgtype: str, *, size: tuple[int, int] | None = None, format: str = "rgb24"
) -> np.ndarray:
    """The image in ``msg`` as ``(H, W, C)`` uint8, resized to ``size=(w, h)`` if given.

    Raises
    ------
    InvalidArgumentError
        The encoding is not supported (the message lists those that are).
    CorruptMediaError
        The bytes do not decode (caller adds the topic and time).
    """
    from PIL import Image, UnidentifiedImageError

    if _compressed(msgtype):
        try:
            im = Image.open(io.BytesIO(bytes(msg.data)))
            if size is not None and im.format == "JPEG":
                im.draft("RGB", size)  # decode at 1/2, 1/4, 1/8 scale when that is enough
            im = im.convert("L" if format == "gray" else "RGB")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            fmt = str(getattr(msg, "format", "") or "unknown format")
            raise CorruptMediaError(f"the {fmt!r} image does not decode ({exc})") from None
    else:
        rgb = _raw_rgb(msg)
        if size is None or (size[0], size[1]) == (rgb.shape[1], rgb.shape[0]):
            return _as_format(rgb, format)
        im = Image.fromarray(rgb)
        if format == "gray":
            im = im.convert("L")
    if size is not None and im.size != tuple(size):
        im = im.resize((int(size[0]), int(size[1])), Image.Resampling.BILINEAR)
    arr = np.asarray(im)
    if format == "gray":
        return arr.reshape(arr.shape[0], arr.shape[1], 1)
    return arr[..., ::-1] if format == "bgr24" else arr


def _as_format(rgb: np.ndarray, format: str) -> np.ndarray:
    if format == "bgr24":
        return np.ascontiguousarray(rgb[..., ::-1])
    if format == "gray":
        from PIL import Image

        gray = np.asarray(Image.fromarray(rgb).convert("L"))
        return gray.reshape(gray.shape[0], gray.shape[1], 1)
    return rgb
