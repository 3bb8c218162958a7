"""make_edit_list_cut: a stream-copy cut from mid-GOP presented from the cut frame."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from samples_support import decode_all, rgb, video_packets

from workbench.errors import InvalidArgumentError, SourceNotFoundError
from workbench.samples import make_edit_list_cut, make_video, read_frame_code


def _has_edit_list(path: Path) -> bool:
    return b"elst" in path.read_bytes()


def _elst_media_time(path: Path) -> int:
    data = path.read_bytes()
    i = data.index(b"elst")
    version = data[i + 4]
    count = int.from_bytes(data[i + 8 : i + 12], "big")
    assert count >= 1
    entries = data[i + 12 :]
    # take the last entry (an empty edit, if any, comes first with media_time -1)
    size = 20 if version == 1 else 12
    entry = entries[(count - 1) * size : count * size]
    if version == 1:
        return int.from_bytes(entry[8:16], "big", signed=True)
    return int.from_bytes(entry[4:8], "big", signed=True)


@pytest.fixture(scope="module")
def source(module_tmp: Path) -> Path:
    return make_video(module_tmp / "src.mp4", size=(160, 96), frames=60, gop=30)


@pytest.fixture(scope="module")
def source_b(module_tmp: Path) -> Path:
    return make_video(module_tmp / "src_b.mp4", size=(160, 96), frames=60, gop=30, bframes=2)


def test_cut_mid_gop_starts_at_the_cut_frame(source: Path, tmp_path: Path) -> None:
    cut = make_edit_list_cut(source, tmp_path / "cut.mp4", 0.5)  # frame 15
    assert _has_edit_list(cut)
    frames = decode_all(cut)
    assert [read_frame_code(rgb(f)) for f in frames] == list(range(15, 60))
    assert frames[0].pts == 0
    # the leading packets (frames 0..14 of the GOP) were copied, with negative pts
    packets = video_packets(cut)
    assert len(packets) == 60
    assert packets[0].is_keyframe and packets[0].pts < 0
    with av.open(str(cut)) as c:
        s = c.streams.video[0]
        assert float(packets[0].pts * s.time_base) == pytest.approx(-0.5)
        assert _elst_media_time(cut) == -packets[0].pts  # in the track timescale


def test_cut_with_b_frames(source_b: Path, tmp_path: Path) -> None:
    cut = make_edit_list_cut(source_b, tmp_path / "cut.mp4", 41 / 30)
    frames = decode_all(cut)
    assert [read_frame_code(rgb(f)) for f in frames] == list(range(41, 60))
    assert float(frames[0].pts * frames[0].time_base) == pytest.approx(0.0)


def test_cut_between_frames_rounds_up(source: Path, tmp_path: Path) -> None:
    cut = make_edit_list_cut(source, tmp_path / "cut.mov", 0.51)
    assert read_frame_code(rgb(decode_all(cut)[0])) == 16


def test_cut_on_a_keyframe_copies_from_it(source: Path, tmp_path: Path) -> None:
    cut = make_edit_list_cut(source, tmp_path / "cut.mp4", 1.0)
    packets = video_packets(cut)
    assert len(packets) == 30 and packets[0].pts == 0
    assert [read_frame_code(rgb(f)) for f in decode_all(cut)] == list(range(30, 60))


def test_bad_arguments(source: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="after the last frame"):
        make_edit_list_cut(source, tmp_path / "c.mp4", 5.0)
    with pytest.raises(InvalidArgumentError, match=r"\.mp4 or \.mov"):
        make_edit_list_cut(source, tmp_path / "c.mkv", 0.5)
    with pytest.raises(SourceNotFoundError):
        make_edit_list_cut(tmp_path / "missing.mp4", tmp_path / "c.mp4", 0.5)
    assert list(tmp_path.iterdir()) == []
