"""Small parts of the video layer: FrameBatch, FrameCache, OutputSpec, index persistence."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench.samples import make_video
from workbench.video.framecache import FrameCache
from workbench.video.frames import OutputSpec
from workbench.video.index import VideoIndex


def test_frame_batch():
    frames = np.zeros((2, 4, 6, 3), np.uint8)
    b = wb.FrameBatch(frames, [0.0, 0.5], [0, 15], record_id="r1")
    assert len(b) == 2 and b.shape == (2, 4, 6, 3)
    assert b.timestamps.dtype == np.float64 and b.indices.dtype == np.int64
    s = b.shifted(100.0, record_id="r2")
    assert s.timestamps.tolist() == [100.0, 100.5] and s.record_id == "r2"
    assert s.frames is b.frames and b.timestamps.tolist() == [0.0, 0.5]
    assert [t for t, _ in b] == [0.0, 0.5]
    assert "r1" in repr(b)
    with pytest.raises(ValueError, match="timestamps"):
        wb.FrameBatch(frames, [0.0], [0, 1])
    assert wb.FrameBatch.empty(4, 6).frames.shape == (0, 4, 6, 3)


def test_frame_cache_is_bounded_by_bytes():
    c = FrameCache(max_bytes=1000)
    for k in range(5):
        c.put(k, np.zeros(300, np.uint8))
    assert c.nbytes <= 1000 and len(c) == 3
    assert c.get(0) is None and c.get(4) is not None
    c.get(2)  # now most recent: 3 is evicted next
    c.put(9, np.zeros(300, np.uint8))
    assert 3 not in c and 2 in c
    c.put("big", np.zeros(5000, np.uint8))
    assert "big" not in c
    c.clear()
    assert c.nbytes == 0 and len(c) == 0
    assert FrameCache(0).max_bytes == 0


def test_output_spec():
    assert OutputSpec.make(1920, 1080, resize_rate=0.25).shape == (270, 480, 3)
    assert OutputSpec.make(1920, 1080, rotation=90).shape == (1920, 1080, 3)
    assert OutputSpec.make(1920, 1080, rotation=-90).rotation == 270
    assert OutputSpec.make(1920, 1080, size=(64, 32), format="gray").shape == (32, 64, 1)
    assert OutputSpec.make(3, 3, resize_rate=0.01).shape == (1, 1, 3)
    for bad in [
        dict(resize_rate=0),
        dict(resize_rate=-1),
        dict(size=(0, 4)),
        dict(size="big"),
        dict(format="yuv420p"),
    ]:
        with pytest.raises(wb.InvalidArgumentError):
            OutputSpec.make(100, 100, **bad)


def test_index_round_trip_and_validation(tmp_path):
    path = make_video(tmp_path / "a.mp4", size=(160, 96), frames=20, gop=5, bframes=2)
    v = wb.open_video(path, cache=False)
    idx = v.index
    f = tmp_path / "i.npz"
    f.write_bytes(idx.to_bytes())
    back = VideoIndex.from_file(f)
    for name in (
        "packet_pts",
        "packet_dts",
        "packet_pos",
        "packet_size",
        "packet_flags",
        "frame_packet",
        "frame_start_packet",
    ):
        np.testing.assert_array_equal(getattr(back, name), getattr(idx, name))
    assert back.header == idx.header
    assert back.num_frames == 20 and back.keyframe_indices.tolist() == [0, 5, 10, 15]
    assert back.average_fps == pytest.approx(30.0)
    assert (back.frame_pos > 0).all() and (back.frame_size > 0).all()
    assert back.frame_of_pts(int(back.pts[7])) == 7 and back.frame_of_pts(-12345) == -1
    idx.frame_start_packet = idx.frame_start_packet[:-1]
    with pytest.raises(ValueError, match="lengths"):
        idx.validate()


def test_cost_model_follows_measured_speed_and_keeps_measuring(tmp_path):
    from workbench.video import decoder as dec

    path = make_video(tmp_path / "long_gop.mp4", size=(160, 96), frames=60, gop=60)
    v = wb.open_video(path, cache=False, threads=2)
    d = v.decoder
    end = int(d.index.frame_packet[40])
    # a long run from the keyframe: frame threads by the default constants ...
    assert d._plan(40, end)[:2] == ("frame", True)
    # ... but not once they are measured slower than one thread (a loaded machine),
    # except every EXPLORE_EVERY-th seek, which measures them again
    d.seconds_per_unit.update(single=1e-3, frame=1e-2)
    d._choices = 0
    picks = [d._plan(40, end)[0] for _ in range(dec.EXPLORE_EVERY)]
    assert picks == ["single"] * (dec.EXPLORE_EVERY - 1) + ["frame"]
    # decoding measures the kind it used, once its decoder is warm
    d.seconds_per_unit.clear()
    d._choices = 0
    ref = wb.open_video(path, cache=False, threads=1)
    for i in (40, 30):
        v.frame_cache.clear()
        np.testing.assert_array_equal(v[i], ref[i])
        assert set(d.seconds_per_unit) == ({"frame"} if i == 30 else set())
    assert d.seconds_per_unit["frame"] > 0
    v.close()
