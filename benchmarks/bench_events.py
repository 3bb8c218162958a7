"""Event search speed: ``wb.find_events`` over many 10-minute records of 100 Hz CAN.

Writes ``--records`` records of ``--minutes`` of CAN (speed, brake, steering at 100 Hz,
braking every ~20 s, as the sample generator drives) as CSV (or Parquet with
``--parquet``) with dwtk sidecars, catalogs them, then times, side by side in one run:

* ``find_events`` in this process (records/s, and times real time per core);
* the same on a 2-worker ``dask.distributed.LocalCluster`` (``client="local"``), when the
  ``[dask]`` extra is installed;
* what a user writes by hand: ``pandas.read_csv`` of each file and a boolean run scan
  (the floor for reading the file; no segmenting, no alignment, no stats).

Goal (issue 16): the in-process scan at >= 20x real time per core (well under 1 s per
10-minute record). Speed goals are reported, not asserted.

Usage::

    .venv/bin/python benchmarks/bench_events.py [--records 100] [--minutes 10] [--parquet]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import workbench as wb

CONDITION = "brake > 0.5 and speed_kmh > 30"


def write_records(root: Path, records: int, minutes: float, parquet: bool) -> None:
    rate = 100
    n = int(minutes * 60 * rate)
    t = np.arange(n) / rate
    for r in range(records):
        rng = np.random.default_rng(r)
        brake = ((t % 20.0) > rng.uniform(5, 9)) & ((t % 20.0) < 11.5)
        speed = 50 + 10 * np.sin(t / 37 + r) - 20 * brake
        df = pd.DataFrame(
            {
                "timestamp": 1.55e9 + 1000 * r + t,
                "speed_kmh": np.round(speed, 2),
                "steering_angle_deg": np.round(5 * np.sin(t / 7), 2),
                "brake": brake.astype(int),
            }
        )
        folder = root / f"rec{r:04d}"
        folder.mkdir(parents=True)
        name = "can.parquet" if parquet else "can.csv"
        if parquet:
            df.to_parquet(folder / name, index=False)
        else:
            df.to_csv(folder / name, index=False)
        (folder / f"{name}.json").write_text(
            json.dumps(
                {
                    "record_id": f"rec{r:04d}",
                    "content-type": "application/vnd.apache.parquet" if parquet else "text/csv",
                    "start_timestamp": float(df.timestamp.iloc[0]),
                    "end_timestamp": float(df.timestamp.iloc[-1]),
                    "contents": {"can": {"tags": ["can"], "frequency": rate, "count": n}},
                }
            )
        )


def by_hand(paths: list[str]) -> int:
    """pandas.read_csv + a boolean run scan per file: the floor for reading the data."""
    events = 0
    for path in paths:
        df = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
        mask = ((df.brake > 0.5) & (df.speed_kmh > 30)).to_numpy()
        events += int(np.count_nonzero(np.diff(mask.astype(np.int8)) == 1) + mask[0])
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--parquet", action="store_true", help="Parquet instead of CSV")
    parser.add_argument("--no-cluster", action="store_true", help="skip the LocalCluster row")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        root = Path(tmp) / "data"
        began = time.perf_counter()
        write_records(root, args.records, args.minutes, args.parquet)
        cat = wb.build_catalog(root)
        sel = cat.select(tags=["can"])
        print(f"wrote and catalogued {args.records} records in {time.perf_counter() - began:.1f} s")
        real = args.records * args.minutes * 60
        rows = []

        began = time.perf_counter()
        found = by_hand([str(p) for p in sel.df.path])
        rows.append(("pandas read + run scan (floor)", time.perf_counter() - began, found, 1))

        began = time.perf_counter()
        ev = wb.find_events(sel, CONDITION)
        rows.append(("find_events, in-process", time.perf_counter() - began, len(ev), 1))

        if not args.no_cluster:
            try:
                began = time.perf_counter()
                ev2 = wb.find_events(sel, CONDITION, client="local")
                seconds = time.perf_counter() - began
                rows.append(("find_events, LocalCluster 2", seconds, len(ev2), 2))
            except Exception as exc:  # the [dask] extra or workbench.parallel missing
                print(f"(no cluster row: {type(exc).__name__}: {exc})", file=sys.stderr)

    kind = "Parquet" if args.parquet else "CSV"
    print(f"\n{args.records} records x {args.minutes:g} min of 100 Hz CAN ({kind}), '{CONDITION}'")
    print(f"{'method':34}{'seconds':>9}{'records/s':>11}{'x real time/core':>18}{'events':>8}")
    for name, seconds, events, cores in rows:
        print(
            f"{name:34}{seconds:>9.2f}{args.records / seconds:>11.1f}"
            f"{real / seconds / cores:>18.0f}{events:>8}"
        )
    inproc = next(r for r in rows if r[0].endswith("in-process"))
    floor = rows[0]
    print(f"in-process vs floor: {inproc[1] / floor[1]:.2f}x the time of reading by hand")
    print(
        "goal >= 20x real time per core:",
        "met" if real / inproc[1] >= 20 else "MISSED",
        f"({inproc[1] / args.records:.3f} s per record)",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
