"""A synthetic driving database in the layout of dwtk (the Driving Behavior Database toolkit).

:func:`make_sample_database` writes, for every record::

    <root>/records/<record_id>/data/
        camera_01.mp4                  camera_01.mp4.json
        camera_01_timestamps.csv       camera_01_timestamps.csv.json
        camera_02.mp4 ...              (one pair per camera, numbered from 01)
        can.csv                        can.csv.json        (100 Hz)
        can_bus.log                    can_bus.log.json    (raw CAN, candump)
        vehicle.dbc                    (its database; see workbench.samples.can_log)
        gps.csv                        gps.csv.json        (10 Hz)
        drive.bag  drive_ros2/         drive.bag.json ...  (ROS 1 and ROS 2 MCAP bags)

Every data file has a JSON sidecar ``<file>.json`` in the dwtk format::

    {"description": ..., "database_id": ..., "record_id": "016_00000000030000000240",
     "type": "raw_data", "path": "records/<record_id>/data/camera_01.mp4",
     "start_timestamp": 1552806732.417, "end_timestamp": 1552806792.384,
     "content-type": "video/mp4",
     "contents": {"camera/front-center": {"tags": ["camera", "front", "center", "mp4"]}}}

``path`` is relative to ``root``. ``start_timestamp``/``end_timestamp`` are the absolute
UNIX times of the first and last sample (frame) in the file. The per-frame timestamps
CSV has the columns ``frame,timestamp``; ``can.csv`` has ``timestamp, speed_kmh,
steering_angle_deg, brake`` (brake pedal 0/1); ``gps.csv`` has ``timestamp, lat, lon``.

All files of a record come from one :func:`~workbench.samples.drive.simulate_drive`, so
they agree: the speed printed in the video is the CAN speed, and while ``brake`` is 1
the car ahead is closer and its brake lights are on (about one braking event per 20 s).

Examples
--------
>>> import tempfile, pathlib, json
>>> root = make_sample_database(pathlib.Path(tempfile.mkdtemp()) / "db", records=1,
...                             duration_seconds=2, cameras=("front-center",),
...                             size=(160, 96), workers=1)
>>> sorted(p.name for p in (root / "records").iterdir())
['016_00000000030000000240']
>>> meta = json.loads((root / "records/016_00000000030000000240/data/can.csv.json").read_text())
>>> meta["contents"]
{'can': {'tags': ['can', 'speed', 'steering', 'brake'], 'frequency': 100, 'count': 200}}
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError, WorkbenchError
from workbench.samples.bags import write_record_bags
from workbench.samples.can_log import write_can_log
from workbench.samples.drive import SIM_RATE_HZ, simulate_drive
from workbench.samples.video import _check_fps, _check_int, _check_size, make_video

__all__ = ["CAN_RATE_HZ", "GPS_RATE_HZ", "make_sample_database", "record_ids"]

#: sampling rate of ``can.csv``
CAN_RATE_HZ = 100
#: sampling rate of ``gps.csv``
GPS_RATE_HZ = 10
#: driver (subject) prefixes the record ids cycle through; ``016_*`` selects a subset
_DRIVERS = ("016", "021")
#: first record start time: 2019-03-17 07:12:12 UTC, a Sunday morning drive
_FIRST_START = 1_552_806_732
#: the folder that holds this ``workbench`` package (a worker imports the same one)
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]
#: what a worker process runs: one camera job read as JSON from stdin
_WORKER_CODE = "from workbench.samples.database import _worker_main; _worker_main()"
_DESCRIPTION = "Synthetic driving record made by workbench.samples"
_DATABASE_ID = "Driving Behavior Database (synthetic)"


@dataclass(frozen=True)
class _CameraJob:
    video: Path
    record_seed: int
    duration_seconds: float
    camera: str
    size: tuple[int, int]
    fps: float
    gop: int
    crf: float | None


def record_ids(records: int, *, seed: int = 0) -> list[str]:
    """The record ids :func:`make_sample_database` uses, dwtk style ``DDD_NNNN...``.

    Examples
    --------
    >>> record_ids(3)
    ['016_00000000030000000240', '021_00000000030000000255', '016_00000000030000000270']
    """
    base = 30_000_000_000 + seed * 1_000_000 + 240
    return [f"{_DRIVERS[i % len(_DRIVERS)]}_{base + 15 * i:020d}" for i in range(records)]


def _camera_tags(camera: str) -> list[str]:
    parts = [p for p in camera.replace("_", "-").split("-") if p]
    return ["camera", *parts]


def _write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=4) + "\n", encoding="utf-8")


def _write_sidecar(
    data: Path,
    rel: str,
    record_id: str,
    times: np.ndarray,
    content_type: str,
    contents: dict,
    **extra: Any,
) -> None:
    """Write the dwtk sidecar of the file ``rel`` (relative to the dataset root), which
    lies in ``data``: its span is ``times[0]`` to ``times[-1]``; ``extra`` keys follow."""
    sidecar = _sidecar(record_id, rel, float(times[0]), float(times[-1]), content_type, contents)
    _write_json(data / f"{Path(rel).name}.json", {**sidecar, **extra})


def _sidecar(
    record_id: str, rel: str, start: float, end: float, content_type: str, contents: dict
) -> dict:
    return {
        "description": _DESCRIPTION,
        "database_id": _DATABASE_ID,
        "record_id": record_id,
        "type": "raw_data",
        "path": rel,
        "start_timestamp": round(start, 6),
        "end_timestamp": round(end, 6),
        "content-type": content_type,
        "contents": contents,
    }


def _encode_camera(job: _CameraJob) -> Path:
    """Worker: encode one camera video of one record (runs in a subprocess)."""
    drive = simulate_drive(job.duration_seconds, seed=job.record_seed)
    frames = max(1, round(job.duration_seconds * job.fps))
    return make_video(
        job.video,
        codec="h264",
        size=job.size,
        fps=job.fps,
        frames=frames,
        gop=job.gop,
        crf=job.crf,
        seed=job.record_seed,
        speed_profile=drive,
        view="rear" if "rear" in job.camera else "front",
        label=job.camera,
    )


def _worker_main() -> None:
    """Entry point of a worker process: encode the :class:`_CameraJob` given as JSON on stdin."""
    raw = json.loads(sys.stdin.read())
    raw["video"] = Path(raw["video"])
    raw["size"] = tuple(raw["size"])
    _encode_camera(_CameraJob(**raw))


def _encode_in_worker(job: _CameraJob) -> None:
    """Encode ``job`` in a fresh ``python -c`` process.

    Not a ``multiprocessing`` pool: under ``spawn``/``forkserver`` (the only safe start
    methods once threads run) every worker re-imports the user's ``__main__``; a script
    without an ``if __name__ == "__main__":`` guard that calls :func:`demo_database` then
    runs again in each worker and waits forever on the file lock its parent holds. A
    plain interpreter started with ``-c`` imports only workbench.
    """
    # this package first, unless it is already on the path (a site-packages folder must
    # not move ahead of the standard library)
    where = f"import sys; p = {str(_PACKAGE_PARENT)!r}; p in sys.path or sys.path.insert(0, p); "
    payload = {**asdict(job), "video": str(job.video)}
    proc = subprocess.run(
        [sys.executable, "-c", where + _WORKER_CODE],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise WorkbenchError(
            f"the worker process that encodes {job.video} failed (exit code "
            f"{proc.returncode}):\n{tail}\nrun again with workers=1 to see the error here"
        )


def _check_cameras(cameras: object) -> tuple[str, ...]:
    if isinstance(cameras, str):
        cameras = (cameras,)
    ok = isinstance(cameras, Sequence) and all(isinstance(c, str) and c for c in cameras)
    if not ok or not cameras:
        raise InvalidArgumentError(
            f"cameras={cameras!r} must be a non-empty sequence of camera names, "
            "e.g. ('front-center', 'rear')"
        )
    names = tuple(cameras)  # type: ignore[arg-type]
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"cameras={names!r} lists a camera twice")
    bad = [c for c in names if not all(ch.isalnum() or ch in "-_" for ch in c)]
    if bad:
        raise InvalidArgumentError(
            f"camera name {bad[0]!r} may only contain letters, digits, '-' and '_'"
        )
    if len(names) > 99:
        raise InvalidArgumentError(f"{len(names)} cameras is too many; at most 99")
    return names


def make_sample_database(
    root: str | os.PathLike[str],
    *,
    records: int = 3,
    duration_seconds: float = 60,
    cameras: Sequence[str] = ("front-center", "rear"),
    size: tuple[int, int] = (1280, 720),
    fps: float = 30,
    seed: int = 0,
    gop: int | None = None,
    crf: float | None = 23,
    workers: int | None = None,
    progress: bool = False,
) -> Path:
    """Write a dwtk-style synthetic driving database under ``root`` and return ``root``.

    Parameters
    ----------
    root : str or os.PathLike
        Dataset folder (created if needed). Records already there with the same id are
        replaced; other files are left alone.
    records : int
        Number of records (1 to 1000).
    duration_seconds : float
        Length of every record in seconds (more than 0, at most 3600).
    cameras : sequence of str
        Camera names; camera ``k`` (from 1) is written as ``camera_{k:02d}.mp4``. A name
        containing ``rear`` gets the rear view. Tags are ``camera`` plus the name split
        at ``-`` (``front-center`` -> ``camera, front, center``), and ``mp4`` for the
        video or ``timestamps`` for its timestamps CSV.
    size : (int, int)
        Video (width, height).
    fps : float
        Video frame rate.
    seed : int
        Seed of the whole database (record ids, start times, drives); the same seed
        gives the same files.
    gop : int, optional
        Keyframe distance in frames; default one second (``round(fps)``).
    crf : float, optional
        x264 constant rate factor of the videos.
    workers : int, optional
        Processes that encode videos in parallel; default ``os.cpu_count()``. ``1``
        encodes in this process. Workers are fresh interpreters that import only
        workbench, never the caller's script, so a script without an
        ``if __name__ == "__main__":`` guard is safe.
    progress : bool
        Show a tqdm progress bar (one step per video).

    Returns
    -------
    pathlib.Path
        ``root``.

    Notes
    -----
    Each record is assembled in a hidden temporary folder next to its final place and
    renamed into ``records/`` only when complete, so an interrupted build leaves no
    half-written record (at most a hidden ``records/.*.tmp`` folder, removed by the next
    build). Videos are H.264 (x264 ``ultrafast``, no B-frames), one keyframe per ``gop``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = make_sample_database(pathlib.Path(tempfile.mkdtemp()), records=2,
    ...                             duration_seconds=1, cameras=("front-center",),
    ...                             size=(160, 96), workers=1)
    >>> sorted(p.name for p in (root / "records" / "021_00000000030000000255" / "data").iterdir())
    ... # doctest: +NORMALIZE_WHITESPACE
    ['camera_01.mp4', 'camera_01.mp4.json', 'camera_01_timestamps.csv',
     'camera_01_timestamps.csv.json', 'can.csv', 'can.csv.json', 'can_bus.log',
     'can_bus.log.json', 'drive.bag', 'drive.bag.json', 'drive_ros2', 'drive_ros2.json',
     'gps.csv', 'gps.csv.json', 'vehicle.dbc']
    """
    root = Path(root)
    records = _check_int("records", records, 1, 1000)
    if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, (int, float)):
        raise InvalidArgumentError(
            f"duration_seconds={duration_seconds!r} must be a number of seconds"
        )
    if not 0 < float(duration_seconds) <= 3600:
        raise InvalidArgumentError(
            f"duration_seconds={duration_seconds!r} is out of range; allowed: > 0 and <= 3600"
        )
    duration = float(duration_seconds)
    names = _check_cameras(cameras)
    size = _check_size(size)
    rate = float(_check_fps(fps))
    seed = _check_int("seed", seed, 0)
    gop = _check_int("gop", round(rate) if gop is None else gop, 1, 10_000)
    if workers is None:
        workers = os.cpu_count() or 1
    workers = _check_int("workers", workers, 1, 256)
    if root.exists() and not root.is_dir():
        raise InvalidArgumentError(f"root={str(root)!r} exists and is not a folder")

    records_dir = root / "records"
    records_dir.mkdir(parents=True, exist_ok=True)
    for stale in records_dir.glob(".*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    rng = np.random.default_rng([seed, 2019])
    ids = record_ids(records, seed=seed)
    gaps = np.cumsum(rng.uniform(2 * 3600, 30 * 3600, records))
    starts = [round(_FIRST_START + seed * 86_400 + float(g), 3) for g in gaps]
    staging = {rid: records_dir / f".{rid}.{uuid.uuid4().hex[:8]}.tmp" for rid in ids}

    jobs = []
    for r, rid in enumerate(ids):
        data = staging[rid] / "data"
        data.mkdir(parents=True)
        for k, cam in enumerate(names, start=1):
            jobs.append(
                _CameraJob(
                    data / f"camera_{k:02d}.mp4",
                    seed * 1000 + r,
                    duration,
                    cam,
                    size,
                    rate,
                    gop,
                    crf,
                )
            )
    try:
        _run_jobs(jobs, workers, progress)
        for r, rid in enumerate(ids):
            _write_record_files(
                staging[rid] / "data", rid, starts[r], seed * 1000 + r, duration, names, rate
            )
            write_record_bags(staging[rid] / "data", rid, starts[r], seed * 1000 + r, duration)
            final = records_dir / rid
            if final.exists():
                trash = records_dir / f".{rid}.{uuid.uuid4().hex[:8]}.old.tmp"
                final.rename(trash)
                staging[rid].rename(final)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                staging[rid].rename(final)
    finally:
        for path in staging.values():
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)
    return root


def _run_jobs(jobs: list[_CameraJob], workers: int, progress: bool) -> None:
    from tqdm.auto import tqdm

    workers = min(workers, len(jobs))
    bar = tqdm(total=len(jobs), unit="video", desc="sample videos", disable=not progress)
    with bar:
        if workers <= 1 or not sys.executable:
            for job in jobs:
                _encode_camera(job)
                bar.update()
            return
        # threads only wait on the worker processes (see _encode_in_worker)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(_encode_in_worker, jobs):
                bar.update()


def _write_record_files(
    data: Path,
    record_id: str,
    start: float,
    record_seed: int,
    duration: float,
    cameras: tuple[str, ...],
    fps: float,
) -> None:
    """Write the timestamps, CAN and GPS CSVs and every sidecar of one record."""
    drive = simulate_drive(duration, seed=record_seed)
    rel_dir = f"records/{record_id}/data"
    frames = max(1, round(duration * fps))
    frame_times = start + np.arange(frames) / fps
    for k, cam in enumerate(cameras, start=1):
        stem = f"camera_{k:02d}"
        tags = _camera_tags(cam)
        content = f"camera/{cam}"
        _write_sidecar(
            data,
            f"{rel_dir}/{stem}.mp4",
            record_id,
            frame_times,
            "video/mp4",
            {content: {"tags": [*tags, "mp4"], "frequency": fps, "count": frames}},
        )
        ts = data / f"{stem}_timestamps.csv"
        lines = [f"{i},{t:.6f}" for i, t in enumerate(frame_times)]
        ts.write_text("frame,timestamp\n" + "\n".join(lines) + "\n", encoding="utf-8")
        _write_sidecar(
            data,
            f"{rel_dir}/{stem}_timestamps.csv",
            record_id,
            frame_times,
            "text/csv",
            {content: {"tags": [*tags, "timestamps"], "frequency": fps, "count": frames}},
        )
    # CAN at 100 Hz: the simulation's own samples, [start, start + duration)
    n_can = max(1, round(duration * CAN_RATE_HZ))
    step = SIM_RATE_HZ // CAN_RATE_HZ
    idx = np.arange(n_can) * step
    can_t = start + drive.t[idx]
    rows = zip(
        can_t,
        drive.speed_kmh[idx],
        drive.steering_angle_deg[idx],
        drive.brake[idx],
        strict=True,
    )
    text = "".join(f"{t:.3f},{v:.2f},{s:.2f},{b}\n" for t, v, s, b in rows)
    (data / "can.csv").write_text(
        "timestamp,speed_kmh,steering_angle_deg,brake\n" + text, encoding="utf-8"
    )
    can_tags = ["can", "speed", "steering", "brake"]
    _write_sidecar(
        data,
        f"{rel_dir}/can.csv",
        record_id,
        can_t,
        "text/csv",
        {"can": {"tags": can_tags, "frequency": CAN_RATE_HZ, "count": n_can}},
    )
    write_can_log(data, record_id, start, drive, duration, rel_dir)  # raw bus log + DBC
    # GPS at 10 Hz
    n_gps = max(1, round(duration * GPS_RATE_HZ))
    gidx = np.arange(n_gps) * (SIM_RATE_HZ // GPS_RATE_HZ)
    gps_t = start + drive.t[gidx]
    text = "".join(
        f"{t:.3f},{la:.7f},{lo:.7f}\n"
        for t, la, lo in zip(gps_t, drive.lat[gidx], drive.lon[gidx], strict=True)
    )
    (data / "gps.csv").write_text("timestamp,lat,lon\n" + text, encoding="utf-8")
    _write_sidecar(
        data,
        f"{rel_dir}/gps.csv",
        record_id,
        gps_t,
        "text/csv",
        {"gps": {"tags": ["gps", "position"], "frequency": GPS_RATE_HZ, "count": n_gps}},
    )
