"""One rule for which records are signals: bag topics (ROS 1 bag, ROS 2 MCAP, plain MCAP)
and CAN messages reach find_events and the Timeline; image topics and camera timestamps
do not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dataset_support import small_sample_database

import workbench as wb
from workbench.formats.bags.reader import BagReader
from workbench.readers.streams import record_kind, series_streams
from workbench.widgets.timeline import load_recording_series

DURATION = 3.0
IMAGE_TOPICS = {"/cabin/image_raw", "/dashcam/image_raw/compressed"}
SERIES_TOPICS = {"/gps/fix", "/vehicle/state", "/vehicle/twist"}
CAN_MESSAGES = {"Brake", "Diag", "Gear", "Steering", "VehicleSpeed"}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> wb.Catalog:
    """One sample record: a camera, can.csv, gps.csv, a candump log, a ROS 1 bag and a
    ROS 2 bag in MCAP storage."""
    root = small_sample_database(
        tmp_path_factory.mktemp("streams") / "db", duration_seconds=DURATION
    )
    return wb.build_catalog(root)


@pytest.fixture(scope="module")
def recording(catalog):
    return catalog.select().recordings()[0]


def expected_runs(df: pd.DataFrame, column: str, threshold: float) -> list[tuple[float, float]]:
    """Runs of ``df[column] > threshold`` on the stream's own samples: ``[start, end)``,
    ending at the first sample where it no longer holds (one sample period after the
    last sample at the end of the data)."""
    t = df.index.to_numpy(np.float64)
    mask = df[column].to_numpy(np.float64) > threshold
    step = float(np.median(np.diff(t)))
    runs, i = [], 0
    while i < t.size:
        if not mask[i]:
            i += 1
            continue
        j = i
        while j < t.size and mask[j]:
            j += 1
        runs.append((t[i], t[j] if j < t.size else t[-1] + step))
        i = j
    return runs


def assert_events_are(events: pd.DataFrame, want: list[tuple[float, float]]) -> None:
    assert len(want) >= 1  # the threshold splits the drive: the search finds something
    np.testing.assert_allclose(events.start, [a for a, _ in want])
    np.testing.assert_allclose(events.end, [b for _, b in want])


def test_the_series_of_a_record_are_its_tables_can_messages_and_non_image_topics(recording):
    streams = series_streams(recording)
    names = [str(r.contents) for r in streams]
    bag_topics = [
        r.contents for r in streams if str(r.content_type).startswith("application/x-ros")
    ]
    assert sorted(bag_topics) == sorted([*SERIES_TOPICS, *SERIES_TOPICS])  # ROS 1 and ROS 2
    assert set(names) >= {"can", "gps", *CAN_MESSAGES}
    assert not IMAGE_TOPICS & set(names)
    assert not any("timestamps" in r.tags or r.content_type.startswith("video/") for r in streams)
    kinds = {r.contents: record_kind(r) for r in recording if r.contents in IMAGE_TOPICS}
    assert set(kinds.values()) == {"frames"}


def test_find_events_on_a_ros1_bag_topic(catalog, recording):
    bag = next(r for r in recording if r.contents == "/vehicle/twist" and r.path.suffix == ".bag")
    twist = wb.read(bag).read_all().to_pandas()
    threshold = float(twist["twist.linear.x"].median())
    ev = wb.find_events(catalog.select(), f"`twist.linear.x` > {threshold}")
    assert_events_are(ev, expected_runs(twist, "twist.linear.x", threshold))
    assert set(ev.record_id) == {recording.record_id}


def test_find_events_on_a_ros2_mcap_topic(catalog, recording):
    mcap = next(r for r in recording if r.contents == "/vehicle/twist" and r.path.suffix == ".mcap")
    twist = wb.read(mcap).read_all().to_pandas()
    threshold = float(twist["twist.linear.x"].quantile(0.3))
    # the ROS 1 bag (same rate, earlier in the record) keeps the plain names; the MCAP's
    # copy of the topic is prefixed with the topic
    ev = wb.find_events(catalog.select(), f"`vehicle_twist_twist.linear.x` > {threshold}")
    assert_events_are(ev, expected_runs(twist, "twist.linear.x", threshold))


def test_the_same_topic_in_two_bags_gives_columns_of_distinct_names(recording):
    from workbench.events.scan import AlignedSeries

    columns = AlignedSeries(
        series_streams(recording), segment_duration=600.0, start=None, end=None
    ).columns
    assert len(columns) == len(set(columns))
    # can.csv (fastest) keeps speed_kmh; the bags' /vehicle/state take the topic, then the file
    assert {"speed_kmh", "vehicle_state_speed_kmh", "drive_ros2_vehicle_state_speed_kmh"} <= set(
        columns
    )


def test_find_events_on_a_can_message_signal(catalog, recording):
    log = next(r for r in recording if r.contents == "VehicleSpeed")
    speed = wb.read(log).read_all().to_pandas()
    threshold = float(speed["VehicleSpeed.speed_kmh"].median())
    ev = wb.find_events(catalog.select(), f"`VehicleSpeed.speed_kmh` > {threshold}")
    assert_events_are(ev, expected_runs(speed, "VehicleSpeed.speed_kmh", threshold))


def test_find_events_on_a_plain_mcap_file(tmp_path: Path):
    from mcap.writer import Writer

    t0, rate = 1_600_000_000.0, 10.0
    speeds = [50.0, 70.0, 75.0, 40.0, 30.0, 65.0, 80.0, 20.0]
    with open(tmp_path / "drive.mcap", "wb") as f:
        w = Writer(f)
        w.start(profile="", library="workbench-tests")
        schema = w.register_schema(
            name="VehicleJson", encoding="jsonschema", data=json.dumps({"type": "object"}).encode()
        )
        channel = w.register_channel("/vehicle/json", message_encoding="json", schema_id=schema)
        for k, v in enumerate(speeds):
            t = int((t0 + k / rate) * 1e9)
            w.add_message(
                channel, log_time=t, data=json.dumps({"speed": v}).encode(), publish_time=t
            )
        w.finish()
    (tmp_path / "drive.mcap.json").write_text(json.dumps({"record_id": "m1"}))
    catalog = wb.build_catalog(tmp_path)
    (row,) = catalog.select()
    assert row.content_type == "application/x-mcap" and record_kind(row) == "series"
    ev = wb.find_events(catalog.select(), "speed > 60")
    np.testing.assert_allclose(ev.start, [t0 + 0.1, t0 + 0.5])
    np.testing.assert_allclose(ev.end, [t0 + 0.3, t0 + 0.7])


def test_a_bag_row_without_its_type_is_looked_up_in_the_bag(recording):
    for r in recording:
        if r.content_type.startswith("application/x-ros"):
            row = {k: v for k, v in dict(r).items() if k != "msg_type"}
            assert BagReader.kind_for(row) == ("frames" if r.contents in IMAGE_TOPICS else "series")
    assert BagReader.kind_for({"path": "drive.bag"}) == "frames"  # no topic: not one stream


def test_the_timeline_of_a_record_carries_its_bag_topics_and_can_messages(recording):
    series = load_recording_series(recording)
    assert {"can", "gps", *CAN_MESSAGES, *SERIES_TOPICS} <= set(series)
    assert {f"{t} (drive_ros2.mcap)" for t in SERIES_TOPICS} <= set(series)  # the ROS 2 copy
    assert not any(name.split(" ")[0] in IMAGE_TOPICS for name in series)
    speed = series["VehicleSpeed"]
    assert list(speed.columns) == ["speed_kmh"] and speed.attrs["units"] == {"speed_kmh": "km/h"}
    assert len(speed) == round(DURATION * 100)
    tl = wb.Timeline(recording, buckets=50)
    try:
        lanes = {lane["name"]: lane for lane in tl.lanes}
        assert {"/vehicle/twist.twist.linear.x", "/gps/fix.latitude", "can.speed_kmh"} <= set(lanes)
        assert lanes["VehicleSpeed.speed_kmh"]["unit"] == "km/h"
        assert lanes["Gear.gear"]["kind"] == "state" and lanes["Gear.gear"]["labels"]["3"] == "D"
        assert not any(name.endswith(("header.seq", "header.stamp")) for name in lanes)
    finally:
        tl.close()


def test_one_unreadable_stream_does_not_hide_the_others(recording, caplog):
    rows = [dict(r) for r in recording]
    broken = next(r for r in rows if r["contents"] == "/gps/fix" and r["path"].suffix == ".bag")
    broken["contents"] = "/no/such/topic"
    with caplog.at_level("WARNING", logger="workbench.widgets.timeline"):
        series = load_recording_series(rows)
    assert "/no/such/topic" not in series and "/vehicle/twist" in series
    assert "cannot read" in caplog.text and "/no/such/topic" in caplog.text


def test_a_can_log_is_read_once_for_all_its_messages(recording, monkeypatch):
    import workbench.formats.can.reader as can_reader

    passes: list[str] = []
    real = can_reader.iter_frames

    def counted(path, **kwargs):
        passes.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(can_reader, "iter_frames", counted)
    series = load_recording_series(recording)
    assert set(CAN_MESSAGES) <= set(series)
    logs = {str(r["path"]) for r in recording if r["contents"] in CAN_MESSAGES}
    assert sorted(passes) == sorted(logs)  # one pass over each log, not one per message
    # the same frames as each message's own read
    message = next(r for r in recording if r["contents"] == "Brake")
    own = wb.read(message).read_all().to_pandas()
    assert series["Brake"].to_numpy().tolist() == own.to_numpy().tolist()
    assert series["Brake"].index.tolist() == own.index.tolist()
