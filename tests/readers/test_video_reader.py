"""Video reader: exact sampling, absolute times, sidecar times, segments, lazy first batch."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import workbench as wb
from workbench.errors import CorruptMediaError, InvalidArgumentError
from workbench.samples import read_frame_code


def codes(batch):
    return [read_frame_code(f) for f in batch.frames]


def test_target_frame_rate_gives_frame_on_screen_per_segment(media):
    row = {
        "path": str(media["video"]),
        "record_id": "rec1",
        "start_timestamp": 1000.0,
        "content-type": "video/mp4",
    }
    reader = wb.read(
        row, target_frame_rate=2, resize_rate=0.5, segment_duration=1.0, cache=media["cache"]
    )
    assert len(reader) == 4
    batches = list(reader)
    assert len(batches) == 4
    assert [b.indices.tolist() for b in batches] == [[0, 15], [30, 45], [60, 75], [90, 105]]
    assert codes(batches[2]) == [60, 75]
    np.testing.assert_allclose(batches[1].timestamps, [1001.0, 1001.5])
    assert batches[0].frames.shape == (2, 54, 96, 3) and batches[0].frames.dtype == np.uint8
    assert batches[0].record_id == "rec1" and batches[0].columns == ["r", "g", "b"]


def test_off_grid_rate_and_window(read_media):
    # 7 fps over [1.05, 2.05): instants 1.05 + k/7; frame on screen = floor(t * 30)
    batch = read_media(start=1.05, end=2.05, target_frame_rate=7).read_all()
    expect = [int(np.floor((1.05 + k / 7) * 30 + 1e-9)) for k in range(7)]
    assert batch.indices.tolist() == expect
    assert codes(batch) == expect


def test_every_frame_without_rate_and_formats(read_media):
    reader = read_media(start=0.5, end=1.0, size=(64, 36), format="gray")
    batch = reader.read_all()
    assert batch.indices.tolist() == list(range(15, 30))
    assert batch.frames.shape == (15, 36, 64, 1)
    bgr = read_media(end=0.1, format="bgr24").read_all()
    rgb = read_media(end=0.1).read_all()
    np.testing.assert_array_equal(bgr.frames, rgb.frames[..., ::-1])


def test_rate_above_fps_repeats_the_frame_on_screen(read_media):
    batch = read_media(end=0.1, target_frame_rate=60).read_all()
    assert batch.indices.tolist() == [0, 0, 1, 1, 2, 2]


def test_keyframes_mode_is_a_preview(read_media):
    batch = read_media(target_frame_rate=2, mode="keyframes").read_all()
    assert batch.indices.tolist() == [0, 30, 60, 90]
    assert codes(batch) == [0, 30, 60, 90]


def test_plan_matches_the_read(read_media):
    reader = read_media(target_frame_rate=3, resize_rate=0.25, segment_duration=1.5)
    plan = reader.plan()
    batches = list(reader)
    assert plan.segments == len(batches) == len(reader)
    assert plan.items == sum(len(b) for b in batches) == 12
    assert plan.bytes == sum(b.frames.nbytes for b in batches)
    assert plan.shape == (27, 48, 3)


def test_first_batch_only_decodes_its_own_segment(media, monkeypatch):
    video = wb.open_video(media["video"], cache=media["cache"])
    asked = []
    real = type(video).get_frames_at

    def spy(self, indices, **kw):
        asked.append(list(indices))
        return real(self, indices, **kw)

    monkeypatch.setattr(type(video), "get_frames_at", spy)
    reader = wb.read(video, start=3.0, target_frame_rate=2, segment_duration=0.5)
    first = next(iter(reader))
    assert asked == [[90]]
    assert codes(first) == [90]


def test_timestamps_sidecar_wins(tmp_path, media):
    video = tmp_path / "camera_01.mp4"
    shutil.copy(media["video"], video)
    times = 5000.0 + np.arange(120) / 30 + np.where(np.arange(120) >= 60, 0.5, 0.0)  # a 0.5 s gap
    (tmp_path / "camera_01_timestamps.csv").write_text(
        "frame,timestamp\n" + "".join(f"{i},{t:.6f}\n" for i, t in enumerate(times))
    )
    reader = wb.read(
        {"path": str(video), "record_id": "r", "start_timestamp": 1.0},
        target_frame_rate=2,
        cache=tmp_path / "c",
    )
    batch = reader.read_all()
    np.testing.assert_allclose(batch.timestamps, times[batch.indices])
    # instants 5000, 5000.5, ... the gap of 0.5 s keeps frame 59 on screen until 5002.5
    assert batch.indices.tolist()[:6] == [0, 15, 30, 45, 59, 60]
    assert codes(batch)[4] == 59


def test_catalog_record_and_video_sources(media):
    from workbench.catalog import Record

    rec = Record(
        {
            "record_id": "r9",
            "path": str(media["video"]),
            "content_type": "video/mp4",
            "start_timestamp": 10.0,
            "tags": ["camera"],
        }
    )
    batch = wb.read(rec, start=11.0, end=11.5, target_frame_rate=2, cache=media["cache"]).read_all()
    assert batch.indices.tolist() == [30] and batch.record_id == "r9"
    if hasattr(rec, "read"):
        assert rec.read(start=11.0, end=11.5, target_frame_rate=2).read_all().indices[0] == 30


def test_window_outside_the_video(read_media):
    with pytest.raises(InvalidArgumentError, match="does not overlap"):
        len(read_media(start=100, end=200))


def test_garbage_video_is_typed(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    with pytest.raises(CorruptMediaError):
        list(wb.read(bad, cache=False))
