"""Draw one synthetic dashcam frame straight into YUV planes.

The picture is a road seen from the driver's seat: sky, grass, a two-lane road with
dashed lane markings that move with the car's speed, the car ahead (its size follows the
gap, its brake lights follow the CAN log), large text ``frame 123  t=4.100 s`` plus a
second line with the camera, speed and ``BRAKE``, and the machine-readable frame code
(:mod:`workbench.samples.framecode`) along the bottom.

Frames are drawn in BT.601 limited-range YUV directly (no RGB -> YUV conversion per
frame), from a background cached per renderer and a glyph cache for the text, so a
1280x720 frame costs a few milliseconds.

Examples
--------
>>> from workbench.samples.scene import SceneRenderer
>>> r = SceneRenderer(160, 96, pix_fmt="yuv420p", seed=0)
>>> frame = r.render(7, 0.233, {"speed_kmh": 50.0, "brake": 0, "lead_brake": 0,
...                              "gap_m": 25.0, "distance_m": 3.2})
>>> (frame.width, frame.height, frame.format.name)
(160, 96, 'yuv420p')
"""

from __future__ import annotations

from functools import lru_cache

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from workbench.samples.framecode import BLACK_Y, code_cells, render_code_luma

__all__ = ["SceneRenderer", "rgb_to_yuv"]

#: horizon height as a fraction of the frame height
HORIZON = 0.45
#: camera height above the road (m); sets the perspective
_CAM_HEIGHT_M = 1.3
#: focal length as a fraction of the frame width (about 64 degrees horizontal view)
_FOCAL = 0.8
#: lane marking period and dash length (m)
_DASH_PERIOD_M, _DASH_LEN_M = 12.0, 5.0
#: lateral positions of the markings (m, right positive; left-hand traffic, ego in left lane)
_LEFT_EDGE_M, _CENTER_M, _RIGHT_EDGE_M = -1.8, 1.75, 5.3
_LINE_W_M = 0.15

_CAR_COLOURS = [(180, 30, 30), (30, 60, 160), (200, 200, 205), (40, 40, 45), (230, 230, 230)]
_CHARSET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,:=/_-+()%?"


