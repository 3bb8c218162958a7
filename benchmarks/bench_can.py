"""CAN decoding speed: ``wb.decode_can`` next to what users write today (issue 15).

Builds a database of 50 messages (8 bytes, 4-6 signals each: little- and big-endian,
signed and unsigned, scaled, one enumeration) and a candump log of ``--frames`` frames
(default 1,000,000) with random payloads spread over the 50 ids, written by python-can's
``CanutilsLogWriter``. Then times, in one run:

- end to end (read the log, decode every signal): ``wb.decode_can`` vs the peer, python-can's
  ``can.LogReader`` feeding cantools' ``decode_message(..., decode_choices=False)`` frame by
  frame (goal >= 10x);
- decoding alone over already-parsed frames: the vectorised decoder vs the cantools loop
  (goal >= 20x);
- the same end-to-end pair for Vector ``.asc`` and ``.blf`` logs (``--other-frames`` frames,
  python-can reads those formats in both columns);
- (frames per second from CPU time, ``time.process_time``, since the machine may be
  shared; the wall-time ratio is printed next to it);
- peak RSS of a separate process that reads a ``--big-mb`` MB candump log through
  ``wb.read(log, database=...)`` in 10 s segments (goal <= 400 MB for 1 GB).

Run::

    .venv/bin/python benchmarks/bench_can.py [--frames 1000000] [--other-frames 200000]
        [--big-mb 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

import can
import cantools
import numpy as np
from cantools.database import Message, Signal
from cantools.database.conversion import BaseConversion

import workbench as wb
from workbench.formats.can.decode import compile_database, decode_frames
from workbench.formats.can.frames import frames_from_messages

T0 = 1_552_806_732.0
IDS = 50
RATE_HZ = 5000.0  # frames per second on the simulated bus


def make_database(seed: int = 0) -> cantools.database.can.Database:
    """50 messages of 8 bytes with a mix of layouts."""
    rng = np.random.default_rng(seed)
    messages = []
    for m in range(IDS):
        signals = [
            Signal("a", 0, 16, conversion=BaseConversion.factory(scale=0.01), unit="km/h"),
            Signal(
                "b",
                23,
                12,
                byte_order="big_endian",
                is_signed=True,
                conversion=BaseConversion.factory(scale=0.1, offset=-5),
            ),
            Signal("c", 32, 8, is_signed=True, unit="deg"),
            Signal(
                "d",
                40,
                3,
                conversion=BaseConversion.factory(
                    choices=OrderedDict((i, f"s{i}") for i in range(8))
                ),
            ),
        ]
        if rng.integers(2):
            signals.append(
                Signal(
                    "e",
                    55,
                    10,
                    byte_order="big_endian",
                    conversion=BaseConversion.factory(scale=0.5),
                )
            )
        if rng.integers(2):
            signals.append(Signal("f", 56, 2))
        messages.append(Message(0x100 + m, f"Msg{m:02d}", 8, signals, strict=True))
    return cantools.database.can.Database(messages=messages, strict=True)


def make_messages(n: int, seed: int = 0) -> list[can.Message]:
    rng = np.random.default_rng(seed)
    ids = 0x100 + rng.integers(0, IDS, n)
    payloads = rng.integers(0, 256, (n, 8), dtype=np.uint8)
    times = T0 + np.arange(n) / RATE_HZ
    return [
        can.Message(
            timestamp=float(t), arbitration_id=int(i), data=p.tobytes(), is_extended_id=False
        )
        for t, i, p in zip(times, ids, payloads, strict=True)
    ]


def write(path: Path, messages: list[can.Message]) -> Path:
    with can.Logger(str(path)) as writer:
        for msg in messages:
            writer.on_message_received(msg)
    return path


def peer_end_to_end(log: Path, db) -> int:
    """What users write today: python-can's LogReader + cantools, frame by frame."""
    n = 0
    for msg in can.LogReader(str(log)):
        db.decode_message(msg.arbitration_id, msg.data, decode_choices=False)
        n += 1
    return n


