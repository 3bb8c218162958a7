"""Catalog speed: exact-tag selects vs the dwtk way, indexed `between`, sidecar ingest.

Builds a 100,000-row catalog with 20 distinct tags by direct inserts, then times

- a 3-tag select returning about 1,000 rows as a DataFrame (goal <= 50 ms), next to the
  same selection done the dwtk way: ``LIKE`` over the ``;``-joined tags through
  ``workbench.compat.dwtk.DBHandler.read(where=...)``;
- a ``between`` (time overlap) select, with SQLite's query plan as proof it uses an index;
- ingesting 10,000 dwtk sidecars from disk with ``build_catalog`` (goal <= 15 s), and the
  incremental re-run that finds nothing changed.

Run::

    .venv/bin/python benchmarks/bench_catalog.py [--rows 100000] [--sidecars 10000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import workbench as wb
from workbench.catalog.query import build_select
from workbench.catalog.schema import TAG_SEPARATOR
from workbench.catalog.store import Store
from workbench.compat.dwtk import DBHandler

#: 20 tags and the probability that a row carries each (independent draws)
TAGS: dict[str, float] = {
    "camera": 0.5, "front": 0.3, "rear": 0.2, "center": 0.2, "left": 0.1, "right": 0.1,
    "can": 0.3, "gps": 0.2, "imu": 0.1, "day": 0.6, "night": 0.3, "rain": 0.2154,
    "sunny": 0.4, "highway": 0.3, "urban": 0.2154, "intersection": 0.1, "pedestrian": 0.05,
    "braking": 0.2154, "lane_change": 0.05, "camera_raw": 0.1,
}  # fmt: skip
QUERY_TAGS = ["rain", "urban", "braking"]  # 100,000 * 0.2154**3 ~ 1,000 rows
YEAR = 365 * 86400.0
T0 = 1_500_000_000.0


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time in ms over ``repeat`` runs (after one warm-up) and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def fill_catalog(db: Path, rows: int, seed: int = 0) -> wb.Catalog:
    """Insert ``rows`` synthetic streams straight into a new catalog."""
    rng = np.random.default_rng(seed)
    names = list(TAGS)
    probs = np.array([TAGS[n] for n in names])
    has = rng.random((rows, len(names))) < probs
    starts = T0 + np.sort(rng.random(rows)) * YEAR
    spans = rng.choice([60.0, 60.0, 60.0, 120.0, 600.0], size=rows)
    store = Store(db, create=True)
    with store.write() as con:
        con.execute("INSERT INTO catalog_info VALUES ('root', '.')")
        con.executemany(
            "INSERT INTO files (file_id, path, size, mtime_ns) VALUES (?,?,?,?)",
            ((i + 1, f"records/{i // 10:06d}/data/f{i % 10}.mp4", 1, 1) for i in range(rows)),
        )
        con.executemany(
            "INSERT INTO contents (id, file_id, record_id, contents, data_type, content_type,"
            " path, start_timestamp, end_timestamp, width, height, fps, num_frames, duration,"
            " codec, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (i + 1, i + 1, f"{i // 10:06d}", f"camera/{i % 10}", "raw_data", "video/mp4",
                 f"records/{i // 10:06d}/data/f{i % 10}.mp4", float(starts[i]),
                 float(starts[i] + spans[i]), 1280, 720, 30.0, int(spans[i] * 30),
                 float(spans[i]), "h264",
                 TAG_SEPARATOR.join(names[k] for k in np.flatnonzero(has[i])))
                for i in range(rows)
            ),
        )  # fmt: skip
        con.executemany(
            "INSERT INTO tags (tag, content_id, position) VALUES (?,?,?)",
            (
                (names[k], i + 1, pos)
                for i in range(rows)
                for pos, k in enumerate(np.flatnonzero(has[i]))
            ),
        )
    store.close()
    return wb.open_catalog(db, readonly=True)


def write_sidecars(root: Path, count: int) -> None:
    """Write ``count`` tiny CSV files with dwtk sidecars, 10 per record."""
    names = list(TAGS)
    for i in range(count):
        record = f"{i // 10:06d}"
        folder = root / "records" / record / "data"
        if i % 10 == 0:
            folder.mkdir(parents=True)
        f = folder / f"log_{i % 10}.csv"
        f.write_text("timestamp,value\n0,1\n")
        meta = {
            "description": "benchmark", "database_id": "bench", "record_id": record,
            "type": "raw_data", "path": f"records/{record}/data/{f.name}",
            "start_timestamp": T0 + i, "end_timestamp": T0 + i + 60, "content-type": "text/csv",
            "contents": {f"log/{i % 10}": {"tags": [names[i % 20], names[(i * 7) % 20]],
                                           "frequency": 100, "count": 6000}},
        }  # fmt: skip
        (folder / f"{f.name}.json").write_text(json.dumps(meta))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sidecars", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench_catalog_"))
    try:
        import os

        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        lines: list[tuple[str, str, str, str]] = []
        t = time.perf_counter()
        cat = fill_catalog(work / "catalog.db", args.rows)
        fill_s = time.perf_counter() - t
        print(f"catalog: {len(cat):,} rows, {len(cat.tags())} tags, filled in {fill_s:.1f} s\n")

        t = time.perf_counter()
        sel = cat.select(tags=QUERY_TAGS).df  # first select: reads the 3 tag postings
        cold_ms = (time.perf_counter() - t) * 1000
        lines.append(("3-tag select, first after open (cold)", f"{cold_ms:.1f} ms",
                      f"{len(sel):,}", "<= 50 ms"))  # fmt: skip
        ms, sel = timed(lambda: cat.select(tags=QUERY_TAGS).df, args.repeat)
        lines.append(("3-tag select -> DataFrame (warm)", f"{ms:.1f} ms", f"{len(sel):,}",
                      "<= 50 ms"))  # fmt: skip
        handler = DBHandler(db_class="meta", db_host=str(cat.path), read_on_init=False)
        where = " and ".join(f'tags like "%{t}%"' for t in QUERY_TAGS)
        ms, df = timed(lambda: (handler.read(where=where), handler.df)[1], args.repeat)
        lines.append(("same, dwtk way (LIKE over ;-joined tags)", f"{ms:.1f} ms", f"{len(df):,}",
                      ""))  # fmt: skip
        ms, sel = timed(lambda: cat.select(tags="camera").df, max(3, args.repeat // 2))
        lines.append(("1-tag 'camera' (exact)", f"{ms:.1f} ms", f"{len(sel):,}", ""))
        ms, df = timed(lambda: (handler.read(where='tags like "%camera%"'), handler.df)[1],
                       max(3, args.repeat // 2))  # fmt: skip
        lines.append(("1-tag dwtk LIKE '%camera%' (+camera_raw)", f"{ms:.1f} ms", f"{len(df):,}",
                      ""))  # fmt: skip

        day = (T0 + 100 * 86400.0, T0 + 101 * 86400.0)
        ms, sel = timed(lambda: cat.select(between=day).df, args.repeat)
        lines.append(("between (1 day window) -> DataFrame", f"{ms:.1f} ms", f"{len(sel):,}", ""))
        ms, sel = timed(lambda: cat.select(tags=["camera"], between=day).df, args.repeat)
        lines.append(("between + tag 'camera'", f"{ms:.1f} ms", f"{len(sel):,}", ""))
        sql, params = build_select(between=day, max_span=cat._max_span(), columns=("id",),
                                   view="contents")  # fmt: skip
        plan = [r[3] for r in cat._store.con.execute("EXPLAIN QUERY PLAN " + sql, params)]
        cat.close()

        root = work / "sidecars"
        t = time.perf_counter()
        write_sidecars(root, args.sidecars)
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        built = wb.build_catalog(root)
        ingest_s = time.perf_counter() - t
        report = built.last_report
        lines.append((f"ingest {args.sidecars:,} sidecars (build_catalog)", f"{ingest_s:.2f} s",
                      f"{len(built):,}", "<= 15 s"))  # fmt: skip
        t = time.perf_counter()
        again = built.ingest()
        rerun_s = time.perf_counter() - t
        lines.append(("re-ingest, nothing changed", f"{rerun_s:.2f} s",
                      f"{again.unchanged:,} unchanged", ""))  # fmt: skip
        built.close()

        widths = [max(len(row[i]) for row in [*lines, ("what", "time", "rows", "goal")])
                  for i in range(4)]  # fmt: skip
        header = ("what", "time", "rows", "goal")
        print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for row in lines:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        print(f"\n(sidecar files written in {write_s:.1f} s, not timed; "
              f"skipped {len(report.skipped)})")  # fmt: skip
        print("\nEXPLAIN QUERY PLAN of the between select:")
        for step in plan:
            print("   ", step)
        print("uses index contents_by_start:", any("contents_by_start" in p for p in plan))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
