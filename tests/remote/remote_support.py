"""Helpers shared by the remote-source tests: a recording to put in a bucket, the bucket's
URLs, and a moto server in its own process (that a test can kill).

The moto helpers for the in-process server are in ``tests/s3_support.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from s3_support import free_port

from workbench.samples import make_video
from workbench.streams.storage import FilesStorage

START = 1_500_000_000.0


def write_recording(root: Path) -> dict[str, Path]:
    """A dwtk-style record folder: video + JSON sidecar + per-frame times, GPS, images."""
    from PIL import Image

    rec = root / "rec"
    video = make_video(rec / "cam.mp4", size=(160, 96), frames=60, gop=15, fps=30)
    (rec / "cam.mp4.json").write_text(
        json.dumps({"record_id": "016_s3", "content-type": "video/mp4", "start_timestamp": START})
    )
    # per-frame capture times that are NOT start + pts: proves the sidecar was used
    times = START + np.arange(60) / 30 + 0.004 * (np.arange(60) % 3)
    (rec / "cam_timestamps.csv").write_text(
        "frame,timestamp\n" + "".join(f"{i},{t:.6f}\n" for i, t in enumerate(times))
    )
    rows = "".join(f"{i / 10},{35 + i / 1e4},{139 + i / 1e4}\n" for i in range(40))
    (rec / "gps.csv").write_text("timestamp,lat,lon\n" + rows)
    (rec / "gps.csv.json").write_text(
        json.dumps({"record_id": "016_s3", "content-type": "text/csv", "start_timestamp": START})
    )
    frames = rec / "frames"
    frames.mkdir()
    rng = np.random.default_rng(3)
    for k in range(4):
        pixels = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(frames / f"{START + k * 0.5:.3f}.png")
    return {"root": root, "video": video, "gps": rec / "gps.csv", "frames": frames}


def upload(storage: FilesStorage, root: Path) -> None:
    """Copy every file under ``root`` to the same keys in ``storage``."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            storage.put_file(str(path), path.relative_to(root).as_posix())


@dataclass
class Remote:
    """The recording in a bucket: its URLs and the fsspec options that reach them."""

    storage: FilesStorage
    local_root: Path

    @property
    def options(self) -> dict[str, Any]:
        return self.storage.storage_options

    def url(self, key: str) -> str:
        return self.storage.url(key)

    def local(self, key: str) -> Path:
        return self.local_root / key


class MotoProcess:
    """A moto S3 server in its own process, so a test can kill it outright and start it
    again on the same port (a werkzeug server stopped in-process keeps serving its open
    keep-alive connections)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import socket

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the moto server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