def timed(fn):
    """Run ``fn`` once; return ((CPU seconds, wall seconds), its result).

    Rates and ratios use the CPU time of this process: on a shared machine wall time
    also counts other people's work (both sides here run on one thread).
    """
    c, t = time.process_time(), time.perf_counter()
    result = fn()
    return (time.process_time() - c, time.perf_counter() - t), result


def write_big_candump(path: Path, megabytes: float, seed: int = 1) -> int:
    """A large candump log written in blocks (the same line format as python-can's writer)."""
    rng = np.random.default_rng(seed)
    written, k, block = 0, 0, 200_000
    with open(path, "w") as fh:
        while written < megabytes * 1e6:
            ids = 0x100 + rng.integers(0, IDS, block)
            data = rng.integers(0, 256, (block, 8), dtype=np.uint8)
            times = T0 + (k + np.arange(block)) / RATE_HZ
            text = "".join(
                f"({t:f}) can0 {i:03X}#{d.tobytes().hex().upper()} R\n"
                for t, i, d in zip(times, ids, data, strict=True)
            )
            fh.write(text)
            written += len(text)
            k += block
    return k


# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child started from this
# (large) process would report the parent's peak
RSS_CHILD = """
import re, sys, workbench as wb
rows = 0
for batch in wb.read(sys.argv[1], database=sys.argv[2], segment_duration=10.0):
    rows += len(batch)
status = open("/proc/self/status").read()
print(rows, int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024)
"""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--other-frames", type=int, default=200_000)
    ap.add_argument("--big-mb", type=float, default=1000.0)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = make_database()
        dbc = folder / "bench.dbc"
        dbc.write_text(db.as_dbc_string())
        db = cantools.database.load_file(dbc)
        messages = make_messages(args.frames)
        log = write(folder / "bus.log", messages)
        rows = []

        ours_s, out = timed(lambda: wb.decode_can(log, db))  # both sides get the loaded database
        assert sum(len(df) for df in out.values()) == args.frames
        peer_s, n = timed(lambda: peer_end_to_end(log, db))
        assert n == args.frames
        rows.append(("candump .log end to end", args.frames, ours_s, peer_s))

        frames = frames_from_messages(messages)
        plans = compile_database(db)
        dec_s, _ = timed(lambda: decode_frames(frames, plans))
        loop_s, _ = timed(
            lambda: [
                db.decode_message(m.arbitration_id, m.data, decode_choices=False) for m in messages
            ]
        )
        rows.append(("decoding only (parsed frames)", args.frames, dec_s, loop_s))

        other = messages[: args.other_frames]
        for suffix in (".asc", ".blf"):
            path = write(folder / f"bus{suffix}", other)
            ours_o, _ = timed(lambda path=path: wb.decode_can(path, db))
            peer_o, _ = timed(lambda path=path: peer_end_to_end(path, db))
            rows.append((f"{suffix} end to end", len(other), ours_o, peer_o))

        print(
            f"{'case':32} {'frames':>9} {'ours fr/s':>12} {'peer fr/s':>12} {'ratio':>7} "
            f"{'(wall)':>7}"
        )
        for name, n, (ours, ours_wall), (peer, peer_wall) in rows:
            print(
                f"{name:32} {n:9d} {n / ours:12,.0f} {n / peer:12,.0f} {peer / ours:6.1f}x "
                f"{peer_wall / ours_wall:6.1f}x"
            )

        big = folder / "big.log"
        n_big = write_big_candump(big, args.big_mb)
        size_mb = big.stat().st_size / 1e6
        out = subprocess.run(
            [sys.executable, "-c", RSS_CHILD, str(big), str(dbc)],
            capture_output=True,
            text=True,
            check=True,
        )
        got, rss = out.stdout.split()
        assert int(got) == n_big, (got, n_big)
        print(
            f"peak RSS reading a {size_mb:,.0f} MB candump log ({n_big:,} frames) in 10 s "
            f"segments with wb.read: {float(rss):,.0f} MB"
        )


if __name__ == "__main__":
    main()
