"""make_sample_database: dwtk layout, sidecars that round-trip, logs that agree with video."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest
from samples_support import decode_all, rgb, video_packets

from workbench.cli import main
from workbench.errors import InvalidArgumentError
from workbench.samples import make_sample_database, read_frame_code
from workbench.samples.database import record_ids

FPS = 10
DURATION = 12.0
SIZE = (320, 180)
CAMERAS = ("front-center", "rear")


@pytest.fixture(scope="module")
def db(module_tmp: Path) -> Path:
    return make_sample_database(
        module_tmp / "db",
        records=2,
        duration_seconds=DURATION,
        cameras=CAMERAS,
        size=SIZE,
        fps=FPS,
        seed=0,
        workers=1,
    )


def _records(db: Path) -> list[Path]:
    return sorted((db / "records").iterdir())


def _sidecar(path: Path) -> dict:
    return json.loads(Path(str(path) + ".json").read_text(encoding="utf-8"))


def test_layout(db: Path) -> None:
    recs = _records(db)
    assert [r.name for r in recs] == sorted(record_ids(2))
    for rec in recs:
        names = sorted(p.name for p in (rec / "data").iterdir())
        assert names == [
            "camera_01.mp4",
            "camera_01.mp4.json",
            "camera_01_timestamps.csv",
            "camera_01_timestamps.csv.json",
            "camera_02.mp4",
            "camera_02.mp4.json",
            "camera_02_timestamps.csv",
            "camera_02_timestamps.csv.json",
            "can.csv",
            "can.csv.json",
            "can_bus.log",
            "can_bus.log.json",
            "drive.bag",  # the record's drive as ROS bags (workbench.samples.bags)
            "drive.bag.json",
            "drive_ros2",
            "drive_ros2.json",
            "gps.csv",
            "gps.csv.json",
            "vehicle.dbc",
        ]
    # nothing else: no temporary folders left
    assert sorted(p.name for p in db.iterdir()) == ["records"]


def test_record_ids_and_start_times(db: Path) -> None:
    ids = [r.name for r in _records(db)]
    assert all(len(i.split("_")) == 2 and len(i.split("_")[1]) == 20 for i in ids)
    assert 0 < len(fnmatch.filter(ids, "016_*")) < len(ids)
    starts = [_sidecar(r / "data" / "can.csv")["start_timestamp"] for r in _records(db)]
    assert len(set(starts)) == len(starts)
    # real-looking UNIX times: 2015 .. 2030
    assert all(1.42e9 < s < 1.9e9 for s in starts)


EXPECTED_TAGS = {
    "camera_01.mp4": ("camera/front-center", ["camera", "front", "center", "mp4"], "video/mp4"),
    "camera_02.mp4": ("camera/rear", ["camera", "rear", "mp4"], "video/mp4"),
    "camera_01_timestamps.csv": (
        "camera/front-center",
        ["camera", "front", "center", "timestamps"],
        "text/csv",
    ),
    "camera_02_timestamps.csv": ("camera/rear", ["camera", "rear", "timestamps"], "text/csv"),
    "can.csv": ("can", ["can", "speed", "steering", "brake"], "text/csv"),
    "gps.csv": ("gps", ["gps", "position"], "text/csv"),
}


@pytest.mark.parametrize("name", list(EXPECTED_TAGS))
def test_sidecars_round_trip(db: Path, name: str) -> None:
    content, tags, content_type = EXPECTED_TAGS[name]
    for rec in _records(db):
        meta = _sidecar(rec / "data" / name)
        assert meta["record_id"] == rec.name
        assert meta["type"] == "raw_data"
        assert meta["content-type"] == content_type
        assert list(meta["contents"]) == [content]
        assert meta["contents"][content]["tags"] == tags
        assert (db / meta["path"]).resolve() == (rec / "data" / name).resolve()
        assert not Path(meta["path"]).is_absolute()
        assert meta["start_timestamp"] <= meta["end_timestamp"]
        # the same record starts at the same instant in every file
        assert meta["start_timestamp"] == _sidecar(rec / "data" / "can.csv")["start_timestamp"]


def test_timestamps_agree_with_video_and_sidecar(db: Path) -> None:
    for rec in _records(db):
        for k in (1, 2):
            video = rec / "data" / f"camera_{k:02d}.mp4"
            ts = pd.read_csv(rec / "data" / f"camera_{k:02d}_timestamps.csv")
            assert list(ts.columns) == ["frame", "timestamp"]
            packets = video_packets(video)
            assert len(ts) == len(packets) == DURATION * FPS
            assert ts.frame.tolist() == list(range(len(ts)))
            meta = _sidecar(video)
            assert ts.timestamp.iloc[0] == pytest.approx(meta["start_timestamp"], abs=1e-6)
            assert ts.timestamp.iloc[-1] == pytest.approx(meta["end_timestamp"], abs=1e-6)
            np.testing.assert_allclose(np.diff(ts.timestamp), 1 / FPS, atol=2e-6)
            # container times + start_timestamp == the CSV
            with av.open(str(video)) as c:
                s = c.streams.video[0]
                assert s.codec_context.name == "h264"
                assert (s.width, s.height) == SIZE
                pts = sorted(float(p.pts * s.time_base) for p in packets)
                duration = float(c.duration / av.time_base)
            np.testing.assert_allclose(
                np.array(pts) + meta["start_timestamp"], ts.timestamp, atol=1e-5
            )
            assert duration == pytest.approx(DURATION, abs=0.01)


def test_can_and_gps(db: Path) -> None:
    for rec in _records(db):
        can = pd.read_csv(rec / "data" / "can.csv")
        assert list(can.columns) == ["timestamp", "speed_kmh", "steering_angle_deg", "brake"]
        assert len(can) == DURATION * 100
        np.testing.assert_allclose(np.diff(can.timestamp), 0.01, atol=1.5e-3)
        assert set(can.brake.unique()) <= {0, 1}
        assert can.speed_kmh.between(5, 130).all()
        assert can.steering_angle_deg.abs().max() < 45
        meta = _sidecar(rec / "data" / "can.csv")
        assert meta["start_timestamp"] == pytest.approx(can.timestamp.iloc[0], abs=1e-3)
        assert meta["end_timestamp"] == pytest.approx(can.timestamp.iloc[-1], abs=1e-3)
        assert meta["contents"]["can"]["count"] == len(can)
        # braking slows the car down
        on = can.brake.to_numpy() == 1
        if on.any():
            last = np.flatnonzero(on)[-1]
            first = np.flatnonzero(on)[0]
            assert can.speed_kmh.iloc[last] < can.speed_kmh.iloc[first] - 5
        gps = pd.read_csv(rec / "data" / "gps.csv")
        assert list(gps.columns) == ["timestamp", "lat", "lon"]
        assert len(gps) == DURATION * 10
        np.testing.assert_allclose(np.diff(gps.timestamp), 0.1, atol=1.5e-3)
        assert gps.lat.between(34.5, 35.8).all() and gps.lon.between(136.3, 137.6).all()
        # distance covered agrees with the CAN speed (within 5 %)
        lat_m = np.diff(gps.lat) * 111_320
        lon_m = np.diff(gps.lon) * 111_320 * np.cos(np.radians(gps.lat.iloc[0]))
        travelled = np.hypot(lat_m, lon_m).sum()
        expected = (can.speed_kmh / 3.6).mean() * (gps.timestamp.iloc[-1] - gps.timestamp.iloc[0])
        assert travelled == pytest.approx(expected, rel=0.05)


def _bright_red(frame: np.ndarray) -> int:
    r, g, b = (frame[:, :, k].astype(int) for k in range(3))
    return int(((r > 170) & (g < 90) & (b < 90)).sum())


def test_video_shows_the_braking_in_the_can_log(db: Path) -> None:
    """Brake lights of the car ahead are lit around CAN brake events and only then."""
    events = 0
    for rec in _records(db):
        can = pd.read_csv(rec / "data" / "can.csv")
        ts = pd.read_csv(rec / "data" / "camera_01_timestamps.csv").timestamp.to_numpy()
        frames = [rgb(f) for f in decode_all(rec / "data" / "camera_01.mp4")]
        assert [read_frame_code(f) for f in frames] == list(range(len(frames)))
        brake = can.brake.to_numpy()
        starts = can.timestamp.to_numpy()[np.flatnonzero(np.diff(brake) == 1) + 1]
        ends = can.timestamp.to_numpy()[np.flatnonzero(np.diff(brake) == -1) + 1]
        for a, b in zip(starts, ends, strict=True):
            events += 1
            during = [i for i, t in enumerate(ts) if a <= t < b - 0.4]
            assert during and all(_bright_red(frames[i]) > 0 for i in during)
            # the car ahead comes closer while braking: more red pixels at the end
            assert _bright_red(frames[during[-1]]) > _bright_red(frames[during[0]])
        far = [
            i
            for i, t in enumerate(ts)
            if all(t < a - 1.0 or t > b + 0.5 for a, b in zip(starts, ends, strict=True))
        ]
        assert far and all(_bright_red(frames[i]) == 0 for i in far)
    assert events >= 1


def test_same_seed_same_database(tmp_path: Path) -> None:
    kw = dict(records=1, duration_seconds=1, cameras=("front-center", "rear"), size=(160, 96))
    a = make_sample_database(tmp_path / "a", seed=4, workers=1, **kw)
    b = make_sample_database(tmp_path / "b", seed=4, workers=2, **kw)  # two processes
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    # + 2 bags (3 files) and their sidecars, a raw CAN log with its sidecar and DBC
    assert files_a == files_b and len(files_a) == 12 + 5 + 3
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    c = make_sample_database(tmp_path / "c", seed=5, workers=1, **kw)
    assert sorted(p.name for p in (c / "records").iterdir()) != [
        p.name for p in (a / "records").iterdir()
    ]


def test_rebuilding_replaces_records(tmp_path: Path) -> None:
    kw = dict(records=1, duration_seconds=0.5, cameras=("rear",), size=(160, 96), workers=1)
    root = make_sample_database(tmp_path, **kw)
    rec = next((root / "records").iterdir())
    (rec / "data" / "stray.txt").write_text("x")
    make_sample_database(tmp_path, **kw)
    assert not (rec / "data" / "stray.txt").exists()
    assert [p.name for p in (root / "records").iterdir()] == [rec.name]


def test_interrupted_build_leaves_no_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.samples import database

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(database, "_write_record_files", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        make_sample_database(tmp_path, records=1, duration_seconds=0.5, size=(160, 96), workers=1)
    assert list((tmp_path / "records").iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(records=0), r"records=0"),
        (dict(records="3"), r"records='3'"),
        (dict(duration_seconds=-1), r"duration_seconds=-1"),
        (dict(duration_seconds=0), r"duration_seconds=0"),
        (dict(cameras=()), r"cameras=\(\)"),
        (dict(cameras=("a", "a")), r"twice"),
        (dict(cameras=("front center",)), r"'front center'"),
        (dict(size=(320,)), r"size=\(320,\)"),
        (dict(fps=-5), r"fps=-5"),
        (dict(workers=0), r"workers=0"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        make_sample_database(tmp_path / "db", **kwargs)
    assert not (tmp_path / "db").exists()


def test_cli_samples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "cli-db"
    code = main(
        [
            "samples",
            str(root),
            "--records",
            "2",
            "--duration",
            "0.2",
            "--cameras",
            "left, rear",
            "--seed",
            "2",
            "--workers",
            "1",
        ]
    )
    assert code == 0
    assert str(root) in capsys.readouterr().out
    recs = sorted(p.name for p in (root / "records").iterdir())
    assert recs == sorted(record_ids(2, seed=2))
    data = root / "records" / recs[0] / "data"
    with av.open(str(data / "camera_02.mp4")) as c:
        s = c.streams.video[0]
        assert (s.width, s.height) == (1280, 720)  # the default size
        assert s.frames == 6
    assert _sidecar(data / "camera_02.mp4")["contents"] == {
        "camera/rear": {"tags": ["camera", "rear", "mp4"], "frequency": 30.0, "count": 6}
    }


def test_cli_size_and_fps(tmp_path: Path) -> None:
    args = ["samples", str(tmp_path), "--records", "1", "--duration", "0.5", "--cameras", "rear"]
    assert main([*args, "--size", "160x96", "--fps", "20", "--workers", "1"]) == 0
    video = next((tmp_path / "records").iterdir()) / "data" / "camera_01.mp4"
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        assert (s.width, s.height, s.frames, s.average_rate) == (160, 96, 10, 20)


def test_cli_reports_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples", str(tmp_path / "x"), "--records", "0"]) == 2
    assert "records=0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["samples", str(tmp_path / "x"), "--size", "big"])
    assert "is not a size like 1280x720" in capsys.readouterr().err
