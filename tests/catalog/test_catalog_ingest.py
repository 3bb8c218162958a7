from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from catalog_support import FPS, FRAMES, HEIGHT, T0, WIDTH, make_tiny_mp4, sidecar

import workbench as wb
from workbench.catalog.ingest import probe_media, read_timestamps_csv


def _rows(cat: wb.Catalog) -> dict[tuple[str, str], dict]:
    return {(r.record_id, r.contents): r.to_dict() for r in cat.select()}


def test_build_catalog_ingests_sidecars_and_bare_videos(dataset: Path) -> None:
    cat = wb.build_catalog(dataset)
    report = cat.last_report
    assert cat.path == dataset / "catalog.db"
    assert report.skipped == []
    assert len(report.added) == 7 and report.updated == [] and report.removed == []
    rows = _rows(cat)
    assert set(rows) == {
        ("016_0001", "camera/front-center"),
        ("016_0001", "camera/rear"),
        ("016_0001", "can"),
        ("016_0002", "camera/front-center"),
        ("016_0002", "gps"),
        ("017_0001", "camera/raw"),
        ("loose", "clip"),
    }
    front = rows[("016_0001", "camera/front-center")]
    assert front["path"] == dataset / "records/016_0001/data/camera_01.mp4"
    assert front["tags"] == ["camera", "front", "center"]  # sidecar order kept
    assert front["data_type"] == "raw_data"
    assert front["content_type"] == "video/mp4"
    assert front["description"] == "Driving Database"
    assert front["database_id"] == "Driving Behavior Database"
    assert front["start_timestamp"] == pytest.approx(T0)
    # probed media facts
    assert (front["width"], front["height"], front["num_frames"]) == (WIDTH, HEIGHT, FRAMES)
    assert front["fps"] == pytest.approx(FPS)
    assert front["duration"] == pytest.approx(FRAMES / FPS, abs=0.15)
    assert front["codec"] == "h264"
    # anything else in the sidecar goes to `extra`, and is reachable by key
    assert front["extra"]["weather"] == "rain"
    assert front["extra"]["sidecar_path"].startswith("/opt/elsewhere/")
    can = rows[("016_0001", "can")]
    assert (can["msg_type"], can["count"], can["frequency"]) == ("can_frame", 200, 100.0)
    assert can["width"] is None and can["codec"] is None
    bare = rows[("loose", "clip")]
    assert bare["tags"] == ["video"] and bare["content_type"] == "video/mp4"
    assert bare["num_frames"] == FRAMES and bare["start_timestamp"] == 0.0
    assert bare["end_timestamp"] == pytest.approx(FRAMES / FPS, abs=0.15)


def test_paths_are_stored_relative_to_the_root(dataset: Path, tmp_path: Path) -> None:
    cat = wb.build_catalog(dataset)
    cat.close()
    con = sqlite3.connect(dataset / "catalog.db")
    paths = [p for (p,) in con.execute("SELECT path FROM contents")]
    con.close()
    assert paths and all(not os.path.isabs(p) for p in paths)
    assert "records/016_0001/data/can.csv" in paths
    # the catalog travels with its dataset: move both, paths still resolve
    moved = tmp_path / "moved"
    dataset.rename(moved)
    cat = wb.open_catalog(moved / "catalog.db")
    assert cat.root == moved.resolve()
    assert all(p.is_file() for p in cat.select().paths)


def test_catalog_outside_the_root_keeps_an_absolute_root(dataset: Path, tmp_path: Path) -> None:
    cat = wb.build_catalog(dataset, db=tmp_path / "elsewhere.db")
    assert cat.root == dataset.resolve()
    assert all(p.is_file() for p in cat.select().paths)


