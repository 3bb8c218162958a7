"""decode_can equals cantools' decode_message frame by frame, on random frames of random layouts."""

from __future__ import annotations

import math

import can
import cantools
import numpy as np
import pytest
from can_support import T0, random_database, random_messages, write_dbc, write_log
from cantools.database.utils import decode_data

import workbench as wb
from workbench.formats.can import load_database
from workbench.formats.can.candump import iter_candump
from workbench.formats.can.decode import compile_database, decode_frames
from workbench.formats.can.frames import frames_from_messages


def _expected(db, msg):
    """cantools' answer for one frame: {signal: value} (absent: not decoded)."""
    try:
        return db.decode_message(
            msg.arbitration_id, bytes(msg.data), decode_choices=False, allow_truncated=True
        )
    except cantools.database.DecodeError:
        # a multiplexer value the database does not list: cantools refuses the frame;
        # its own top-level codec gives the signals outside every branch
        message = db.get_message_by_frame_id(msg.arbitration_id)
        node = message._codecs
        return decode_data(
            bytes(msg.data),
            message.length,
            node["signals"],
            node["formats"],
            False,
            True,
            True,
            True,
        )


def _assert_same(db, msgs, out):
    rows = {name: 0 for name in out}
    for msg in msgs:
        message = db.get_message_by_frame_id(msg.arbitration_id)
        df = out[message.name]
        i = rows[message.name]
        rows[message.name] += 1
        assert df.index[i] == msg.timestamp
        want = _expected(db, msg)
        for signal in message.signals:
            got = df[signal.name].iat[i]
            if signal.name not in want:
                assert math.isnan(got), (message.name, signal.name, bytes(msg.data).hex())
                continue
            ref = float(want[signal.name])
            if math.isnan(ref):
                assert math.isnan(got)
            elif signal.is_float or (isinstance(want[signal.name], float) and abs(ref) > 2**53):
                assert got == pytest.approx(ref, rel=1e-9, abs=0), (message.name, signal.name)
            else:
                assert got == ref, (message.name, signal.name, bytes(msg.data).hex())
    assert rows == {name: len(df) for name, df in out.items()}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_layouts_match_cantools_frame_by_frame(tmp_path, seed):
    db = random_database(seed)
    rng = np.random.default_rng(seed)
    msgs = random_messages(db, rng, 40, short_every=7)
    dbc = tmp_path / "random.dbc"
    dbc.write_text(db.as_dbc_string(), encoding="utf-8")
    log = write_log(tmp_path / "bus.log", msgs)
    out = wb.decode_can(log, dbc)
    # the DBC round trip must keep the layouts: compare against the database we wrote
    _assert_same(load_database(dbc), msgs, out)
    _assert_same(db, msgs, wb.decode_can(log, db))
    short = out.report.short_frames
    assert sum(short.values()) > 0
    assert out.report.frames == len(msgs) and not out.report.unknown_ids


def test_every_message_kind_is_covered():
    kinds = set()
    for seed in range(4):
        for m in random_database(seed).messages:
            kinds.add(("fd64", m.is_fd and m.length == 64))
            kinds.add(("ext", m.is_extended_frame))
            kinds.add(("mux", m.is_multiplexed()))
            for s in m.signals:
                kinds.add((s.byte_order, s.is_signed, s.is_float, s.length == 64))
    for need in [
        ("fd64", True),
        ("ext", True),
        ("mux", True),
        ("big_endian", True, False, False),
        ("little_endian", True, False, False),
        ("big_endian", False, False, False),
        ("little_endian", False, False, False),
        ("big_endian", True, True, False),
        ("little_endian", True, True, True),
    ]:
        assert need in kinds, need


