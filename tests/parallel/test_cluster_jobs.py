"""Exports, stream runs and Dask DataFrames on a real LocalCluster: same output as in-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from parallel_support import frames_in
from PIL import Image

import workbench as wb
from workbench.catalog import Selection
from workbench.export.manifest import MANIFEST_NAME, Manifest, merge_parts, part_name

pytestmark = pytest.mark.dask


def manifest_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / MANIFEST_NAME).read_text().splitlines()]


def test_export_on_cluster_writes_the_same_files_as_in_process(cluster, media, tmp_path):
    rows = media["rows"]
    options = dict(target_frame_rate=2, resize_rate=0.25, progress=False, segment_duration=2.0)
    here = wb.export_frames(rows, tmp_path / "here", **options)
    there = wb.export_frames(rows, tmp_path / "there", client=cluster, **options)
    assert there.ok and there.written == here.written == 4 * 20
    assert frames_in(tmp_path / "there") == frames_in(tmp_path / "here")
    key = lambda e: (e["key"], e["file"])  # noqa: E731
    assert sorted(map(key, manifest_lines(tmp_path / "there"))) == sorted(
        map(key, manifest_lines(tmp_path / "here"))
    )
    a = (tmp_path / "here" / frames_in(tmp_path / "here")[7]).read_bytes()
    assert a == (tmp_path / "there" / frames_in(tmp_path / "there")[7]).read_bytes()
    again = wb.export_frames(rows, tmp_path / "there", client=cluster, **options)
    assert (again.written, again.skipped) == (0, 80)
    in_process_resume = wb.export_frames(rows, tmp_path / "there", **options)
    assert in_process_resume.written == 0


def test_export_on_cluster_reports_a_bad_record_and_finishes_the_rest(cluster, media, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    rows = [*media["rows"][:2], {"record_id": "bad", "path": str(broken)}]
    result = wb.export_frames(
        rows, tmp_path / "out", target_frame_rate=1, client=cluster, progress=False
    )
    assert result.written == 20
    assert [f.record_id for f in result.failed] == ["bad"]
    assert "CorruptMediaError" in result.failed[0].kind


def test_export_survives_a_worker_killed_mid_job(cluster, media, tmp_path):
    out = tmp_path / "out"
    pids = list(cluster.run(os.getpid).values())
    killed: list[int] = []

    def kill_one_worker_mid_job() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if out.is_dir() and len(list(out.glob("*.jpg"))) >= 60:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_one_worker_mid_job, daemon=True)
    killer.start()
    options = dict(target_frame_rate=10, client=cluster, progress=False, segment_duration=2.0)
    result = wb.export_frames(media["rows"], out, **options)
    killer.join()
    assert killed, "the export finished before a worker could be killed"
    files = sorted(out.glob("*.jpg"))
    assert result.ok and len(files) == 4 * 100
    assert result.written + result.skipped == 400
    for f in files[::7]:  # complete images, not torn ones
        with Image.open(f) as im:
            im.load()
    done = Manifest(out)
    assert all(done.is_done(e["key"], e["file"]) for e in manifest_lines(out))
    assert {e["file"] for e in manifest_lines(out)} == {f.name for f in files}
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    rerun = wb.export_frames(media["rows"], out, **options)
    assert (rerun.written, rerun.skipped) == (0, 400)


def test_manifest_parts_from_several_workers_merge_into_one(cluster, tmp_path):
    def append_many(rec):
        manifest = Manifest(tmp_path, part=part_name())
        for k in range(300):
            manifest.add(rec.record_id, f"{rec.record_id}-{k:04d}-" + "x" * 200, k)
        return os.getpid()

    df = wb.map_records(
        append_many, [f"/d/w{i}.mp4" for i in range(4)], client=cluster, progress=False
    )
    assert df.ok.all() and df.result.nunique() == 2  # both workers wrote at once
    assert len(list(tmp_path.glob(".workbench-manifest.*.jsonl"))) == 2
    assert len(Manifest(tmp_path)) == 1200  # parts are read before they are merged
    assert merge_parts(tmp_path) == 1200
    assert [p.name for p in tmp_path.glob(".workbench-manifest*.jsonl")] == [MANIFEST_NAME]
    assert len(Manifest(tmp_path)) == 1200


def test_to_dask_is_one_partition_per_record_on_absolute_time(cluster, tmp_path):
    rows = []
    for i in range(3):
        t = np.arange(0, 20, 0.5)
        df = pd.DataFrame(
            {
                "timestamp": 1000.0 * (i + 1) + t,
                "speed_kmh": 50 + 10 * i + t,
                "brake": (t % 4 >= 3).astype(float),
            }
        )
        path = tmp_path / f"can{i}.csv"
        df.to_csv(path, index=False)
        rows.append(
            {
                "record_id": f"c{i}",
                "path": str(path),
                "content_type": "text/csv",
                "start_timestamp": 1000.0 * (i + 1),
                "end_timestamp": 1000.0 * (i + 1) + 20,
            }
        )
    rows.append(
        {"record_id": "video", "path": str(tmp_path / "x.mp4"), "content_type": "video/mp4"}
    )
    sel = Selection(pd.DataFrame(rows))
    ddf = sel.to_dask(columns=["speed_kmh", "brake"])
    assert ddf.npartitions == 3 and list(ddf.columns) == ["speed_kmh", "brake", "record_id"]
    braking = ddf[ddf.brake > 0.5].groupby("record_id").speed_kmh.mean()
    got = cluster.compute(braking).result().sort_index()
    full = pd.concat(pd.read_csv(r["path"]).assign(record_id=r["record_id"]) for r in rows[:3])
    want = full[full.brake > 0.5].groupby("record_id").speed_kmh.mean()
    assert got.to_dict() == pytest.approx(want.to_dict())
    index = cluster.compute(ddf.index).result()
    assert index.min() == 1000.0 and index.name == "timestamp"
    assert sel.to_dask(columns=["speed_kmh"], window_duration=5.0).npartitions == 12


def test_run_on_cluster_writes_what_run_in_process_writes(cluster, tmp_path):
    src = wb.PackedStream(tmp_path / "in.bin").write(
        [bytes([k % 256]) * (k % 7 + 1) for k in range(600)]
    )
    here = wb.PackedStream(tmp_path / "here.bin")
    there = wb.PackedStream(tmp_path / "there.bin")
    wb.map_streams(src, lambda b: b[::-1] + b"!", here)
    wb.map_streams(src, lambda b: b[::-1] + b"!", there, client=cluster)
    assert list(there.load()) == list(here.load())


def test_a_failing_run_on_cluster_commits_nothing(cluster, tmp_path):
    src = wb.PackedStream(tmp_path / "in.bin").write([b"a"] * 300)
    out = wb.PackedStream(tmp_path / "out.bin")

    def fails_late(b, _n=[0]):  # noqa: B006 - per-worker counter is the point
        raise ValueError("row went wrong")

    with pytest.raises(wb.WorkbenchError, match="row went wrong"):
        wb.map_streams(src, fails_late, out, client=cluster)
    assert not (tmp_path / "out.bin").exists()


def test_a_script_without_main_guard_runs_on_a_local_cluster(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        textwrap.dedent("""
        import os
        import workbench as wb

        print("script body ran in", os.getpid(), flush=True)

        def where(rec):
            return os.getpid()

        df = wb.map_records(where, ["/d/a.mp4", "/d/b.mp4", "/d/c.mp4"], client="local")
        assert df.ok.all(), df.error.tolist()
        print("pids", sorted(set(df.result)), "main", os.getpid())
    """)
    )
    env = {**os.environ, "PYTHONPATH": str(Path(wb.__file__).parent.parent)}
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("script body ran in") == 1, proc.stdout  # not again in workers
    assert "pids" in proc.stdout and "dashboard http://127.0.0.1:" in proc.stdout


def test_export_clips_on_cluster_cuts_each_window_once(cluster, media, tmp_path):
    t0 = [r["start_timestamp"] for r in media["rows"][:2]]
    events = pd.DataFrame(
        {
            "record_id": ["r0", "r1", "r1"],
            "path": [media["rows"][0]["path"], media["rows"][1]["path"], "/nowhere.mp4"],
            "start": [t0[0] + 1.0, t0[1] + 2.0, t0[1]],
            "end": [t0[0] + 3.0, t0[1] + 4.0, t0[1] + 1],
            "start_timestamp": [t0[0], t0[1], t0[1]],
        }
    )
    df = wb.export_clips(events, tmp_path, client=cluster, progress=False)
    assert df.ok.tolist() == [True, True, False], df.error.tolist()
    assert "SourceNotFoundError" in df.error[2]
    for path in df.result[:2]:
        assert len(wb.open_video(path)) == 60
    again = wb.export_clips(events[:2], tmp_path, client=cluster, progress=False)
    assert again.ok.all() and again.result.tolist() == df.result[:2].tolist()
    mtimes = [Path(p).stat().st_mtime_ns for p in df.result[:2]]
    assert [Path(p).stat().st_mtime_ns for p in again.result] == mtimes  # not cut again
