"""Turn whatever the user passed into one normalised :class:`Source`.

A source may be a catalog ``Record``, a catalog row dict (dwtk keys such as
``"content-type"`` are accepted), a path (``str`` / ``os.PathLike``), an fsspec URL
(``"s3://bucket/rec/camera_01.mp4"``, with ``storage_options``), a list of image paths,
or an opened ``Video`` (local or remote). Files are looked at for a dwtk JSON sidecar
(``<file>.json``) that carries ``record_id``, ``content-type`` and ``start_timestamp``,
and for a per-frame timestamps sidecar (``<video>_timestamps.csv``); for a URL both are
looked up next to the object, through fsspec.

A local source's ``path`` is an absolute :class:`pathlib.Path`; a remote source's
``path`` is its URL (a ``str``) and ``storage_options`` holds its fsspec options (a
dict, maybe empty; ``None`` for local files). Readers open either with :meth:`Source.open`.

Examples
--------
>>> import tempfile, pathlib
>>> video = pathlib.Path(tempfile.mkdtemp()) / "camera_01.mp4"
>>> _ = video.write_bytes(b"")
>>> src = resolve_source({"path": str(video), "record_id": "r1",
...                       "content-type": "video/mp4", "start_timestamp": 1500000000.0})
>>> src.record_id, src.content_type, src.start_timestamp, src.is_remote
('r1', 'video/mp4', 1500000000.0, False)
>>> import fsspec
>>> fsspec.filesystem("memory").pipe_file("/doc-bucket/rec/gps.csv", b"timestamp,lat\\n0,35\\n")
>>> src = resolve_source("memory://doc-bucket/rec/gps.csv")
>>> src.path, src.name, src.record_id, src.content_type, src.is_remote
('memory://doc-bucket/rec/gps.csv', 'gps.csv', 'gps', 'text/csv', True)
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

from workbench.content_types import IMAGE_SUFFIXES, guess_content_type
from workbench.errors import (
    InvalidArgumentError,
    SidecarError,
    SourceNotFoundError,
    WorkbenchError,
)
from workbench.remote import (
    is_url,
    object_identity,
    object_info,
    open_file,
    refuse_local_options,
    remote_error,
    url_name,
    url_to_fs,
)
from workbench.sidecars import (
    Sidecar,
    SidecarWarning,
    find_timestamps,
    json_sidecar_of,
    read_sidecar,
    record_id_of,
)

if TYPE_CHECKING:
    from workbench.video import Video

__all__ = ["Source", "SourceLike", "resolve_source", "timestamps_sidecar"]

#: What every entry point that reads a file accepts as its ``source``: a path or fsspec
#: URL, a catalog ``Record`` or row (any mapping with a ``"path"``), a list of image paths,
#: an opened :class:`~workbench.video.Video` (or a bag's image topic), or a resolved
#: :class:`Source`. :func:`resolve_source` turns each into a :class:`Source`.
SourceLike: TypeAlias = (
    "str | os.PathLike[str] | Mapping[str, Any] | Sequence[str | os.PathLike[str]] "
    "| Video | Source"
)


@dataclass
class Source:
    """Everything a reader needs to know about one file, local or remote.

    Attributes
    ----------
    path : pathlib.Path or str
        Absolute path of the file (or folder of images); for a remote file, its URL.
    content_type : str
        MIME type used to pick the reader.
    record_id : str
        Record the file belongs to (the file stem when unknown).
    start_timestamp : float
        Absolute seconds of presentation time 0 (0.0 when unknown).
    end_timestamp : float or None
        Absolute end, when the catalog knows it.
    timestamps_path : pathlib.Path or str or None
        Per-frame timestamps sidecar (a URL for a remote file); when present it wins
        over container times.
    paths : list of pathlib.Path or str
        Image files, for an image collection (URLs for a remote folder).
    video : object or None
        An already opened ``Video`` to reuse.
    metadata : dict
        The raw record / row / sidecar fields.
    storage_options : dict or None
        fsspec options of a remote file (endpoint, credentials ...); ``None`` when local.
    info : dict
        fsspec's info of a remote file when it was resolved (size, ETag ...).
    """

    path: Path | str
    content_type: str
    record_id: str
    start_timestamp: float = 0.0
    end_timestamp: float | None = None
    timestamps_path: Path | str | None = None
    paths: list[Any] = field(default_factory=list)
    video: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    storage_options: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def is_remote(self) -> bool:
        """Whether the file is behind a URL (read through fsspec)."""
        return self.storage_options is not None

    @property
    def location(self) -> str:
        """The path or URL as a string (for reports and messages)."""
        return str(self.path)

    @property
    def name(self) -> str:
        """The file name (``camera_01.mp4``)."""
        return url_name(self.path) if self.is_remote else Path(self.path).name

    @property
    def stem(self) -> str:
        """The file name without its suffix (``camera_01``)."""
        return PurePosixPath(self.name).stem

    @property
    def suffix(self) -> str:
        """The file's suffix, lower case (``.mp4``)."""
        return PurePosixPath(self.name).suffix.lower()

    def open(self, location: Path | str | None = None) -> BinaryIO:
        """Open the file (or ``location``, a sibling such as a sidecar) for reading bytes.

        Remote reads raise workbench errors naming the URL
        (see :func:`workbench.remote.remote_error`).
        """
        return open_file(
            self.path if location is None else location,
            self.storage_options if self.is_remote else None,
        )

    def identity(self) -> dict[str, Any]:
        """Return what identifies the file's content (for manifests).

        Local: path, size and mtime. Remote: URL, size and ETag (or mtime) from fsspec.
        """
        ident: dict[str, Any] = {"path": str(self.path), "record_id": self.record_id}
        if self.is_remote:
            ident.update(object_identity(self.info))
            if self.timestamps_path is not None:
                with contextlib.suppress(WorkbenchError):
                    fs, fs_path = url_to_fs(str(self.timestamps_path), self.storage_options)
                    info = object_info(fs, fs_path, repr(str(self.timestamps_path)))
                    ident["timestamps"] = object_identity(info)
            return ident
        files = self.paths or [self.path]
        try:
            stats = [Path(f).stat() for f in files]
            ident["size"] = sum(s.st_size for s in stats)
            ident["mtime_ns"] = max(s.st_mtime_ns for s in stats)
        except OSError:
            pass
        if self.timestamps_path is not None:
            with contextlib.suppress(OSError):
                ident["timestamps_mtime_ns"] = Path(self.timestamps_path).stat().st_mtime_ns
        return ident


