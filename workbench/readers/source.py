"""Turn whatever the user passed into one normalised :class:`Source`.

A source may be a catalog ``Record``, a catalog row dict (dwtk keys such as
``"content-type"`` are accepted), a path (``str`` / ``os.PathLike``), a list of image
paths, or an opened ``Video``. Paths are looked at for a dwtk JSON sidecar
(``<file>.json``) that carries ``record_id``, ``content-type`` and ``start_timestamp``,
and for a per-frame timestamps sidecar (``<video>_timestamps.csv``).

Examples
--------
>>> import tempfile, pathlib
>>> video = pathlib.Path(tempfile.mkdtemp()) / "camera_01.mp4"
>>> _ = video.write_bytes(b"")
>>> src = resolve_source({"path": str(video), "record_id": "r1",
...                       "content-type": "video/mp4", "start_timestamp": 1500000000.0})
>>> src.record_id, src.content_type, src.start_timestamp
('r1', 'video/mp4', 1500000000.0)
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.content_types import IMAGE_SUFFIXES, guess_content_type
from workbench.errors import InvalidArgumentError, SourceNotFoundError

__all__ = ["Source", "resolve_source", "timestamps_sidecar"]

@dataclass
class Source:
    """Everything a reader needs to know about one file.

    Attributes
    ----------
    path : pathlib.Path
        Absolute path of the file (or folder of images).
    content_type : str
        MIME type used to pick the reader.
    record_id : str
        Record the file belongs to (the file stem when unknown).
    start_timestamp : float
        Absolute seconds of presentation time 0 (0.0 when unknown).
    end_timestamp : float or None
        Absolute end, when the catalog knows it.
    timestamps_path : pathlib.Path or None
        Per-frame timestamps sidecar; when present it wins over container times.
    paths : list of pathlib.Path
        Image files, for an image collection given as a list.
    video : object or None
        An already opened ``Video`` to reuse.
    metadata : dict
        The raw record / row / sidecar fields.
    """

    path: Path
    content_type: str
    record_id: str
    start_timestamp: float = 0.0
    end_timestamp: float | None = None
    timestamps_path: Path | None = None
    paths: list[Path] = field(default_factory=list)
    video: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def identity(self) -> dict[str, Any]:
        """Return what identifies the file's content: path, size and mtime (for manifests)."""
        files = self.paths or [self.path]
        ident: dict[str, Any] = {"path": str(self.path), "record_id": self.record_id}
        try:
            stats = [f.stat() for f in files]
            ident["size"] = sum(s.st_size for s in stats)
            ident["mtime_ns"] = max(s.st_mtime_ns for s in stats)
        except OSError:
            pass
        if self.timestamps_path is not None:
            with contextlib.suppress(OSError):
                ident["timestamps_mtime_ns"] = self.timestamps_path.stat().st_mtime_ns
        return ident


def timestamps_sidecar(path: Path) -> Path | None:
    """Return the dwtk per-frame timestamps CSV of a video, if there is one.

    Both ``camera_01_timestamps.csv`` and ``camera_01.mp4_timestamps.csv`` are accepted.
    """
    for cand in (
        path.with_name(f"{path.stem}_timestamps.csv"),
        path.with_name(f"{path.name}_timestamps.csv"),
    ):
        if cand.is_file():
            return cand
    return None


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        value = getattr(obj, key, None) if not isinstance(obj, Mapping) else None
        if value is None:
            try:
                value = obj[key]
            except (KeyError, TypeError, IndexError):
                value = None
        if value is not None:
            return value
    return None


def _json_sidecar(path: Path) -> dict[str, Any]:
    side = path.with_name(path.name + ".json")
    if not side.is_file():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _float_or_none(value: Any, what: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{what}={value!r} is not a number of seconds") from exc


def _from_fields(obj: Any, path: Path, base: dict[str, Any]) -> Source:
    if not path.exists():
        raise SourceNotFoundError(
            f"{path} does not exist; check the record's path or rebuild the catalog"
        )
    meta = {**_json_sidecar(path), **base} if path.is_file() else dict(base)
    ctype = _get(obj, "content_type", "content-type") or meta.get("content-type")
    if not ctype and path.is_dir():  # a ROS 2 bag folder is one recording, not images
        from workbench.formats.bags.layout import content_type_of_recording, is_ros2_folder

        ctype = content_type_of_recording(path) if is_ros2_folder(path) else None
    ctype = ctype or meta.get("content_type") or guess_content_type(path, is_dir=path.is_dir())
    record_id = _get(obj, "record_id") or meta.get("record_id") or path.stem
    start = _get(obj, "start_timestamp")
    if start is None:
        start = meta.get("start_timestamp")
    end = _get(obj, "end_timestamp")
    if end is None:
        end = meta.get("end_timestamp")
    ts_path = _get(obj, "timestamps_path")
    ts_path = Path(ts_path) if ts_path else None
    if ts_path is None and path.is_file() and str(ctype).startswith("video/"):
        ts_path = timestamps_sidecar(path)
    paths: list[Path] = []
    if path.is_dir():
        paths = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return Source(
        path=path,
        content_type=str(ctype),
        record_id=str(record_id),
        start_timestamp=_float_or_none(start, "start_timestamp") or 0.0,
        end_timestamp=_float_or_none(end, "end_timestamp"),
        timestamps_path=ts_path,
        paths=paths,
        metadata=meta,
    )


def resolve_source(obj: Any) -> Source:
    """Normalise a Record, row dict, path, list of image paths or Video into a :class:`Source`.

    Raises
    ------
    SourceNotFoundError
        The file does not exist.
    InvalidArgumentError
        ``obj`` is none of the accepted kinds.
    """
    if isinstance(obj, Source):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj).expanduser().absolute()
        return _from_fields({}, path, {})
    if hasattr(obj, "record_fields") and hasattr(obj, "get_frames_at"):  # an image topic
        fields = obj.record_fields()
        src = _from_fields(fields, Path(fields["path"]), fields)
        src.video = obj
        return src
    if hasattr(obj, "get_frames_at") and hasattr(obj, "metadata"):  # an opened Video
        vpath = getattr(obj, "path", None)
        if vpath is None:
            raise InvalidArgumentError("this Video has no .path; open it from a file")
        src = _from_fields({}, Path(vpath).absolute(), {})
        src.video = obj
        return src
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes, Mapping)):
        files = [Path(p).expanduser().absolute() for p in obj]
        if not files:
            raise InvalidArgumentError("an empty list of images cannot be read")
        for f in files:
            if not f.is_file():
                raise SourceNotFoundError(f"{f} does not exist; check the list of images")
        return Source(
            path=files[0].parent,
            content_type="image/x-collection",
            record_id=files[0].parent.name or "images",
            paths=files,
        )
    raw = _get(obj, "path")
    if raw is None:
        raise InvalidArgumentError(
            f"cannot read a {type(obj).__name__}: pass a Record, a catalog row dict with a "
            "'path', a file path, a list of image paths or a Video"
        )
    fields: dict[str, Any] = {}
    if isinstance(obj, Mapping):
        fields = dict(obj)
    else:
        for key in ("record_id", "start_timestamp", "end_timestamp", "tags", "contents"):
            value = _get(obj, key)
            if value is not None:
                fields[key] = value
    return _from_fields(obj, Path(raw).expanduser().absolute(), fields)
