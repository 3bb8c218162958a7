"""The machine-readable frame code burnt into every synthetic frame.

A row of black and white blocks near the bottom of the picture encodes the frame index
so a test can identify any decoded frame, even after resizing and JPEG compression.

Layout (all positions are fractions of the frame size, so the code scales with it):

* one row of :data:`NUM_CELLS` equally wide cells spanning ``x`` in
  [:data:`CODE_X0`, :data:`CODE_X1`] and ``y`` in [:data:`CODE_Y0`, :data:`CODE_Y1`];
* cells 0-1 are the start guard (white, black), the last two the stop guard (black, white);
  they give the reader its black and white reference levels;
* then :data:`DATA_BITS` bits of the frame index (most significant first) and an 8-bit
  CRC (polynomial 0x07) over them, so a damaged code is rejected, never misread.

At 1280x720 a cell is about 37x58 pixels; at 160x96 it is still about 4.6x8, which
survives the encoder, a resize to 25 % and JPEG at quality 70.

Examples
--------
>>> import numpy as np
>>> from workbench.samples.framecode import code_bits, read_frame_code, render_code_luma
>>> luma = np.full((180, 320), 128, np.uint8)
>>> render_code_luma(luma, 1234)
>>> read_frame_code(luma)
1234
"""

from __future__ import annotations

import numpy as np

from workbench.errors import CorruptMediaError, InvalidArgumentError

__all__ = [
    "CODE_X0",
    "CODE_X1",
    "CODE_Y0",
    "CODE_Y1",
    "DATA_BITS",
    "MAX_FRAME_CODE",
    "NUM_CELLS",
    "code_bits",
    "code_cells",
    "read_frame_code",
    "render_code_luma",
]

#: bits of frame index carried by the code (indices 0 .. 2**20 - 1)
DATA_BITS = 20
#: bits of the CRC-8 check
CRC_BITS = 8
#: the largest frame index the code can carry
MAX_FRAME_CODE = (1 << DATA_BITS) - 1
_START = (1, 0)
_STOP = (0, 1)
#: total number of cells: guards + data + CRC
NUM_CELLS = len(_START) + DATA_BITS + CRC_BITS + len(_STOP)

#: horizontal extent of the code, as fractions of the frame width
CODE_X0, CODE_X1 = 0.04, 0.96
#: vertical extent of the code, as fractions of the frame height
CODE_Y0, CODE_Y1 = 0.895, 0.975

#: luma (BT.601 limited range) of the white and black cells
WHITE_Y, BLACK_Y = 235, 16

#: smallest white-minus-black difference (0-255) accepted as a code
_MIN_CONTRAST = 40.0
#: a cell closer than this fraction of the contrast to the threshold is unreadable
_MIN_MARGIN = 0.2


def _crc8(value: int, nbits: int) -> int:
    """CRC-8 (polynomial x^8 + x^2 + x + 1) of the ``nbits`` low bits of ``value``."""
    crc = 0
    for i in range(nbits - 1, -1, -1):
        bit = (value >> i) & 1
        top = (crc >> 7) & 1
        crc = (crc << 1) & 0xFF
        if top ^ bit:
            crc ^= 0x07
    return crc


def code_bits(index: int) -> np.ndarray:
    """Return the :data:`NUM_CELLS` cell colours (True = white) that encode ``index``.

    Parameters
    ----------
    index : int
        Frame index, 0 to :data:`MAX_FRAME_CODE`.

    Examples
    --------
    >>> code_bits(5).astype(int)[:4].tolist()
    [1, 0, 0, 0]
    >>> len(code_bits(5))
    32
    """
    index = int(index)
    if not 0 <= index <= MAX_FRAME_CODE:
        raise InvalidArgumentError(
            f"frame index {index} cannot be encoded: the frame code holds 0 to {MAX_FRAME_CODE}"
        )
    crc = _crc8(index, DATA_BITS)
    word = (index << CRC_BITS) | crc
    payload = [(word >> i) & 1 for i in range(DATA_BITS + CRC_BITS - 1, -1, -1)]
    return np.array([*_START, *payload, *_STOP], dtype=bool)


def code_cells(width: int, height: int) -> tuple[int, int, np.ndarray]:
    """Pixel geometry of the code in a ``width`` x ``height`` frame.

    Returns
    -------
    y0, y1 : int
        First and one-past-last row of the code.
    x_edges : numpy.ndarray
        ``NUM_CELLS + 1`` column edges; cell ``k`` spans ``x_edges[k]:x_edges[k + 1]``.

    Examples
    --------
    >>> y0, y1, xs = code_cells(1280, 720)
    >>> (y0, y1, int(xs[0]), int(xs[-1]))
    (644, 702, 51, 1229)
    """
    y0 = round(height * CODE_Y0)
    y1 = max(y0 + 1, round(height * CODE_Y1))
    xs = np.linspace(width * CODE_X0, width * CODE_X1, NUM_CELLS + 1)
    return y0, y1, np.round(xs).astype(int)


