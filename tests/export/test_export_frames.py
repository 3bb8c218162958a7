"""export_frames: content, names, resume, failures, disk full, never a partial file."""

from __future__ import annotations

import errno
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

import workbench as wb
from workbench.errors import CorruptMediaError, ExportError, InvalidArgumentError
from workbench.export import atomic
from workbench.export.manifest import MANIFEST_NAME
from workbench.samples import read_frame_code


def leftovers(folder):
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]


def _break_writes(
    monkeypatch: pytest.MonkeyPatch,
    fails: Callable[[int], bool],
    keep: Callable[[bytes], int],
    error: Callable[[], BaseException],
) -> Callable[..., None]:
    """Make the n-th file write, when ``fails(n)``, write ``keep(data)`` bytes and raise
    ``error()`` (a power loss, a full disk); return the real writer, to put back."""
    calls = {"n": 0}
    real = atomic._write

    def broken(fh, data):
        calls["n"] += 1
        if fails(calls["n"]):
            fh.write(data[: keep(data)])
            raise error()
        real(fh, data)

    monkeypatch.setattr(atomic, "_write", broken)
    return real


def test_frames_are_exact_and_named_from_the_template(tmp_path, clips):
    row = {"path": str(clips["a"]), "record_id": "rec/1", "start_timestamp": 100.0}
    res = wb.export_frames(
        row, tmp_path / "out", target_frame_rate=2, resize_rate=0.5, progress=False
    )
    assert res.ok and res.written == 6 and res.skipped == 0
    assert res.bytes == sum(p.stat().st_size for p in res.files)
    assert res.first_file_seconds is not None and res.first_file_seconds <= res.seconds
    names = sorted(p.name for p in res.files)
    assert names[0].startswith("rec_1~") and names[0].endswith("-100.000.jpg")
    assert all(p.parent == tmp_path / "out" for p in res.files)
    for p in res.files:
        with Image.open(p) as im:
            assert im.size == (96, 54) and im.format == "JPEG"
            ts = float(p.stem.rsplit("-", 1)[1])
            assert read_frame_code(np.asarray(im.convert("RGB"))) == round((ts - 100.0) * 30)
    assert not leftovers(tmp_path / "out")


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("webp", "WEBP")])
def test_other_formats(tmp_path, clips, fmt, pil):
    res = wb.export_frames(
        clips["a"],
        tmp_path,
        target_frame_rate=1,
        format=fmt,
        name="{camera}/{index:05d}.{ext}",
        progress=False,
    )
    assert sorted(p.relative_to(tmp_path).as_posix() for p in res.files) == [
        f"camera_01/{i:05d}.{'png' if fmt == 'png' else 'webp'}" for i in (0, 30, 60)
    ]
    with Image.open(res.files[0]) as im:
        assert im.format == pil


def test_rerun_does_only_missing_files(tmp_path, clips):
    out = tmp_path / "out"
    first = wb.export_frames(clips["a"], out, target_frame_rate=2, progress=False)
    assert first.written == 6 and (out / MANIFEST_NAME).exists()
    victims = sorted(first.files)[:2]
    for v in victims:
        v.unlink()
    (sorted(first.files)[3]).write_bytes(b"trunc")  # a file cut short by a power loss
    again = wb.export_frames(clips["a"], out, target_frame_rate=2, progress=False)
    assert (again.written, again.skipped) == (3, 3)
    assert sorted(again.files) == sorted([*victims, sorted(first.files)[3]])
    other = wb.export_frames(clips["a"], out, target_frame_rate=2, quality=50, progress=False)
    assert other.written == 6  # different parameters: nothing is trusted


def test_interrupted_export_leaves_no_partial_file_and_resumes(tmp_path, clips, monkeypatch):
    out = tmp_path / "out"
    real = _break_writes(
        monkeypatch, lambda n: n == 4, lambda data: len(data) // 2, KeyboardInterrupt
    )
    with pytest.raises(KeyboardInterrupt):
        wb.export_frames(clips["a"], out, target_frame_rate=2, workers=1, progress=False)
    monkeypatch.setattr(atomic, "_write", real)
    assert not leftovers(out)
    done = list(out.glob("*.jpg"))
    assert 3 <= len(done) < 6  # the frames queued behind the interrupted one may finish
    for p in done:
        with Image.open(p) as im:
            im.load()  # every file on disk is complete
    res = wb.export_frames(clips["a"], out, target_frame_rate=2, progress=False)
    assert (res.written, res.skipped) == (6 - len(done), len(done))


