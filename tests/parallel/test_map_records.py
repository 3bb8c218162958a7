"""map_records in this process and on a real LocalCluster: order, failures, retries."""

from __future__ import annotations

import os
import pickle
import re
import signal
import socket
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.catalog import Selection
from workbench.errors import (
    ClusterError,
    InvalidArgumentError,
    MissingExtraError,
    WorkbenchDeprecationWarning,
)
from workbench.parallel import RecordSpec, as_specs, resolve_client


def record_id_and_pid(rec):
    if rec.record_id == "r2":
        raise ValueError(f"cannot use {rec.record_id}")
    return rec.record_id, os.getpid()


# -- in this process ------------------------------------------------------------------------


def test_in_process_rows_in_input_order_with_failures(media):
    df = wb.map_records(record_id_and_pid, media["rows"], progress=False)
    assert list(df.columns[:2]) == ["record_id", "path"]
    assert df.record_id.tolist() == ["r0", "r1", "r2", "r3"]
    assert df.ok.tolist() == [True, True, False, True]
    assert df.error[2] == "ValueError: cannot use r2"
    assert df.error[0] == "" and df.result[2] is None
    assert {pid for _, pid in df.result[df.ok]} == {os.getpid()}
    assert (df.seconds >= 0).all() and (df.attempts == 1).all()


def test_records_of_every_kind_become_specs(media):
    rows = media["rows"]
    sel = Selection(pd.DataFrame(rows))
    for records in (sel, sel.df, list(sel), rows, [r["path"] for r in rows]):
        specs = as_specs(records)
        assert [s.path for s in specs] == [r["path"] for r in rows]
    assert [s.record_id for s in as_specs(sel)] == ["r0", "r1", "r2", "r3"]
    spec = as_specs(sel)[1]
    assert spec.start_timestamp == rows[1]["start_timestamp"]
    assert pickle.loads(pickle.dumps(spec)) == spec
    with pytest.raises(InvalidArgumentError, match="cannot describe a"):
        as_specs([object()])


def test_a_spec_reads_its_record_on_its_own(media):
    spec = as_specs(media["rows"][:1])[0]
    batch = spec.read(target_frame_rate=1, resize_rate=0.25).read_all()
    assert batch.frames.shape[1:] == (60, 80, 3)
    assert batch.timestamps[0] == pytest.approx(spec.start_timestamp)
    with spec.open() as fh:
        assert len(fh.read(8)) == 8


def count_frames_at_2_fps(rec):
    return len(rec.read(target_frame_rate=2).read_all().frames)


def test_window_duration_splits_long_records(media):
    df = wb.map_records(
        count_frames_at_2_fps, media["rows"][:2], window_duration=4.0, progress=False
    )
    assert df.record_id.tolist() == ["r0"] * 3 + ["r1"] * 3
    t0 = media["rows"][0]["start_timestamp"]
    assert df.start[:3].tolist() == [t0, t0 + 4, t0 + 8] and df.end[2] == t0 + 10
    assert df.result[:3].tolist() == [8, 8, 4]


def test_segment_seconds_is_the_old_spelling_of_window_duration(media):
    rows = media["rows"][:2]
    message = "map_records: segment_seconds= is deprecated, use window_duration= (same meaning)"
    with pytest.warns(WorkbenchDeprecationWarning, match=re.escape(message)) as warned:
        old = wb.map_records(count_frames_at_2_fps, rows, segment_seconds=4.0, progress=False)
    assert warned[0].filename == __file__  # it points at the caller's line
    new = wb.map_records(count_frames_at_2_fps, rows, window_duration=4.0, progress=False)
    columns = ["record_id", "path", "start", "end", "ok", "result"]
    pd.testing.assert_frame_equal(old[columns], new[columns])
    with pytest.raises(InvalidArgumentError, match="segment_seconds is the old spelling"):
        wb.map_records(len, rows, segment_seconds=4.0, window_duration=4.0, progress=False)
    with pytest.raises(InvalidArgumentError, match=r"did you mean window_duration=4\.0"):
        wb.map_records(len, rows, window_duratoin=4.0, progress=False)
    with pytest.raises(InvalidArgumentError, match="window_duration=0 must be a positive"):
        wb.map_records(len, rows, window_duration=0, progress=False)


def test_to_dask_segment_seconds_is_the_old_spelling_of_window_duration(tmp_path):
    pytest.importorskip("dask.dataframe")
    path = tmp_path / "can.csv"
    pd.DataFrame({"timestamp": np.arange(0, 20, 0.5), "speed": 1.0}).to_csv(path, index=False)
    row = {"record_id": "c", "path": str(path), "content_type": "text/csv"}
    sel = Selection(pd.DataFrame([{**row, "start_timestamp": 0.0, "end_timestamp": 20.0}]))
    message = "Selection.to_dask: segment_seconds= is deprecated, use window_duration="
    with pytest.warns(WorkbenchDeprecationWarning, match=re.escape(message)) as warned:
        old = sel.to_dask(segment_seconds=5.0)
    assert warned[0].filename == __file__
    new = sel.to_dask(window_duration=5.0)
    assert old.npartitions == new.npartitions == 4
    pd.testing.assert_frame_equal(old.compute(), new.compute())


