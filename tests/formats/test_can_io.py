"""CAN logs through wb.read, the catalog, and bad input (typed errors, nothing lost)."""

from __future__ import annotations

import json

import can
import numpy as np
import pytest
from can_support import T0, write_dbc, write_log

import workbench as wb
from workbench.errors import CorruptMediaError, InvalidArgumentError, UnknownContentTypeError
from workbench.formats.can import load_database


def _drive(db, seconds=3.0, rate=100):
    msgs = []
    for k in range(int(seconds * rate)):
        t = round(T0 + k / rate, 6)
        for name, values in [
            ("VehicleSpeed", {"speed_kmh": 40 + k * 0.01, "brake_pressure": 0, "accel": 0}),
            ("Gear", {"gear": 3, "turn_signal": k // 100}),
        ]:
            m = db.get_message_by_name(name)
            msgs.append(
                can.Message(
                    timestamp=t,
                    arbitration_id=m.frame_id,
                    data=m.encode(values, strict=False),
                    is_extended_id=False,
                )
            )
    return msgs


@pytest.fixture
def bus(tmp_path):
    dbc = write_dbc(tmp_path)
    db = load_database(dbc)
    log = write_log(tmp_path / "bus.log", _drive(db))
    return tmp_path, log, dbc


def test_read_yields_segments_lazily(bus):
    _, log, dbc = bus
    reader = wb.read(log, database=dbc, segment_duration=1.0, chunk_frames=50)
    assert len(reader) == 6  # 3 segments x 2 messages
    plan = reader.plan()
    assert plan.items == 600 and "Gear.gear" in plan.columns and plan.segments == 6
    batches = list(reader)
    assert [(b.metadata["message"], len(b)) for b in batches] == [
        ("VehicleSpeed", 100),
        ("Gear", 100),
    ] * 3
    first = batches[0]
    assert first.columns == [
        "VehicleSpeed.speed_kmh",
        "VehicleSpeed.brake_pressure",
        "VehicleSpeed.accel",
    ]
    assert first.timestamps[0] == T0 and first.timestamps[-1] < T0 + 1
    assert first.to_pandas()["VehicleSpeed.speed_kmh"].iloc[0] == pytest.approx(40)
    assert first.metadata["units"]["VehicleSpeed.speed_kmh"] == "km/h"
    assert batches[1].metadata["choices"]["Gear.gear"][3] == "D"
    assert reader.report.decoded == {"VehicleSpeed": 300, "Gear": 300}
    merged = reader.read_all()
    assert len(merged) == 600 and np.all(np.diff(merged.timestamps) >= 0)
    assert merged.values.shape == (600, 10)  # every signal of the database
    assert np.isfinite(merged.values).sum() == 300 * 3 + 300 * 2
    window = wb.read(log, database=dbc, start=T0 + 1, end=T0 + 1.5, signals=["gear"])
    batch = window.read_all()
    assert batch.columns == ["Gear.gear"] and len(batch) == 50
    assert batch.timestamps[0] == pytest.approx(T0 + 1)


def test_read_finds_the_database_next_to_the_log(bus):
    _, log, _ = bus
    assert len(wb.read(log).read_all()) == 600
    with pytest.raises(InvalidArgumentError, match="target_frame_rate"):
        wb.read(log, target_frame_rate=2)


def test_catalog_rows_per_message_with_tags(bus):
    root, _, _ = bus
    (root / "bus.log.json").write_text(
        json.dumps(
            {
                "record_id": "r1",
                "content-type": "application/x-can-candump",
                "database": "car.dbc",
                "contents": {"can": {"tags": ["can", "raw"]}},
            }
        )
    )
    cat = wb.build_catalog(root)
    sel = cat.select(tags=["can", "speed"])
    assert sel.df["contents"].tolist() == ["VehicleSpeed"]
    row = sel.df.iloc[0]
    assert row["count"] == 300 and row["start_timestamp"] == T0
    assert row["frequency"] == pytest.approx(100)
    assert sorted(cat.select(tags=["can"]).df["contents"]) == ["Gear", "VehicleSpeed"]
    assert cat.select(tags=["turn"]).df["contents"].tolist() == ["Gear"]
    rec = next(iter(cat.select(tags=["gear"])))
    batch = wb.read(rec).read_all()
    assert batch.columns == ["Gear.gear", "Gear.turn_signal"] and len(batch) == 300


def test_catalog_skips_a_log_without_database(tmp_path):
    log = write_log(tmp_path / "bus.log", [can.Message(timestamp=T0, arbitration_id=1)])
    (tmp_path / "bus.log.json").write_text(
        json.dumps({"record_id": "r1", "content-type": "application/x-can-candump"})
    )
    from workbench.catalog.ingest import ingest
    from workbench.catalog.store import Store

    report = ingest(Store(tmp_path / "c.db", create=True), tmp_path)
    assert [p.name for p, _ in report.skipped] == ["bus.log.json"]
    assert "no CAN database" in report.skipped[0][1]
    assert log.exists()


def test_dbc_syntax_error_names_file_and_line(tmp_path):
    bad = write_dbc(
        tmp_path,
        'VERSION ""\n\nBU_: ECU\n\nBO_ 256 S: 8 ECU\n SG_ x 0|8@1+ (1,0) [0|1] "" ECU\n',
        "bad.dbc",
    )
    with pytest.raises(CorruptMediaError, match=r"bad\.dbc.*line 6"):
        wb.decode_can(tmp_path / "x.log", bad)


@pytest.mark.parametrize(
    ("signals", "match"),
    [
        (
            ' SG_ a : 0|16@1+ (1,0) [0|1] "" ECU\n SG_ b : 8|4@1+ (1,0) [0|1] "" ECU\n',
            "'S'.*b and a are overlapping",
        ),
        (' SG_ a : 0|24@1+ (1,0) [0|1] "" ECU\n', "'S'.*a does not fit"),
    ],
)
def test_inconsistent_signals_refused_at_load(tmp_path, signals, match):
    dbc = write_dbc(tmp_path, f'VERSION ""\n\nBU_: ECU\n\nBO_ 256 S: 2 ECU\n{signals}')
    with pytest.raises(CorruptMediaError, match=match):
        load_database(dbc)


def test_bad_candump_line_is_an_error_naming_the_line(bus):
    _, log, dbc = bus
    lines = log.read_text().splitlines()
    lines[7] = lines[7][:12]  # a truncated line
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorruptMediaError, match=r"bus\.log line 8: "):
        wb.decode_can(log, dbc)
    with pytest.raises(CorruptMediaError, match="line 8"):
        list(wb.read(log, database=dbc))
    from workbench.formats.can.candump import iter_candump

    with pytest.raises(CorruptMediaError, match=r"line 8: "):  # counted across blocks
        list(iter_candump(log, block_bytes=100))


def test_unknown_format_lists_the_supported_ones(tmp_path):
    dbc = write_dbc(tmp_path)
    (tmp_path / "bus.pcap").write_bytes(b"\0" * 10)
    with pytest.raises(UnknownContentTypeError, match=r"\.log \(candump\), \.asc, \.blf"):
        wb.decode_can(tmp_path / "bus.pcap", dbc)


def test_damaged_blf_is_a_typed_error(tmp_path):
    dbc = write_dbc(tmp_path)
    blf = write_log(
        tmp_path / "bus.blf",
        [can.Message(timestamp=T0 + i, arbitration_id=256, data=bytes(8)) for i in range(50)],
    )
    blf.write_bytes(blf.read_bytes()[:200])
    with pytest.raises(CorruptMediaError, match=r"bus\.blf"):
        wb.decode_can(blf, dbc)


def test_unknown_names_are_refused(bus):
    _, log, dbc = bus
    with pytest.raises(InvalidArgumentError, match="'Nope' is not in the database"):
        wb.decode_can(log, dbc, messages=["Nope"])
    with pytest.raises(InvalidArgumentError, match=r"\['nope'\]"):
        wb.decode_can(log, dbc, signals=["nope"])
    assert np.isfinite(wb.decode_can(log, dbc, messages=[256])["VehicleSpeed"]).all().all()


def test_segmented_read_refuses_a_log_that_goes_back_in_time(tmp_path):
    dbc = write_dbc(tmp_path)
    db = load_database(dbc)
    msgs = _drive(db, seconds=2.0)
    log = write_log(tmp_path / "twice.log", msgs)
    text = log.read_text()
    log.write_text(text + text)  # two copies: time jumps back by 2 s
    with pytest.raises(CorruptMediaError, match=r"goes back in time by 1\.99"):
        list(wb.read(log, database=dbc))
    assert len(wb.decode_can(log, dbc)["Gear"]) == 400  # decoding it whole still works


def test_plan_spans_the_data_not_the_segment_grid(bus):
    _, log, dbc = bus
    # 3 s at 100 Hz (the last frame at T0 + 2.99), in 10 s segments: the plan ends at the
    # data's end, so rates computed from it are right (find_events picks its driver by rate)
    plan = wb.read(log, database=dbc, segment_duration=10.0).plan()
    assert plan.start == T0 and plan.end == pytest.approx(T0 + 2.99 + 2.99 / 599)
    assert plan.items / (plan.end - plan.start) == pytest.approx(200, rel=0.01)  # 2 messages
    window = wb.read(log, database=dbc, start=T0 + 1, end=T0 + 2).plan()
    assert (window.start, window.end) == (T0 + 1, T0 + 2)
