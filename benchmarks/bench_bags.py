"""ROS bags: topic to DataFrame, random camera frames, opening, a mid-bag window, memory.

Writes one bag (``--format ros1`` or ``mcap``: a ROS 2 bag with MCAP storage) of about
``--mb`` megabytes with rosbags' own writer: a 1280x720 JPEG dashcam at 30 Hz (a few
distinct pictures, cycled, each carrying its frame number) and a vehicle twist at 100 Hz.
Then it times

- topic -> DataFrame (``/vehicle/twist``, every numeric field) with ``wb.read`` next to
  ``rosbags.dataframe.get_dataframe`` (when the installed rosbags still has it; it was
  removed in rosbags 0.10, so otherwise the same loop it ran: ``AnyReader.messages`` +
  ``deserialize`` + ``getattr`` per key), with messages per second;
- indexing the bag once, then opening the camera topic with the cached index
  (goal <= 50 ms);
- a random frame of the camera topic (median of 40, goal <= 20 ms), next to rosbags'
  ``AnyReader.messages(start=t, stop=t + 1)`` on an opened reader plus the same JPEG decode;
- the first batch of a 10 s window in the middle of the bag at 2 fps / 0.25 (goal <= 0.5 s);
- peak RSS of reading the whole camera topic at 2 fps / 0.25, in its own process
  (goal <= 300 MB).

Run::

    .venv/bin/python benchmarks/bench_bags.py [--mb 300] [--format ros1|mcap] [--keep DIR]
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import workbench as wb

CAMERA = "/dashcam/image_raw/compressed"
TWIST = "/vehicle/twist"
T0 = 1_600_000_000.0
CAMERA_HZ = 30
TWIST_HZ = 100
DISTINCT_FRAMES = 30


def _jpegs(size: tuple[int, int]) -> list[bytes]:
    from PIL import Image

    from workbench.samples.scene import SceneRenderer

    r = SceneRenderer(size[0], size[1], pix_fmt="rgb24", seed=1)
    out = []
    for k in range(DISTINCT_FRAMES):
        state = {"speed_kmh": 50.0 + k, "brake": 0, "lead_brake": k % 10 == 0, "gap_m": 25.0,
                 "distance_m": 3.0 * k}  # fmt: skip
        buf = io.BytesIO()
        Image.fromarray(r.render(k, k / 30, state).to_ndarray(format="rgb24")).save(
            buf, format="JPEG", quality=90
        )
        out.append(buf.getvalue())
    return out


def write_bag(path: Path, megabytes: float, fmt: str) -> tuple[Path, int]:
    """Write the benchmark bag; return its path and the number of camera messages."""
    from rosbags.typesys import Stores, get_typestore

    ros1 = fmt == "ros1"
    store = get_typestore(Stores.ROS1_NOETIC if ros1 else Stores.ROS2_HUMBLE)
    types = store.types
    jpegs = _jpegs((1280, 720))
    n_cam = int(megabytes * 1e6 / np.mean([len(j) for j in jpegs]))
    duration = n_cam / CAMERA_HZ
    ser = store.serialize_ros1 if ros1 else store.serialize_cdr

    def header(t: float) -> Any:
        stamp = types["builtin_interfaces/msg/Time"](sec=int(t), nanosec=int(t % 1 * 1e9))
        if ros1:
            return types["std_msgs/msg/Header"](seq=0, stamp=stamp, frame_id="f")
        return types["std_msgs/msg/Header"](stamp=stamp, frame_id="f")

    events = [(k / CAMERA_HZ, 0, k) for k in range(n_cam)]
    events += [(k / TWIST_HZ, 1, k) for k in range(int(duration * TWIST_HZ))]
    events.sort()
    vec = types["geometry_msgs/msg/Vector3"]
    if ros1:
        from rosbags.rosbag1 import Writer

        writer: Any = Writer(path)
    else:
        from rosbags.rosbag2 import StoragePlugin, Writer

        writer = Writer(path, version=9, storage_plugin=StoragePlugin.MCAP)
    with writer:
        cam = writer.add_connection(CAMERA, "sensor_msgs/msg/CompressedImage", typestore=store)
        tw = writer.add_connection(TWIST, "geometry_msgs/msg/TwistStamped", typestore=store)
        for t, kind, k in events:
            ts = T0 + t
            if kind == 0:
                data = np.frombuffer(jpegs[k % DISTINCT_FRAMES], np.uint8)
                msg = types["sensor_msgs/msg/CompressedImage"](
                    header=header(ts), format="jpeg", data=data
                )
                raw = ser(msg, "sensor_msgs/msg/CompressedImage")
                writer.write(cam, int(ts * 1e9), bytes(raw))
            else:
                msg = types["geometry_msgs/msg/TwistStamped"](
                    header=header(ts),
                    twist=types["geometry_msgs/msg/Twist"](
                        linear=vec(x=10.0 + k % 7, y=0.0, z=0.0), angular=vec(x=0.0, y=0.0, z=0.1)
                    ),
                )
                writer.write(tw, int(ts * 1e9), bytes(ser(msg, "geometry_msgs/msg/TwistStamped")))
    return path, n_cam


def rosbags_dataframe(path: Path, topic: str, keys: list[str]) -> Any:
    """``rosbags.dataframe.get_dataframe`` if installed, else the loop it ran."""
    import pandas as pd
    from rosbags.highlevel import AnyReader

    with AnyReader([path]) as reader:
        try:
            from rosbags.dataframe import get_dataframe  # rosbags < 0.10

            return get_dataframe(reader, topic, keys)
        except ImportError:
            pass
        conns = [c for c in reader.connections if c.topic == topic]
        index, rows = [], []
        getters = [functools.partial(functools.reduce, getattr, k.split(".")) for k in keys]
        for conn, stamp, raw in reader.messages(connections=conns):
            msg = reader.deserialize(raw, conn.msgtype)
            index.append(stamp)
            rows.append([g(msg) for g in getters])
        return pd.DataFrame(rows, columns=keys, index=pd.to_datetime(index, unit="ns"))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def peak_rss(path: Path, cache: Path) -> float:
    """Peak RSS (MB) of a fresh process reading the camera topic at 2 fps / 0.25.

    The child reports its own high-water mark (``VmHWM``, reset by ``exec``; ``ru_maxrss``
    would carry this process's peak over from the fork)."""
    code = (
        "import workbench as wb\n"
        f"r = wb.read({str(path)!r}, topic={CAMERA!r}, target_frame_rate=2, resize_rate=0.25,"
        f" cache={str(cache)!r})\n"
        "n = sum(len(b) for b in r)\n"
        "hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0].split()[1]\n"
        "print(n, int(hwm) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    frames, rss = out.stdout.split()
    print(f"    (read {frames} frames)")
    return float(rss)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=300.0, help="bag size in megabytes")
    ap.add_argument("--format", choices=("ros1", "mcap"), default="ros1")
    ap.add_argument("--keep", type=Path, help="write the bag here and keep it")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-bags-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "index-cache"
    shutil.rmtree(cache, ignore_errors=True)
    name = "bench.bag" if args.format == "ros1" else "bench_ros2"
    bag = work / name
    try:
        if not bag.exists():
            t = time.perf_counter()
            write_bag(bag, args.mb, args.format)
            print(f"wrote {name} in {time.perf_counter() - t:.1f} s")
        size = sum(f.stat().st_size for f in ([bag] if bag.is_file() else bag.iterdir()))
        print(f"bag: {size / 1e6:.0f} MB ({args.format})\n")
        rows = []
        # both sides start with their modules imported (imports are not what is timed)
        import pandas  # noqa: F401
        import PIL.Image  # noqa: F401
        import rosbags.highlevel  # noqa: F401

        import workbench.formats.bags.reader
        import workbench.video.video  # noqa: F401

        # -- topic -> DataFrame ---------------------------------------------------------
        t = time.perf_counter()
        ours = wb.read(bag, topic=TWIST, cache=cache).read_all().to_pandas()
        t_ours = time.perf_counter() - t
        keys = [c for c in ours.columns if c != "header.stamp"] + ["header.stamp.sec"]
        t = time.perf_counter()
        theirs = rosbags_dataframe(bag, TWIST, keys)
        t_theirs = time.perf_counter() - t
        assert len(theirs) == len(ours), (len(theirs), len(ours))
        n = len(ours)
        rows.append(("topic -> DataFrame (twist, incl. indexing)", t_ours, t_theirs, None))
        t = time.perf_counter()
        wb.read(bag, topic=TWIST, cache=cache).read_all().to_pandas()
        t_warm = time.perf_counter() - t
        rows.append(("topic -> DataFrame (index cached)", t_warm, t_theirs, None))
        print(f"twist: {n} messages, {len(ours.columns)} columns; ours {n / t_warm:,.0f} msg/s "
              f"(index cached), {n / t_ours:,.0f} msg/s (first read), rosbags {n / t_theirs:,.0f} "
              "msg/s")  # fmt: skip

        # -- open with cached index -----------------------------------------------------
        opens = []
        for _ in range(7):
            t = time.perf_counter()
            v = wb.open_video(bag, topic=CAMERA, cache=cache)
            opens.append(time.perf_counter() - t)
            assert v.index_event == "loaded"
            v.close()
        rows.append(("open camera topic, index cached (median of 7)", statistics.median(opens),
                     None, 0.050))  # fmt: skip

        # -- random frames --------------------------------------------------------------
        v = wb.open_video(bag, topic=CAMERA, cache=cache)
        rng = random.Random(0)
        picks = [rng.randrange(len(v)) for _ in range(40)]
        times = []
        for i in picks:
            t = time.perf_counter()
            frame = v[i]
            times.append(time.perf_counter() - t)
        assert wb.samples.read_frame_code(frame) == picks[-1] % DISTINCT_FRAMES
        from PIL import Image
        from rosbags.highlevel import AnyReader

        base = []
        with AnyReader([bag]) as reader:
            conns = [c for c in reader.connections if c.topic == CAMERA]
            stamps = (v.timestamps * 1e9).round().astype(np.int64)
            for i in picks[:10]:
                t = time.perf_counter()
                for conn, _, raw in reader.messages(conns, start=int(stamps[i]),
                                                    stop=int(stamps[i]) + 1):  # fmt: skip
                    msg = reader.deserialize(raw, conn.msgtype)
                    np.asarray(Image.open(io.BytesIO(bytes(msg.data))).convert("RGB"))
                base.append(time.perf_counter() - t)
        rows.append(("random camera frame (median of 40)", statistics.median(times),
                     statistics.median(base), 0.020))  # fmt: skip

        # -- first batch of a mid-bag window --------------------------------------------
        mid = float(v.timestamps[len(v) // 2])
        v.close()
        t = time.perf_counter()
        reader = wb.read(bag, topic=CAMERA, start=mid, end=mid + 10, target_frame_rate=2,
                         resize_rate=0.25, cache=cache)  # fmt: skip
        first = next(iter(reader))
        t_first = time.perf_counter() - t
        assert first.frames.shape[1:] == (180, 320, 3)
        rows.append(("first batch, mid-bag 10 s window, 2 fps / 0.25", t_first, None, 0.5))

        # -- memory -----------------------------------------------------------------------
        rss = peak_rss(bag, cache)

        print(f"\n{'measure':52s} {'workbench':>12s} {'rosbags':>12s} {'ratio':>7s} {'goal':>9s}")
        for label, ours_s, theirs_s, goal in rows:
            ratio = f"{theirs_s / ours_s:6.1f}x" if theirs_s else ""
            print(f"{label:52s} {ms(ours_s):>12s} {ms(theirs_s) if theirs_s else '':>12s} "
                  f"{ratio:>7s} {ms(goal) if goal else '':>9s}")  # fmt: skip
        print(f"{'peak RSS, whole camera topic at 2 fps / 0.25':52s} {rss:9.0f} MB "
              f"{'':12s} {'':7s} {'300 MB':>9s}")  # fmt: skip
        print(json.dumps({"mb": round(size / 1e6), "format": args.format}))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