@lru_cache(maxsize=4096)
def rgb_to_yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited-range (Y, Cb, Cr) of an RGB colour.

    Examples
    --------
    >>> rgb_to_yuv((255, 255, 255))
    (235, 128, 128)
    """
    r, g, b = (float(c) for c in rgb)
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return tuple(round(min(max(c, 0), 255)) for c in (y, u, v))  # type: ignore[return-value]


@lru_cache(maxsize=16)
def _glyphs(size: int) -> tuple[dict[str, tuple[np.ndarray, int]], int]:
    """Glyph coverage bitmaps (0-255) and advances of :data:`_CHARSET` at ``size`` px.

    Returns ``({char: (bitmap, advance)}, line_height)``; text is composed from these
    (with a maximum where glyphs overlap), so no font rendering happens per frame.
    """
    font = ImageFont.load_default(size=size)
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    glyphs = {}
    for c in _CHARSET:
        advance = max(1, round(font.getlength(c)))
        img = Image.new("L", (advance + size // 2, line_h), 0)
        ImageDraw.Draw(img).text((0, 0), c, fill=255, font=font)
        glyphs[c] = (np.asarray(img, dtype=np.uint8), advance)
    return glyphs, line_h


@lru_cache(maxsize=256)
def _text_bitmap(text: str, size: int) -> np.ndarray:
    """Coverage bitmap (uint8) of one line of ``text``; unknown characters become '?'."""
    glyphs, line_h = _glyphs(size)
    chars = [c if c in glyphs else "?" for c in text]
    width = sum(glyphs[c][1] for c in chars) + size // 2
    out = np.zeros((line_h, width), np.uint8)
    x = 0
    for c in chars:
        g, adv = glyphs[c]
        if c != " ":
            np.maximum(
                out[:, x : x + g.shape[1]], g[:, : width - x], out=out[:, x : x + g.shape[1]]
            )
        x += adv
    return out


class SceneRenderer:
    """Draws frames of one camera view at one size and pixel format.

    Parameters
    ----------
    width, height : int
        Frame size in pixels (odd sizes allowed).
    pix_fmt : str
        Pixel format of the returned frames. ``yuv420p`` at even sizes is drawn natively;
        anything else is drawn as ``yuv444p`` and converted by swscale.
    seed : int
        Chooses the colours of the car ahead and the sky tint.
    view : {"front", "rear"}
        ``"rear"`` looks backwards: markings recede and a following car shows headlights.
    label : str
        Shown on the second text line (e.g. the camera name).
    """

    def __init__(
        self,
        width: int,
        height: int,
        *,
        pix_fmt: str = "yuv420p",
        seed: int = 0,
        view: str = "front",
        label: str = "",
    ) -> None:
        self.width, self.height = int(width), int(height)
        self.pix_fmt = pix_fmt
        self.view = view
        self.label = label
        self._side = 1 if view == "front" else -1
        rng = np.random.default_rng([seed, 0 if view == "front" else 1])
        self._draw_fmt = "yuv420p" if pix_fmt == "yuv420p" else "yuv444p"
        self._sub = 2 if self._draw_fmt == "yuv420p" else 1
        self._car_rgb = _CAR_COLOURS[int(rng.integers(len(_CAR_COLOURS)))]
        tint = int(rng.integers(-20, 21))
        self._sky_top = (90 + tint, 140, 215 - tint)
        self._sky_bottom = (190, 210 + tint // 2, 235)
        self._background = self._draw_background()
        self._prepare_markings()
        self._font_px = max(8, round(self.height * 0.06))

    # -- planes ----------------------------------------------------------------
    def _new_frame(self) -> tuple[av.VideoFrame, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """A new frame in the drawing format and writable numpy views of its planes."""
        frame = av.VideoFrame(self.width, self.height, self._draw_fmt)
        views = []
        for plane in frame.planes:
            flat = np.frombuffer(plane, dtype=np.uint8)
            views.append(flat.reshape(plane.height, plane.line_size)[:, : plane.width])
        return frame, (views[0], views[1], views[2])

    def _fill(self, planes, x0, y0, x1, y1, yuv) -> None:  # type: ignore[no-untyped-def]
        """Fill the pixel rectangle [x0, x1) x [y0, y1) with a YUV colour (clipped)."""
        x0, x1 = max(0, int(x0)), min(self.width, int(x1))
        y0, y1 = max(0, int(y0)), min(self.height, int(y1))
        if x0 >= x1 or y0 >= y1:
            return
        yp, up, vp = planes
        yp[y0:y1, x0:x1] = yuv[0]
        s = self._sub
        cx0, cx1, cy0, cy1 = x0 // s, -(-x1 // s), y0 // s, -(-y1 // s)
        up[cy0:cy1, cx0:cx1] = yuv[1]
        vp[cy0:cy1, cx0:cx1] = yuv[2]

    # -- static parts ----------------------------------------------------------
    def _draw_background(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w, h = self.width, self.height
        s = self._sub
        planes = (
            np.empty((h, w), np.uint8),
            np.empty((-(-h // s), -(-w // s)), np.uint8),
            np.empty((-(-h // s), -(-w // s)), np.uint8),
        )
        hz = round(h * HORIZON)
        self._hz = hz
        # sky: vertical gradient, one row at a time
        top, bottom = np.array(self._sky_top, float), np.array(self._sky_bottom, float)
        for r in range(hz):
            a = r / max(1, hz - 1)
            self._fill(planes, 0, r, w, r + 1, rgb_to_yuv(tuple(top * (1 - a) + bottom * a)))
        self._fill(planes, 0, hz, w, h, rgb_to_yuv((70, 120, 55)))  # grass
        # distant hills on the horizon
        hill = rgb_to_yuv((95, 125, 110))
        xs = np.arange(w)
        hill_h = h * 0.03 * (1 + np.sin(xs / w * 7.0) * 0.6 + np.sin(xs / w * 17.0) * 0.3)
        for x0 in range(0, w, max(1, w // 64)):
            x1 = min(w, x0 + max(1, w // 64))
            self._fill(planes, x0, hz - int(hill_h[x0]), x1, hz, hill)
        # road surface and solid edge lines, row by row in perspective
        road, white = rgb_to_yuv((105, 105, 108)), rgb_to_yuv((255, 255, 255))
        cx, cam = w / 2, _CAM_HEIGHT_M
        # looking backwards mirrors the road: the centre line is then on the left
        side = self._side
        left, right = _LEFT_EDGE_M * side, _RIGHT_EDGE_M * side
        for r in range(hz, h):
            k = (r - hz + 0.5) / cam  # pixels per metre at this row
            self._fill(
                planes,
                cx + min(left - 0.7 * side, right + 0.7 * side) * k,
                r,
                cx + max(left - 0.7 * side, right + 0.7 * side) * k,
                r + 1,
                road,
            )
            for m in (left, right):
                lw = max(1.0, _LINE_W_M * k)
                self._fill(planes, cx + m * k - lw / 2, r, cx + m * k + lw / 2, r + 1, white)
        return planes

    def _prepare_markings(self) -> None:
        """Per-row geometry of the dashed centre line (luma only: white on grey)."""
        w, h, hz = self.width, self.height, self._hz
        rows = np.arange(hz + 1, h)
        k = (rows - hz + 0.5) / _CAM_HEIGHT_M
        focal_px = _FOCAL * w
        self._dash_depth = focal_px / k  # metres ahead for each row
        lw = np.maximum(1.0, _LINE_W_M * k)
        x0 = np.clip(np.round(w / 2 + _CENTER_M * self._side * k - lw / 2), 0, w).astype(int)
        x1 = np.clip(np.round(w / 2 + _CENTER_M * self._side * k + lw / 2), 0, w).astype(int)
        x1 = np.maximum(x1, np.minimum(x0 + 1, w))
        self._band = (int(x0.min()), int(x1.max())) if len(rows) else (0, 0)
        # every pixel of the (solid) centre line; each frame keeps the rows of the dashes
        widths = x1 - x0
        row_of = np.repeat(np.arange(len(rows)), widths)
        starts = np.repeat(x0 - np.cumsum(np.concatenate([[0], widths[:-1]])), widths)
        cols = starts + np.arange(int(widths.sum()))
        self._dash_pixels = (rows[row_of], cols, row_of)
        self._dash_rows = (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (h, h)

    # -- dynamic parts ---------------------------------------------------------
    def _draw_markings(self, luma: np.ndarray, distance_m: float) -> None:
        r0, r1 = self._dash_rows
        if r0 >= r1 or self._band[0] >= self._band[1]:
            return
        world = (
            self._dash_depth + distance_m if self.view == "front" else distance_m - self._dash_depth
        )
        on = np.mod(world, _DASH_PERIOD_M) < _DASH_LEN_M
        rows, cols, row_of = self._dash_pixels
        keep = on[row_of]
        luma[rows[keep], cols[keep]] = 235

    def _draw_car(self, planes, gap_m: float, lights_on: bool) -> None:  # type: ignore[no-untyped-def]
        w, hz = self.width, self._hz
        s = _FOCAL * w / max(gap_m, 2.0)  # pixels per metre at the car
        bottom = hz + _CAM_HEIGHT_M * s
        cx = w / 2
        half_w, body_h = 0.9 * s, 1.4 * s
        self._fill(
            planes,
            cx - half_w * 1.05,
            bottom - 0.08 * s,
            cx + half_w * 1.05,
            bottom + 0.05 * s,
            rgb_to_yuv((30, 30, 30)),
        )  # shadow
        self._fill(
            planes,
            cx - half_w,
            bottom - body_h,
            cx + half_w,
            bottom - 0.1 * s,
            rgb_to_yuv(self._car_rgb),
        )
        self._fill(
            planes,
            cx - half_w * 0.75,
            bottom - body_h * 0.95,
            cx + half_w * 0.75,
            bottom - body_h * 0.62,
            rgb_to_yuv((35, 45, 60)),
        )  # window
        if self.view == "front":
            lamp = rgb_to_yuv((255, 40, 40) if lights_on else (110, 20, 20))
        else:
            lamp = rgb_to_yuv((255, 250, 210))
        for side in (-1, 1):
            xa = cx + side * half_w * 0.9
            self._fill(
                planes,
                min(xa, xa - side * 0.35 * s),
                bottom - body_h * 0.55,
                max(xa, xa - side * 0.35 * s),
                bottom - body_h * 0.4,
                lamp,
            )
        self._fill(
            planes,
            cx - 0.25 * s,
            bottom - body_h * 0.3,
            cx + 0.25 * s,
            bottom - body_h * 0.2,
            rgb_to_yuv((230, 230, 200)),
        )  # number plate

    def _draw_text(self, planes, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        bitmaps = [_text_bitmap(t, self._font_px) for t in lines]
        pad = max(1, self._font_px // 4)
        x0, y0 = round(self.width * 0.02), round(self.height * 0.03)
        box_w = max(b.shape[1] for b in bitmaps) + 2 * pad
        box_h = sum(b.shape[0] for b in bitmaps) + 2 * pad
        self._fill(planes, x0, y0, x0 + box_w, y0 + box_h, (BLACK_Y, 128, 128))
        luma = planes[0]
        ty = y0 + pad
        for bm in bitmaps:
            ya, yb = ty, min(ty + bm.shape[0], self.height)
            xa, xb = x0 + pad, min(x0 + pad + bm.shape[1], self.width)
            if ya < yb and xa < xb:
                cov = bm[: yb - ya, : xb - xa].astype(np.uint16)
                luma[ya:yb, xa:xb] = (BLACK_Y + (cov * (235 - BLACK_Y) + 127) // 255).astype(
                    np.uint8
                )
            ty += bm.shape[0]

    def render(self, index: int, t: float, state: dict[str, float]) -> av.VideoFrame:
        """Draw frame ``index`` shown at ``t`` seconds in driving ``state``.

        ``state`` holds ``speed_kmh``, ``brake``, ``lead_brake``, ``gap_m`` and
        ``distance_m`` (see :meth:`workbench.samples.drive.Drive.at`). Returns a
        :class:`av.VideoFrame` in :attr:`pix_fmt` without pts.
        """
        frame, planes = self._new_frame()
        for view, bg in zip(planes, self._background, strict=False):
            np.copyto(view, bg)
        self._draw_markings(planes[0], state["distance_m"])
        lights = bool(state["lead_brake"]) if self.view == "front" else True
        self._draw_car(planes, state["gap_m"], lights)
        second = f"{self.label}  {state['speed_kmh']:5.1f} km/h"
        if state["brake"]:
            second += "  BRAKE"
        self._draw_text(planes, [f"frame {index}  t={t:.3f} s", second.strip()])
        y0, y1, _ = code_cells(self.width, self.height)
        self._fill(planes, 0, y0 - 1, self.width, y1 + 1, (BLACK_Y, 128, 128))
        render_code_luma(planes[0], index)
        if self.pix_fmt != self._draw_fmt:
            frame = frame.reformat(format=self.pix_fmt)
        return frame
