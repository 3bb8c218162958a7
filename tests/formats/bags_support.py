"""Bags the bag tests write themselves (rosbags and mcap writers), and ways to damage them.

The ``bags`` fixture (tests/formats/conftest.py) makes them once per test module with
:func:`make_bags`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from workbench.samples.bags import write_sample_bag

T0 = 1_600_000_000.0
DURATION = 3.0
FRONT = "/dashcam/image_raw/compressed"
LOW = "/cabin/image_raw"
#: the three layouts written by rosbags: ROS 1, ROS 2 with SQLite storage, ROS 2 with MCAP
KINDS = ("ros1", "ros2-sqlite3", "ros2-mcap")


def write_kind(root: Path, kind: str, **options) -> Path:
    """Write the sample drive as ``kind`` under ``root``."""
    options = {"duration_seconds": DURATION, "start_timestamp": T0, **options}
    if kind == "ros1":
        return write_sample_bag(root / "drive.bag", **options)
    storage = kind.split("-", 1)[1]
    return write_sample_bag(root / f"drive_{storage}", storage=storage, **options)


def write_json_mcap(
    path: Path, *, count: int = 50, rate: float = 10.0, chunk_size: int = 1024 * 1024
) -> Path:
    """A plain MCAP file with a JSON channel (``/vehicle/json``) and a JSON-schema'd
    ``/gps/json`` channel, written with the ``mcap`` package."""
    from mcap.writer import Writer

    with open(path, "wb") as f:
        w = Writer(f, chunk_size=chunk_size)
        w.start(profile="", library="workbench-tests")
        schema = w.register_schema(
            name="VehicleJson",
            encoding="jsonschema",
            data=json.dumps({"type": "object"}).encode(),
        )
        veh = w.register_channel("/vehicle/json", message_encoding="json", schema_id=schema)
        gps = w.register_channel("/gps/json", message_encoding="json", schema_id=0)
        for k in range(count):
            t = int((T0 + k / rate) * 1e9)
            msg = {
                "speed_kmh": 50.0 + k,
                "brake": k % 2 == 0,
                "wheel": {"fl": 1.0 * k},
                "name": "car",
                "acc": [0.1, 0.2, 9.8],
            }
            w.add_message(veh, log_time=t, data=json.dumps(msg).encode(), publish_time=t)
            if k % 2 == 0:
                fix = {"lat": 35.0 + k * 1e-5, "lon": 137.0}
                w.add_message(gps, log_time=t, data=json.dumps(fix).encode(), publish_time=t)
        w.finish()
    return path


def write_mcap_without_definition(path: Path) -> Path:
    """A plain MCAP file with a CDR channel whose schema carries no definition."""
    from mcap.writer import Writer

    with open(path, "wb") as f:
        w = Writer(f)
        w.start(profile="ros2", library="workbench-tests")
        schema = w.register_schema(name="acme_msgs/msg/Secret", encoding="ros2msg", data=b"")
        ch = w.register_channel("/secret", message_encoding="cdr", schema_id=schema)
        for k in range(3):
            t = int((T0 + k) * 1e9)
            w.add_message(ch, log_time=t, data=b"\x00\x01\x00\x00" + bytes(8), publish_time=t)
        w.finish()
    return path


def write_raw_image_bag(path: Path, encoding: str) -> Path:
    """A ROS 2 bag with one ``sensor_msgs/msg/Image`` topic ``/cam`` in ``encoding``."""
    import numpy as np
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_HUMBLE)
    types = store.types
    channels = {"rgb8": 3, "bgr8": 3, "mono8": 1, "mono16": 2, "bayer_rggb8": 1}.get(encoding, 2)
    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as w:
        conn = w.add_connection("/cam", "sensor_msgs/msg/Image", typestore=store)
        for k in range(4):
            t = T0 + k * 0.5
            header = types["std_msgs/msg/Header"](
                stamp=types["builtin_interfaces/msg/Time"](sec=int(t), nanosec=int(t % 1 * 1e9)),
                frame_id="cam",
            )
            data = np.full(8 * 6 * channels, 10 * k, np.uint8)
            if encoding == "rgb8":
                data.reshape(6, 8, 3)[..., 0] = 200  # red
            if encoding == "bgr8":
                data.reshape(6, 8, 3)[..., 2] = 200  # red, stored last
            msg = types["sensor_msgs/msg/Image"](
                header=header,
                height=6,
                width=8,
                encoding=encoding,
                is_bigendian=0,
                step=8 * channels,
                data=data,
            )
            w.write(conn, int(t * 1e9), bytes(store.serialize_cdr(msg, "sensor_msgs/msg/Image")))
    return path


def truncate(src: Path, dst: Path, fraction: float) -> Path:
    """Copy the first ``fraction`` of ``src``'s bytes to ``dst``."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def unindex_ros1(src: Path, dst: Path) -> Path:
    """A copy of a ROS 1 bag whose header says it has no index (as after a crash)."""
    data = bytearray(src.read_bytes())
    at = data.index(b"index_pos=") + len(b"index_pos=")
    data[at : at + 8] = bytes(8)
    dst.write_bytes(bytes(data))
    return dst


def make_bags(root: Path) -> dict[str, Path]:
    """The sample drive in every layout, plus a JSON MCAP file; one index cache folder."""
    out = {kind: write_kind(root / kind, kind) for kind in KINDS}
    out["json"] = write_json_mcap(root / "json.mcap")
    out["cache"] = root / "index-cache"
    out["root"] = root
    return out


def copy_kind(path: Path, dst: Path) -> Path:
    """Copy a bag file or folder to ``dst``."""
    if path.is_dir():
        shutil.copytree(path, dst)
    else:
        shutil.copy2(path, dst)
    return dst
