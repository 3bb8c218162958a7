"""Tiny dwtk-style datasets for the catalog tests, made with PyAV in a temp folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import av
import numpy as np

T0 = 1_489_728_491.0  # an absolute start time, as in dwtk data

WIDTH, HEIGHT, FPS, FRAMES = 64, 48, 10, 20


def make_tiny_mp4(path: Path, *, frames: int = FRAMES, fps: int = FPS) -> Path:
    """Encode a small H.264 mp4 whose frame i is filled with gray level 10 * i."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "5", "bf": "0"}
        for i in range(frames):
            img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
            img[:, :, 0] = min(255, 10 * i)  # red channel carries the frame number
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def sidecar(path: Path, meta: dict[str, Any]) -> Path:
    out = path.with_name(path.name + ".json")
    out.write_text(json.dumps(meta, indent=2))
    return out


def dwtk_meta(
    record_id: str,
    path: Path,
    content_type: str,
    contents: dict[str, Any],
    start: float = T0,
    end: float = T0 + FRAMES / FPS,
    **more: Any,
) -> dict[str, Any]:
    return {
        "description": "Driving Database",
        "database_id": "Driving Behavior Database",
        "record_id": record_id,
        "type": "raw_data",
        "path": f"/opt/elsewhere/{record_id}/data/{path.name}",  # stale absolute path
        "start_timestamp": start,
        "end_timestamp": end,
        "content-type": content_type,
        "contents": contents,
        **more,
    }


def _add(
    folder: Path,
    name: str,
    content_type: str,
    contents: dict[str, Any],
    *,
    copy_of: Path | None = None,
    text: str = "",
    **meta: Any,
) -> Path:
    """Write ``folder/name`` (a copy of ``copy_of``, or ``text``) and its dwtk sidecar;
    the record id is the name of the folder above ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if copy_of is not None:
        shutil.copy(copy_of, path)
    else:
        path.write_text(text)
    sidecar(path, dwtk_meta(folder.parent.name, path, content_type, contents, **meta))
    return path


def make_dataset(root: Path, template_mp4: Path) -> Path:
    """A dataset with three records, cameras, CAN, a raw camera and a bare video.

    ``016_0001``: front-center camera (with timestamps csv), rear camera, CAN.
    ``016_0002``: front-center camera starting 100 s later, GPS.
    ``017_0001``: a ``camera_raw``-tagged video (must not match tag ``camera``).
    ``loose/clip.mp4``: no sidecar.
    """
    rec = root / "records"
    front = {"camera/front-center": {"tags": ["camera", "front", "center"]}}
    # 016_0001
    d = rec / "016_0001" / "data"
    _add(d, "camera_01.mp4", "video/mp4", front, copy_of=template_mp4, weather="rain")
    ts = T0 + np.arange(FRAMES) / FPS + 0.002  # sidecar times differ from container's
    (d / "camera_01_timestamps.csv").write_text(
        "frame,timestamp\n" + "".join(f"{i},{t:.6f}\n" for i, t in enumerate(ts))
    )
    rear = {"camera/rear": {"tags": ["camera", "rear"]}}
    _add(d, "camera_02.mp4", "video/mp4", rear, copy_of=template_mp4)
    can = {"tags": ["can", "vehicle"], "msg_type": "can_frame", "count": 200, "frequency": 100}
    rows = "".join(f"{T0 + i / 100:.3f},{i * 0.1:.1f},{i % 7}\n" for i in range(200))
    _add(d, "can.csv", "text/csv", {"can": can}, text="timestamp,speed,steering\n" + rows)
    # 016_0002
    d = rec / "016_0002" / "data"
    later = {"start": T0 + 100, "end": T0 + 102}
    _add(d, "camera_01.mp4", "video/mp4", front, copy_of=template_mp4, **later)
    rows = "".join(f"{T0 + 100 + i / 10:.3f},35.{i},139.{i}\n" for i in range(20))
    gps = {"gps": {"tags": ["gps", "position"], "frequency": 10}}
    _add(d, "gps.csv", "text/csv", gps, text="timestamp,lat,lon\n" + rows, **later)
    # 017_0001: a tag that only *contains* "camera"
    d = rec / "017_0001" / "data"
    raw = {"camera/raw": {"tags": ["camera_raw", "front"]}}
    _add(d, "camera_99.mp4", "video/mp4", raw, copy_of=template_mp4, start=T0 + 500, end=T0 + 502)
    # a video without sidecar
    (root / "loose").mkdir()
    shutil.copy(template_mp4, root / "loose" / "clip.mp4")
    return root


def run_without_file_override(code: str) -> str:
    """Run Python ``code`` in a child process that file modes really apply to; its stdout.

    As root (as the tests run here) ``chmod`` stops nothing, so the child drops the
    capabilities that let root ignore file modes (``setpriv``, util-linux); as another
    user it runs as is. Skips the test when neither is possible.
    """
    import os
    import subprocess
    import sys

    import pytest

    import workbench

    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes cannot be enforced")
        caps = "-dac_override,-dac_read_search,-fowner"
        command = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    env = {**os.environ, "PYTHONPATH": str(Path(workbench.__file__).parents[1])}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    if done.returncode != 0 and "setpriv" in done.stderr:
        pytest.skip(f"setpriv cannot drop capabilities here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return done.stdout
