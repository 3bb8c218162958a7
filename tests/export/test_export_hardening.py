"""Export faults found by attacking the workbench: names, output folders, error texts."""

from __future__ import annotations

import errno
import shutil

import pytest

import workbench as wb
from workbench.errors import ExportError, InvalidArgumentError
from workbench.export import atomic
from workbench.export.naming import NameTemplate


def test_default_name_is_unique_on_the_sample_database(tmp_path):
    root = wb.samples.make_sample_database(
        tmp_path / "db", records=2, duration_seconds=1, size=(160, 96), workers=1
    )
    sel = wb.build_catalog(root).select(tags=["camera"], content_type="video/*")
    assert len(sel) == 4  # two cameras per record
    res = wb.export_frames(sel, tmp_path / "out", target_frame_rate=2, progress=False)
    assert res.ok and res.written == 8
    names = sorted(p.name for p in (tmp_path / "out").glob("*.jpg"))
    assert len(names) == 8
    assert all("camera_01" in n or "camera_02" in n for n in names)
    # one camera per record keeps the short name
    front = wb.build_catalog(root).select(tags=["camera", "front"], content_type="video/*")
    res = wb.export_frames(front, tmp_path / "front", target_frame_rate=2, progress=False)
    assert res.written == 4
    assert all("camera" not in p.name for p in (tmp_path / "front").glob("*.jpg"))


def test_default_name_when_two_sources_of_a_record_share_a_stem(tmp_path, clips):
    other = tmp_path / "rear" / "camera_01.mp4"
    other.parent.mkdir()
    shutil.copy(clips["a"], other)
    sel = [
        {"path": str(clips["a"]), "record_id": "r"},
        {"path": str(other), "record_id": "r"},
    ]
    res = wb.export_frames(sel, tmp_path / "out", target_frame_rate=1, progress=False)
    assert res.ok and res.written == 6
    assert len(list((tmp_path / "out").glob("*.jpg"))) == 6


@pytest.mark.parametrize(
    "template",
    [
        "a\x00{n}.jpg",
        "line\nbreak-{n}.jpg",
        "tab\t{n}.jpg",
        "d/" * 2000 + "{n}.jpg",
        "{n:\n>4}.jpg",
    ],
)
def test_hostile_templates_are_typed_errors(tmp_path, clips, template):
    with pytest.raises(InvalidArgumentError):
        wb.export_frames(clips["a"], tmp_path / "o", target_frame_rate=1, name=template,
                         progress=False)  # fmt: skip
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").rglob("*.jpg"))


def test_rendered_control_characters_never_reach_a_file_name():
    t = NameTemplate("{index:c}-{n}.jpg")  # chr(10) is a newline
    with pytest.raises(InvalidArgumentError, match="control character"):
        t.render(index=10, n=0)
    assert NameTemplate("{record_id}-{n}.jpg").render(record_id="a\nb", n=1).count("\n") == 0


def test_export_error_names_the_errno_once(tmp_path, clips, monkeypatch):
    def full(fh, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write", full)
    with pytest.raises(ExportError) as exc:
        wb.export_frames(clips["a"], tmp_path / "out", target_frame_rate=2, progress=False)
    text = str(exc.value)
    assert text.count("[Errno") == 1 and text.startswith("[Errno 28]"), text
    assert exc.value.errno == errno.ENOSPC
    # an errno without a hand-written reason: its strerror, once
    err = atomic._export_error(tmp_path / "x", OSError(errno.EEXIST, "File exists"))
    assert str(err).count("[Errno") == 1 and "File exists" in str(err)


def test_output_folder_mistakes_are_said_once(tmp_path, clips, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidArgumentError, match="output folder is empty"):
        wb.export_frames(clips["a"], "", target_frame_rate=2, progress=False)
    with pytest.raises(InvalidArgumentError, match="looks like a file name"):
        wb.export_frames(clips["a"], "out.mp4", target_frame_rate=2, progress=False)
    assert not (tmp_path / "out.mp4").exists()
    afile = tmp_path / "afile.txt"
    afile.write_text("x")
    with pytest.raises(ExportError, match="is a file, not a folder") as exc:
        wb.export_frames(clips["a"], afile, target_frame_rate=2, progress=False)
    assert str(exc.value).count("[Errno") == 1 and str(exc.value).count("afile.txt") == 1
    with pytest.raises(ExportError, match="which is a file"):
        wb.export_frames(clips["a"], afile / "sub", target_frame_rate=2, progress=False)
    assert list(tmp_path.glob("*.jpg")) == []
    # an existing folder with a suffix is fine
    (tmp_path / "run.v2").mkdir()
    assert wb.export_frames(clips["a"], "run.v2", target_frame_rate=1, progress=False).ok


@pytest.mark.parametrize(
    ("option", "right"),
    [
        ("fps", "target_frame_rate"),
        ("scale", "resize_rate"),
        ("segment_seconds", "segment_duration"),
        ("target_framerate", "target_frame_rate"),
    ],
)
def test_read_names_an_unknown_option_and_the_right_one(clips, option, right):
    match = f"unknown option {option}=2: did you mean {right}=2"
    with pytest.raises(InvalidArgumentError, match=match):
        wb.read(clips["a"], **{option: 2})


@pytest.mark.parametrize(
    ("template", "index"),
    [
        ("{n:9999999999}.jpg", 0),  # a 10 GB name: refused before formatting
        ("{n:{index}}.jpg", 0),  # a width taken from a value
        ("{index:c}-{n}.jpg", 0x110000),  # not a code point
        ("{index:c}-{n}.jpg", 0xD800),  # a lone surrogate cannot be encoded
        ("{record_id.real}-{n}.jpg", 0),  # attribute access on a value
    ],
)
def test_hostile_format_specs_are_typed_errors(template, index):
    with pytest.raises(InvalidArgumentError):
        NameTemplate(template).render(record_id="r", index=index, n=1, timestamp=0.0)


def test_rendered_slashes_never_make_an_absolute_name():
    t = NameTemplate("{index:c}{index:c}{n}.jpg")  # chr(47) == "/"
    assert t.render(index=47, n=1) == "1.jpg"
    assert NameTemplate("{index:c}{index:c}/{n}.jpg").render(index=46, n=1) == "1.jpg"  # ".."
