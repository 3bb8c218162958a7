"""One home for file-suffix knowledge: which content type a file is, which suffixes are media.

The catalog (ingest), the readers (source resolution) and the streams all ask this module,
so a suffix means the same thing everywhere. Content types are MIME types; the ones no
registry defines (bags, CAN logs) use the ``application/x-`` prefix.

Examples
--------
>>> from workbench.content_types import guess_content_type
>>> guess_content_type("a/camera_01.mp4")
'video/mp4'
>>> guess_content_type("can.parquet")
'application/vnd.apache.parquet'
>>> guess_content_type("drive.bag")
'application/x-rosbag'
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import PurePath

__all__ = [
    "CAN_LOG_SUFFIXES",
    "IMAGE_SUFFIXES",
    "SUFFIX_CONTENT_TYPES",
    "VIDEO_SUFFIXES",
    "content_type_of_suffix",
    "guess_content_type",
]

#: still images a reader decodes (an image folder or list is read as frames)
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".webp", ".bmp")

#: containers catalogued as video even without a sidecar
VIDEO_SUFFIXES: frozenset[str] = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm", ".ts", ".h264", ".hevc"}
)

#: raw CAN bus logs (decoded with a database such as a DBC)
CAN_LOG_SUFFIXES: frozenset[str] = frozenset({".log", ".asc", ".blf", ".csv", ".mf4", ".trc"})

#: suffix -> content type; the one table every layer uses
SUFFIX_CONTENT_TYPES: dict[str, str] = {
    # video
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
    ".ts": "video/mp2t",
    ".h264": "video/h264",
    ".hevc": "video/h265",
    # images
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    # tables and series
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".pq": "application/vnd.apache.parquet",
    ".json": "application/json",
    # ROS bags and MCAP (a ROS 2 bag folder is application/x-ros2bag)
    ".bag": "application/x-rosbag",
    ".mcap": "application/x-mcap",
    ".db3": "application/x-ros2bag",
    # CAN bus logs and databases
    ".log": "application/x-can-candump",
    ".asc": "application/x-can-asc",
    ".blf": "application/x-can-blf",
    ".trc": "application/x-can-trc",
    ".mf4": "application/x-mf4",
    ".dbc": "application/x-can-dbc",
    ".kcd": "application/x-can-kcd",
    ".arxml": "application/x-can-arxml",
    ".sym": "application/x-can-sym",
}


def content_type_of_suffix(path: str | os.PathLike[str]) -> str | None:
    """Return the content type this project assigns to ``path``'s suffix, or None.

    Examples
    --------
    >>> content_type_of_suffix("bus.asc"), content_type_of_suffix("notes.xyz")
    ('application/x-can-asc', None)
    """
    return SUFFIX_CONTENT_TYPES.get(PurePath(os.fspath(path)).suffix.lower())


def guess_content_type(path: str | os.PathLike[str], *, is_dir: bool = False) -> str:
    """Return the content type of ``path`` from its suffix (``inode/directory`` for folders).

    Parameters
    ----------
    path : str or os.PathLike
        A file name, path or URL; only its final suffix is looked at.
    is_dir : bool
        The path is a folder (the caller knows; this function never touches the disk).

    Examples
    --------
    >>> guess_content_type("s3://bucket/drive/front.MKV")
    'video/x-matroska'
    >>> guess_content_type("images", is_dir=True)
    'inode/directory'
    >>> guess_content_type("notes.unknownsuffix")
    'application/octet-stream'
    """
    if is_dir:
        return "inode/directory"
    name = PurePath(os.fspath(path)).name
    return (
        content_type_of_suffix(name)
        or mimetypes.guess_type(name, strict=False)[0]
        or "application/octet-stream"
    )