def test_named_layouts_and_attrs(tmp_path):
    dbc = write_dbc(tmp_path)
    db = load_database(dbc)
    msgs = []
    for k in range(50):
        t = T0 + k * 0.01
        for name, values in [
            ("VehicleSpeed", {"speed_kmh": 12.5 + k, "brake_pressure": 3.2, "accel": -1.5}),
            ("Gear", {"gear": k % 4, "turn_signal": 1}),
            ("Steering", {"steering_angle_deg": -12.3 + k, "yaw_rate": 0.125 * k}),
            (
                "Diag",
                {"page": 1 + k % 2, "coolant_temp": 90}
                if k % 2 == 0
                else {"page": 2, "battery_v": 12.6},
            ),
        ]:
            m = db.get_message_by_name(name)
            msgs.append(
                can.Message(
                    timestamp=t,
                    arbitration_id=m.frame_id,
                    is_extended_id=m.is_extended_frame,
                    data=m.encode(values, strict=False),
                )
            )
    log = write_log(tmp_path / "bus.log", msgs)
    out = wb.decode_can(log, dbc)
    assert sorted(out) == ["Diag", "Gear", "Steering", "VehicleSpeed"]
    speed = out["VehicleSpeed"]
    assert speed.index.name == "timestamp" and speed.index[0] == T0
    assert speed["speed_kmh"].iloc[3] == pytest.approx(15.5)
    assert speed["accel"].iloc[0] == pytest.approx(-1.5)
    assert speed.attrs["units"]["brake_pressure"] == "bar"
    assert out["Gear"].attrs["choices"]["gear"] == {0: "P", 1: "R", 2: "N", 3: "D"}
    assert out["Gear"]["gear"].tolist()[:5] == [0, 1, 2, 3, 0]
    steer = out["Steering"]
    assert (
        steer.attrs["frame_id"] == 2348875776 - 0x80000000
        and steer["steering_angle_deg"].iloc[0] == -12.3
    )
    assert steer["yaw_rate"].iloc[4] == 0.5
    diag = out["Diag"]
    assert diag["coolant_temp"].notna().tolist()[:2] == [True, False]
    assert diag["battery_v"].notna().tolist()[:2] == [False, True]
    _assert_same(db, msgs, out)
    # selections and window
    sub = wb.decode_can(log, dbc, signals=["gear"], start=T0 + 0.1, end=T0 + 0.2)
    assert list(sub) == ["Gear"] and list(sub["Gear"].columns) == ["gear"]
    assert len(sub["Gear"]) == 10
    only = wb.decode_can(log, dbc, messages=["Diag"], signals=["battery_v"])
    assert list(only["Diag"].columns) == ["battery_v"] and not only.report.unknown_ids


@pytest.mark.parametrize("suffix", [".asc", ".blf", ".csv", ".trc", ".mf4"])
def test_other_formats_decode_like_candump(tmp_path, suffix):
    db = random_database(5, messages=6)
    if suffix in (".trc", ".csv", ".asc", ".mf4"):  # python-can's writers of these keep CAN 2.0
        db = type(db)(messages=[m for m in db.messages if not m.is_fd])
    msgs = random_messages(db, np.random.default_rng(5), 20)
    reference = wb.decode_can(write_log(tmp_path / "bus.log", msgs), db)
    out = wb.decode_can(write_log(tmp_path / f"bus{suffix}", msgs), db)
    assert sorted(out) == sorted(reference)
    for name, df in reference.items():
        np.testing.assert_allclose(out[name].to_numpy(), df.to_numpy(), rtol=0, atol=0)
        # an ASC file's absolute start ('Begin Triggerblock' date) has millisecond resolution
        atol = 1e-3 if suffix == ".asc" else 2e-6
        np.testing.assert_allclose(out[name].index, df.index, rtol=0, atol=atol)