def render_code_luma(luma: np.ndarray, index: int) -> None:
    """Draw the code for ``index`` into a luma plane (H, W) uint8, in place.

    Chroma is left to the caller (the code is grey: neutral chroma 128).
    """
    height, width = luma.shape[:2]
    y0, y1, xs = code_cells(width, height)
    bits = code_bits(index)
    row = np.empty(width, dtype=np.uint8)
    row[:] = BLACK_Y
    for k, bit in enumerate(bits):
        row[xs[k] : xs[k + 1]] = WHITE_Y if bit else BLACK_Y
    x0, x1 = xs[0], xs[-1]
    luma[y0:y1, x0:x1] = row[x0:x1]


def _check_image(frame: np.ndarray) -> np.ndarray:
    arr = np.asarray(frame)
    if arr.dtype != np.uint8:
        raise InvalidArgumentError(
            f"read_frame_code needs a uint8 image, got dtype {arr.dtype}; "
            "pass an (H, W, 3) RGB/BGR or (H, W) grey uint8 array"
        )
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4)):
        return arr
    raise InvalidArgumentError(
        f"read_frame_code got an array of shape {arr.shape}; "
        "pass an (H, W, 3) RGB/BGR, (H, W, 4) RGBA or (H, W) grey uint8 array"
    )


def _decode_image(image: np.ndarray) -> int:
    """Decode the code in an upright image; raise ValueError with the reason.

    Only the code's band is converted to luma (the mean of the colour channels: the
    code is grey, so channel order does not matter).
    """
    height, width = image.shape[:2]
    y0, y1, xs = code_cells(width, height)
    if y1 - y0 < 2 or (xs[1] - xs[0]) < 2:
        raise ValueError(f"the frame ({width}x{height}) is too small to carry a frame code")
    # sample the central half of every cell, in both directions
    ya = y0 + (y1 - y0) // 4
    yb = max(ya + 1, y1 - (y1 - y0) // 4)
    band = image[ya:yb, xs[0] : xs[-1]].astype(np.float32)
    if band.ndim == 3:
        band = band[:, :, :3].mean(axis=2)
    columns = band.mean(axis=0)
    values = np.empty(NUM_CELLS, dtype=np.float64)
    for k in range(NUM_CELLS):
        a, b = xs[k] - xs[0], xs[k + 1] - xs[0]
        q = (b - a) // 4
        values[k] = columns[a + q : max(a + q + 1, b - q)].mean()
    white = (values[0] + values[-1]) / 2
    black = (values[1] + values[-2]) / 2
    contrast = white - black
    if contrast < _MIN_CONTRAST:
        raise ValueError(f"no code contrast (white {white:.0f}, black {black:.0f})")
    threshold = (white + black) / 2
    if np.any(np.abs(values - threshold) < _MIN_MARGIN * contrast):
        raise ValueError("some cells are neither black nor white")
    bits = values > threshold
    if tuple(bits[:2]) != (True, False) or tuple(bits[-2:]) != (False, True):
        raise ValueError("start/stop guards not found")
    word = 0
    for bit in bits[2:-2]:
        word = (word << 1) | int(bit)
    index, crc = word >> CRC_BITS, word & 0xFF
    if _crc8(index, DATA_BITS) != crc:
        raise ValueError("checksum mismatch")
    return index


def read_frame_code(frame: np.ndarray) -> int:
    """Return the frame index burnt into a frame made by :func:`~workbench.samples.make_video`.

    Parameters
    ----------
    frame : numpy.ndarray
        The decoded picture, uint8, as (H, W, 3) RGB or BGR (the code is grey, so channel
        order does not matter), (H, W, 4) RGBA or (H, W) grey. It may be resized (the code
        sits at fixed fractions of the frame) and JPEG-compressed. Frames shown rotated
        by a multiple of 90 degrees (display-matrix applied) are recognised too.

    Returns
    -------
    int
        The frame index (the ``i``-th frame given to the encoder, counted from 0).

    Raises
    ------
    CorruptMediaError
        No valid code was found (wrong picture, cropped, too small or too damaged). A
        CRC-8 and guard cells make sure a damaged code is rejected, not misread.
    InvalidArgumentError
        ``frame`` is not a uint8 image array.

    Examples
    --------
    >>> import numpy as np
    >>> luma = np.zeros((96, 160), np.uint8)
    >>> render_code_luma(luma, 42)
    >>> read_frame_code(np.dstack([luma] * 3))
    42
    """
    image = _check_image(frame)
    reasons = []
    for quarter_turns in range(4):
        try:
            return _decode_image(np.rot90(image, quarter_turns))
        except ValueError as exc:
            reasons.append(str(exc))
    raise CorruptMediaError(
        f"no valid frame code found in this {tuple(np.shape(frame))} image "
        f"(upright: {reasons[0]}); it must be a whole frame made by "
        "workbench.samples.make_video, not cropped and at least about 100x60 pixels"
    )
