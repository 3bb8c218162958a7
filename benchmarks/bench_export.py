"""Reproduce the seed tutorial: dump an 80 s 1080p camera file at 2 fps, resized 0.25, as JPEGs.

Compares, each in its own subprocess (cold start, its own peak RSS):

(a) dwtk method 1 - OpenCV ``cv2.VideoCapture``, one ``CAP_PROP_POS_FRAMES`` seek per kept
    frame, every frame kept in memory, then ``cv2.imwrite`` for all of them;
(b) dwtk method 2 - the same, in 10 s segments (read a segment, write it, next);
(c) ``wb.export_frames`` - the lazy segmented reader + indexed decoder + threaded JPEG
    encoding (index built inside the call: a cold cache), and again with the index cached.

Reported: time to the first written file (from the call), total time, files, peak RSS
of the method's own process (psutil, polled from the parent, and the child's own
high-water mark ``VmHWM``; see :func:`own_peak_rss_mb`), and ratios. With
``--rss`` it also measures peak RSS on a 10-minute 1080p record for (a) and (c) (the
80 s file stream-copied 8 times back to back, made once into ``bench-data/``; slow to run
because of method (a)).

The sample camera file is the one :func:`workbench.samples.make_video` makes for the
sample database (H.264, x264 ultrafast, crf 23, one keyframe per second, no B-frames),
generated once into ``bench-data/`` and reused.

Run::

    .venv/bin/python benchmarks/bench_export.py            # 80 s file, table of ratios
    .venv/bin/python benchmarks/bench_export.py --rss      # + 10-minute peak-RSS figures
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
METHODS = ("dwtk1", "dwtk2", "wb", "wb-warm")
LABELS = {
    "dwtk1": "(a) dwtk method 1: OpenCV seek/frame, all in memory",
    "dwtk2": "(b) dwtk method 2: same, 10 s segments",
    "wb": "(c) wb.export_frames (index built in the call)",
    "wb-warm": "(c') wb.export_frames (index cached)",
}


def sample_video(seconds: int) -> Path:
    """The 1080p 30 fps camera file of ``seconds`` seconds (generated once)."""
    path = DATA / f"camera_1080p_{seconds}s.mp4"
    if not path.exists():
        from workbench.samples import make_video

        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} (once) ...", flush=True)
        t = time.perf_counter()
        make_video(path, size=(1920, 1080), fps=30, frames=30 * seconds, gop=30, crf=23)
        print(f"  {time.perf_counter() - t:.0f} s", flush=True)
    return path


def long_video(base: Path, copies: int = 8) -> Path:
    """A 10+ minute 1080p file: ``copies`` back-to-back stream copies of ``base`` (fast to
    make; the pixels repeat, which does not matter for memory)."""
    path = DATA / f"{base.stem}_x{copies}.mp4"
    if path.exists():
        return path
    import av

    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(base)) as probe:
        st = probe.streams.video[0]
        span = round(st.frames / float(st.average_rate) / st.time_base)
    with av.open(str(tmp), "w") as out:
        ost = None
        for k in range(copies):
            with av.open(str(base)) as inp:
                ist = inp.streams.video[0]
                if ost is None:
                    ost = out.add_stream_from_template(ist)
                for pkt in inp.demux(ist):
                    if pkt.size == 0:
                        continue
                    pkt.pts += k * span
                    pkt.dts += k * span
                    pkt.stream = ost
                    out.mux(pkt)
    os.replace(tmp, path)
    return path


# -- the methods (run inside the child process) -------------------------------------------


def own_peak_rss_mb() -> float | None:
    """Peak resident memory of this process's own image, MiB (None where unknown).

    Linux ``VmHWM`` of ``/proc/self/status``, not ``getrusage(...).ru_maxrss``: Linux
    carries ``ru_maxrss`` across ``exec`` (it keeps the peak of the image that ``exec``
    replaced: the forked copy of the parent), and ``RUSAGE_CHILDREN`` is the largest
    child so far, so either gives every method the same figure once one of them, or the
    parent (which encodes the sample file on a first run), was big.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _dwtk_read(cap, indices, fps, scale, start_timestamp=0.0):  # type: ignore[no-untyped-def]
    import cv2

    timestamps, data = [], []
    for i in indices:
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(i))
        ok, frame = cap.read()
        if not ok:
            break
        data.append(cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
        timestamps.append(start_timestamp + i / fps)
    return timestamps, data


def run_dwtk(video: Path, out: Path, rate: float, scale: float, segment: float | None) -> dict:
    import cv2
    import numpy as np

    t0 = time.perf_counter()
    first = None
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    keep = np.arange(0, n, fps / rate).astype(int)
    spans = (
        [keep]
        if segment is None
        else np.split(keep, np.flatnonzero(np.diff(keep // int(fps * segment))) + 1)
    )
    files = 0
    for part in spans:
        timestamps, data = _dwtk_read(cap, part, fps, scale)
        data = np.array(data)  # dwtk returned one array of everything read
        for t, frame in zip(timestamps, data, strict=True):
            cv2.imwrite(str(out / f"{t:.3f}.jpg"), frame)
            files += 1
            if first is None:
                first = time.perf_counter() - t0
    cap.release()
    return {"first": first, "total": time.perf_counter() - t0, "files": files}


def run_wb(video: Path, out: Path, rate: float, scale: float, cache: Path) -> dict:
    os.environ["WORKBENCH_CACHE"] = str(cache)
    import av  # noqa: F401
    import PIL.Image  # noqa: F401
    import tqdm.auto  # noqa: F401

    import workbench as wb
    from workbench.export import export_frames  # noqa: F401  (imports outside the timing)
    from workbench.video import open_video  # noqa: F401

    t0 = time.perf_counter()
    res = wb.export_frames(
        video,
        out,
        target_frame_rate=rate,
        resize_rate=scale,
        quality=95,  # cv2.imwrite's default, for a like-for-like comparison
        name="{timestamp:.3f}.jpg",
        progress=False,
    )
    total = time.perf_counter() - t0
    assert res.ok, res.failed
    return {"first": res.first_file_seconds, "total": total, "files": res.written}


def child(args: argparse.Namespace) -> None:
    video, out = Path(args.video), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.method == "dwtk1":
        r = run_dwtk(video, out, args.fps, args.scale, None)
    elif args.method == "dwtk2":
        r = run_dwtk(video, out, args.fps, args.scale, 10.0)
    else:
        r = run_wb(video, out, args.fps, args.scale, Path(args.cache))
    r["own_peak_mb"] = own_peak_rss_mb()
    print("RESULT " + json.dumps(r), flush=True)


# -- the parent ----------------------------------------------------------------------------


def measure(method: str, video: Path, fps: float, scale: float, cache: Path) -> dict:
    import psutil

    out = Path(tempfile.mkdtemp(prefix=f"bench-{method}-"))
    cmd = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--video",
        str(video),
        "--out",
        str(out),
        "--fps",
        str(fps),
        "--scale",
        str(scale),
        "--cache",
        str(cache),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    ps = psutil.Process(proc.pid)
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not stop.is_set():
            try:
                peak = max(peak, ps.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.02)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    stdout, _ = proc.communicate()
    stop.set()
    th.join()
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"{method} failed with exit code {proc.returncode}")
    line = next(ln for ln in stdout.splitlines() if ln.startswith("RESULT "))
    r = json.loads(line[len("RESULT ") :])
    # the child's own high-water mark (exact) where the OS gives it, else the samples
    r["peak_rss_mb"] = max(peak / 2**20, r["own_peak_mb"] or 0.0)
    return r


def table(results: dict[str, dict], title: str) -> None:
    base = min((results[m]["total"] for m in ("dwtk1", "dwtk2") if m in results), default=None)
    print(f"\n{title}")
    head = ("method", "first file", "total", "files", "peak RSS", "speed-up")
    print(f"{head[0]:<55} {head[1]:>10} {head[2]:>8} {head[3]:>6} {head[4]:>9} {head[5]:>9}")
    for m, r in results.items():
        first = "-" if r["first"] is None else f"{r['first']:.2f} s"
        ratio = f"{base / r['total']:.1f}x" if base else "-"
        print(
            f"{LABELS[m]:<55} {first:>10} {r['total']:>6.2f} s {r['files']:>6} "
            f"{r['peak_rss_mb']:>6.0f} MB {ratio:>9}"
        )
    if base and "wb" in results:
        wbr = results["wb"]
        print(
            f"\ngoal: total >= 3x faster than the better dwtk method -> "
            f"{base / wbr['total']:.1f}x ({'met' if base / wbr['total'] >= 3 else 'NOT met'})"
        )
        print(
            f"goal: first file <= 0.5 s after the call -> {wbr['first']:.2f} s "
            f"({'met' if wbr['first'] <= 0.5 else 'NOT met'})"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", dest="method", choices=METHODS, help=argparse.SUPPRESS)
    p.add_argument("--video", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--cache", help=argparse.SUPPRESS)
    p.add_argument("--fps", type=float, default=2.0, help="frames per second kept (default 2)")
    p.add_argument("--scale", type=float, default=0.25, help="resize factor (default 0.25)")
    p.add_argument("--seconds", type=int, default=80, help="length of the sample file (80)")
    p.add_argument("--rss", action="store_true", help="also measure peak RSS on a 10-minute record")
    p.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    args = p.parse_args()
    if args.method:
        child(args)
        return
    methods = [m for m in args.methods.split(",") if m]
    video = sample_video(args.seconds)
    cache = Path(tempfile.mkdtemp(prefix="bench-index-"))
    results = {}
    for m in methods:
        print(f"running {m} ...", flush=True)
        if m == "wb":
            shutil.rmtree(cache, ignore_errors=True)  # cold: the index is built in the call
        results[m] = measure(m, video, args.fps, args.scale, cache)
    table(results, f"{video.name}: {args.fps:g} fps, resize {args.scale:g}, JPEG")
    if args.rss:
        long = long_video(sample_video(80))
        rss = {}
        for m in ("dwtk1", "wb"):
            print(f"running {m} on the 10-minute record ...", flush=True)
            shutil.rmtree(cache, ignore_errors=True)
            rss[m] = measure(m, long, args.fps, args.scale, cache)
        table(rss, f"{long.name} (10 min): peak RSS goal <= 300 MB for wb.export_frames")
        print(
            f"peak RSS: wb.export_frames {rss['wb']['peak_rss_mb']:.0f} MB vs dwtk method 1 "
            f"{rss['dwtk1']['peak_rss_mb']:.0f} MB "
            f"({'met' if rss['wb']['peak_rss_mb'] <= 300 else 'NOT met'})"
        )
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
