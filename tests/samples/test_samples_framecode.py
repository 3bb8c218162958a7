"""The burnt-in frame code reads back exactly, survives resizing and JPEG, never lies."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from samples_support import decode_all, rgb

from workbench.errors import CorruptMediaError, InvalidArgumentError
from workbench.samples import make_video, read_frame_code
from workbench.samples.framecode import (
    MAX_FRAME_CODE,
    NUM_CELLS,
    code_bits,
    code_cells,
    render_code_luma,
)


def _jpeg(rgb_frame: np.ndarray, quality: int = 70, scale: float = 1.0) -> np.ndarray:
    img = Image.fromarray(rgb_frame)
    if scale != 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


@pytest.mark.parametrize("index", [0, 1, 2, 255, 1234, 99_999, MAX_FRAME_CODE])
def test_round_trip_on_a_plain_luma_plane(index: int) -> None:
    luma = np.full((96, 160), 100, np.uint8)
    render_code_luma(luma, index)
    assert read_frame_code(luma) == index


def test_code_geometry_scales_with_the_frame() -> None:
    y0, y1, xs = code_cells(1280, 720)
    y0s, y1s, xss = code_cells(320, 180)
    assert len(xs) == NUM_CELLS + 1
    assert (y0 / 720, y1 / 720) == pytest.approx((y0s / 180, y1s / 180), abs=0.01)
    assert xs / 1280 == pytest.approx(xss / 320, abs=0.01)


@pytest.fixture(scope="module")
def hd_frames(module_tmp: Path) -> list[np.ndarray]:
    """A few full-size 1280x720 frames (with B-frames) decoded to RGB."""
    path = make_video(module_tmp / "hd.mp4", size=(1280, 720), frames=5, gop=5, bframes=2)
    return [rgb(f) for f in decode_all(path)]


def test_hd_frames_after_quarter_resize_and_jpeg_q70(hd_frames: list[np.ndarray]) -> None:
    assert len(hd_frames) == 5
    for i, frame in enumerate(hd_frames):
        assert read_frame_code(frame) == i
        small = _jpeg(frame, quality=70, scale=0.25)
        assert small.shape == (180, 320, 3)
        assert read_frame_code(small) == i


@pytest.fixture(scope="module")
def small_video(module_tmp: Path) -> Path:
    return make_video(module_tmp / "small.mp4", size=(160, 96), frames=48, gop=12, bframes=3)


def test_every_frame_of_a_small_video(small_video: Path) -> None:
    frames = [rgb(f) for f in decode_all(small_video)]
    assert [read_frame_code(f) for f in frames] == list(range(48))
    # still readable after JPEG q70 of the small frames, and at 320x180 upscaled
    assert [read_frame_code(_jpeg(f)) for f in frames] == list(range(48))
    assert read_frame_code(_jpeg(frames[7], scale=2.0)) == 7


def test_channel_orders_and_grey(small_video: Path) -> None:
    frame = rgb(decode_all(small_video)[9])
    assert read_frame_code(frame[:, :, ::-1].copy()) == 9  # BGR
    assert read_frame_code(np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])) == 9
    assert read_frame_code(frame.mean(axis=2).astype(np.uint8)) == 9


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_rotated_frames(small_video: Path, turns: int) -> None:
    frame = rgb(decode_all(small_video)[21])
    assert read_frame_code(np.rot90(frame, turns).copy()) == 21


def test_every_single_flipped_cell_is_rejected() -> None:
    """A damaged code raises instead of returning a wrong number."""
    luma = np.full((96, 160), 100, np.uint8)
    render_code_luma(luma, 777)
    y0, y1, xs = code_cells(160, 96)
    bits = code_bits(777)
    for k in range(NUM_CELLS):
        damaged = luma.copy()
        damaged[y0:y1, xs[k] : xs[k + 1]] = 16 if bits[k] else 235
        with pytest.raises(CorruptMediaError):
            read_frame_code(damaged)


def test_two_flipped_data_cells_are_rejected() -> None:
    luma = np.full((96, 160), 100, np.uint8)
    render_code_luma(luma, 4321)
    y0, y1, xs = code_cells(160, 96)
    bits = code_bits(4321)
    rng = np.random.default_rng(0)
    for _ in range(60):
        a, b = rng.choice(np.arange(2, NUM_CELLS - 2), size=2, replace=False)
        damaged = luma.copy()
        for k in (a, b):
            damaged[y0:y1, xs[k] : xs[k + 1]] = 16 if bits[k] else 235
        with pytest.raises(CorruptMediaError):
            read_frame_code(damaged)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((96, 160, 3), np.uint8),
        np.full((720, 1280), 255, np.uint8),
        np.random.default_rng(1).integers(0, 256, (180, 320, 3), dtype=np.uint8),
        np.zeros((4, 4), np.uint8),
    ],
    ids=["black", "white", "noise", "tiny"],
)
def test_no_code_raises(image: np.ndarray) -> None:
    with pytest.raises(CorruptMediaError, match="no valid frame code"):
        read_frame_code(image)


def test_cropped_frame_raises(small_video: Path) -> None:
    frame = rgb(decode_all(small_video)[3])
    with pytest.raises(CorruptMediaError):
        read_frame_code(frame[:60])


@pytest.mark.parametrize(
    "bad",
    [np.zeros((96, 160), np.float32), np.zeros((96, 160, 2), np.uint8), np.zeros(10, np.uint8)],
)
def test_bad_input_arrays(bad: np.ndarray) -> None:
    with pytest.raises(InvalidArgumentError):
        read_frame_code(bad)


@pytest.mark.parametrize("index", [-1, MAX_FRAME_CODE + 1])
def test_unencodable_index(index: int) -> None:
    with pytest.raises(InvalidArgumentError, match=str(index)):
        code_bits(index)