def test_disk_full_is_an_export_error_and_resumable(tmp_path, clips, monkeypatch):
    out = tmp_path / "out"
    real = _break_writes(
        monkeypatch,
        lambda n: n > 2,
        lambda data: 10,
        lambda: OSError(errno.ENOSPC, "No space left on device"),
    )
    with pytest.raises(ExportError, match="disk is full") as exc:
        wb.export_frames(clips["a"], out, target_frame_rate=2, workers=1, progress=False)
    assert exc.value.errno == errno.ENOSPC and isinstance(exc.value, OSError)
    assert exc.value.result.written == 2
    assert not leftovers(out) and len(list(out.glob("*.jpg"))) == 2
    monkeypatch.setattr(atomic, "_write", real)
    res = wb.export_frames(clips["a"], out, target_frame_rate=2, progress=False)
    assert (res.written, res.skipped) == (4, 2)


def test_unwritable_output_folder(tmp_path, clips):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="a-file"):
        wb.export_frames(clips["a"], blocker / "out", target_frame_rate=2, progress=False)


def test_corrupt_video_in_a_selection_is_reported_and_others_kept(tmp_path, clips):
    bad = tmp_path / "bad" / "camera_01.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    sel = [
        {"path": str(clips["a"]), "record_id": "r1"},
        {"path": str(bad), "record_id": "r2"},
        {"path": str(clips["b"]), "record_id": "r3"},
    ]
    res = wb.export_frames(sel, tmp_path / "out", target_frame_rate=1, progress=False)
    assert res.written == 6 and not res.ok
    assert [f.record_id for f in res.failed] == ["r2"] and "bad" in res.failed[0].source
    assert {p.name.split("-")[0] for p in res.files} == {"r1", "r3"}


def test_decode_failure_mid_record_keeps_earlier_files(tmp_path, clips, monkeypatch):
    from workbench.readers.video import VideoReader

    real = VideoReader.fetch
    calls = {"n": 0}

    def failing(self, indices, timestamps=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise CorruptMediaError(f"{self.source.path} is damaged at frame {indices[0]}")
        return real(self, indices, timestamps)

    monkeypatch.setattr(VideoReader, "fetch", failing)
    sel = [
        {"path": str(clips["a"]), "record_id": "r1"},
        {"path": str(clips["b"]), "record_id": "r2"},
    ]
    res = wb.export_frames(
        sel, tmp_path / "out", target_frame_rate=2, segment_duration=1.0, progress=False
    )
    assert len(res.failed) == 1 and "damaged" in res.failed[0].error
    assert res.written == 2 + 6  # first record: two chunks before the failure; second: all
    assert not leftovers(tmp_path / "out")


def test_selection_skips_non_frame_sources_and_rejects_colliding_names(tmp_path, clips):
    can = tmp_path / "can.csv"
    can.write_text("timestamp,speed\n0,1\n1,2\n")
    res = wb.export_frames([clips["a"], can], tmp_path / "o1", target_frame_rate=1, progress=False)
    assert res.written == 3 and [s.source for s in res.skipped_sources] == [str(can)]
    # two files of one record under a user's name without {camera} would overwrite each
    # other (the default name adds the camera then: test_default_name_two_cameras...)
    same = [
        {"path": str(clips["a"]), "record_id": "r"},
        {"path": str(clips["b"]), "record_id": "r"},
    ]
    with pytest.raises(InvalidArgumentError, match="camera"):
        wb.export_frames(
            same, tmp_path / "o2", target_frame_rate=1, progress=False,
            name="{record_id}-{timestamp:.3f}.jpg",
        )  # fmt: skip
    assert not list((tmp_path / "o2").glob("*.jpg"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target_frame_rate": -1}, "target_frame_rate"),
        ({"target_frame_rate": 1, "start": 3, "end": 1}, "before end"),
        ({"target_frame_rate": 1, "quality": 0}, "quality"),
        ({"target_frame_rate": 1, "format": "gif"}, "format"),
        ({"target_frame_rate": 1, "format": "png", "name": "{timestamp}.jpg"}, "agree"),
    ],
)
def test_bad_arguments(tmp_path, clips, kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        wb.export_frames(clips["a"], tmp_path / "o", progress=False, **kwargs)
    assert not (tmp_path / "o").exists()


def test_single_missing_source_is_typed(tmp_path):
    with pytest.raises(FileNotFoundError):
        wb.export_frames(
            tmp_path / "missing.mp4", tmp_path / "o", target_frame_rate=1, progress=False
        )
