"""CAN databases and logs the CAN tests make themselves (cantools objects, python-can writers)."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import can
import cantools
import numpy as np
from cantools.database import Message, Signal
from cantools.database.conversion import BaseConversion

T0 = 1_552_806_732.0

#: a hand-written DBC covering the layouts by name (the random databases cover the rest)
CAR_DBC = """VERSION ""

BU_: ECU

BO_ 256 VehicleSpeed: 8 ECU
 SG_ speed_kmh : 0|16@1+ (0.01,0) [0|655.35] "km/h" Vector__XXX
 SG_ brake_pressure : 16|12@1+ (0.1,0) [0|409.5] "bar" Vector__XXX
 SG_ accel : 39|12@0- (0.01,0) [-20.48|20.47] "m/s2" Vector__XXX

BO_ 257 Gear: 2 ECU
 SG_ gear : 0|3@1+ (1,0) [0|7] "" Vector__XXX
 SG_ turn_signal : 8|2@1+ (1,0) [0|3] "" Vector__XXX

BO_ 2348875776 Steering: 8 ECU
 SG_ steering_angle_deg : 7|16@0- (0.1,0) [-3276.8|3276.7] "deg" Vector__XXX
 SG_ yaw_rate : 16|32@1- (1,0) [0|0] "deg/s" Vector__XXX

BO_ 1792 Diag: 8 ECU
 SG_ page M : 0|8@1+ (1,0) [0|255] "" Vector__XXX
 SG_ coolant_temp m1 : 8|8@1+ (1,-40) [-40|215] "degC" Vector__XXX
 SG_ battery_v m2 : 8|16@1+ (0.001,0) [0|65.535] "V" Vector__XXX

VAL_ 257 gear 0 "P" 1 "R" 2 "N" 3 "D" ;
VAL_ 257 turn_signal 0 "off" 1 "left" 2 "right" 3 "hazard" ;
SIG_VALTYPE_ 2348875776 yaw_rate : 1;
"""


def write_dbc(folder: Path, text: str = CAR_DBC, name: str = "car.dbc") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _random_signal(rng: np.random.Generator, name: str, length_bytes: int, **mux) -> Signal:
    kind = rng.choice(["int", "int", "int", "float32", "float64"])
    big = bool(rng.integers(2))
    if kind == "float32":
        length, signed, is_float = 32, True, True
    elif kind == "float64":
        length, signed, is_float = 64, True, True
    else:
        length = int(rng.choice([1, 2, 3, 7, 8, 9, 12, 16, 17, 24, 31, 32, 33, 48, 63, 64]))
        signed, is_float = bool(rng.integers(2)), False
    length = min(length, 8 * length_bytes)
    if is_float and length not in (32, 64):
        length, is_float = min(16, length), False
    start = int(rng.integers(0, 8 * length_bytes))
    scale = float(rng.choice([1, 1, 0.1, 0.01, 0.5, 3.0, 1e-3]))
    offset = float(rng.choice([0, 0, -40, 100.5, -0.25]))
    choices = None
    if not is_float and length <= 4 and rng.integers(2):
        choices = OrderedDict((i, f"state{i}") for i in range(2**length))
    return Signal(
        name,
        start,
        length,
        byte_order="big_endian" if big else "little_endian",
        is_signed=signed,
        conversion=BaseConversion.factory(
            scale=scale, offset=offset, choices=choices, is_float=is_float
        ),
        unit=str(rng.choice(["", "km/h", "bar", "deg"])),
        **mux,
    )


def _fits(message_args: dict, signals: list[Signal]) -> bool:
    try:
        Message(**message_args, signals=list(signals), strict=True)
    except cantools.database.Error:
        return False
    return True


def random_database(seed: int, *, messages: int = 12) -> cantools.database.can.Database:
    """Messages with random non-overlapping layouts: both byte orders, signed, floats,
    lengths 1..64 bits, CAN FD (up to 64 bytes), extended ids, a multiplexer with branches."""
    rng = np.random.default_rng(seed)
    out = []
    for m in range(messages):
        fd = m % 3 == 2
        length = int(rng.choice([12, 20, 32, 64])) if fd else int(rng.integers(1, 9))
        extended = m % 4 == 1
        frame_id = int(rng.integers(0x800, 0x1FFFFFFF)) if extended else 0x100 + 7 * m
        args = dict(
            frame_id=frame_id, name=f"M{m}", length=length, is_extended_frame=extended, is_fd=fd
        )
        signals: list[Signal] = []
        if m % 4 == 3 and length >= 2:  # multiplexed: selector in byte 0, branches overlap
            signals.append(Signal("mux", 0, 2, is_multiplexer=True))
            for branch in range(3):
                mine: list[Signal] = []
                for k in range(12):
                    s = _random_signal(
                        rng,
                        f"m{branch}_{k}",
                        length,
                        multiplexer_ids=[branch],
                        multiplexer_signal="mux",
                    )
                    if _fits(args, [signals[0], *mine, s]):
                        mine.append(s)
                signals += mine
        else:
            for k in range(40):
                s = _random_signal(rng, f"s{k}", length)
                if _fits(args, [*signals, s]):
                    signals.append(s)
        out.append(Message(**args, signals=signals, strict=True))
    return cantools.database.can.Database(messages=out, strict=True)


def random_messages(db, rng: np.random.Generator, n_per: int, *, short_every: int = 0):
    """python-can messages with random payloads for every message of ``db``, time-sorted."""
    msgs = []
    t = T0
    for k in range(n_per):
        for message in db.messages:
            length = message.length
            if short_every and k % short_every == short_every - 1:
                length = int(rng.integers(0, length))
            data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
            if message.is_fd and length not in (
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                12,
                16,
                20,
                24,
                32,
                48,
                64,
            ):
                data = data + bytes(-len(data) % 4)
            t += 0.0003
            msgs.append(
                can.Message(
                    timestamp=round(t, 6),
                    arbitration_id=message.frame_id,
                    data=data,
                    is_extended_id=message.is_extended_frame,
                    is_fd=message.is_fd,
                    dlc=len(data),
                )
            )
    return msgs


def write_log(path: Path, messages) -> Path:
    """Write ``messages`` with python-can's writer for ``path``'s suffix."""
    with can.Logger(str(path)) as writer:
        for msg in messages:
            writer.on_message_received(msg)
    return path
