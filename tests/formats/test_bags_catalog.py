"""Bags in the catalog (one row per topic, incremental) and image-topic records in the
widgets and exports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from bags_support import FRONT, T0, write_json_mcap, write_kind
from dataset_support import small_sample_database

import workbench as wb
from workbench.formats.bags import catalog as bag_catalog
from workbench.samples import read_frame_code


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """rec_a: a ROS 1 bag with a sidecar; rec_b: a ROS 2 folder (SQLite) and a JSON MCAP."""
    root = tmp_path_factory.mktemp("bag-dataset")
    bag = write_kind(root / "rec_a", "ros1")
    (root / "rec_a" / "drive.bag.json").write_text(
        json.dumps(
            {
                "record_id": "016_0001",
                "tags": ["bag"],
                "contents": {"/gps/fix": {"tags": ["position-rtk"]}},
            }
        )
    )
    write_kind(root / "rec_b", "ros2-sqlite3")
    write_json_mcap(root / "rec_b" / "extra.mcap")
    cat = wb.build_catalog(root)
    return {"root": root, "bag": bag, "cat": cat}


def test_one_row_per_topic_with_types_counts_times_and_tags(dataset):
    cat = dataset["cat"]
    df = cat.select().df
    rel = df["path"].map(lambda p: Path(p).relative_to(dataset["root"]).as_posix())
    by_path = df.groupby(rel)["contents"].count().to_dict()
    assert by_path == {
        "rec_a/drive.bag": 5,
        "rec_b/drive_sqlite3/drive_sqlite3.db3": 5,  # the folder is one recording
        "rec_b/extra.mcap": 2,
    }
    assert set(df["record_id"]) == {"016_0001", "drive_sqlite3", "extra"}
    fix = df[(df["record_id"] == "016_0001") & (df["contents"] == "/gps/fix")].iloc[0]
    assert fix["msg_type"] == "sensor_msgs/msg/NavSatFix"
    assert fix["msg_md5sum"] == "2d3a8cd499b9b4a0249fb98fd05cfa48"
    assert (fix["count"], fix["content_type"]) == (30, "application/x-rosbag")
    assert fix["frequency"] == pytest.approx(10.0)
    assert fix["start_timestamp"] == pytest.approx(T0)
    assert fix["end_timestamp"] == pytest.approx(T0 + 2.9)
    cams = cat.select(tags=["camera", "image"]).df
    assert sorted(cams["contents"].unique()) == ["/cabin/image_raw", FRONT]
    assert len(cams) == 4 and cams["width"].max() == 320
    gps = cat.select(tags=["gps"]).df
    assert sorted(gps["contents"]) == ["/gps/fix", "/gps/fix", "/gps/json"]
    assert set(gps["content_type"]) == {
        "application/x-rosbag",
        "application/x-ros2bag",
        "application/x-mcap",
    }
    tags = cat.select(record_id="016_0001", tags=["gps"]).df["tags"].iloc[0]
    assert {"bag", "gps", "fix", "position-rtk"} <= set(tags)


def test_ingest_is_incremental(dataset, monkeypatch):
    calls = []
    real = bag_catalog.catalog_rows

    def spy(path, *args):
        calls.append(Path(path).name)
        return real(path, *args)

    monkeypatch.setattr("workbench.catalog.ingest.catalog_rows", spy)
    root = dataset["root"]
    report = wb.open_catalog(root / "catalog.db").ingest(root)
    assert calls == [] and report.unchanged == 3
    copy = root / "rec_b" / "drive_copy"
    shutil.copytree(root / "rec_b" / "drive_sqlite3", copy)
    report = wb.open_catalog(root / "catalog.db").ingest(root)
    assert calls == ["drive_copy"] and report.added == ["rec_b/drive_copy"]
    shutil.rmtree(copy)
    report = wb.open_catalog(root / "catalog.db").ingest(root)
    assert report.removed == ["rec_b/drive_copy"]


def test_an_image_topic_record_reads_scrubs_and_exports(dataset, tmp_path):
    cat = wb.open_catalog(dataset["root"] / "catalog.db")
    rec = next(
        iter(cat.select(tags=["camera", "compressed"], content_type="application/x-ros2bag"))
    )
    batch = next(iter(rec.read(target_frame_rate=2, resize_rate=0.5)))
    assert batch.frames.shape[1:] == (90, 160, 3) and batch.timestamps[0] == pytest.approx(T0)
    v = wb.open_video(rec, topic=rec.contents)
    assert len(v) == 30 and read_frame_code(v[4]) == 4

    scrubber = wb.VideoScrubber(rec)
    try:
        assert scrubber.num_frames == 30
        assert scrubber.timestamp == pytest.approx(T0)
        assert np.allclose(scrubber.frame_timestamps, T0 + np.arange(30) / 10)
        strip = wb.Filmstrip(scrubber, count=3, thumb_width=64)
        assert len(strip.thumb_indices) == 3
        strip.close()
        panel = wb.ExportPanel(scrubber, out_dir=tmp_path / "panel", target_frame_rate=2)
        scrubber.set_range(0, 19)
        summary = panel.export().result(60)
        assert len(list((tmp_path / "panel").rglob("*.jpg"))) == 4, summary
        panel.close()
    finally:
        scrubber.close()

    result = wb.export_frames(rec, tmp_path / "dump", target_frame_rate=1, resize_rate=0.5)
    files = sorted((tmp_path / "dump").rglob("*.jpg"))
    assert result.written == 3 and len(files) == 3
    sheet = wb.contact_sheet(rec, every=1.0, columns=3, width=300)
    assert sheet.size[0] == 300


def test_a_topic_video_passed_to_the_scrubber_keeps_absolute_times(dataset):
    v = wb.open_video(dataset["bag"], topic=FRONT, cache=False)
    scrubber = wb.VideoScrubber(v)
    try:
        assert scrubber.timestamp == pytest.approx(T0)
        assert scrubber.frame_timestamps[-1] == pytest.approx(T0 + 2.9)
    finally:
        scrubber.close()
    series = wb.read(v).read_all()  # read through the opened topic: its record fields
    assert len(series.frames) == 30 and series.timestamps[0] == pytest.approx(T0)


def test_the_sample_database_has_bags_consistent_with_its_can_log(tmp_path):
    import pandas as pd

    root = small_sample_database(tmp_path / "db", duration_seconds=3, cameras=("front-center",))
    cat = wb.build_catalog(root)
    bags = cat.select(tags=["bag"]).df
    assert set(bags["content_type"]) == {"application/x-rosbag", "application/x-ros2bag"}
    rid = bags["record_id"].iloc[0]
    video = cat.select(record_id=rid, content_type="video/*").df.iloc[0]
    assert set(bags["record_id"]) == {video["record_id"]}
    sel = cat.select(record_id=rid, content_type="application/x-rosbag", tags=["vehicle", "state"])
    state = next(iter(sel))
    df = state.read().read_all().to_pandas()
    can = pd.read_csv(root / "records" / rid / "data" / "can.csv", index_col="timestamp")
    at = can.index.get_indexer(df.index, method="nearest")
    assert np.allclose(df["speed_kmh"].to_numpy(), can["speed_kmh"].to_numpy()[at], atol=0.01)
    assert df.index[0] == pytest.approx(video["start_timestamp"], abs=1e-3)
