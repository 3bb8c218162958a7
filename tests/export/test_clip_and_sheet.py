"""export_clip (copy vs re-encode, atomic) and contact_sheet."""

from __future__ import annotations

import av
import pytest

import workbench as wb
from workbench.errors import CorruptMediaError, InvalidArgumentError
from workbench.samples import read_frame_code


def decoded_codes(path):
    with av.open(str(path)) as c:
        return [read_frame_code(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def test_keyframe_aligned_cut_is_a_lossless_copy(tmp_path, clips):
    row = {"path": str(clips["a"]), "record_id": "r", "start_timestamp": 100.0}
    res = wb.export_clip(row, tmp_path / "c.mp4", start=101.0, end=102.0, progress=False)
    assert res.method == "copy" and res.frames == 30
    assert (res.start, res.end) == pytest.approx((101.0, 102.0))
    assert decoded_codes(res.path) == list(range(30, 60))
    assert res.bytes == res.path.stat().st_size


def test_mid_gop_cut_and_transforms_are_re_encoded(tmp_path, clips):
    res = wb.export_clip(clips["a"], tmp_path / "c.mp4", start=1.1, end=2.0, progress=False)
    assert res.method == "encode" and res.frames == 27
    assert decoded_codes(res.path) == list(range(33, 60))
    small = wb.export_clip(
        clips["a"],
        tmp_path / "s.mkv",
        start=0,
        end=3,
        target_frame_rate=5,
        resize_rate=0.25,
        progress=False,
    )
    assert small.method == "encode" and small.frames == 15
    with av.open(str(small.path)) as c:
        st = c.streams.video[0]
        assert (st.codec_context.width, st.codec_context.height) == (48, 26)  # even sizes


def test_failed_clip_leaves_nothing(tmp_path, clips, monkeypatch):
    monkeypatch.setattr("workbench.export.clip.CHUNK_BYTES", 192 * 108 * 3 * 10)
    from workbench.readers.video import VideoReader

    out = tmp_path / "c.mp4"
    out.write_bytes(b"previous clip")
    real = VideoReader.fetch
    calls = {"n": 0}

    def failing(self, indices, timestamps=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise CorruptMediaError("damaged")
        return real(self, indices, timestamps)

    monkeypatch.setattr(VideoReader, "fetch", failing)
    with pytest.raises(CorruptMediaError):
        wb.export_clip(clips["a"], out, start=0.5, end=2.9, progress=False)
    assert out.read_bytes() == b"previous clip"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.mp4"]


def test_clip_bad_input(tmp_path, clips):
    with pytest.raises(InvalidArgumentError, match="before end"):
        wb.export_clip(clips["a"], tmp_path / "c.mp4", start=2, end=1)
    with pytest.raises(InvalidArgumentError, match="must end in"):
        wb.export_clip(clips["a"], tmp_path / "c.gif", start=0, end=1)
    with pytest.raises(InvalidArgumentError, match="resize_rate"):
        wb.export_clip(clips["a"], tmp_path / "c.mp4", start=0, end=1, resize_rate=-1)
    with pytest.raises(InvalidArgumentError, match="does not overlap"):
        wb.export_clip(clips["a"], tmp_path / "c.mp4", start=50, end=60)
    can = tmp_path / "can.csv"
    can.write_text("timestamp,v\n0,1\n1,2\n")
    with pytest.raises(InvalidArgumentError, match="needs a video"):
        wb.export_clip(can, tmp_path / "c.mp4", start=0, end=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["can.csv"]


def test_contact_sheet(clips):
    sheet = wb.contact_sheet(clips["a"], every=0.5, columns=3, width=300, label=False)
    assert sheet.size == (300, 2 * 56)
    top_left = sheet.crop((0, 20, 100, 56)).resize((192, 68))
    assert sheet.mode == "RGB" and top_left.size == (192, 68)
    with pytest.raises(InvalidArgumentError):
        wb.contact_sheet(clips["a"], every=0.0001)


def test_contact_sheet_labels_sit_below_the_pictures(clips):
    """A label never covers the picture, whose own burnt-in text must stay readable."""
    import numpy as np

    plain = np.asarray(wb.contact_sheet(clips["a"], every=0.5, columns=3, width=300, label=False))
    sheet = np.asarray(wb.contact_sheet(clips["a"], every=0.5, columns=3, width=300))
    tw, th = 100, 56
    strip = sheet.shape[0] // 2 - th  # each row: the pictures, then their label strip
    assert sheet.shape[1] == 300 and strip >= 8
    for k in range(6):
        row, x = k // 3, (k % 3) * tw
        top = row * (th + strip)
        picture = sheet[top : top + th, x : x + tw]
        assert np.array_equal(picture, plain[row * th : (row + 1) * th, x : x + tw]), k
        label = sheet[top + th : top + th + strip, x : x + tw].astype(int)
        ink = np.abs(label - (24, 24, 24)).sum(axis=2) > 200  # light text on the background
        assert ink.sum() > 10, f"no label under tile {k}"
