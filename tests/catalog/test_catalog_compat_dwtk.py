"""The dwtk seed tutorial, run verbatim against a workbench catalog."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from catalog_support import FPS, FRAMES, HEIGHT, T0, WIDTH

import workbench as wb
from workbench.catalog.schema import DWTK_FIELDS
from workbench.compat.dwtk import BaseFileReader, DBHandler, NoModelMatchedError

TUTORIAL_FIELDS = {
    "description", "database_id", "record_id", "data_type", "path", "start_timestamp",
    "end_timestamp", "content_type", "contents", "msg_type", "msg_md5sum", "count",
    "frequency", "tags",
}  # fmt: skip


@pytest.fixture(scope="module")
def db(built: wb.Catalog) -> Path:
    return built.path


def test_seed_tutorial_metadata(db: Path, built: wb.Catalog) -> None:
    db_handler = DBHandler(
        db_class="meta", db_host=str(db), base_dir_path=str(built.root), read_on_init=False
    )
    assert len(db_handler.df) == 0
    db_handler.read(where='tags like "%camera%" and record_id like "%016_%"')
    assert len(db_handler.df) == 3
    assert list(db_handler.df.columns) == list(DWTK_FIELDS)
    assert set(db_handler.df.tags) == {"camera;front;center", "camera;rear"}
    assert not db_handler.df.path.map(os.path.isabs).any()  # dwtk's df kept relative paths

    sample = next(db_handler)
    assert set(sample) == TUTORIAL_FIELDS
    assert sample["record_id"] == "016_0001"
    assert sample["contents"] == "camera/front-center"
    assert sample["content_type"] == "video/mp4" and sample["data_type"] == "raw_data"
    assert sample["tags"] == ["camera", "front", "center"]
    assert os.path.isabs(sample["path"]) and os.path.isfile(sample["path"])
    assert sample["start_timestamp"] == pytest.approx(T0)
    assert sample["count"] == FRAMES and sample["frequency"] == pytest.approx(FPS)

    rest = [rec["contents"] for rec in db_handler]  # continues after next(), then rewinds
    assert rest == ["camera/rear", "camera/front-center"]
    assert len(list(db_handler)) == 3


def test_where_keeps_dwtk_like_semantics_and_reports_errors(db: Path) -> None:
    handler = DBHandler(db_class="meta", db_host=str(db))  # read_on_init=True: everything
    assert len(handler.df) == 7
    handler.read(where='tags like "%camera%"')
    assert "017_0001" in set(handler.df.record_id)  # LIKE still matches camera_raw, as before
    with pytest.raises(wb.CatalogQueryError, match="no such column: tagz"):
        handler.read(where='tagz like "%camera%"')
    with pytest.raises(wb.CatalogQueryError, match="syntax error"):
        handler.read(where="tags like")
    handler.read(where="content_type = 'text/csv'", order_by="start_timestamp desc", limit=1)
    assert handler.df.contents.tolist() == ["gps"] and handler.count_total == 2
    handler.read(where="content_type = 'text/csv'", order_by="start_timestamp desc", offset=1)
    assert handler.df.contents.tolist() == ["can"]


def test_derived_frames(db: Path) -> None:
    handler = DBHandler(db_class="meta", db_host=str(db))
    assert set(handler.record_id_df.record_id) == {"016_0001", "016_0002", "017_0001", "loose"}
    rec = handler.record_id_df.set_index("record_id").loc["016_0001"]
    assert {"camera", "can", "rear"} <= set(rec.tags)
    assert len(handler.file_df) == 7 and handler.file_df.path.map(os.path.isabs).all()
    assert handler.content_df.tag.iloc[0] == ["camera", "front", "center"]


def test_handler_errors(tmp_path: Path, db: Path) -> None:
    with pytest.raises(wb.CatalogNotFoundError):
        DBHandler(db_class="meta", db_host=str(tmp_path / "none.db"))
    assert not (tmp_path / "none.db").exists()
    with pytest.raises(wb.InvalidArgumentError, match="db_class"):
        DBHandler(db_class="annotation", db_host=str(db))
    with pytest.raises(NotImplementedError, match="build_catalog"):
        DBHandler(db_class="meta", db_host=str(db)).add_data({})


def test_base_file_reader_returns_bgr_frames_at_absolute_times(db: Path) -> None:
    handler = DBHandler(db_class="meta", db_host=str(db), read_on_init=False)
    handler.read(where='record_id = "016_0001" and contents = "camera/front-center"')
    sample = next(handler)
    timestamps, data, columns = BaseFileReader().read(sample, target_frame_rate=2, resize_rate=0.25)
    assert data.shape == (4, HEIGHT // 4, WIDTH // 4, 3) and data.dtype == np.uint8
    assert columns == ["b", "g", "r"]
    # the timestamps CSV (T0 + i/10 + 0.002) wins over the container's times
    assert timestamps == pytest.approx(T0 + 0.002 + np.array([0.0, 0.5, 1.0, 1.5]), abs=1e-6)
    # frame i has red = 10 * i: in BGR red is the last channel, frame[:, :, ::-1] is RGB
    reds = data[:, :, :, 2].mean(axis=(1, 2))
    assert reds == pytest.approx([0, 50, 100, 150], abs=8)
    rgb = data[2][:, :, ::-1]
    assert rgb[..., 0].mean() == pytest.approx(100, abs=8) and rgb[..., 2].mean() < 8


def test_base_file_reader_segments_windows_and_raw(db: Path) -> None:
    handler = DBHandler(db_class="meta", db_host=str(db), read_on_init=False)
    handler.read(where='record_id = "016_0002" and tags like "%camera%"')
    sample = next(handler)
    steps = list(
        BaseFileReader().read(sample, as_generator=True, target_frame_rate=4, segment_duration=1)
    )
    assert [len(ts) for ts, _, _ in steps] == [4, 4]
    assert steps[0][1].shape[1:] == (HEIGHT, WIDTH, 3)
    ts, _, _ = BaseFileReader().read(
        sample, raw=True, target_frame_rate=1, start_timestamp=T0 + 100.5, end_timestamp=T0 + 101
    )
    assert len(ts) == 5 and ts[0] == pytest.approx(T0 + 100.5)  # raw: every frame


def test_base_file_reader_time_series_and_missing_files(db: Path, tmp_path: Path) -> None:
    handler = DBHandler(db_class="meta", db_host=str(db), read_on_init=False)
    handler.read(where='tags like "%can%" and content_type = "text/csv"')
    sample = next(handler)
    timestamps, data, columns = BaseFileReader().read(sample)
    assert columns == ["speed", "steering"] and data.shape == (200, 2)
    assert timestamps[0] == pytest.approx(T0)

    moved = tmp_path / "moved.csv"
    shutil.move(sample["path"], moved)
    try:
        with pytest.raises(wb.SourceNotFoundError, match=r"can\.csv"):
            BaseFileReader().read(sample)
    finally:
        shutil.move(moved, sample["path"])
    assert issubclass(NoModelMatchedError, LookupError)