def test_a_file_url_is_a_local_path():
    spec = as_specs(["file:///d/a.mp4"])[0]
    assert spec.is_local and spec.path == "/d/a.mp4"
    assert spec.as_row()["path"] == str(spec.local_path) == os.path.abspath("/d/a.mp4")
    assert not as_specs(["s3://b/a.mp4"])[0].is_local


def test_split_keeps_a_record_without_known_times_whole():
    spec = RecordSpec(path="/d/a.mp4", record_id="a")
    assert spec.split(5.0) == [spec]


def test_missing_dask_extra_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"workbench\[dask\]"):
        wb.map_records(len, ["/d/a.mp4"], client="local", progress=False)
    with pytest.raises(ImportError):
        wb.map_records(len, ["/d/a.mp4"], client="tcp://127.0.0.1:1", progress=False)


def test_bad_client_value_lists_the_choices():
    with pytest.raises(InvalidArgumentError, match="scheduler address"):
        wb.map_records(len, ["/d/a.mp4"], client=3, progress=False)


# -- on a LocalCluster ------------------------------------------------------------------------


@pytest.mark.dask
def test_cluster_rows_in_input_order_and_run_in_workers(cluster, media):
    df = wb.map_records(record_id_and_pid, media["rows"], client=cluster, progress=False)
    assert df.record_id.tolist() == ["r0", "r1", "r2", "r3"]
    assert df.ok.tolist() == [True, True, False, True]
    assert df.error[2] == "ValueError: cannot use r2"
    assert [rid for rid, _ in df.result[df.ok]] == ["r0", "r1", "r3"]
    workers = set(cluster.run(os.getpid).values())
    assert {pid for _, pid in df.result[df.ok]} <= workers


@pytest.mark.dask
def test_cluster_caps_decoder_threads_to_one_per_core(cluster):
    def knob(_rec):
        return os.environ.get("WORKBENCH_DECODER_THREADS")

    df = wb.map_records(knob, ["/d/a.mp4", "/d/b.mp4"], client=cluster, progress=False)
    cores = os.cpu_count() or 1
    assert df.result.tolist() == [str(max(1, cores // 2))] * 2


@pytest.mark.dask
def test_unpicklable_fn_fails_before_any_work(cluster, tmp_path):
    lock = threading.Lock()
    marker = tmp_path / "ran"

    def uses_lock(_rec):
        marker.touch()
        with lock:
            return 1

    with pytest.raises(InvalidArgumentError, match=r"cannot be pickled.*nothing was run"):
        wb.map_records(uses_lock, ["/d/a.mp4"], client=cluster, progress=False)
    assert not marker.exists()


@pytest.mark.dask
def test_unreachable_scheduler_fails_within_the_timeout_naming_it():
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with (
        pytest.raises(ClusterError, match=f"127.0.0.1:{port}"),
        resolve_client(address, connect_timeout=1.0),
    ):
        pass


@pytest.mark.dask
@pytest.mark.parametrize("n", [8, 96])  # 96: several records per task (batched)
def test_a_killed_worker_has_its_record_retried_and_counted_once(cluster, tmp_path, n):
    def dies_once(rec):
        marker = tmp_path / f"{rec.record_id}.first"
        if rec.record_id == "k3" and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies mid-job
        time.sleep(0.01)
        return rec.record_id

    paths = [f"/d/k{i}.mp4" for i in range(n)]
    df = wb.map_records(dies_once, paths, client=cluster, retries=2, progress=False)
    assert df.record_id.tolist() == [f"k{i}" for i in range(n)]
    assert df.ok.all(), df.error.tolist()
    assert df.result.tolist() == df.record_id.tolist()
    # k3 ran twice; records queued on the same worker may have been sent again too
    assert df.attempts[3] == 2 and df.attempts.max() == 2


@pytest.mark.dask
def test_a_worker_out_of_memory_fails_that_record_only(cluster):
    def hog(rec):
        if rec.record_id != "m1":
            return 0
        hoard = []
        for _ in range(200):  # up to ~12 GiB, 64 MiB at a time; the nanny stops it at 1 GiB
            hoard.append(np.ones(8 * 2**20))
            time.sleep(0.02)
        return len(hoard)

    df = wb.map_records(
        hog, ["/d/m0.csv", "/d/m1.csv", "/d/m2.csv"], client=cluster, retries=0, progress=False
    )
    assert df.ok.tolist() == [True, False, True]
    assert "memory" in df.error[1] and df.error[1].startswith("WorkerMemoryError")


def test_new_errors_are_also_the_builtins_callers_catch():
    assert issubclass(MissingExtraError, ImportError)
    assert issubclass(ClusterError, ConnectionError)
    assert wb.MissingExtraError is MissingExtraError and wb.ClusterError is ClusterError


def test_decoder_thread_knob_caps_the_cpus_a_decoder_uses(monkeypatch):
    from workbench.video.decoder import THREADS_ENV, _usable_cpus

    monkeypatch.delenv(THREADS_ENV, raising=False)
    cpus = _usable_cpus()
    monkeypatch.setenv(THREADS_ENV, "1")
    assert _usable_cpus() == 1
    monkeypatch.setenv(THREADS_ENV, str(cpus + 5))  # never more than the machine has
    assert _usable_cpus() == cpus
    monkeypatch.setenv(THREADS_ENV, "many")  # ignored
    assert _usable_cpus() == cpus