def test_rerun_is_incremental(dataset: Path) -> None:
    cat = wb.build_catalog(dataset)
    ids_before = dict(cat.select().df[["path", "id"]].itertuples(index=False))

    again = cat.ingest()
    assert (again.added, again.updated, again.removed, again.unchanged) == ([], [], [], 7)
    assert dict(cat.select().df[["path", "id"]].itertuples(index=False)) == ids_before

    # change a sidecar (tags), delete a file, add a file
    side = dataset / "records/016_0001/data/can.csv.json"
    meta = json.loads(side.read_text())
    meta["contents"]["can"]["tags"] = ["can", "vehicle", "checked"]
    side.write_text(json.dumps(meta))
    os.utime(side, ns=(1, 1))  # a different mtime even on coarse clocks
    (dataset / "records/016_0002/data/gps.csv").unlink()
    (dataset / "records/016_0002/data/gps.csv.json").unlink()
    new = dataset / "records/016_0002/data/obd.csv"
    new.write_text("t,x\n1,2\n")
    sidecar(new, {"record_id": "016_0002", "contents": {"obd": {"tags": ["obd"]}}})

    report = cat.ingest()
    assert report.updated == ["records/016_0001/data/can.csv"]
    assert report.removed == ["records/016_0002/data/gps.csv"]
    assert report.added == ["records/016_0002/data/obd.csv"]
    assert report.unchanged == 5
    after = dict(cat.select().df[["path", "id"]].itertuples(index=False))
    unchanged = [p for p in ids_before if "can.csv" not in p and "gps.csv" not in p]
    assert all(after[p] == ids_before[p] for p in unchanged)  # untouched rows keep their id
    assert cat.select(tags="checked").df.contents.tolist() == ["can"]
    assert len(cat.select(tags="gps")) == 0
    assert set(cat.tags()["tag"]) >= {"obd", "checked"} and "gps" not in set(cat.tags()["tag"])


def test_ingest_of_a_subfolder_leaves_the_rest_alone(dataset: Path) -> None:
    cat = wb.build_catalog(dataset)
    (dataset / "records/016_0002/data/gps.csv.json").unlink()
    (dataset / "loose/clip.mp4").unlink()
    report = cat.ingest(dataset / "records" / "016_0002")
    assert report.removed == ["records/016_0002/data/gps.csv"]
    assert report.unchanged == 1
    assert len(cat.select(record_id="loose")) == 1  # outside the folder: not rescanned
    with pytest.raises(wb.InvalidArgumentError, match="outside the catalog's dataset root"):
        cat.ingest(dataset.parent)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"contents": ["a"]}', "'contents' must be an object"),
        ('{"contents": {"c": {"tags": "x", "count": "many"}}}', "c.count' must be a number"),
        ('{"contents": {"c": {"tags": {"a": 1}}}}', "'tags' must be a list"),
        ('{"start_timestamp": "soon"}', "'start_timestamp' must be a number"),
        ('{"start_timestamp": 10, "end_timestamp": 5}', "before start_timestamp"),
    ],
)
def test_malformed_sidecar_is_reported_and_skipped(dataset: Path, text: str, reason: str) -> None:
    bad = dataset / "records/016_0001/data/imu.csv"
    bad.write_text("t,a\n0,1\n")
    bad_side = bad.with_name("imu.csv.json")
    bad_side.write_text(text)
    cat = wb.build_catalog(dataset)
    report = cat.last_report
    assert len(report.added) == 7  # everything else went in
    assert [p for p, _ in report.skipped] == [bad_side]
    assert reason in report.skipped[0][1]
    assert str(bad_side) in report.summary()


def test_unreadable_video_and_orphan_sidecar_are_reported(dataset: Path) -> None:
    broken = dataset / "records/016_0001/data/camera_03.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(200))
    sidecar(
        broken,
        {
            "record_id": "016_0001",
            "content-type": "video/mp4",
            "contents": {"camera/left": {"tags": ["camera"]}},
        },
    )
    (dataset / "loose/notes.txt.json").write_text("{}")  # sidecar of nothing
    (dataset / "loose/empty.mp4").write_bytes(b"")
    report = wb.build_catalog(dataset).last_report
    skipped = dict(report.skipped)
    assert set(skipped) == {
        broken.with_name("camera_03.mp4.json"),
        dataset / "loose/notes.txt.json",
        dataset / "loose/empty.mp4",
    }
    assert "camera_03.mp4" in skipped[broken.with_name("camera_03.mp4.json")]
    assert "notes.txt' does not exist" in skipped[dataset / "loose/notes.txt.json"]
    assert len(report.added) == 7


