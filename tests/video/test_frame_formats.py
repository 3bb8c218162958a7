"""A BGR frame is exactly the RGB frame with its channels reversed, resized or not."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return wb.samples.make_video(
        tmp_path_factory.mktemp("fmt") / "clip.mp4", size=(320, 180), frames=8, gop=4
    )


@pytest.mark.parametrize("scale", [None, 0.25, 0.5])
def test_bgr_is_reversed_rgb(clip, scale):
    with wb.open_video(clip, cache=False) as video:
        batches = {
            fmt: next(iter(video.iter_batches(resize_rate=scale, format=fmt)))
            for fmt in ("rgb24", "bgr24")
        }
    rgb, bgr = batches["rgb24"].frames, batches["bgr24"].frames
    assert bgr.flags.c_contiguous
    np.testing.assert_array_equal(bgr[..., ::-1], rgb)
