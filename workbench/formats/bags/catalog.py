"""Catalog rows of a recording: one per topic, with tags from the topic and its type.

``workbench.catalog.ingest`` calls :func:`is_recording` while it walks a dataset (a ROS 2
bag folder is one recording, not a folder to descend into) and :func:`catalog_rows` for
each new or changed bag.

Examples
--------
>>> topic_tags("/dashcam/image_raw/compressed", "sensor_msgs/msg/CompressedImage")
['camera', 'image', 'compressed', 'dashcam', 'image_raw']
>>> topic_tags("/gps/fix", "sensor_msgs/msg/NavSatFix")
['gps', 'position', 'fix']
>>> import tempfile, pathlib
>>> from workbench.samples.bags import write_sample_bag
>>> bag = write_sample_bag(pathlib.Path(tempfile.mkdtemp()) / "drive.bag", duration_seconds=1)
>>> rows = catalog_rows(bag, "drive.bag")
>>> [(r["contents"], r["record_id"], r["count"]) for r in rows][2]
('/gps/fix', 'drive', 10)
>>> rows[2]["msg_md5sum"], rows[2]["content_type"]
('2d3a8cd499b9b4a0249fb98fd05cfa48', 'application/x-rosbag')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench.formats.bags.layout import (
    bag_kind,
    content_type_of_recording,
    is_ros2_folder,
    recording_path,
)
from workbench.sidecars import Sidecar, read_sidecar, record_id_of

__all__ = ["catalog_rows", "is_recording", "topic_tags"]

#: message type -> tags (the type's last name, e.g. ``NavSatFix``)
_TYPE_TAGS: dict[str, list[str]] = {
    "Image": ["camera", "image", "raw"],
    "CompressedImage": ["camera", "image", "compressed"],
    "NavSatFix": ["gps", "position"],
    "NavSatStatus": ["gps"],
    "GPSFix": ["gps", "position"],
    "Imu": ["imu"],
    "Odometry": ["odometry", "position", "velocity"],
    "Twist": ["twist", "velocity"],
    "TwistStamped": ["twist", "velocity"],
    "TwistWithCovarianceStamped": ["twist", "velocity"],
    "PointCloud2": ["lidar", "pointcloud"],
    "LaserScan": ["lidar", "scan"],
    "CameraInfo": ["camera", "calibration"],
    "Frame": ["can"],
}


def topic_tags(topic: str, msgtype: str | None) -> list[str]:
    """Tags of a topic: from its type (``camera, image`` for images, ``gps`` for fixes)
    then the topic's own path parts."""
    tags: list[str] = []
    short = (msgtype or "").rsplit("/", 1)[-1]
    for tag in [*_TYPE_TAGS.get(short, []), *[p for p in topic.split("/") if p]]:
        tag = tag.strip().lower()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def is_recording(path: str | os.PathLike[str]) -> bool:
    """True for a bag file, an MCAP file or a ROS 2 bag folder (one recording each).

    Storage files inside a ROS 2 bag folder are part of the folder's recording.
    """
    p = Path(path)
    if is_ros2_folder(p):
        return True
    if p.is_dir() or is_ros2_folder(p.parent):
        return False
    return bag_kind(p) is not None


def catalog_rows(
    path: str | os.PathLike[str],
    rel: str | None = None,
    sidecar: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """One catalog row per topic of the recording at ``path``.

    A ROS 2 bag folder is one recording; its rows' ``path`` is its first storage file
    (``drive/drive_0.mcap``), which every reader resolves to the folder.

    Parameters
    ----------
    path : str or os.PathLike
        The bag file, MCAP file or ROS 2 bag folder.
    rel : str, optional
        Its path relative to the dataset root (the row's ``path``); default ``path``.
    sidecar : path, optional
        A dwtk JSON sidecar: its ``record_id``, ``description``, ``database_id`` and
        ``tags`` apply to every row, ``contents[topic].tags`` to that topic. Without one,
        the record id is the file or folder name (without suffix).

    Raises
    ------
    ValueError
        With the reason, when the recording cannot be read (ingest reports it as skipped).
    """
    from workbench.errors import WorkbenchError
    from workbench.formats.bags.bag import open_bag
    from workbench.formats.bags.images import image_size, is_image_type

    p = recording_path(Path(path))
    side = (read_sidecar(sidecar) if sidecar else None) or Sidecar()  # SidecarError: bad
    try:
        bag = open_bag(p, cache=False)
    except WorkbenchError as exc:
        raise ValueError(str(exc)) from None
    row_path = rel if rel is not None else str(p)
    if p.is_dir():  # a ROS 2 folder: rows name its first storage file (a file, like every row)
        row_path = f"{row_path.rstrip('/')}/{bag.index.files[0]}" if bag.index.files else row_path
    rows = []
    with bag:
        for info in bag.topics():
            own = side.contents.get(info.topic, {})
            tags = []
            for tag in [*side.tags, *topic_tags(info.topic, info.msgtype), *own.get("tags", [])]:
                if tag not in tags:
                    tags.append(tag)
            row: dict[str, Any] = {
                "record_id": record_id_of(side, p.name),  # no sidecar id: the file's stem
                "sub_record_id": side.sub_record_id,
                "data_type": side.data_type or "raw_data",
                "content_type": content_type_of_recording(p),
                "path": row_path,
                "start_timestamp": info.start_timestamp,
                "end_timestamp": info.end_timestamp,
                "description": side.description,
                "database_id": side.database_id,
                "contents": info.topic,
                "msg_type": info.msgtype,
                "msg_md5sum": info.md5sum,
                "count": info.count,
                "frequency": info.frequency,
                "extra": {"encoding": info.encoding, "bag_kind": bag.index.kind}
                | ({"truncated": True} if bag.truncated else {}),
                "tags": tags,
            }
            if is_image_type(info.msgtype) and info.count:
                try:
                    first = bag.store.decode(info.topic, [0])[0]
                    row["width"], row["height"] = image_size(first, info.msgtype)
                except Exception:  # a damaged first image: the row is still useful
                    pass
                row["fps"] = info.frequency
                row["num_frames"] = info.count
                if info.start_timestamp is not None and info.end_timestamp is not None:
                    row["duration"] = info.end_timestamp - info.start_timestamp
            rows.append(row)
    return rows