def timestamps_sidecar(path: Path) -> Path | None:
    """Return the dwtk per-frame timestamps CSV of a video, if there is one.

    Both ``camera_01_timestamps.csv`` and ``camera_01.mp4_timestamps.csv`` are accepted
    (:func:`workbench.sidecars.find_timestamps`).
    """
    found = find_timestamps(path)
    return Path(found) if found is not None else None


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


def _sidecar_or_warn(data_file: Path | str, storage_options: dict[str, Any] | None) -> Sidecar:
    """The data file's JSON sidecar, or an empty one when there is none or it is bad.

    A bad sidecar is not ignored silently: a warning names it and the reason, and the
    file's own metadata (its name, its container) is used instead.
    """
    try:
        side = read_sidecar(json_sidecar_of(data_file), storage_options=storage_options)
    except SidecarError as exc:
        # attributed to the caller of resolve_source (5 frames up: _find_*, _find,
        # _from_fields, resolve_source)
        warnings.warn(f"{exc}; reading {data_file} without it", SidecarWarning, stacklevel=6)
        return Sidecar()
    return side if side is not None else Sidecar()


def _float_or_none(value: Any, what: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{what}={value!r} is not a number of seconds") from exc


#: (file name, its JSON sidecar) -> whether to look for a per-frame timestamps sidecar
_WantTimestamps = Callable[[str, Sidecar], bool]


@dataclass
class _Found:
    """What was found on disk or in the bucket about one location."""

    path: Path | str
    is_dir: bool
    sidecar: Sidecar
    timestamps: Path | str | None
    images: list[Any]
    storage_options: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)


def _find_local(path: Path, want_timestamps: _WantTimestamps) -> _Found:
    if not path.exists():
        raise SourceNotFoundError(
            f"{path} does not exist; check the record's path or rebuild the catalog"
        )
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        return _Found(path=path, is_dir=True, sidecar=Sidecar(), timestamps=None, images=images)
    sidecar = _sidecar_or_warn(path, None)
    wanted = want_timestamps(path.name, sidecar)
    return _Found(
        path=path,
        is_dir=False,
        sidecar=sidecar,
        timestamps=timestamps_sidecar(path) if wanted else None,
        images=[],
    )


