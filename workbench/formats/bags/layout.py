"""What kind of recording a path is, and what identifies its bytes.

Three layouts are recognised (by name and folder structure only, nothing is parsed):

* ``"ros1"``: a ROS 1 ``.bag`` file;
* ``"ros2"``: a ROS 2 bag folder (``metadata.yaml`` plus ``.db3`` or ``.mcap`` storage
  files; one recording), or a lone ``.db3`` storage file;
* ``"mcap"``: a plain ``.mcap`` file (any profile: ROS 2, ROS 1, JSON ...).

A ``.mcap`` or ``.db3`` file inside a ROS 2 bag folder is read through its folder.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp()) / "drive_ros2"
>>> d.mkdir(); _ = (d / "metadata.yaml").write_text("x")
>>> _ = (d / "drive_ros2_0.mcap").write_bytes(b"")
>>> bag_kind(d), bag_kind(d / "drive_ros2_0.mcap"), bag_kind(d.parent / "a.bag"), bag_kind("x.csv")
('ros2', 'ros2', 'ros1', None)
>>> recording_path(d / "drive_ros2_0.mcap") == d
True
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from workbench.content_types import content_type_of_suffix

__all__ = [
    "ROS2_METADATA",
    "bag_kind",
    "content_type_of_recording",
    "is_ros2_folder",
    "recording_files",
    "recording_identity",
    "recording_path",
    "recording_stat",
]

#: the file that makes a folder a ROS 2 bag
ROS2_METADATA = "metadata.yaml"
#: bytes hashed at the head and at the tail of each file of a recording
HASH_BYTES = 64 * 1024


def is_ros2_folder(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a folder holding a ROS 2 ``metadata.yaml``."""
    p = Path(path)
    return p.is_dir() and (p / ROS2_METADATA).is_file()


def recording_path(path: str | os.PathLike[str]) -> Path:
    """The path a reader opens: a storage file inside a ROS 2 folder becomes its folder."""
    p = Path(path)
    if p.suffix.lower() in (".mcap", ".db3") and is_ros2_folder(p.parent):
        return p.parent
    return p


def bag_kind(path: str | os.PathLike[str]) -> str | None:
    """``"ros1"``, ``"ros2"``, ``"mcap"`` or None (not a bag)."""
    p = Path(path)
    if is_ros2_folder(p):
        return "ros2"
    suffix = p.suffix.lower()
    if suffix == ".bag":
        return "ros1"
    if suffix == ".db3":
        return "ros2"
    if suffix == ".mcap":
        return "ros2" if is_ros2_folder(p.parent) else "mcap"
    return None


def content_type_of_recording(path: str | os.PathLike[str]) -> str | None:
    """The catalog content type of a bag (a ROS 2 folder is ``application/x-ros2bag``)."""
    p = recording_path(path)
    if is_ros2_folder(p):
        return content_type_of_suffix("bag.db3")  # the one table names ROS 2 bags
    return content_type_of_suffix(p)


def recording_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files whose bytes make the recording (a ROS 2 folder: all its files)."""
    p = recording_path(path)
    if p.is_dir():
        return sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
    return [p]


def recording_stat(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(total size, newest mtime_ns)`` of the recording's files (for incremental ingest)."""
    stats = [f.stat() for f in recording_files(path)]
    return sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)


def _head_tail_sha1(path: Path, size: int) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    with open(path, "rb") as f:
        if size <= 2 * HASH_BYTES:
            h.update(f.read())
        else:
            h.update(f.read(HASH_BYTES))
            f.seek(size - HASH_BYTES)
            h.update(f.read(HASH_BYTES))
    return h.hexdigest()


def recording_identity(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What the index cache keys on: path, and per file its size, mtime and head/tail hash.

    A recording that is rewritten, appended to or truncated gets another identity, so its
    cached index is rebuilt, never misread.
    """
    p = recording_path(path).absolute()
    files = []
    for f in recording_files(p):
        st = f.stat()
        files.append([f.name, st.st_size, st.st_mtime_ns, _head_tail_sha1(f, st.st_size)])
    return {"path": str(p), "files": files}