def test_a_file_that_becomes_unreadable_is_removed(dataset: Path) -> None:
    cat = wb.build_catalog(dataset)
    side = dataset / "records/016_0001/data/can.csv.json"
    side.write_text("{broken")
    os.utime(side, ns=(2, 2))
    report = cat.ingest()
    assert report.removed == ["records/016_0001/data/can.csv"]
    assert [p for p, _ in report.skipped] == [side]
    assert len(cat.select(tags="can")) == 0


def test_timestamps_csv_sets_the_span_of_a_video_without_times(
    tmp_path: Path, tiny_mp4: Path
) -> None:
    d = tmp_path / "rec_a"
    d.mkdir()
    video = d / "cam.mp4"
    video.write_bytes(tiny_mp4.read_bytes())
    (d / "cam_timestamps.csv").write_text(
        "timestamp\n" + "".join(f"{T0 + i * 0.1:.3f}\n" for i in range(FRAMES))
    )
    sidecar(video, {"contents": {"cam": {"tags": ["camera"]}}})
    rec = next(iter(wb.build_catalog(tmp_path).select()))
    assert rec.record_id == "rec_a"  # from the folder when the sidecar has none
    assert rec.start_timestamp == pytest.approx(T0)
    assert rec.end_timestamp == pytest.approx(T0 + (FRAMES - 1) * 0.1)


def test_read_timestamps_csv_units(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("1489728491000\n1489728491100\n")
    assert read_timestamps_csv(p).tolist() == pytest.approx([T0, T0 + 0.1])
    p.write_text("frame,timestamp\n0,12.5\n1,12.6\n")
    assert read_timestamps_csv(p).tolist() == pytest.approx([12.5, 12.6])
    p.write_text("a\nb\n")
    with pytest.raises(ValueError, match="non-numeric"):
        read_timestamps_csv(p)


def test_probe_media_reads_headers(tmp_path: Path) -> None:
    video = make_tiny_mp4(tmp_path / "v.mp4", frames=7, fps=5)
    facts = probe_media(video)
    assert facts["num_frames"] == 7 and facts["fps"] == pytest.approx(5)
    assert (facts["width"], facts["height"], facts["codec"]) == (WIDTH, HEIGHT, "h264")
    (tmp_path / "x.mp4").write_text("not a video")
    with pytest.raises(ValueError, match="not readable as media"):
        probe_media(tmp_path / "x.mp4")


def test_build_catalog_on_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(wb.SourceNotFoundError, match="nope"):
        wb.build_catalog(tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


def test_ingest_of_the_sample_database(tmp_path: Path) -> None:
    root = wb.samples.make_sample_database(
        tmp_path / "db", records=1, duration_seconds=2, size=(160, 96), workers=1
    )
    cat = wb.build_catalog(root)
    # 6 files, the record's two ROS bags (workbench.samples.bags) and its raw CAN log
    assert cat.last_report.skipped == [] and len(cat.last_report.added) == 9
    videos = cat.select(tags=["camera", "front"], content_type="video/*")
    assert len(videos) == 1
    rec = videos[0]
    assert (rec.width, rec.height, rec.codec, rec.num_frames) == (160, 96, "h264", 60)
    assert rec.fps == pytest.approx(30)
    (recording,) = cat.select().recordings()
    assert recording["camera/front-center"].content_type == "video/mp4"
    assert {"can", "gps"} <= set(recording.streams)
    assert len(cat.select(tags="timestamps")) == 2
    assert cat.ingest().unchanged == 9
