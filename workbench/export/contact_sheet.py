"""``contact_sheet``: one image of thumbnails across a record, for notebooks and reports.

Examples
--------
>>> import workbench as wb
>>> sheet = wb.contact_sheet("camera_01.mp4", every=10, columns=4)   # doctest: +SKIP
>>> sheet.save("sheet.jpg")                                          # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError
from workbench.options import ReadOptions
from workbench.readers.api import read
from workbench.readers.base import FrameReader
from workbench.readers.source import SourceLike

__all__ = ["contact_sheet"]

MAX_THUMBNAILS = 400


def contact_sheet(
    source: SourceLike,
    *,
    every: float | None = None,
    columns: int = 6,
    width: int = 1200,
    start: float | None = None,
    end: float | None = None,
    mode: str = "exact",
    label: bool = True,
    background: tuple[int, int, int] = (24, 24, 24),
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """Return a ``PIL.Image`` grid of frames taken every ``every`` seconds.

    Parameters
    ----------
    source : Record, dict, path, URL, list of images or Video
        A video or image collection, local or behind an fsspec URL.
    every : float, optional
        Seconds between thumbnails; default: enough for four rows of ``columns``.
    columns : int
        Thumbnails per row.
    width : int
        Width of the sheet in pixels (each thumbnail is ``width // columns`` wide).
    start, end : float, optional
        Absolute time window.
    mode : {"exact", "keyframes"}
        ``"keyframes"`` uses the keyframe at or before each instant (faster).
    label : bool
        Print each thumbnail's time, in seconds from the start of the window, in a strip
        below the thumbnail (never over the picture, which may carry text of its own).
    background : (int, int, int)
        RGB colour behind the thumbnails.
    storage_options : dict, optional
        fsspec options for a URL source (``endpoint_url``, credentials ...).

    Raises
    ------
    InvalidArgumentError
        Bad sizes or a source without frames, or more than 400 thumbnails.

    Examples
    --------
    >>> import workbench as wb
    >>> wb.contact_sheet(rec, every=5, columns=8).size               # doctest: +SKIP
    (1200, 340)
    """
    options = ReadOptions.from_keywords(locals(), where="contact_sheet")
    from PIL import Image

    if not isinstance(columns, int) or columns < 1:
        raise InvalidArgumentError(f"columns={columns!r} must be a positive integer")
    if not isinstance(width, int) or width < columns * 8:
        raise InvalidArgumentError(f"width={width!r} is too small for {columns} columns")
    probe = read(source, options=options.replace(mode="exact"), storage_options=storage_options)
    if not isinstance(probe, FrameReader):
        raise InvalidArgumentError(
            f"a contact sheet needs frames; {probe.source.path} is {probe.source.content_type}"
        )
    lo, hi = probe.extent()
    lo = lo if options.start is None else max(lo, options.start)
    hi = hi if options.end is None else min(hi, options.end)
    if every is None:
        every = max((hi - lo) / (columns * 4), 1e-3)
    if every <= 0 or not math.isfinite(every):
        raise InvalidArgumentError(f"every={every!r} must be a positive number of seconds")
    if (hi - lo) / every > MAX_THUMBNAILS:
        raise InvalidArgumentError(
            f"every={every} gives more than {MAX_THUMBNAILS} thumbnails over "
            f"{hi - lo:.1f} s; use a larger every="
        )
    _, _, _, src_w, src_h = probe.axis()
    tw = width // columns
    th = max(1, round(src_h * tw / src_w))
    reader = read(
        probe.source, options=options.replace(target_frame_rate=1.0 / every, size=(tw, th))
    )
    if hasattr(probe, "_video"):
        reader._video = probe._video  # type: ignore[attr-defined]
    batch = reader.read_all()
    n = len(batch.frames)
    rows = max(1, math.ceil(n / columns))
    labels = _LabelStrip(tw, background) if label else None
    pitch = th + (labels.height if labels else 0)  # a tile: the picture, then its label
    sheet = Image.new("RGB", (tw * columns, pitch * rows), background)
    for k, (frame, t) in enumerate(zip(batch.frames, batch.timestamps.tolist(), strict=False)):
        x, y = (k % columns) * tw, (k // columns) * pitch
        sheet.paste(Image.fromarray(np.ascontiguousarray(frame)), (x, y))
        if labels:
            labels.draw(sheet, (x, y + th), f"{t - lo:.1f}s")
    return sheet


class _LabelStrip:
    """The strip under a thumbnail that carries its label (Pillow's default font)."""

    PAD = 2

    def __init__(self, tile_width: int, background: tuple[int, int, int]) -> None:
        from PIL import ImageFont

        size = min(16, max(10, tile_width // 12))
        try:
            self.font: Any = ImageFont.load_default(size=size)
        except (ImportError, OSError, TypeError):  # Pillow without FreeType: bitmap font
            self.font = ImageFont.load_default()
        top, bottom = self._extent("0123456789.s")
        self.top = top
        self.height = bottom - top + 2 * self.PAD
        luma = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2]
        self.fill = (20, 20, 20) if luma > 128 else (235, 235, 235)

    def _extent(self, text: str) -> tuple[int, int]:
        from PIL import Image, ImageDraw

        box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=self.font)
        return int(box[1]), int(box[3])

    def draw(self, sheet: Any, at: tuple[int, int], text: str) -> None:
        """Write ``text`` in the strip whose top-left corner is ``at``."""
        from PIL import ImageDraw

        x, y = at
        ImageDraw.Draw(sheet).text(
            (x + self.PAD + 1, y + self.PAD - self.top), text, fill=self.fill, font=self.font
        )
