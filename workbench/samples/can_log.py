"""A raw CAN log and its DBC for each sample record, agreeing with ``can.csv``.

:func:`write_can_log` writes, next to a record's ``can.csv``::

    vehicle.dbc              the record's vehicle, written by cantools
    can_bus.log              candump log written by python-can's CanutilsLogWriter
    can_bus.log.json         dwtk sidecar naming the database ("database": "vehicle.dbc")

Messages (ids as on a typical passenger-car bus):

============  =====  ======  ====================================================
message       id     rate    signals
============  =====  ======  ====================================================
Steering      0x025  100 Hz  steering_angle_deg (big-endian, signed, 0.01 deg)
Brake         0x0A6  100 Hz  brake (0/1), brake_pressure (bar)
VehicleSpeed  0x0B4  100 Hz  speed_kmh (0.01 km/h)
Gear          0x3BC  10 Hz   gear (P/R/N/D), turn_signal (off/left/right/hazard)
Diag          0x7E8  1 Hz    page (multiplexer): coolant_temp (page 1), battery_v (page 2)
============  =====  ======  ====================================================

Speed, steering angle and brake are the simulation's own samples at the times of
``can.csv`` (the same values, to the CSV's two decimals); the turn signal is on while the
wheel is turned more than :data:`TURN_SIGNAL_DEG`.

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.samples.drive import simulate_drive
>>> from workbench.formats.can import decode_can
>>> data = pathlib.Path(tempfile.mkdtemp())
>>> drive = simulate_drive(2.0, seed=3)
>>> write_can_log(data, "r1", 1552806732.0, drive, 2.0, "records/r1/data")
>>> out = decode_can(data / "can_bus.log", data / "vehicle.dbc")
>>> sorted(out), len(out["VehicleSpeed"])
(['Brake', 'Diag', 'Gear', 'Steering', 'VehicleSpeed'], 200)
>>> bool(round(out["VehicleSpeed"]["speed_kmh"].iloc[5], 2) == round(drive.speed_kmh[5], 2))
True
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from workbench.samples.drive import SIM_RATE_HZ, Drive

__all__ = ["TURN_SIGNAL_DEG", "make_vehicle_database", "write_can_log"]

#: the turn signal is on while |steering angle| exceeds this (degrees)
TURN_SIGNAL_DEG = 6.0
GEARS = {0: "P", 1: "R", 2: "N", 3: "D"}
TURN_SIGNALS = {0: "off", 1: "left", 2: "right", 3: "hazard"}
_BRAKE_BAR = 35.0


def make_vehicle_database():
    """The sample vehicle's CAN database (a cantools ``Database``)."""
    from cantools.database import Message, Signal
    from cantools.database.can import Database
    from cantools.database.conversion import BaseConversion

    def sig(
        name,
        start,
        length,
        *,
        scale=1,
        offset=0,
        unit="",
        signed=False,
        big=False,
        choices=None,
        **mux,
    ):
        conversion = BaseConversion.factory(
            scale=scale, offset=offset, choices=OrderedDict(choices) if choices else None
        )
        return Signal(
            name,
            start,
            length,
            byte_order="big_endian" if big else "little_endian",
            is_signed=signed,
            conversion=conversion,
            unit=unit or None,
            **mux,
        )

    page = {"multiplexer_signal": "page"}
    # (frame id, name, length in bytes, sender, cycle time in ms) -> its signals
    layout = {
        (0x025, "Steering", 8, "EPS", 10): [
            sig("steering_angle_deg", 7, 16, scale=0.01, unit="deg", signed=True, big=True),
        ],
        (0x0A6, "Brake", 4, "ABS", 10): [
            sig("brake", 0, 1),
            sig("brake_pressure", 8, 12, scale=0.1, unit="bar"),
        ],
        (0x0B4, "VehicleSpeed", 8, "ABS", 10): [
            sig("speed_kmh", 0, 16, scale=0.01, unit="km/h"),
        ],
        (0x3BC, "Gear", 2, "BCM", 100): [
            sig("gear", 0, 3, choices=GEARS),
            sig("turn_signal", 8, 2, choices=TURN_SIGNALS),
        ],
        (0x7E8, "Diag", 8, "ECM", 1000): [
            sig("page", 0, 8, is_multiplexer=True),
            sig("coolant_temp", 8, 8, offset=-40, unit="degC", multiplexer_ids=[1], **page),
            sig("battery_v", 8, 16, scale=0.001, unit="V", multiplexer_ids=[2], **page),
        ],
    }
    messages = [
        Message(frame_id, name, length, signals, senders=[sender], cycle_time=cycle_time)
        for (frame_id, name, length, sender, cycle_time), signals in layout.items()
    ]
    return Database(messages=messages, strict=True)


