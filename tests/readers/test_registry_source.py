"""Reader registry, source normalisation and option validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

import workbench as wb
from workbench.errors import InvalidArgumentError, SourceNotFoundError, UnknownContentTypeError
from workbench.readers.base import BaseReader
from workbench.readers.registry import find_reader, unregister_reader
from workbench.readers.source import resolve_source


def test_unknown_content_type_lists_known(tmp_path):
    path = tmp_path / "log.bin"
    path.write_bytes(b"\0")
    with pytest.raises(UnknownContentTypeError) as exc:
        wb.read(path)
    msg = str(exc.value)
    assert "application/octet-stream" in msg and "video/*" in msg and "text/csv" in msg
    assert isinstance(exc.value, LookupError)


def test_missing_file_is_typed(tmp_path):
    with pytest.raises(SourceNotFoundError, match=r"nope\.mp4"):
        wb.read(tmp_path / "nope.mp4")
    with pytest.raises(FileNotFoundError):
        wb.read({"path": str(tmp_path / "gone.csv"), "record_id": "r"})


class _CountingReader(BaseReader):
    kind = "series"

    def __iter__(self):
        yield np.arange(3)

    def __len__(self):
        return 1

    def plan(self):
        raise NotImplementedError

    def read_all(self):
        return next(iter(self))


def test_user_reader_registration_wins_and_is_lazy(tmp_path):
    path = tmp_path / "x.mylog"
    path.write_text("hi")
    row = {"path": str(path), "content_type": "application/x-mylog", "record_id": "r"}
    with pytest.raises(UnknownContentTypeError):
        wb.read(row)
    wb.register_reader("application/x-mylog", _CountingReader)
    try:
        reader = wb.read(row)
        assert isinstance(reader, _CountingReader) and len(reader) == 1
        wb.register_reader("application/x-mylog", "no_such_module_xyz:Reader")
        with pytest.raises(UnknownContentTypeError, match="cannot be imported"):
            wb.read(row)
    finally:
        unregister_reader("application/x-mylog")


def test_registry_rejects_bad_registrations():
    with pytest.raises(InvalidArgumentError):
        wb.register_reader("video", "a:B")
    with pytest.raises(InvalidArgumentError):
        wb.register_reader("video/x-foo", "not_dotted")


def test_builtin_lookup():
    assert find_reader("video/mp4").__name__ == "VideoReader"
    assert find_reader("image/png").__name__ == "ImageReader"
    assert find_reader("text/csv", "a/camera_01_timestamps.csv").__name__ == (
        "CameraTimestampsReader"
    )
    assert find_reader("text/csv; charset=utf-8", "can.csv").__name__ == "TimeSeriesReader"


def test_source_from_dwtk_row_and_sidecars(tmp_path):
    video = tmp_path / "camera_01.mp4"
    video.write_bytes(b"x")
    (tmp_path / "camera_01.mp4.json").write_text(
        json.dumps({"record_id": "016_x", "content-type": "video/mp4", "start_timestamp": 42.5})
    )
    (tmp_path / "camera_01_timestamps.csv").write_text("timestamp\n42.5\n")
    src = resolve_source(str(video))
    assert (src.record_id, src.content_type, src.start_timestamp) == ("016_x", "video/mp4", 42.5)
    assert src.timestamps_path == tmp_path / "camera_01_timestamps.csv"
    src2 = resolve_source({"path": str(video), "record_id": "r2", "start_timestamp": "7"})
    assert (src2.record_id, src2.start_timestamp) == ("r2", 7.0)


def test_source_rejects_other_objects():
    with pytest.raises(InvalidArgumentError, match="cannot read a int"):
        resolve_source(3)
    with pytest.raises(InvalidArgumentError):
        resolve_source([])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start": 5, "end": 5}, "before end"),
        ({"target_frame_rate": -2}, "target_frame_rate"),
        ({"resize_rate": 0}, "resize_rate"),
        ({"segment_duration": -1}, "segment_duration"),
        ({"format": "yuv"}, "format"),
        ({"mode": "fast"}, "mode"),
        ({"size": (10, -1)}, "size"),
        ({"size": (10, 10), "resize_rate": 0.5}, "either"),
        ({"start": float("nan")}, "finite"),
    ],
)
def test_bad_options_are_rejected_before_touching_the_file(tmp_path, kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        wb.read(tmp_path / "does-not-matter.mp4", **kwargs)