def test_candump_reader_equals_python_can(tmp_path):
    db = random_database(7)
    msgs = random_messages(db, np.random.default_rng(7), 30)
    msgs.append(can.Message(timestamp=T0 + 99, arbitration_id=0x123, is_remote_frame=True))
    msgs.append(can.Message(timestamp=T0 + 99, is_error_frame=True))
    log = write_log(tmp_path / "bus.log", msgs)
    with open(log, "a") as fh:  # candump -L lines without a direction, and an empty line
        fh.write("\n(1552806900.000001) can1 7FF#0102030405060708\n")
        fh.write("(1552806900.000002) can1 1FFFFFFF##3" + "ab" * 64 + "\n")
    ours = list(iter_candump(log, block_bytes=4096))
    assert len(ours) > 1  # several blocks
    theirs = frames_from_messages(list(can.CanutilsLogReader(log)))
    for field in ("timestamps", "ids", "extended", "fd", "lengths"):
        np.testing.assert_array_equal(
            np.concatenate([getattr(f, field) for f in ours]), getattr(theirs, field)
        )
    width = theirs.data.shape[1]
    mine = np.concatenate([np.pad(f.data, ((0, 0), (0, width - f.data.shape[1]))) for f in ours])
    np.testing.assert_array_equal(mine, theirs.data)
    assert sum(f.remote_frames for f in ours) == theirs.remote_frames == 1
    assert sum(f.error_frames for f in ours) == theirs.error_frames == 1


def test_unknown_ids_are_counted_not_dropped_silently(tmp_path):
    dbc = write_dbc(tmp_path)
    msgs = [can.Message(timestamp=T0 + i, arbitration_id=0x7AB, data=b"\x01") for i in range(3)]
    msgs.append(can.Message(timestamp=T0 + 4, arbitration_id=257, data=b"\x03\x01"))
    out = wb.decode_can(write_log(tmp_path / "bus.log", msgs), dbc)
    assert out.report.unknown_ids == {0x7AB: 3}
    assert out.report.decoded == {"Gear": 1} and out.report.frames == 4
    assert "0x7AB: 3" in repr(out.report)


def test_decode_frames_chunk_api():
    db = random_database(9, messages=4)
    msgs = random_messages(db, np.random.default_rng(9), 5)
    decoded, report = decode_frames(frames_from_messages(msgs), compile_database(db))
    assert report.frames == len(msgs) and sum(report.decoded.values()) == len(msgs)
    assert all(len(cols["timestamp"]) == 5 for cols in decoded.values())


LINES = [
    "(1552806732.417000) can0 123#DEADBEEF",
    "(1552806732.417000) can0 123#deadbeef R",
    "(1552806732.417000)\tvcan0\t1ABCDEF0##3" + "0a" * 12 + " T",
    "(1552806732.417000) can0 123#R",
    "(1552806732.417000) can0 123#R8 R",
    "(1552806732.123456789) can0 7FF#00",
    "(0.5) 1 12345678#",
    "  (1552806732.417000)  can0   123#0011  \r",
    "(1552806732.417000) can0 123#001",  # odd number of hex digits
    "(1552806732.417000) can0 123#00GG",
    "(1552806732.4.17000) can0 123#00",
    "(1552806732.417000)can0 123#00",
    "(1552806732.417000) can0 x 123#00",
    "(1552806732.417000) can0 123456789#00",
    "(1552806732.417000) can0 #00",
    "(1552806732.417000) can0 123##X00",
    "1552806732.417000 can0 123#00",
    "(1552806732.417000) can0",
    "(abc) can0 123#00",
]


#: damaged lines python-can misreads instead of refusing (we refuse them)
STRICTER = {LINES[8], LINES[13], LINES[16]}


@pytest.mark.parametrize("line", LINES)
def test_candump_lines_accepted_exactly_as_python_can_does(tmp_path, line):
    log = tmp_path / "one.log"
    log.write_bytes(("(1.000000) can0 001#01\n" + line + "\n").encode())
    try:
        theirs = frames_from_messages(list(can.CanutilsLogReader(log)))
    except (ValueError, IndexError):
        theirs = None
    if theirs is None or line in STRICTER:
        with pytest.raises(wb.CorruptMediaError, match=r"one\.log line 2: "):
            list(iter_candump(log))
        return
    ours = list(iter_candump(log))
    assert len(ours) == 1
    for field in ("timestamps", "ids", "extended", "fd", "lengths"):
        np.testing.assert_array_equal(getattr(ours[0], field), getattr(theirs, field), field)
    np.testing.assert_array_equal(ours[0].data[:, : theirs.data.shape[1]], theirs.data)
    assert ours[0].remote_frames == theirs.remote_frames
