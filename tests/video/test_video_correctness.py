"""Frame accuracy: every hard case, every frame, random order and batches vs sequential decode."""

from __future__ import annotations

import numpy as np
import pytest
from video_support import CASES

import workbench as wb
from workbench.samples import read_frame_code


@pytest.fixture(scope="module")
def videos(case_files, tmp_path_factory):
    cache = tmp_path_factory.mktemp("idx")
    opened = {name: wb.open_video(p, cache=cache) for name, p in case_files.items()}
    yield opened
    for v in opened.values():
        v.close()


names = pytest.mark.parametrize("name", sorted(CASES))


@names
def test_length_and_pts_match_sequential_decode(name, videos, references):
    v, ref = videos[name], references[name]
    assert len(v) == len(ref.frames) > 0
    assert v.metadata.num_frames == len(ref.frames)
    assert v.index.pts.tolist() == ref.pts
    expected = np.array(ref.pts, dtype=np.float64) * float(ref.time_base)
    np.testing.assert_array_equal(v.pts_seconds, expected)
    assert v.metadata.start_seconds == pytest.approx(expected[0])
    assert not v.metadata.truncated
    with pytest.raises(wb.FrameIndexError):
        v[len(v)]


@names
def test_every_frame_in_random_order_is_pixel_identical(name, videos, references):
    v, ref = videos[name], references[name]
    v.frame_cache.clear()
    order = np.random.default_rng(7).permutation(len(v))
    for i in order.tolist():
        got = v[i]
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, ref.upright(i), err_msg=f"{name} frame {i}")


@names
def test_batches_in_any_order_with_duplicates(name, videos, references):
    v, ref = videos[name], references[name]
    rng = np.random.default_rng(11)
    idx = np.concatenate([rng.permutation(len(v)), rng.integers(0, len(v), 10), [-1, 0]])
    batch = v.get_frames_at(idx)
    assert batch.frames.shape == (len(idx), *ref.upright(0).shape)
    expected_idx = np.where(idx < 0, idx + len(v), idx)
    assert batch.indices.tolist() == expected_idx.tolist()
    np.testing.assert_array_equal(batch.timestamps, v.pts_seconds[expected_idx])
    for k, i in enumerate(expected_idx.tolist()):
        np.testing.assert_array_equal(batch.frames[k], ref.upright(i), err_msg=f"{name} {i}")


@names
def test_iter_batches_every_frame_and_sampled(name, videos, references):
    v, ref = videos[name], references[name]
    got = list(v.iter_batches(segment_duration=0.5))
    assert sum(len(b) for b in got) == len(v)
    frames = np.concatenate([b.frames for b in got])
    indices = np.concatenate([b.indices for b in got])
    assert indices.tolist() == list(range(len(v)))
    for i in range(len(v)):
        np.testing.assert_array_equal(frames[i], ref.upright(i))
    # sampling at 7 fps: at each instant the frame on screen
    fps = 7.0
    start = v.metadata.start_seconds
    sampled = list(v.iter_batches(target_frame_rate=fps, segment_duration=1.0))
    idx = np.concatenate([b.indices for b in sampled])
    instants = start + np.arange(len(idx)) / fps
    pts = np.array(ref.pts) * float(ref.time_base)
    for t, i, frame in zip(instants, idx, np.concatenate([b.frames for b in sampled]), strict=True):
        assert pts[i] <= t + 1e-12 and (i + 1 == len(pts) or pts[i + 1] > t)
        np.testing.assert_array_equal(frame, ref.upright(int(i)))
    pos = 0
    for b in sampled:  # each batch holds exactly the instants of one 1-second segment
        seg = np.floor((instants[pos : pos + len(b)] - start) / 1.0)
        assert len(set(seg.tolist())) == 1
        pos += len(b)
    assert pos == len(instants)


