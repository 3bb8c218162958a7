"""Sample ROS recordings: a ROS 1 ``.bag`` and ROS 2 bags (MCAP or SQLite storage).

:func:`write_sample_bag` writes one simulated drive (the same
:func:`~workbench.samples.drive.simulate_drive` as the record's video and CAN log) with
``rosbags``' own writers:

=================================  ==========================================  ==============
topic                              type                                        rate
=================================  ==========================================  ==============
``/dashcam/image_raw/compressed``  ``sensor_msgs/msg/CompressedImage`` (JPEG)  ``camera_fps``
``/cabin/image_raw``               ``sensor_msgs/msg/Image`` (rgb8)            ``raw_fps``
``/gps/fix``                       ``sensor_msgs/msg/NavSatFix``               10 Hz
``/vehicle/twist``                 ``geometry_msgs/msg/TwistStamped``          50 Hz
``/vehicle/state``                 ``workbench_msgs/msg/VehicleState``         20 Hz
=================================  ==========================================  ==============

``/vehicle/state`` is a custom type registered from a ``.msg`` definition
(:data:`VEHICLE_STATE_MSG`): no stock typestore knows it, so a reader must take its
definition from the bag. ``twist.linear.x`` is the CAN speed in m/s, ``twist.angular.z``
the yaw rate; ``speed_kmh``/``brake`` of the custom type are the CAN values. Times are
absolute: message *log* times and header stamps are ``start_timestamp + t``.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> write_sample_bag(out / "drive.bag", duration_seconds=1).name
'drive.bag'
>>> sorted(p.name for p in write_sample_bag(out / "drive_ros2", duration_seconds=1).iterdir())
['drive_ros2.mcap', 'metadata.yaml']
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError
from workbench.samples.drive import SIM_RATE_HZ, simulate_drive

__all__ = [
    "BAG_TOPICS",
    "VEHICLE_STATE_MSG",
    "VEHICLE_STATE_TYPE",
    "write_record_bags",
    "write_sample_bag",
]

VEHICLE_STATE_TYPE = "workbench_msgs/msg/VehicleState"
#: the custom message: a ``.msg`` definition (ROS 1 and ROS 2 read it alike)
VEHICLE_STATE_MSG = """\
std_msgs/Header header
float64 speed_kmh
float64 steering_angle_deg
uint8 brake
float32[4] wheel_speed_kmh
"""

#: topic -> (type, rate in Hz or None for the camera options)
BAG_TOPICS: dict[str, str] = {
    "/dashcam/image_raw/compressed": "sensor_msgs/msg/CompressedImage",
    "/cabin/image_raw": "sensor_msgs/msg/Image",
    "/gps/fix": "sensor_msgs/msg/NavSatFix",
    "/vehicle/twist": "geometry_msgs/msg/TwistStamped",
    "/vehicle/state": VEHICLE_STATE_TYPE,
}
GPS_RATE_HZ = 10
TWIST_RATE_HZ = 50
STATE_RATE_HZ = 20
_DEFAULT_START = 1_552_806_732.0


def _typestore(ros1: bool) -> Any:
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.ROS1_NOETIC if ros1 else Stores.ROS2_HUMBLE)
    store.register(get_types_from_msg(VEHICLE_STATE_MSG, VEHICLE_STATE_TYPE))
    return store


class _Messages:
    """Builds message objects with one typestore (ROS 1 headers carry a ``seq``)."""

    def __init__(self, store: Any, ros1: bool) -> None:
        self.store, self.ros1 = store, ros1
        self.types = store.types
        self._seq = 0

    def header(self, t: float, frame_id: str) -> Any:
        sec = int(np.floor(t))
        nsec = min(round((t - sec) * 1e9), 999_999_999)
        stamp = self.types["builtin_interfaces/msg/Time"](sec=sec, nanosec=nsec)
        if self.ros1:
            self._seq += 1
            return self.types["std_msgs/msg/Header"](seq=self._seq, stamp=stamp, frame_id=frame_id)
        return self.types["std_msgs/msg/Header"](stamp=stamp, frame_id=frame_id)

    def serialize(self, msg: Any, msgtype: str) -> bytes:
        if self.ros1:
            return bytes(self.store.serialize_ros1(msg, msgtype))
        return bytes(self.store.serialize_cdr(msg, msgtype))


def _jpeg(frame: Any, quality: int = 85) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _events(
    drive: Any,
    start: float,
    duration: float,
    size: tuple[int, int],
    camera_fps: float,
    raw_fps: float,
    raw_size: tuple[int, int],
    seed: int,
    corrupt_frames: set[int],
    pictures: dict[tuple[str, int], Any],
) -> Iterable[tuple[float, str, Any]]:
    """(absolute time, topic, builder) in time order; builder(messages) -> message."""
    from workbench.samples.scene import SceneRenderer

    renderer = SceneRenderer(size[0], size[1], pix_fmt="rgb24", seed=seed, label="bag front")
    low = SceneRenderer(raw_size[0], raw_size[1], pix_fmt="rgb24", seed=seed, label="low")
    out: list[tuple[float, int, str, Any]] = []

    def at(t: float) -> dict[str, float]:
        return drive.at(t)

    n_cam = max(1, round(duration * camera_fps))
    for k in range(n_cam):
        t = k / camera_fps

        def front(m: _Messages, k: int = k, t: float = t) -> Any:
            if ("front", k) not in pictures:
                rgb = renderer.render(k, t, at(t)).to_ndarray(format="rgb24")
                pictures["front", k] = _jpeg(rgb)
            data = b"\xff\xd8garbage-not-a-jpeg" if k in corrupt_frames else pictures["front", k]
            return m.types["sensor_msgs/msg/CompressedImage"](
                header=m.header(start + t, "camera_front"),
                format="rgb8; jpeg compressed bgr8",
                data=np.frombuffer(data, np.uint8),
            )

        out.append((t, 0, "/dashcam/image_raw/compressed", front))
    n_raw = max(1, round(duration * raw_fps))
    for k in range(n_raw):
        t = k / raw_fps

        def raw(m: _Messages, k: int = k, t: float = t) -> Any:
            if ("raw", k) not in pictures:
                pictures["raw", k] = low.render(k, t, at(t)).to_ndarray(format="rgb24")
            rgb = pictures["raw", k]
            return m.types["sensor_msgs/msg/Image"](
                header=m.header(start + t, "camera_low"),
                height=raw_size[1],
                width=raw_size[0],
                encoding="rgb8",
                is_bigendian=0,
                step=raw_size[0] * 3,
                data=np.ascontiguousarray(rgb).reshape(-1),
            )

        out.append((t, 1, "/cabin/image_raw", raw))
    for k in range(max(1, round(duration * GPS_RATE_HZ))):
        t = k / GPS_RATE_HZ
        i = min(round(t * SIM_RATE_HZ), len(drive.t) - 1)

        def fix(m: _Messages, t: float = t, i: int = i) -> Any:
            status = m.types["sensor_msgs/msg/NavSatStatus"](status=0, service=1)
            cov = np.diag([2.0, 2.0, 5.0]).reshape(-1).astype(np.float64)
            return m.types["sensor_msgs/msg/NavSatFix"](
                header=m.header(start + t, "gps"),
                status=status,
                latitude=float(drive.lat[i]),
                longitude=float(drive.lon[i]),
                altitude=42.0,
                position_covariance=cov,
                position_covariance_type=2,
            )

        out.append((t, 2, "/gps/fix", fix))
    for k in range(max(1, round(duration * TWIST_RATE_HZ))):
        t = k / TWIST_RATE_HZ
        i = min(round(t * SIM_RATE_HZ), len(drive.t) - 1)

        def twist(m: _Messages, t: float = t, i: int = i) -> Any:
            vec = m.types["geometry_msgs/msg/Vector3"]
            speed = float(drive.speed_kmh[i]) / 3.6
            yaw = speed * np.tan(np.radians(float(drive.steering_angle_deg[i]) / 15.0)) / 2.7
            return m.types["geometry_msgs/msg/TwistStamped"](
                header=m.header(start + t, "base_link"),
                twist=m.types["geometry_msgs/msg/Twist"](
                    linear=vec(x=speed, y=0.0, z=0.0), angular=vec(x=0.0, y=0.0, z=float(yaw))
                ),
            )

        out.append((t, 3, "/vehicle/twist", twist))
    for k in range(max(1, round(duration * STATE_RATE_HZ))):
        t = k / STATE_RATE_HZ
        i = min(round(t * SIM_RATE_HZ), len(drive.t) - 1)

        def state(m: _Messages, t: float = t, i: int = i) -> Any:
            speed = float(drive.speed_kmh[i])
            return m.types[VEHICLE_STATE_TYPE](
                header=m.header(start + t, "base_link"),
                speed_kmh=speed,
                steering_angle_deg=float(drive.steering_angle_deg[i]),
                brake=int(drive.brake[i]),
                wheel_speed_kmh=np.full(4, speed, np.float32),
            )

        out.append((t, 4, "/vehicle/state", state))
    out.sort(key=lambda e: (e[0], e[1]))
    return ((start + t, topic, build) for t, _, topic, build in out)


def write_sample_bag(
    path: str | os.PathLike[str],
    *,
    duration_seconds: float = 10.0,
    start_timestamp: float = _DEFAULT_START,
    seed: int = 0,
    storage: str = "mcap",
    size: tuple[int, int] = (320, 180),
    camera_fps: float = 10.0,
    raw_fps: float = 2.0,
    raw_size: tuple[int, int] = (64, 36),
    corrupt_frames: Iterable[int] = (),
    chunk_bytes: int | None = None,
    _pictures: dict[tuple[str, int], Any] | None = None,
) -> Path:
    """Write a simulated drive as a ROS bag and return its path.

    Parameters
    ----------
    path : str or os.PathLike
        ``*.bag`` writes a ROS 1 bag; any other name writes a ROS 2 bag folder.
    duration_seconds : float
        Length of the drive (seconds, > 0).
    start_timestamp : float
        Absolute UNIX time of the first message.
    seed : int
        Seed of the drive (use the record's seed to match its video and CAN log).
    storage : {"mcap", "sqlite3"}
        ROS 2 storage plugin (ignored for ROS 1).
    size, camera_fps : (int, int), float
        Frame size and rate of the JPEG front camera.
    raw_fps, raw_size : float, (int, int)
        Rate and size of the raw ``rgb8`` camera.
    corrupt_frames : iterable of int
        Front-camera messages whose JPEG bytes are replaced by garbage (for tests).
    chunk_bytes : int, optional
        ROS 1 chunk size threshold (default: rosbags' own).

    Returns
    -------
    pathlib.Path
        The bag file or folder; it appears complete or not at all (written under a
        temporary name, then renamed).
    """
    path = Path(path)
    if not (isinstance(duration_seconds, (int, float)) and duration_seconds > 0):
        raise InvalidArgumentError(f"duration_seconds={duration_seconds!r} must be > 0")
    if storage not in ("mcap", "sqlite3"):
        raise InvalidArgumentError(f"storage={storage!r} is not one of mcap, sqlite3")
    ros1 = path.suffix.lower() == ".bag"
    store = _typestore(ros1)
    msgs = _Messages(store, ros1)
    drive = simulate_drive(float(duration_seconds), seed=seed)
    events = _events(
        drive,
        float(start_timestamp),
        float(duration_seconds),
        size,
        camera_fps,
        raw_fps,
        raw_size,
        seed,
        set(corrupt_frames),
        {} if _pictures is None else _pictures,  # shared by the bags of one record
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # a fixed temporary name: the storage file's name is written inside the bag, and the
    # same seed must give the same bytes
    tmp = path.with_name(f".{path.name}.tmp")
    for stale in (tmp, tmp.with_suffix(".bag")):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    try:
        if ros1:
            _write_ros1(tmp.with_suffix(".bag"), store, msgs, events, chunk_bytes)
            os.replace(tmp.with_suffix(".bag"), path)
        else:
            _write_ros2(tmp, store, msgs, events, storage, path.name)
            if path.exists():
                shutil.rmtree(path)
            os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_suffix(".bag")):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.exists():
                leftover.unlink()
    return path


def _write_ros1(
    path: Path, store: Any, msgs: _Messages, events: Iterable[Any], chunk_bytes: int | None
) -> None:
    from rosbags.rosbag1 import Writer

    writer = Writer(path)
    if chunk_bytes is not None:
        writer.chunk_threshold = int(chunk_bytes)  # rosbags' chunk size (no setter)
    with writer:
        conns = {t: writer.add_connection(t, ty, typestore=store) for t, ty in BAG_TOPICS.items()}
        for t, topic, build in events:
            ty = BAG_TOPICS[topic]
            writer.write(conns[topic], round(t * 1e9), msgs.serialize(build(msgs), ty))


def _write_ros2(
    folder: Path, store: Any, msgs: _Messages, events: Iterable[Any], storage: str, name: str
) -> None:
    from rosbags.rosbag2 import StoragePlugin, Writer

    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    with Writer(folder, version=9, storage_plugin=plugin) as writer:
        conns = {t: writer.add_connection(t, ty, typestore=store) for t, ty in BAG_TOPICS.items()}
        for t, topic, build in events:
            ty = BAG_TOPICS[topic]
            writer.write(conns[topic], round(t * 1e9), msgs.serialize(build(msgs), ty))
    # rosbags names the storage file after the folder: give it the final name
    for f in folder.iterdir():
        if f.stem.startswith(folder.name) and f.suffix in (".mcap", ".db3"):
            target = folder / f"{name}{f.suffix}"
            f.rename(target)
            meta = folder / "metadata.yaml"
            meta.write_text(meta.read_text().replace(f.name, target.name))


def write_record_bags(
    data: str | os.PathLike[str],
    record_id: str,
    start_timestamp: float,
    record_seed: int,
    duration_seconds: float,
) -> list[Path]:
    """Write a record's ROS 1 bag (``drive.bag``) and ROS 2 MCAP bag (``drive_ros2/``),
    each with a dwtk sidecar naming the record, into the record's ``data`` folder.

    The bags carry the same drive as the record's video and CAN log (same seed, same
    absolute start), so their topics line up with them on one clock.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> paths = write_record_bags(pathlib.Path(tempfile.mkdtemp()), "016_x", 1.6e9, 0, 1.0)
    >>> [p.name for p in paths]
    ['drive.bag', 'drive_ros2']
    """
    import json

    data = Path(data)
    out = []
    pictures: dict[tuple[str, int], Any] = {}  # drawn and encoded once for both bags
    for name in ("drive.bag", "drive_ros2"):
        path = write_sample_bag(
            data / name,
            duration_seconds=duration_seconds,
            start_timestamp=start_timestamp,
            seed=record_seed,
            _pictures=pictures,
        )
        sidecar = data / f"{name}.json"
        sidecar.write_text(
            json.dumps(
                {
                    "record_id": record_id,
                    "type": "raw_data",
                    "description": "Synthetic ROS recording made by workbench.samples",
                    "tags": ["bag"],
                },
                indent=1,
            ),
            encoding="utf-8",
        )
        out.append(path)
    return out
