"""Time-series readers: CSV and Parquet, segments, sampling, bounded chunks, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.errors import CorruptMediaError, InvalidArgumentError
from workbench.readers import SeriesBatch


@pytest.fixture
def can_csv(tmp_path):
    t = 1_600_000_000.0 + np.arange(2500) / 100  # 25 s at 100 Hz
    df = pd.DataFrame(
        {"timestamp": t, "speed": np.arange(2500) * 0.1, "brake": np.arange(2500) % 2}
    )
    path = tmp_path / "can.csv"
    df.to_csv(path, index=False)
    return path, df


def test_csv_segments_cover_every_row_once(can_csv):
    path, df = can_csv
    reader = wb.read(path, segment_duration=10.0, chunk_rows=333)
    batches = list(reader)
    assert len(reader) == len(batches) == 3
    assert [len(b) for b in batches] == [1000, 1000, 500]
    got = np.concatenate([b.timestamps for b in batches])
    np.testing.assert_array_equal(got, df["timestamp"].to_numpy())
    assert isinstance(batches[0], SeriesBatch)
    assert batches[0].columns == ["speed", "brake"]
    np.testing.assert_allclose(batches[1].values[:, 0], df["speed"].to_numpy()[1000:2000])


def test_csv_window_and_rate_give_sample_in_effect(can_csv):
    path, _ = can_csv
    t0 = 1_600_000_000.0
    batch = wb.read(path, start=t0 + 3.005, end=t0 + 5, target_frame_rate=2).read_all()
    # instants 3.005, 3.505, 4.005, 4.505 -> last row at or before each (10 ms grid)
    np.testing.assert_allclose(batch.timestamps - t0, [3.0, 3.5, 4.0, 4.5])
    np.testing.assert_allclose(batch.to_pandas()["speed"].to_numpy(), [30.0, 35.0, 40.0, 45.0])


def test_plan_before_reading(can_csv):
    path, _ = can_csv
    plan = wb.read(path, segment_duration=5).plan()
    assert (plan.segments, plan.items) == (5, 2500)
    assert plan.columns == ("speed", "brake")
    assert plan.bytes == 2500 * 3 * 8


def test_parquet_same_as_csv(tmp_path, can_csv):
    path, df = can_csv
    pq = tmp_path / "can.parquet"
    df.to_parquet(pq)
    a = wb.read(path, target_frame_rate=1).read_all()
    b = wb.read(pq, target_frame_rate=1, chunk_rows=100).read_all()
    np.testing.assert_array_equal(a.timestamps, b.timestamps)
    np.testing.assert_array_equal(a.values, b.values)
    assert len(wb.read(pq, segment_duration=10)) == 3


def test_relative_times_shifted_by_record_start(tmp_path):
    path = tmp_path / "gps.csv"
    pd.DataFrame({"time": np.arange(0, 5, 0.1), "lat": 35.0}).to_csv(path, index=False)
    row = {
        "path": str(path),
        "record_id": "r1",
        "content-type": "text/csv",
        "start_timestamp": 1_600_000_000.0,
    }
    batch = wb.read(row).read_all()
    assert batch.timestamps[0] == pytest.approx(1_600_000_000.0)
    assert batch.record_id == "r1"


def test_text_columns_kept_as_objects(tmp_path):
    path = tmp_path / "gear.csv"
    path.write_text("timestamp,gear\n0,P\n1,D\n")
    df = wb.read(path).read_all().to_pandas()
    assert df["gear"].tolist() == ["P", "D"]


def test_resize_on_series_is_rejected(can_csv):
    with pytest.raises(InvalidArgumentError, match="resize_rate"):
        wb.read(can_csv[0], resize_rate=0.5)


def test_unsorted_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,v\n2,1\n1,2\n")
    with pytest.raises(CorruptMediaError, match="not sorted"):
        list(wb.read(path))


def test_window_outside_file_names_its_range(can_csv):
    with pytest.raises(InvalidArgumentError, match="does not overlap"):
        len(wb.read(can_csv[0], start=0, end=10))


def test_camera_timestamps_csv_reader(tmp_path):
    path = tmp_path / "camera_01_timestamps.csv"
    path.write_text("frame,timestamp\n0,100.0\n1,100.04\n2,100.07\n")
    reader = wb.read(path)
    assert type(reader).__name__ == "CameraTimestampsReader"
    batch = reader.read_all()
    np.testing.assert_allclose(batch.timestamps, [100.0, 100.04, 100.07])
    assert batch.columns == ["frame"]


def test_camera_timestamps_without_header(tmp_path):
    from workbench.readers.camera_timestamps import load_camera_timestamps

    path = tmp_path / "x_timestamps.csv"
    path.write_text("5.0\n5.5\n")
    assert load_camera_timestamps(path).tolist() == [5.0, 5.5]
    path.write_text("5.0\n4.5\n")
    with pytest.raises(CorruptMediaError, match="backwards"):
        load_camera_timestamps(path)
