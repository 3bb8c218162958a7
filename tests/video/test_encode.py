"""workbench.video.encode: the one H.264 set-up, and its one rule for odd frame sizes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

import workbench as wb
from workbench.errors import InvalidArgumentError
from workbench.samples import make_video
from workbench.streams import Datastore, NamedVideoStream
from workbench.video.encode import H264Settings, even_size, h264_codec, open_h264


def _frames(n: int, height: int, width: int) -> list[np.ndarray]:
    return [np.zeros((height, width, 3), np.uint8) for _ in range(n)]


def test_open_h264_sets_size_rate_gop_and_b_frames(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with av.open(str(path), "w") as out:
        gop5 = H264Settings(gop=5, max_b_frames=0)
        stream = open_h264(out, rate=10, width=48, height=32, settings=gop5)
        for i, arr in enumerate(_frames(12, 32, 48)):
            frame = av.VideoFrame.from_ndarray(arr, "rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    video = wb.open_video(path, cache=False)
    assert (video.metadata.width, video.metadata.height, len(video)) == (48, 32, 12)
    assert video.metadata.fps == pytest.approx(10)
    assert video.keyframe_indices.tolist() == [0, 5, 10]


@pytest.mark.parametrize(("width", "height"), [(47, 32), (48, 31)])
def test_an_odd_size_is_refused_by_the_encoder_set_up(width: int, height: int) -> None:
    with pytest.raises(InvalidArgumentError, match=f"got {width}x{height}"):
        h264_codec(rate=10, width=width, height=height)


def test_a_stream_given_odd_frames_refuses_them_and_leaves_nothing(tmp_path: Path) -> None:
    store = Datastore(tmp_path / "db")
    with pytest.raises(InvalidArgumentError, match="needs even frame sizes, got 33x16"):
        NamedVideoStream(store, "cam").write(_frames(3, 16, 33), fps=10)
    assert not NamedVideoStream(store, "cam").exists()
    assert not list((tmp_path / "db").rglob("*.part"))


def test_a_clip_whose_size_it_chooses_is_rounded_down_to_even(tmp_path: Path) -> None:
    source = make_video(tmp_path / "in.mp4", size=(66, 38), fps=10, frames=10)
    clip = tmp_path / "clip.mp4"
    wb.export_clip(source, clip, start=0.0, end=1.0, resize_rate=0.5)  # 33 x 19
    with av.open(str(clip)) as inp:
        stream = inp.streams.video[0]
        assert (stream.width, stream.height) == even_size(33, 19) == (32, 18)