def _find_remote(
    url: str, storage_options: dict[str, Any], want_timestamps: _WantTimestamps
) -> _Found:
    """The same lookups as :func:`_find_local`, next to the object, through fsspec."""
    fs, fs_path = url_to_fs(url, storage_options)
    info = object_info(fs, fs_path, repr(url))
    is_dir = info.get("type") == "directory"
    parent = fs_path.rstrip("/").rsplit("/", 1)[0]
    fs.invalidate_cache(parent)
    sidecar = Sidecar()
    timestamps: Path | str | None = None
    images: list[str] = []
    if is_dir:
        try:
            listed = sorted(fs.ls(fs_path, detail=True), key=lambda e: e["name"])
        except Exception as exc:
            raise remote_error(exc, repr(url), action="list", fs=fs, fs_path=fs_path) from exc
        entries = [e for e in listed if PurePosixPath(e["name"]).suffix.lower() in IMAGE_SUFFIXES]
        images = [fs.unstrip_protocol(e["name"]) for e in entries]
        info = _combined_info(entries)
    else:
        sidecar = _sidecar_or_warn(url, storage_options)
        if want_timestamps(PurePosixPath(fs_path).name, sidecar):
            timestamps = find_timestamps(url, storage_options=storage_options)
    return _Found(
        path=url,
        is_dir=is_dir,
        sidecar=sidecar,
        timestamps=timestamps,
        images=images,
        storage_options=dict(storage_options),
        info=info,
    )


def _combined_info(infos: list[dict[str, Any]]) -> dict[str, Any]:
    """One identity for a set of objects (a folder of images): total size, and a hash of
    their names and versions standing for an ETag."""
    import hashlib

    h = hashlib.sha1(usedforsecurity=False)
    for info in infos:
        h.update(f"{info.get('name')}|{object_identity(info)}\n".encode())
    size = sum(int(i.get("size") or 0) for i in infos)
    return {"type": "directory", "size": size, "ETag": h.hexdigest()}


def _find(
    raw: Any, storage_options: dict[str, Any] | None, want_timestamps: _WantTimestamps
) -> _Found:
    if is_url(raw):
        return _find_remote(str(raw), dict(storage_options or {}), want_timestamps)
    refuse_local_options(str(raw), storage_options)
    return _find_local(Path(raw).expanduser().absolute(), want_timestamps)


def _from_fields(
    obj: Any, raw: Any, base: dict[str, Any], storage_options: dict[str, Any] | None
) -> Source:
    given_ctype = _get(obj, "content_type", "content-type") or base.get("content-type")

    def want_timestamps(name: str, sidecar: Sidecar) -> bool:
        # a timestamps sidecar only matters for videos: decide before asking the storage
        if _get(obj, "timestamps_path"):
            return False
        ctype = given_ctype or sidecar.content_type
        return str(ctype or guess_content_type(name)).startswith("video/")

    found = _find(raw, storage_options, want_timestamps)
    side = found.sidecar
    meta = {**side.fields, **base}
    ctype = given_ctype or base.get("content_type") or side.content_type
    name = url_name(found.path) if isinstance(found.path, str) else found.path.name
    if not ctype and found.is_dir and isinstance(found.path, Path):
        # a ROS 2 bag folder is one recording, not a folder of images
        from workbench.formats.bags.layout import content_type_of_recording, is_ros2_folder

        ctype = content_type_of_recording(found.path) if is_ros2_folder(found.path) else None
    ctype = ctype or guess_content_type(name, is_dir=found.is_dir)
    record_id = _get(obj, "record_id") or base.get("record_id") or record_id_of(side, name)
    start = _get(obj, "start_timestamp")
    if start is None:
        start = base.get("start_timestamp", side.start_timestamp)
    end = _get(obj, "end_timestamp")
    if end is None:
        end = base.get("end_timestamp", side.end_timestamp)
    ts_path: Path | str | None = found.timestamps
    if ts_path is not None and not str(ctype).startswith("video/"):
        ts_path = None
    given_ts = _get(obj, "timestamps_path")
    if given_ts:
        ts_path = str(given_ts) if is_url(given_ts) else Path(given_ts)
    return Source(
        path=found.path,
        content_type=str(ctype),
        record_id=str(record_id),
        start_timestamp=_float_or_none(start, "start_timestamp") or 0.0,
        end_timestamp=_float_or_none(end, "end_timestamp"),
        timestamps_path=ts_path,
        paths=found.images,
        metadata=meta,
        storage_options=found.storage_options,
        info=found.info,
    )


