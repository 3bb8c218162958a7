"""Image topics of bags read as videos: random access, cached index, readers, bad images."""

from __future__ import annotations

import numpy as np
import pytest
from bags_support import (
    FRONT,
    KINDS,
    LOW,
    T0,
    copy_kind,
    write_kind,
    write_raw_image_bag,
)

import workbench as wb
from workbench.errors import CorruptMediaError, FrameIndexError, InvalidArgumentError
from workbench.formats.bags import TopicVideo
from workbench.samples import read_frame_code


@pytest.mark.parametrize("kind", KINDS)
def test_compressed_topic_has_the_video_interface(bags, kind):
    v = wb.open_video(bags[kind], topic=FRONT, cache=bags["cache"])
    assert isinstance(v, TopicVideo) and len(v) == 30
    assert v.metadata.width == 320 and v.metadata.height == 180
    assert v.metadata.num_frames == 30 and v.metadata.fps == pytest.approx(10.0)
    assert np.allclose(v.pts_seconds, np.arange(30) / 10, atol=1e-6)
    assert v.start_timestamp == pytest.approx(T0)
    assert v.keyframe_indices.tolist() == list(range(30))
    # the scene burns its frame number in: every access returns the right picture
    assert read_frame_code(v[7]) == 7 and read_frame_code(v[-1]) == 29
    batch = v.get_frames_at([12, 3, 12])
    assert [read_frame_code(f) for f in batch.frames] == [12, 3, 12]
    assert batch.indices.tolist() == [12, 3, 12]
    assert read_frame_code(v.get_frame_played_at(1.05)) == 10
    assert v.get_frames_at([1], resize_rate=0.5).frames.shape == (1, 90, 160, 3)
    assert v.get_frame_at(2, format="gray").shape == (180, 320, 1)
    bgr, rgb = v.get_frame_at(2, format="bgr24"), v[2]
    assert np.array_equal(bgr[..., ::-1], rgb)
    parts = list(v.iter_batches(1.0, 2.0, target_frame_rate=2, segment_duration=0.5))
    assert [b.indices.tolist() for b in parts] == [[10], [15]]
    with pytest.raises(FrameIndexError, match="30 frames"):
        v[30]
    with pytest.raises(FrameIndexError):
        v.get_frame_played_at(99.0)
    v.close()


def test_index_is_built_once_then_loaded_and_rebuilt_when_the_bag_changes(tmp_path):
    bag = write_kind(tmp_path, "ros1")
    cache = tmp_path / "cache"
    assert wb.open_video(bag, topic=FRONT, cache=cache).index_event == "built"
    assert wb.open_video(bag, topic=FRONT, cache=cache).index_event == "loaded"
    assert len(list(cache.glob("*.npz"))) == 1
    write_kind(tmp_path, "ros1", duration_seconds=2.0)  # same name, other content
    v = wb.open_video(bag, topic=FRONT, cache=cache)
    assert v.index_event == "built" and len(v) == 20
    for damaged in cache.glob("*.npz"):
        damaged.write_bytes(b"not an index")
    again = wb.open_video(bag, topic=FRONT, cache=cache)
    assert again.index_event == "built" and len(again) == 20


@pytest.mark.parametrize("kind", KINDS)
def test_image_topics_read_as_frame_batches(bags, kind):
    reader = wb.read(
        bags[kind],
        topic=FRONT,
        target_frame_rate=2,
        resize_rate=0.5,
        segment_duration=1.0,
        cache=bags["cache"],
    )
    batches = list(reader)
    assert len(batches) == 3
    first = batches[0]
    assert first.frames.shape == (2, 90, 160, 3)
    assert np.allclose(first.timestamps, [T0, T0 + 0.5])
    assert [read_frame_code(f) for b in batches for f in b.frames] == [0, 5, 10, 15, 20, 25]
    low = wb.read(bags[kind], topic=LOW, size=(32, 18), format="gray").read_all()
    assert low.frames.shape == (6, 18, 32, 1)
    assert np.allclose(low.timestamps, T0 + np.arange(6) / 2)


def test_raw_encodings_and_an_unsupported_one(tmp_path):
    rgb = wb.open_video(write_raw_image_bag(tmp_path / "rgb", "rgb8"), topic="/cam", cache=False)
    bgr = wb.open_video(write_raw_image_bag(tmp_path / "bgr", "bgr8"), topic="/cam", cache=False)
    assert rgb[1].shape == (6, 8, 3) and rgb[1][0, 0].tolist() == [200, 10, 10]
    assert np.array_equal(rgb[1], bgr[1])
    mono16 = wb.open_video(
        write_raw_image_bag(tmp_path / "m16", "mono16"), topic="/cam", cache=False
    )
    assert mono16[2][0, 0].tolist() == [20, 20, 20]  # (20 << 8 | 20) >> 8
    bayer = wb.open_video(
        write_raw_image_bag(tmp_path / "bay", "bayer_rggb8"), topic="/cam", cache=False
    )
    assert bayer[3].shape == (6, 8, 3)
    yuv = wb.open_video(write_raw_image_bag(tmp_path / "yuv", "yuv422"), topic="/cam", cache=False)
    with pytest.raises(InvalidArgumentError, match=r"'yuv422'.*rgb8.*mono16.*bayer_rggb8"):
        yuv[0]


def test_a_corrupt_jpeg_names_topic_and_time_and_neighbours_still_read(tmp_path):
    bag = write_kind(tmp_path, "ros2-mcap", corrupt_frames=[4])
    v = wb.open_video(bag, topic=FRONT, cache=False)
    with pytest.raises(CorruptMediaError, match=rf"frame 4 of topic '{FRONT}' at 1600000000.4"):
        v[4]
    assert read_frame_code(v[3]) == 3 and read_frame_code(v[5]) == 5


def test_non_image_topic_and_missing_topic(bags):
    with pytest.raises(InvalidArgumentError, match=r"not an image topic.*image_raw/compressed"):
        wb.open_video(bags["ros1"], topic="/gps/fix", cache=False)
    with pytest.raises(InvalidArgumentError, match="/cabin/image_raw"):
        wb.open_video(bags["ros1"], topic="/camera/rear", cache=False)


def test_a_topic_video_pickles_as_how_to_reopen_it(bags, tmp_path):
    import pickle

    bag = copy_kind(bags["ros1"], tmp_path / "copy.bag")
    v = wb.open_video(bag, topic=FRONT, cache=tmp_path / "c")
    w = pickle.loads(pickle.dumps(v))
    assert len(w) == 30 and np.array_equal(w[3], v[3])
