"""S3 random frame: how many requests and bytes one random frame costs, vs the file size.

Starts moto's S3 server on 127.0.0.1 (no network), uploads dashcam-like H.264 videos of
growing size (640x360, 30 fps, GOP 30, noise added so that they are as big as real
footage), and reads random frames with ``wb.open_video("s3://...", storage=...)``.
Requests are counted with botocore's event hooks on s3fs's own client (every API call,
and the bytes of every GetObject), so nothing is mocked: the bytes really cross a socket.

For each file it reports

- ``open``: reopening with the persisted index (HEAD + head/tail identity hash);
- ``first frame``: the first random frame (opens the decoder: container header + moov);
- ``random frame``: the mean over later random frames in other keyframe groups
  (a block-cache hit costs 0 requests; a miss costs one ranged read of one block);
- the whole-file download it replaces, and the mean GOP size for scale.

Every frame read is checked against the frame index burnt into it (frame accuracy).

Run::

    .venv/bin/python benchmarks/bench_streams.py [--seconds 10 40 120] [--frames 20]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import socket
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

import workbench as wb
from workbench.samples import make_video, read_frame_code
from workbench.streams import FilesStorage
from workbench.video import source as video_source


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def noisy_video(path: Path, seconds: int, *, size: tuple[int, int] = (640, 360)) -> Path:
    """A make_video clip re-encoded with noise: about 1 MB per second like real footage."""
    base = make_video(path.with_suffix(".base.mp4"), size=size, frames=seconds * 30, gop=30)
    rng = np.random.default_rng(0)
    noise = rng.integers(-10, 11, size=(8, size[1], size[0], 3), dtype=np.int16)
    with av.open(str(base)) as src, av.open(str(path), "w") as dst:
        out = dst.add_stream("libx264", rate=30)
        out.width, out.height, out.pix_fmt = size[0], size[1], "yuv420p"
        out.codec_context.gop_size = 30
        out.codec_context.max_b_frames = 0
        out.options = {"crf": "20", "preset": "ultrafast"}
        out.codec_context.time_base = Fraction(1, 30)
        for i, frame in enumerate(src.decode(video=0)):
            rgb = frame.to_ndarray(format="rgb24").astype(np.int16) + noise[i % len(noise)]
            new = av.VideoFrame.from_ndarray(np.clip(rgb, 0, 255).astype(np.uint8), "rgb24")
            new.pts = i
            dst.mux(out.encode(new))
        dst.mux(out.encode(None))
    base.unlink()
    return path


class Counter:
    """Counts S3 API calls and GetObject bytes on an s3fs filesystem's client."""

    def __init__(self, fs: Any) -> None:
        fs.connect()
        self.events = fs.s3.meta.events
        self.calls: dict[str, int] = {}
        self.bytes = 0
        self.events.register("before-call.s3", self._call)
        self.events.register("after-call.s3.GetObject", self._got)

    def _call(self, model: Any, **_: Any) -> None:
        self.calls[model.name] = self.calls.get(model.name, 0) + 1

    def _got(self, parsed: dict, **_: Any) -> None:
        self.bytes += int(parsed.get("ContentLength") or 0)

    def take(self) -> tuple[int, int]:
        """(requests, bytes) since the last take."""
        out = (sum(self.calls.values()), self.bytes)
        self.calls, self.bytes = {}, 0
        return out


def measure(storage: FilesStorage, key: str, cache: Path, frames: int, seed: int) -> dict:
    counter = Counter(storage.fs)
    wb.open_video(key, storage=storage, cache=cache).close()  # build + persist the index
    counter.take()
    t0 = time.perf_counter()
    video = wb.open_video(key, storage=storage, cache=cache)
    open_req, open_bytes = counter.take()
    assert video.index_event == "loaded"
    n = len(video)
    keyframes = video.keyframe_indices
    gop_bytes = float(video.index.packet_size.sum()) / max(len(keyframes), 1)
    rng = random.Random(seed)
    wanted = [rng.randrange(n) for _ in range(frames + 1)]
    assert read_frame_code(video[wanted[0]]) == wanted[0]
    first_req, first_bytes = counter.take()
    per_frame = []
    for i in wanted[1:]:
        assert read_frame_code(video[i]) == i, i
        per_frame.append(counter.take())
    seconds = time.perf_counter() - t0
    video.close()
    req = [r for r, _ in per_frame]
    byt = [b for _, b in per_frame]
    misses = [b for r, b in per_frame if r]
    return {
        "file_mb": storage.size(key) / 2**20,
        "frames": n,
        "gop_kb": gop_bytes / 1024,
        "open_requests": open_req,
        "open_kb": open_bytes / 1024,
        "first_frame_requests": first_req,
        "first_frame_kb": first_bytes / 1024,
        "random_frame_requests_mean": float(np.mean(req)),
        "random_frame_kb_mean": float(np.mean(byt)) / 1024,
        "random_frame_requests_max": int(max(req)),
        "block_miss_kb": (float(np.mean(misses)) / 1024) if misses else 0.0,
        "block_kb": video_source.REMOTE_BLOCK_SIZE / 1024,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, nargs="+", default=[10, 40, 120])
    parser.add_argument("--frames", type=int, default=20, help="random frames per file")
    args = parser.parse_args()

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    rows = []
    try:
        storage = FilesStorage(
            "s3", bucket="bench-streams", endpoint_url=f"http://127.0.0.1:{port}", retries=2
        )
        storage.fs.mkdir("bench-streams")
        with tempfile.TemporaryDirectory() as tmp:
            for seconds in args.seconds:
                path = noisy_video(Path(tmp) / f"cam_{seconds}s.mp4", seconds)
                key = path.name
                storage.put_file(str(path), key)
                row = measure(storage, key, Path(tmp) / "index", args.frames, seed=seconds)
                row["seconds_of_video"] = seconds
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        server.stop()

    print()
    print(
        "| video | file MB | GOP KB | open: req / KB | 1st frame: req / KB "
        "| random frame: req / KB (mean) | max req | KB per block miss |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['seconds_of_video']} s | {r['file_mb']:.1f} | {r['gop_kb']:.0f} "
            f"| {r['open_requests']} / {r['open_kb']:.0f} "
            f"| {r['first_frame_requests']} / {r['first_frame_kb']:.0f} "
            f"| {r['random_frame_requests_mean']:.2f} / {r['random_frame_kb_mean']:.0f} "
            f"| {r['random_frame_requests_max']} | {r['block_miss_kb']:.0f} |"
        )


if __name__ == "__main__":
    main()
