"""Topics and series read from ROS 1, ROS 2 (SQLite, MCAP) bags and plain MCAP files."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from bags_support import (
    FRONT,
    KINDS,
    T0,
    truncate,
    unindex_ros1,
    write_json_mcap,
    write_kind,
    write_mcap_without_definition,
)

import workbench as wb
from workbench.errors import CorruptMediaError, InvalidArgumentError
from workbench.formats.bags import TruncatedBagWarning, open_bag
from workbench.formats.bags.messages import MessageStore
from workbench.samples import read_frame_code


@pytest.mark.parametrize("kind", KINDS)
def test_topics_come_from_the_bag_with_counts_times_and_md5(bags, kind):
    with open_bag(bags[kind], cache=bags["cache"]) as bag:
        topics = {t.topic: t for t in bag.topics()}
    assert sorted(topics) == sorted(
        [
            "/dashcam/image_raw/compressed",
            "/cabin/image_raw",
            "/gps/fix",
            "/vehicle/state",
            "/vehicle/twist",
        ]
    )
    fix = topics["/gps/fix"]
    assert (fix.msgtype, fix.count) == ("sensor_msgs/msg/NavSatFix", 30)
    assert fix.start_timestamp == pytest.approx(T0)
    assert fix.end_timestamp == pytest.approx(T0 + 2.9)
    assert fix.frequency == pytest.approx(10.0)
    assert topics["/vehicle/state"].msgtype == "workbench_msgs/msg/VehicleState"
    assert topics["/vehicle/twist"].count == 150
    if kind == "ros1":
        assert fix.md5sum == "2d3a8cd499b9b4a0249fb98fd05cfa48"  # NavSatFix's ROS 1 md5sum
    else:
        assert fix.md5sum is None


@pytest.mark.parametrize("kind", KINDS)
def test_series_are_segmented_absolute_and_flattened(bags, kind):
    reader = wb.read(bags[kind], topic="/gps/fix", segment_duration=1.0, cache=bags["cache"])
    batches = list(reader)
    assert len(reader) == len(batches) == 3
    assert [len(b) for b in batches] == [10, 10, 10]
    df = reader.read_all().to_pandas()
    assert df.index[0] == pytest.approx(T0) and df.index[-1] == pytest.approx(T0 + 2.9)
    for col in (
        "latitude",
        "longitude",
        "altitude",
        "position_covariance.0",
        "position_covariance.8",
        "header.stamp",
    ):
        assert col in df.columns
    assert "header.frame_id" not in df.columns
    assert df["latitude"].between(34, 36).all() and df["altitude"].eq(42.0).all()
    assert df["position_covariance.8"].eq(5.0).all() and df["position_covariance.1"].eq(0).all()
    twist = wb.read(bags[kind], topic="/vehicle/twist", cache=bags["cache"]).read_all()
    tdf = twist.to_pandas()
    assert len(tdf) == 150 and tdf["twist.linear.x"].between(5, 40).all()


@pytest.mark.parametrize("kind", KINDS)
def test_custom_type_definition_comes_from_the_bag(bags, kind):
    df = wb.read(bags[kind], topic="/vehicle/state", cache=bags["cache"]).read_all().to_pandas()
    assert {"speed_kmh", "steering_angle_deg", "brake", "wheel_speed_kmh.3"} <= set(df.columns)
    assert np.allclose(df["wheel_speed_kmh.3"], df["speed_kmh"], rtol=1e-6)
    # the same speed as the twist topic (one simulated drive)
    twist = wb.read(bags[kind], topic="/vehicle/twist", cache=bags["cache"]).read_all()
    tdf = twist.to_pandas()
    both = np.intersect1d(np.round(df.index, 6), np.round(tdf.index, 6))
    assert len(both) == 30  # every 0.1 s
    speed = df.set_axis(np.round(df.index, 6))["speed_kmh"].loc[both]
    twist_kmh = tdf.set_axis(np.round(tdf.index, 6))["twist.linear.x"].loc[both] * 3.6
    assert np.allclose(speed, twist_kmh, atol=1e-6)


def test_window_resampling_and_header_time(bags):
    path = bags["ros2-mcap"]
    part = wb.read(path, topic="/vehicle/twist", start=T0 + 1.0, end=T0 + 1.5).read_all()
    assert len(part) == 25 and part.timestamps[0] == pytest.approx(T0 + 1.0)
    rs = wb.read(path, topic="/vehicle/twist", target_frame_rate=4).read_all()
    instants = T0 + np.arange(12) / 4
    assert len(rs) == 12  # the sample on screen at each instant, with its own time
    assert ((rs.timestamps <= instants + 1e-6) & (rs.timestamps > instants - 0.02)).all()
    hdr = wb.read(path, topic="/gps/fix", time="header").read_all()
    assert np.allclose(hdr.timestamps, T0 + np.arange(30) / 10, atol=1e-6)


def test_reading_is_lazy_and_bounded_by_a_segment(bags, monkeypatch):
    sizes = []
    real = MessageStore.decode

    def spy(self, topic, indices):
        sizes.append(len(indices))
        return real(self, topic, indices)

    monkeypatch.setattr(MessageStore, "decode", spy)
    reader = wb.read(bags["ros1"], topic="/vehicle/twist", segment_duration=0.5)
    assert sizes == []  # planning reads the index only
    first = next(iter(reader))
    assert len(first) == 25 and sizes == [25]


def test_plain_mcap_with_json_channels(bags):
    with open_bag(bags["json"], cache=False) as bag:
        topics = {t.topic: t for t in bag.topics()}
    assert topics["/vehicle/json"].encoding == "json"
    assert (topics["/vehicle/json"].count, topics["/gps/json"].count) == (50, 25)
    df = wb.read(bags["json"], topic="/vehicle/json").read_all().to_pandas()
    assert list(df.columns) == ["speed_kmh", "brake", "wheel.fl", "acc.0", "acc.1", "acc.2"]
    assert df["speed_kmh"].tolist()[:3] == [50.0, 51.0, 52.0]
    assert df["brake"].tolist()[:2] == [1.0, 0.0]
    gps = wb.read(bags["json"], topic="/gps/json", segment_duration=1).read_all().to_pandas()
    assert gps.index[1] == pytest.approx(T0 + 0.2) and "lat" in gps.columns


def test_unknown_topic_lists_the_topics(bags):
    with pytest.raises(InvalidArgumentError, match=r"'/nope'.*/gps/fix.*/vehicle/twist"):
        wb.read(bags["ros1"], topic="/nope")
    with pytest.raises(InvalidArgumentError, match="which topic"):
        wb.read(bags["ros1"])
    with pytest.raises(InvalidArgumentError, match="resize_rate"):
        wb.read(bags["ros1"], topic="/gps/fix", resize_rate=0.5)


def test_missing_definition_is_a_clear_error(tmp_path):
    path = write_mcap_without_definition(tmp_path / "secret.mcap")
    with pytest.raises(CorruptMediaError, match=r"acme_msgs/msg/Secret.*no definition"):
        wb.read(path, topic="/secret").read_all()


def test_ros1_bag_without_index_is_read_through(bags, tmp_path):
    crashed = unindex_ros1(bags["ros1"], tmp_path / "crashed.bag")
    with pytest.warns(TruncatedBagWarning, match="not closed cleanly"):
        df = wb.read(crashed, topic="/gps/fix", cache=False).read_all().to_pandas()
    full = wb.read(bags["ros1"], topic="/gps/fix", cache=False).read_all().to_pandas()
    assert df.equals(full)


def test_truncated_ros1_bag_reads_the_complete_chunks(tmp_path):
    bag = write_kind(tmp_path, "ros1", chunk_bytes=32 * 1024)
    cut = truncate(bag, tmp_path / "cut.bag", 0.6)
    with pytest.warns(TruncatedBagWarning):
        bag_cut = open_bag(cut, cache=False)
    with bag_cut:
        n = bag_cut.topic_info("/vehicle/twist").count
    assert 30 < n < 150
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedBagWarning)
        v = wb.open_video(cut, topic=FRONT, cache=False)
        assert [read_frame_code(v[i]) for i in (0, len(v) - 1)] == [0, len(v) - 1]
    empty = truncate(bag, tmp_path / "empty.bag", 0.001)
    with pytest.raises(CorruptMediaError, match="rosbag reindex"):
        open_bag(empty, cache=False)


def test_truncated_mcap_reads_what_is_there_and_says_so(tmp_path):
    full = write_json_mcap(tmp_path / "full.mcap", count=200, chunk_size=2048)
    cut = truncate(full, tmp_path / "cut.mcap", 0.6)
    with pytest.warns(TruncatedBagWarning, match="truncated"):
        bag = open_bag(cut, cache=False)
    with bag:
        n = bag.topic_info("/vehicle/json").count
    assert 50 < n < 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedBagWarning)
        df = wb.read(cut, topic="/vehicle/json", cache=False).read_all().to_pandas()
    assert len(df) == n and df.index[0] == pytest.approx(T0)
    assert df["speed_kmh"].tolist() == [50.0 + k for k in range(n)]


def test_a_damaged_sqlite_storage_file_is_a_clear_error(tmp_path):
    bag = write_kind(tmp_path, "ros2-sqlite3")
    db = next(bag.glob("*.db3"))
    truncate(db, db, 0.5)
    with pytest.raises(CorruptMediaError, match=r"drive_sqlite3.*malformed"):
        wb.read(bag, topic="/gps/fix", cache=False)
