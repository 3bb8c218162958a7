"""Sample-database build time: the default demo database must build in under 60 s.

Builds the default demo database (3 records x 60 s x 2 cameras, 1280x720 at 30 fps:
10,800 H.264 frames) with ``workbench samples`` in a fresh temporary folder and reports
wall time, CPU time (this process and its encoding workers) and the load average, which
matters on a shared machine. Then splits the per-frame cost of one 1280x720 video into
drawing and encoding.

Run::

    .venv/bin/python benchmarks/bench_samples.py [--records 3] [--duration 60]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

from workbench.samples.drive import simulate_drive
from workbench.samples.scene import SceneRenderer

GOAL_SECONDS = 60.0


def build(records: int, duration: float) -> tuple[float, float]:
    """Wall and CPU seconds of ``workbench samples`` (run as the user would)."""
    out = Path(tempfile.mkdtemp(prefix="bench-samples-"))
    exe = Path(sys.executable).with_name("workbench")
    cmd = [str(exe), "samples", str(out / "db"), "--records", str(records)]
    cmd += ["--duration", str(duration)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shutil.rmtree(out, ignore_errors=True)
    return wall, cpu


def per_frame(frames: int = 300) -> tuple[float, float]:
    """CPU milliseconds per 1280x720 frame for drawing and for x264 ultrafast encoding."""
    drive = simulate_drive(frames / 30 + 1)
    renderer = SceneRenderer(1280, 720, label="front-center")
    t = time.process_time()
    pictures = [renderer.render(i, i / 30, drive.at(i / 30)) for i in range(frames)]
    draw = (time.process_time() - t) / frames * 1000
    cc = av.CodecContext.create("libx264", "w")
    cc.width, cc.height, cc.pix_fmt = 1280, 720, "yuv420p"
    cc.time_base = Fraction(1, 30)
    cc.options = {"preset": "ultrafast", "crf": "23", "x264-params": "keyint=30:scenecut=0"}
    cc.thread_count = 1
    t = time.process_time()
    for i, picture in enumerate(pictures):
        picture.pts = i
        cc.encode(picture)
    cc.encode(None)
    encode = (time.process_time() - t) / frames * 1000
    return draw, encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args()
    frames = args.records * 2 * round(args.duration * 30)
    load = os.getloadavg()[0]
    wall, cpu = build(args.records, args.duration)
    print(f"cores: {os.cpu_count()}, load average before: {load:.1f}")
    print(
        f"workbench samples ({args.records} records x {args.duration:g} s x 2 cameras, "
        f"{frames} frames at 1280x720): wall {wall:.1f} s, CPU {cpu:.1f} s "
        f"({frames / wall:.0f} frames/s) -> goal < {GOAL_SECONDS:.0f} s: "
        f"{'met' if wall < GOAL_SECONDS else 'MISSED'}"
    )
    print(f"ideal wall on idle cores: {cpu / (os.cpu_count() or 1):.1f} s")
    draw, encode = per_frame()
    print(f"per 1280x720 frame (CPU): draw {draw:.2f} ms, x264 ultrafast encode {encode:.2f} ms")


if __name__ == "__main__":
    main()