@names
def test_played_at_and_keyframe_preview(name, videos, references):
    v, ref = videos[name], references[name]
    pts = v.pts_seconds
    for i in [0, len(v) // 3, len(v) - 1]:
        np.testing.assert_array_equal(v.get_frame_played_at(pts[i]), ref.upright(i))
        mid = pts[i] + (pts[i + 1] - pts[i]) / 2 if i + 1 < len(v) else pts[i] + 1e-4
        assert v.index_played_at(mid) == i
        np.testing.assert_array_equal(v.get_keyframe_preview(i), v[max(v.keyframe_for(i), 0)])
    batch = v.get_frames_played_at([pts[-1], pts[0], pts[0]])
    assert batch.indices.tolist() == [len(v) - 1, 0, 0]
    with pytest.raises(wb.FrameIndexError):
        v.get_frame_played_at(pts[0] - 0.001)
    with pytest.raises(wb.FrameIndexError):
        v.get_frame_played_at(v.metadata.end_seconds)


@names
def test_burnt_in_frame_codes_are_consecutive(name, videos, references):
    v, ref = videos[name], references[name]
    codes = [read_frame_code(v[i]) for i in range(0, len(v), max(1, len(v) // 12))]
    step = max(1, len(v) // 12)
    first = ref.codes[0]
    assert codes == [first + k * step for k in range(len(codes))]


def test_keyframes_are_keyframes(videos, references):
    v = videos["h264_bframes_pyramid"]
    assert v.keyframe_indices.tolist() == [0, 20, 40, 60]
    assert v.metadata.has_b_frames
    assert not videos["h264_ippp"].metadata.has_b_frames


def test_metadata(videos):
    m = videos["h264_ippp"].metadata
    assert (m.width, m.height, m.codec, m.num_frames) == (160, 96, "h264", 60)
    assert m.fps == pytest.approx(30.0)
    assert m.duration_seconds == pytest.approx(2.0)
    assert m["pix_fmt"] == "yuv420p" and dict(m)["rotation"] == 0
    rot = videos["rotation_90"].metadata
    assert (rot.width, rot.height, rot.rotation) == (96, 160, 90)
    assert videos["start_pts"].metadata.start_seconds == pytest.approx(2.5)
    assert videos["audio_first"].metadata.stream_index == 1
    assert videos["odd_size"].metadata.width == 161
    assert videos["vp9_mkv"].metadata.codec == "vp9"
    assert videos["av1_mkv"].metadata.codec == "av1"  # the codec, not the decoder (libdav1d)


@pytest.mark.parametrize("name", ["rotation_90", "rotation_270", "rotation_180"])
def test_rotation_matches_ffmpeg_autorotate_and_can_be_turned_off(name, case_files, videos):
    import shutil
    import subprocess

    v = videos[name]
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg CLI not installed")
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(case_files[name]),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    m = v.metadata
    ff = np.frombuffer(out, np.uint8).reshape(m.height, m.width, 3)
    ours = v[0]
    assert ours.shape == ff.shape
    assert np.abs(ours.astype(int) - ff).mean() < 3  # same orientation (not bit-exact swscale)
    raw = wb.open_video(case_files[name], cache=False, apply_rotation=False)
    assert raw[0].shape == (96, 160, 3)
    assert raw.metadata.width == 160


def test_scale_size_and_formats(videos, references):
    import av

    v = videos["h264_bframes_pyramid"]
    ref = references["h264_bframes_pyramid"]
    small = v.get_frame_at(5, resize_rate=0.5)
    assert small.shape == (48, 80, 3)
    gray = v.get_frames_at([5, 6], size=(40, 24), format="gray")
    assert gray.frames.shape == (2, 24, 40, 1)
    bgr = v.get_frame_at(5, format="bgr24")
    np.testing.assert_array_equal(bgr[..., ::-1], ref.frames[5])
    with av.open(str(ref.path)) as c:
        f5 = [f for k, f in zip(range(6), c.decode(video=0), strict=False)][5]
    np.testing.assert_array_equal(small, f5.to_ndarray(format="rgb24", width=80, height=48))
    with pytest.raises(wb.InvalidArgumentError):
        v.get_frame_at(0, format="yuv")
    with pytest.raises(wb.InvalidArgumentError):
        v.get_frame_at(0, resize_rate=0.5, size=(4, 4))


def test_index_errors_and_slices(videos, references):
    v = videos["h264_ippp"]
    n = len(v)
    np.testing.assert_array_equal(v[-1], references["h264_ippp"].frames[-1])
    with pytest.raises(wb.FrameIndexError, match=rf"\b{n}\b.*{n} frames"):
        v[n]
    with pytest.raises(IndexError, match="-61"):
        v[-n - 1]
    with pytest.raises(wb.FrameIndexError):
        v.get_frames_at([0, 1000])
    with pytest.raises(wb.InvalidArgumentError):
        v[1.5]
    b = v[10:20:3]
    assert isinstance(b, wb.FrameBatch) and b.indices.tolist() == [10, 13, 16, 19]
    assert len(v[5:5]) == 0
    assert v.get_frames_at([]).frames.shape[0] == 0


@pytest.mark.parametrize(
    "name", ["h264_bframes_pyramid", "hevc_long_gop", "vp9_mkv", "av1_long_gop"]
)
def test_stepping_forward_and_back_uses_the_warm_decoder_and_cache(name, case_files, references):
    ref = references[name]
    v = wb.open_video(case_files[name], cache=False)
    start = len(v) // 2
    np.testing.assert_array_equal(v[start], ref.upright(start))
    seeks = v.decoder.stats["seeks"]
    for i in range(start + 1, start + 8):  # next, next, ...: no seek
        np.testing.assert_array_equal(v[i], ref.upright(i))
    assert v.decoder.stats["seeks"] == seeks
    hits = v.frame_cache.hits
    for i in range(start + 6, start - 1, -1):  # previous, previous, ...: from the cache
        np.testing.assert_array_equal(v[i], ref.upright(i))
    assert v.frame_cache.hits - hits == 7 and v.decoder.stats["seeks"] == seeks
    # stepping back past the cache decodes the GOP once, then hits the cache
    far = len(v) - 2
    v[far]
    seeks = v.decoder.stats["seeks"]
    for i in range(far - 1, far - 10, -1):
        np.testing.assert_array_equal(v[i], ref.upright(i))
    assert v.decoder.stats["seeks"] - seeks <= 2
    # one cached picture serves any size and format
    small = v.get_frame_at(far, resize_rate=0.5, format="gray")
    assert small.shape == (ref.upright(0).shape[0] // 2, ref.upright(0).shape[1] // 2, 1)
    v.close()


@pytest.mark.parametrize(
    "name", ["h264_bframes_pyramid", "hevc_open_gop", "edit_list", "av1_long_gop"]
)
def test_serial_and_parallel_paths_agree(name, case_files, references):
    ref = references[name]
    idx = np.random.default_rng(3).integers(0, len(ref.frames), 40)
    for threads in (1, 2, 3):
        v = wb.open_video(case_files[name], cache=False, threads=threads)
        got = v.get_frames_at(idx)
        for k, i in enumerate(idx.tolist()):
            np.testing.assert_array_equal(got.frames[k], ref.upright(i))
        batches = list(v.iter_batches(target_frame_rate=11, resize_rate=0.5, segment_duration=0.3))
        assert len(batches) > 3
        again = list(v.iter_batches(target_frame_rate=11, resize_rate=0.5, segment_duration=0.3))
        for a, b in zip(batches, again, strict=True):
            np.testing.assert_array_equal(a.indices, b.indices)
            np.testing.assert_array_equal(a.frames, b.frames)
        if threads == 1:
            serial = batches
        else:
            for a, b in zip(serial, batches, strict=True):
                np.testing.assert_array_equal(a.frames, b.frames)
        stop_early = v.iter_batches(segment_duration=0.2)
        next(stop_early)
        stop_early.close()  # a consumer that stops early leaves no worker behind
        v.close()