def write_can_log(
    data: Path, record_id: str, start: float, drive: Drive, duration: float, rel_dir: str
) -> None:
    """Write ``vehicle.dbc``, ``can_bus.log`` and its sidecar for one record into ``data``.

    Parameters
    ----------
    data : pathlib.Path
        The record's data folder.
    record_id : str
        Its record id.
    start : float
        Absolute time of the record's first sample (the first ``can.csv`` row).
    drive : Drive
        The record's simulated drive.
    duration : float
        Seconds of the record.
    rel_dir : str
        ``data`` relative to the dataset root (for the sidecar's ``path``).
    """
    import can

    from workbench.samples.database import CAN_RATE_HZ, _write_sidecar

    db = make_vehicle_database()
    (data / "vehicle.dbc").write_text(db.as_dbc_string(), encoding="utf-8")
    n = max(1, round(duration * CAN_RATE_HZ))
    idx = np.arange(n) * (SIM_RATE_HZ // CAN_RATE_HZ)
    times = start + drive.t[idx]
    speed = np.round(drive.speed_kmh[idx], 2)
    steer = np.round(drive.steering_angle_deg[idx], 2)
    brake = drive.brake[idx].astype(int)
    turn = np.where(steer > TURN_SIGNAL_DEG, 1, np.where(steer < -TURN_SIGNAL_DEG, 2, 0))
    frames: list[tuple[float, str, dict]] = []
    for k in range(n):
        t = float(times[k])
        frames.append((t, "Steering", {"steering_angle_deg": float(steer[k])}))
        frames.append(
            (t, "Brake", {"brake": int(brake[k]), "brake_pressure": _BRAKE_BAR * int(brake[k])})
        )
        frames.append((t, "VehicleSpeed", {"speed_kmh": float(speed[k])}))
        if k % (CAN_RATE_HZ // 10) == 0:
            frames.append((t, "Gear", {"gear": 3, "turn_signal": int(turn[k])}))
        if k % CAN_RATE_HZ == 0:
            page = 1 + (k // CAN_RATE_HZ) % 2
            value = (
                {"coolant_temp": 88 + (k // CAN_RATE_HZ) % 5}
                if page == 1
                else {"battery_v": 13.8 + 0.01 * ((k // CAN_RATE_HZ) % 7)}
            )
            frames.append((t, "Diag", {"page": page, **value}))
    with can.CanutilsLogWriter(data / "can_bus.log", channel="can0") as writer:
        for t, name, values in frames:
            message = db.get_message_by_name(name)
            writer.on_message_received(
                can.Message(
                    timestamp=t,
                    arbitration_id=message.frame_id,
                    is_extended_id=False,
                    data=message.encode(values, strict=False),
                )
            )
    _write_sidecar(
        data,
        f"{rel_dir}/can_bus.log",
        record_id,
        times,
        "application/x-can-candump",
        {"can_bus": {"tags": ["can", "raw"], "frequency": CAN_RATE_HZ, "count": len(frames)}},
        database="vehicle.dbc",
    )