def _options_of(obj: Any, given: dict[str, Any] | None) -> dict[str, Any] | None:
    """``storage_options`` given to the call, else carried by the object (a remote catalog
    Record or row, or a Video opened from a URL)."""
    if given is not None:
        return dict(given)
    if hasattr(obj, "get_frames_at"):  # a Video: its source knows (indexing it means frames)
        carried = getattr(getattr(obj, "source", None), "storage_options", None)
    else:  # an attribute (a Record's property) or a key (a row)
        carried = getattr(obj, "storage_options", None) if not isinstance(obj, dict) else None
        if carried is None:
            carried = _get(obj, "storage_options")
    if isinstance(carried, str):  # a catalog column holding JSON
        try:
            loaded = json.loads(carried) if carried.strip() else {}
        except (ValueError, RecursionError):
            loaded = {}
        carried = loaded if isinstance(loaded, dict) else {}
    return dict(carried) if isinstance(carried, Mapping) else None


def resolve_source(obj: SourceLike, *, storage_options: dict[str, Any] | None = None) -> Source:
    """Normalise a Record, row dict, path, URL, list of image paths or Video into a :class:`Source`.

    Parameters
    ----------
    obj
        What to read.
    storage_options : dict, optional
        fsspec options for a URL (``endpoint_url``, credentials ...). A Record, row or
        Video that carries its own ``storage_options`` needs none.

    Raises
    ------
    SourceNotFoundError
        The file or object does not exist.
    StorageError
        The storage holding a remote file failed (unreachable, access denied ...).
    InvalidArgumentError
        ``obj`` is none of the accepted kinds.
    """
    if isinstance(obj, Source):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return _from_fields({}, os.fspath(obj), {}, storage_options)
    if hasattr(obj, "record_fields") and hasattr(obj, "get_frames_at"):  # an image topic
        fields = obj.record_fields()
        src = _from_fields(fields, fields["path"], fields, None)
        src.video = obj
        return src
    if hasattr(obj, "get_frames_at") and hasattr(obj, "metadata"):  # an opened Video
        vpath = getattr(obj, "path", None)
        if vpath is None:
            raise InvalidArgumentError("this Video has no .path; open it from a file or URL")
        src = _from_fields({}, str(vpath), {}, _options_of(obj, storage_options))
        src.video = obj
        return src
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes, Mapping)):
        return _image_list(obj, storage_options)
    raw = _get(obj, "path")
    if raw is None:
        raise InvalidArgumentError(
            f"cannot read a {type(obj).__name__}: pass a Record, a catalog row dict with a "
            "'path', a file path or URL, a list of image paths or a Video"
        )
    fields: dict[str, Any] = {}
    if isinstance(obj, Mapping):
        fields = {k: v for k, v in obj.items() if k != "storage_options"}
    else:
        for key in ("record_id", "start_timestamp", "end_timestamp", "tags", "contents"):
            value = _get(obj, key)
            if value is not None:
                fields[key] = value
    raw = raw if is_url(raw) else os.fspath(raw)
    return _from_fields(obj, raw, fields, _options_of(obj, storage_options))


def _image_list(items: Sequence[Any], storage_options: dict[str, Any] | None) -> Source:
    if not items:
        raise InvalidArgumentError("an empty list of images cannot be read")
    if all(is_url(p) for p in items):
        options = dict(storage_options or {})
        infos = []
        for url in items:
            fs, fs_path = url_to_fs(str(url), options)
            infos.append({**object_info(fs, fs_path, repr(url)), "name": str(url)})
        folder = str(items[0]).rsplit("/", 1)[0]
        return Source(
            path=folder,
            content_type="image/x-collection",
            record_id=url_name(folder) or "images",
            paths=[str(p) for p in items],
            storage_options=options,
            info=_combined_info(infos),
        )
    files = [Path(p).expanduser().absolute() for p in items]
    for f in files:
        if not f.is_file():
            raise SourceNotFoundError(f"{f} does not exist; check the list of images")
    return Source(
        path=files[0].parent,
        content_type="image/x-collection",
        record_id=files[0].parent.name or "images",
        paths=files,
    )
