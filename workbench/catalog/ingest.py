"""Ingest a dataset folder into the catalog: dwtk sidecars, media probing, incremental.

A data file ``X`` is described by its sidecar ``X.json`` (the dwtk format: record_id,
type/data_type, path, start_timestamp, end_timestamp, content-type and
``contents: {name: {tags: [...], msg_type, msg_md5sum, count, frequency}}``). Video files
without a sidecar are catalogued too: the record id comes from the folder, the content
type from the file, the facts from PyAV. Every video is probed cheaply from its
container and stream headers (width, height, fps, num_frames, duration, codec).

Re-running is incremental: a file whose size and mtime (and its sidecar's) are
unchanged is not read again; changed files are replaced; vanished ones removed. A
malformed sidecar (invalid JSON, nested too deeply, a count of ``Infinity`` or
``10**30``, no contents, text that is not Unicode...) or an unreadable file is skipped
and reported with the reason: one bad file never stops the ingest. Sidecars over
:data:`MAX_SIDECAR_BYTES` are skipped unread.

Each real folder is walked once (folders are tracked by device and inode), so a
symbolic link loop (``l1 -> .``) cannot catalogue a file twice or run forever.
Symbolic links that lead outside the dataset root are skipped with the reason in the
report, unless ``follow_external_links=True``.

The root may also be an fsspec URL prefix (``s3://bucket/data``): the objects are
listed once, identified by size and ETag (the store's own change stamp), sidecars read
through fsspec and videos probed through PyAV on fsspec file objects
(:class:`workbench.video.source.Source`, the same path remote videos are opened by).

Examples
--------
>>> import json, tempfile, pathlib
>>> from workbench.catalog.store import Store
>>> from workbench.catalog.ingest import ingest
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "can.csv").write_text("t,speed\\n1,2\\n")
12
>>> _ = (root / "can.csv.json").write_text(json.dumps({"record_id": "r1",
...     "content-type": "text/csv", "contents": {"can": {"tags": ["can"]}}}))
>>> _ = (root / "bad.csv").write_text("x"); _ = (root / "bad.csv.json").write_text("{oops")
>>> report = ingest(Store(root / "catalog.db", create=True), root)
>>> report.added, [path.name for path, _ in report.skipped]
(['can.csv'], ['bad.csv.json'])
"""

from __future__ import annotations

import json
import mimetypes
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from workbench.catalog.record import is_remote
from workbench.catalog.schema import TAG_SEPARATOR, normalise_tag
from workbench.catalog.store import Store
from workbench.content_types import VIDEO_SUFFIXES, content_type_of_suffix
from workbench.errors import SidecarError, SourceNotFoundError, StorageError
from workbench.formats.bags.catalog import catalog_rows, is_recording
from workbench.formats.bags.layout import is_ros2_folder, recording_stat
from workbench.formats.can import catalog_rows as can_catalog_rows
from workbench.formats.can import is_can_log
from workbench.sidecars import (
    CONTENT_KEYS,
    JSON_SIDECAR_SUFFIX,
    MAX_SIDECAR_BYTES,
    Sidecar,
    find_timestamps,
    load_camera_timestamps,
    number_field,
    read_sidecar,
    record_id_of,
    short_repr,
)

__all__ = [
    "MAX_SIDECAR_BYTES",
    "IngestReport",
    "ingest",
    "parse_sidecar",
    "probe_media",
    "read_timestamps_csv",
    "timestamps_csv_for",
]

#: sidecar keys that map to catalog columns (anything else goes to ``extra``)
_TOP_KEYS = frozenset(
    {
        "description",
        "database_id",
        "record_id",
        "sub_record_id",
        "type",
        "data_type",
        "path",
        "start_timestamp",
        "end_timestamp",
        "content-type",
        "content_type",
        "contents",
        "tags",
    }
)
_WRITE_CHUNK = 2000  # files per write transaction, so concurrent ingests interleave
#: the range of SQLite's INTEGER
_INT64 = (-(2**63), 2**63 - 1)


class _Skip(Exception):
    """A file cannot be catalogued; the message is the reason."""


@dataclass
class IngestReport:
    """What an ingest did. Paths are relative to the dataset root.

    Attributes
    ----------
    root
        The dataset root.
    added, updated, removed
        Data files newly catalogued, re-read because they changed, dropped because
        they vanished (or became unreadable).
    unchanged
        Number of files left untouched.
    skipped
        ``(file, reason)`` for every sidecar or file that could not be catalogued.

    Examples
    --------
    >>> IngestReport(root=Path("/data"), added=["a.mp4"])
    IngestReport(root='/data', added=1, updated=0, removed=0, unchanged=0, skipped=0)
    """

    root: Path | str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[Path | str, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"IngestReport(root='{self.root}', added={len(self.added)}, "
            f"updated={len(self.updated)}, removed={len(self.removed)}, "
            f"unchanged={self.unchanged}, skipped={len(self.skipped)})"
        )

    def summary(self) -> str:
        """One line per skipped file after a counts line, for logs and the CLI."""
        lines = [repr(self)]
        lines += [f"  skipped {path}: {reason}" for path, reason in self.skipped]
        return "\n".join(lines)


@dataclass
class _FileInfo:
    rel: str  # relative to the dataset root, '/' separated
    location: str  # local path or URL
    size: int
    mtime_ns: int | None
    stamp: str | None  # remote stores: ETag (or modification time)


@dataclass
class _Entry:
    rel: str
    data: str  # local path or URL
    sidecar: str | None
    size: int
    mtime_ns: int | None
    sidecar_size: int | None
    sidecar_mtime_ns: int | None
    stamp: str | None = None
    sidecar_stamp: str | None = None

    @property
    def identity(self) -> tuple[Any, ...]:
        """What decides a re-read, in the order of the ``files`` columns."""
        return (
            self.size,
            self.mtime_ns,
            self.sidecar_size,
            self.sidecar_mtime_ns,
            self.stamp,
            self.sidecar_stamp,
        )

    @property
    def name(self) -> PurePosixPath:
        return PurePosixPath(self.rel)

    def where(self, sidecar: bool = False) -> Path | str:
        """The file as the report names it: a Path, or a URL."""
        location = self.sidecar if sidecar and self.sidecar else self.data
        return location if is_remote(location) else Path(location)


# --------------------------------------------------------------------------- scanning


def _is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _walk_local(
    root: Path, top: Path, skipped: list[tuple[Path | str, str]], follow_external_links: bool
) -> Iterator[dict[str, _FileInfo]]:
    """Yield the files of each folder under ``top``, walking every real folder once.

    Folders are tracked by (device, inode): a link back to a folder already walked
    (``l1 -> .``) is reported and not walked again. Links into folders are walked after
    the real folders, so files are catalogued under their real path when they have one.
    """
    st = top.stat()
    seen = {(st.st_dev, st.st_ino)}
    stack, linked = [top], []
    while stack or linked:
        folder = stack.pop() if stack else linked.pop()
        try:
            with os.scandir(folder) as it:
                items = [e for e in it if not e.name.startswith(".")]
        except OSError as exc:
            skipped.append((folder, f"cannot list folder: {exc.strerror or exc}"))
            continue
        files: dict[str, _FileInfo] = {}
        for item in sorted(items, key=lambda e: e.name):
            path = Path(item.path)
            try:
                is_link = item.is_symlink()
                if is_link and not follow_external_links:
                    target = Path(os.path.realpath(item.path))
                    if not _is_under(target, root):
                        skipped.append(
                            (
                                path,
                                f"symbolic link to '{target}', outside the dataset root "
                                f"'{root}'; pass follow_external_links=True to catalogue it",
                            )
                        )
                        continue
                if item.is_dir():
                    if is_ros2_folder(item.path):  # a ROS 2 bag folder is one recording
                        size, mtime_ns = recording_stat(item.path)
                        rel = path.relative_to(root).as_posix()
                        files[item.name] = _FileInfo(rel, item.path, size, mtime_ns, None)
                        continue
                    if item.name == "__pycache__":
                        continue
                    st = item.stat()
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        if is_link:
                            real = os.path.realpath(item.path)
                            skipped.append(
                                (path, f"symbolic link to folder '{real}', walked already")
                            )
                        continue
                    seen.add(key)
                    (linked if is_link else stack).append(path)
                elif item.is_file():
                    st = item.stat()
                    rel = path.relative_to(root).as_posix()
                    files[item.name] = _FileInfo(rel, item.path, st.st_size, st.st_mtime_ns, None)
            except OSError as exc:  # pragma: no cover - races with deletion
                skipped.append((path, f"cannot stat: {exc.strerror or exc}"))
        yield files


def _remote_stamp(info: dict[str, Any]) -> str:
    """An object's change stamp as its store gives it: ETag, else modification time."""
    for key in ("ETag", "etag", "mtime", "LastModified", "last_modified", "created"):
        if info.get(key) is not None:
            return f"{key}={info[key]}"
    return ""


def _walk_remote(
    fs: Any, root_url: str, top_url: str, storage_options: dict[str, Any]
) -> Iterator[dict[str, _FileInfo]]:
    """Yield the objects under ``top_url`` grouped by folder, from one listing."""
    import fsspec

    root_fs = fsspec.core.url_to_fs(root_url, **storage_options)[1].rstrip("/")
    top_fs = fsspec.core.url_to_fs(top_url, **storage_options)[1].rstrip("/")
    try:
        fs.invalidate_cache(top_fs)  # a listing cached by an earlier run would hide changes
        found = fs.find(top_fs, detail=True)
    except FileNotFoundError:
        raise SourceNotFoundError(f"dataset prefix '{top_url}' does not exist") from None
    except Exception as exc:  # the store's own errors (botocore, aiohttp...)
        raise StorageError(
            f"cannot list dataset prefix '{top_url}': {type(exc).__name__}: {exc}; check "
            "the URL, storage_options (endpoint_url, credentials) and the network"
        ) from exc
    folders: dict[str, dict[str, _FileInfo]] = defaultdict(dict)
    for path, info in sorted(found.items()):
        if info.get("type", "file") != "file" or not path.startswith(root_fs + "/"):
            continue
        rel = path[len(root_fs) + 1 :]
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        folder, _, name = rel.rpartition("/")
        folders[folder][name] = _FileInfo(
            rel,
            root_url.rstrip("/") + "/" + rel,
            int(info.get("size") or 0),
            None,
            _remote_stamp(info),
        )
    yield from folders.values()


def _pair(
    folders: Iterable[dict[str, _FileInfo]], skipped: list[tuple[Path | str, str]]
) -> dict[str, _Entry]:
    """Match each data file with its ``<file>.json`` sidecar, folder by folder."""
    entries: dict[str, _Entry] = {}
    for files in folders:
        for name, item in files.items():
            data_name = name.removesuffix(JSON_SIDECAR_SUFFIX)
            if data_name != name and data_name in files:
                continue  # a sidecar: handled with its data file
            sidecar = files.get(name + JSON_SIDECAR_SUFFIX)
            if sidecar is None:
                if data_name != name:
                    where = item.location if is_remote(item.location) else Path(item.location)
                    skipped.append(
                        (
                            where,
                            f"sidecar without its data file: '{data_name}' does not exist "
                            "next to it",
                        )
                    )
                    continue
                if PurePosixPath(name).suffix.lower() not in VIDEO_SUFFIXES and not (
                    not is_remote(item.location) and is_recording(item.location)
                ):
                    continue  # e.g. a timestamps csv without sidecar: not a catalog row
            entries[item.rel] = _Entry(
                rel=item.rel,
                data=item.location,
                sidecar=sidecar.location if sidecar is not None else None,
                size=item.size,
                mtime_ns=item.mtime_ns,
                sidecar_size=sidecar.size if sidecar is not None else None,
                sidecar_mtime_ns=sidecar.mtime_ns if sidecar is not None else None,
                stamp=item.stamp,
                sidecar_stamp=sidecar.stamp if sidecar is not None else None,
            )
    return entries


# --------------------------------------------------------------------------- parsing


def _count(value: Any, key: str) -> int | None:
    number = number_field(value, key)
    if number is None:
        return None
    if not _INT64[0] <= number <= _INT64[1]:
        raise SidecarError(f"'{key}' must be an integer SQLite can store, got {short_repr(value)}")
    return int(number)


def _tags(tags: list[str], where: str) -> list[str]:
    """A sidecar's tags as the catalog stores them: normalised, once each."""
    out: list[str] = []
    for tag in map(normalise_tag, tags):
        if TAG_SEPARATOR in tag:
            raise SidecarError(f"{where} tag {tag!r} contains the control character 0x1f")
        if tag and tag not in out:
            out.append(tag)
    return out


def parse_sidecar(sidecar: str | os.PathLike[str], rel: str) -> list[dict[str, Any]]:
    """Parse a dwtk sidecar into one row dict per content (tags under ``"tags"``).

    Raises
    ------
    ValueError
        With the reason, when the sidecar is not valid JSON or not dwtk-shaped, or is
        larger than :data:`MAX_SIDECAR_BYTES`.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "gps.csv.json"
    >>> _ = p.write_text(json.dumps({"record_id": "r1", "type": "raw_data",
    ...     "contents": {"gps": {"tags": ["gps", "position"], "frequency": 10}}}))
    >>> row = parse_sidecar(p, "r1/gps.csv")[0]
    >>> row["contents"], row["data_type"], row["tags"], row["frequency"]
    ('gps', 'raw_data', ['gps', 'position'], 10.0)
    """
    side = read_sidecar(sidecar)
    if side is None:
        raise SidecarError("cannot read sidecar: it does not exist", sidecar)
    try:
        return _rows_from_meta(side, rel)
    except SidecarError as exc:
        raise SidecarError(exc.reason, sidecar) from None


def _rows_from_meta(side: Sidecar, rel: str) -> list[dict[str, Any]]:
    """One catalog row per content of a checked sidecar (raises SidecarError)."""
    meta = side.fields
    base = {
        "record_id": record_id_of(side, rel),
        "sub_record_id": side.sub_record_id,
        "data_type": side.data_type,
        "content_type": side.content_type or content_type_of_suffix(rel) or _guess_type(rel),
        "path": rel,
        "start_timestamp": side.start_timestamp,
        "end_timestamp": side.end_timestamp,
        "description": side.description,
        "database_id": side.database_id,
    }
    top_tags = _tags(side.tags, "top-level")
    top_extra = {k: v for k, v in meta.items() if k not in _TOP_KEYS}
    if meta.get("path") not in (None, rel) and not str(meta.get("path")).endswith(rel):
        top_extra["sidecar_path"] = meta.get("path")
    rows = []
    for name, info in (side.contents or {Path(rel).stem: {"tags": []}}).items():
        extra = {**top_extra, **{k: v for k, v in info.items() if k not in CONTENT_KEYS}}
        tags = top_tags + [t for t in _tags(info["tags"], f"content '{name}'") if t not in top_tags]
        rows.append(
            {
                **base,
                "contents": name,
                "msg_type": info.get("msg_type"),
                "msg_md5sum": info.get("msg_md5sum"),
                "count": _count(info.get("count"), f"{name}.count"),
                "frequency": info.get("frequency"),
                "extra": extra,
                "tags": tags,
            }
        )
    return rows


def _guess_type(rel: str) -> str | None:
    return mimetypes.guess_type(rel, strict=False)[0]


# --------------------------------------------------------------------------- media


def probe_media(
    path: str | os.PathLike[str], storage_options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Read width, height, fps, num_frames, duration and codec from container headers.

    Only headers are read (no decoding). ``num_frames`` is the container's frame count,
    or ``round(duration * fps)`` when the container does not store one. ``path`` may be
    an fsspec URL (with its ``storage_options``): PyAV then reads the headers through
    an fsspec file object, opened as :class:`workbench.video.source.Source` opens
    every remote video.

    Raises
    ------
    ValueError
        With the reason, when the file cannot be opened or has no video stream.
    StorageError
        When a remote store cannot be reached (nothing is concluded about the file).

    Examples
    --------
    >>> import tempfile, pathlib, av, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.mp4"
    >>> with av.open(str(p), "w") as out:
    ...     s = out.add_stream("mpeg4", rate=10); s.width, s.height = 32, 16
    ...     for i in range(5):
    ...         for pkt in s.encode(av.VideoFrame.from_ndarray(
    ...                 np.zeros((16, 32, 3), np.uint8), format="rgb24")): out.mux(pkt)
    ...     out.mux(s.encode())
    >>> facts = probe_media(p)
    >>> facts["width"], facts["height"], facts["num_frames"], facts["codec"]
    (32, 16, 5, 'mpeg4')
    """
    import av

    if is_remote(os.fspath(path)):
        from workbench.errors import CorruptMediaError
        from workbench.video.source import Source

        try:
            container = Source.resolve(os.fspath(path), storage_options).open()
        except (CorruptMediaError, SourceNotFoundError) as exc:
            raise ValueError(f"not readable as media: {exc}") from None
    else:
        try:
            container = av.open(os.fspath(path), mode="r")
        except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"not readable as media: {exc}") from None
    with container:
        streams = list(container.streams)
        video = next((s for s in streams if s.type == "video"), None)
        if video is None:
            kinds = ", ".join(s.type for s in streams) or "none"
            raise ValueError(f"no video stream (streams: {kinds})")
        ctx = video.codec_context
        rate = video.average_rate or video.guessed_rate or video.base_rate
        fps = float(rate) if rate else None
        duration = None
        if video.duration is not None and video.time_base is not None:
            duration = float(video.duration * video.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        frames = int(video.frames or 0) or None
        if frames is None and duration and fps:
            frames = round(duration * fps)
        if not ctx.width or not ctx.height:
            raise ValueError("video stream has no frame size in its headers (damaged file?)")
        return {
            "width": int(ctx.width),
            "height": int(ctx.height),
            "fps": fps,
            "num_frames": frames,
            "duration": duration,
            "codec": ctx.name,
        }


def timestamps_csv_for(video: str | os.PathLike[str]) -> Path | None:
    """Return the ``<video>_timestamps.csv`` next to a local ``video`` if it exists.

    Both ``camera_01_timestamps.csv`` and ``camera_01.mp4_timestamps.csv`` are accepted
    (:func:`workbench.sidecars.find_timestamps`, which also looks next to a URL).

    Examples
    --------
    >>> timestamps_csv_for("/nonexistent/camera_01.mp4") is None
    True
    """
    found = find_timestamps(Path(video))
    return Path(found) if found is not None else None


def read_timestamps_csv(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a per-frame timestamp sidecar into absolute seconds (float64, one per frame).

    The same parser the video reader uses
    (:func:`workbench.sidecars.load_camera_timestamps`): dwtk's milliseconds are scaled
    to seconds by magnitude.

    Raises
    ------
    ValueError
        (:class:`~workbench.errors.CorruptMediaError`) when the file is unreadable or
        its times are not numeric.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cam_timestamps.csv"
    >>> _ = p.write_text("1489728491000\\n1489728491033\\n")
    >>> read_timestamps_csv(p).round(3).tolist()
    [1489728491.0, 1489728491.033]
    """
    return load_camera_timestamps(Path(path))


# --------------------------------------------------------------------------- rows


def _read_sidecar(entry: _Entry, storage_options: dict[str, Any] | None) -> Sidecar:
    """The entry's checked sidecar (SidecarError when bad; StorageError when a store fails)."""
    location = entry.sidecar
    assert location is not None
    side = read_sidecar(location, storage_options=storage_options, size=entry.sidecar_size)
    if side is None:
        raise _Skip("the sidecar disappeared while the catalog was being built")
    return side


def _rows_for(
    entry: _Entry, fs: Any = None, storage_options: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Build the catalog rows of one data file (raises _Skip with the reason)."""
    if fs is None and is_recording(entry.data):  # ROS bags, MCAP: a row per topic, from the bag
        try:
            return catalog_rows(entry.data, entry.rel, entry.sidecar)
        except ValueError as exc:
            raise _Skip(f"{PurePosixPath(str(entry.data)).name}: {exc}") from None
    if entry.sidecar is not None:
        options = (storage_options or {}) if fs is not None else None
        rows = _rows_from_meta(_read_sidecar(entry, options), entry.rel)
    else:
        rows = [
            {
                "record_id": record_id_of(None, entry.rel),
                "sub_record_id": None,
                "data_type": "raw_data",
                "content_type": content_type_of_suffix(entry.rel) or _guess_type(entry.rel),
                "path": entry.rel,
                "start_timestamp": None,
                "end_timestamp": None,
                "description": None,
                "database_id": None,
                "contents": entry.name.stem,
                "msg_type": None,
                "msg_md5sum": None,
                "count": None,
                "frequency": None,
                "extra": {},
                "tags": ["video"],
            }
        ]
    content_type = rows[0]["content_type"] or ""
    if fs is None and is_can_log(content_type):  # a raw CAN log: a row per message
        try:
            rows = can_catalog_rows(entry.data, rows)
        except (ValueError, OSError, LookupError) as exc:
            raise _Skip(f"{entry.name.name}: {exc}") from None
    if content_type.startswith("video/") or entry.name.suffix.lower() in VIDEO_SUFFIXES:
        try:
            facts = probe_media(entry.data, storage_options if fs is not None else None)
        except ValueError as exc:
            raise _Skip(f"{entry.name.name}: {exc}") from None
        times = None
        # per-frame times are read for local videos (a remote one keeps its sidecar's
        # or container's times)
        ts_csv = find_timestamps(entry.data) if fs is None else None
        if ts_csv is not None and any(r["start_timestamp"] is None for r in rows):
            try:
                times = load_camera_timestamps(ts_csv)
            except ValueError:
                times = None
        for row in rows:
            row.update(facts)
            if row["count"] is None:
                row["count"] = facts["num_frames"]
            if row["frequency"] is None:
                row["frequency"] = facts["fps"]
            if row["start_timestamp"] is None:
                has_times = times is not None and len(times) > 0
                row["start_timestamp"] = float(times[0]) if has_times else 0.0
            if row["end_timestamp"] is None:
                if times is not None and len(times):
                    row["end_timestamp"] = float(times[-1])
                elif facts["duration"] is not None:
                    row["end_timestamp"] = row["start_timestamp"] + facts["duration"]
    return rows


_CONTENT_SQL = (
    "INSERT INTO contents (file_id, record_id, sub_record_id, contents, data_type, "
    "content_type, path, start_timestamp, end_timestamp, description, database_id, "
    "msg_type, msg_md5sum, count, frequency, width, height, fps, num_frames, duration, "
    "codec, extra, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def _content_values(file_id: int, row: dict[str, Any]) -> tuple[Any, ...]:
    extra = row.get("extra") or {}
    return (
        file_id,
        row["record_id"],
        row["sub_record_id"],
        row["contents"],
        row["data_type"],
        row["content_type"],
        row["path"],
        row["start_timestamp"],
        row["end_timestamp"],
        row["description"],
        row["database_id"],
        row["msg_type"],
        row["msg_md5sum"],
        row["count"],
        row["frequency"],
        row.get("width"),
        row.get("height"),
        row.get("fps"),
        row.get("num_frames"),
        row.get("duration"),
        row.get("codec"),
        json.dumps(extra, default=str) if extra else None,
        TAG_SEPARATOR.join(row["tags"]),
    )


def _check_values(values: tuple[Any, ...]) -> None:
    """Refuse values SQLite cannot store, before any write (raises _Skip)."""
    for value in values:
        if isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
            raise _Skip(f"value {short_repr(value)} is too large for the catalog")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _Skip(f"text {short_repr(value)} is not valid Unicode") from None


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _existing(store: Store, prefix: str) -> dict[str, tuple[int, tuple[Any, ...]]]:
    sql = (
        "SELECT path, file_id, size, mtime_ns, sidecar_size, sidecar_mtime_ns, stamp, "
        "sidecar_stamp FROM files"
    )
    params: tuple[Any, ...] = ()
    if prefix:
        # every path starting with 'prefix/' sorts in ['prefix/', 'prefix0')
        sql += " WHERE path >= ? AND path < ?"
        params = (prefix + "/", prefix + "0")
    return {row[0]: (row[1], tuple(row[2:])) for row in store.execute(sql, params).fetchall()}


def ingest(
    store: Store,
    root: str | os.PathLike[str],
    top: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    follow_external_links: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> IngestReport:
    """Bring the catalog in ``store`` up to date with the files under ``top``.

    Parameters
    ----------
    store
        A writable :class:`~workbench.catalog.store.Store`.
    root
        The dataset root: catalog paths are relative to it. A folder, or an fsspec
        URL prefix (``"s3://bucket/data"``).
    top
        The folder to scan, ``root`` or a folder inside it (default ``root``). Files
        outside ``top`` are left alone, so processes may ingest different folders of
        one dataset at the same time.
    progress
        Show a tqdm bar while reading changed files.
    follow_external_links
        Catalogue symbolic links that lead outside ``root`` (skipped by default, with
        the reason in the report).
    storage_options
        fsspec options for a remote ``root``.

    Returns
    -------
    IngestReport

    Raises
    ------
    StorageError
        When a remote store cannot be listed or read (the catalog is left unchanged).
    """
    fs = None
    report_root: Path | str
    if is_remote(os.fspath(root)):
        import fsspec

        root_url = os.fspath(root).rstrip("/")
        top_url = root_url if top is None else os.fspath(top).rstrip("/")
        fs, _ = fsspec.core.url_to_fs(root_url, **(storage_options or {}))
        report = IngestReport(root=root_url)
        folders: Iterable[dict[str, _FileInfo]] = _walk_remote(
            fs, root_url, top_url, storage_options or {}
        )
        prefix = top_url[len(root_url) + 1 :] if top_url != root_url else ""
    else:
        report_root = Path(root).resolve()
        top_path = report_root if top is None else Path(top).resolve()
        report = IngestReport(root=report_root)
        folders = _walk_local(report_root, top_path, report.skipped, follow_external_links)
        prefix = "" if top_path == report_root else top_path.relative_to(report_root).as_posix()
    entries = _pair(folders, report.skipped)
    existing = _existing(store, prefix)

    todo: list[_Entry] = []
    for rel, entry in entries.items():
        old = existing.get(rel)
        if old is not None and old[1] == entry.identity:
            report.unchanged += 1
        else:
            todo.append(entry)
    gone = [(rel, fid) for rel, (fid, _) in existing.items() if rel not in entries]

    items: Iterable[_Entry] = todo
    if progress and todo:
        from tqdm.auto import tqdm

        items = tqdm(todo, desc="catalog ingest", unit="file")
    parsed: list[tuple[_Entry, list[dict[str, Any]]]] = []
    for entry in items:
        try:
            rows = _rows_for(entry, fs, storage_options)
            for row in rows:
                _check_values(_content_values(0, row))
            parsed.append((entry, rows))
        except StorageError:
            raise  # the store is unreachable: conclude nothing about the file
        except Exception as exc:  # one bad file never stops the ingest
            reason = (
                exc.reason
                if isinstance(exc, SidecarError)
                else str(exc)
                if isinstance(exc, _Skip)
                else f"{type(exc).__name__}: {exc}"
            )
            report.skipped.append((entry.where(sidecar=True), reason))
            if entry.rel in existing:
                gone.append((entry.rel, existing[entry.rel][0]))

    for chunk in _chunks(parsed, _WRITE_CHUNK):
        with store.write() as con:
            for entry, rows in chunk:
                try:
                    con.execute("SAVEPOINT one_file")
                    _write_file(con, entry, rows)
                    con.execute("RELEASE one_file")
                except (sqlite3.IntegrityError, sqlite3.InterfaceError, ValueError) as exc:
                    # a value SQLite refused that _check_values did not foresee: this file
                    # only is skipped, the rest of the chunk is kept
                    con.execute("ROLLBACK TO one_file")
                    con.execute("RELEASE one_file")
                    report.skipped.append((entry.where(sidecar=True), f"not stored: {exc}"))
                    continue
                (report.updated if entry.rel in existing else report.added).append(entry.rel)
    if gone:
        with store.write() as con:
            con.executemany("DELETE FROM files WHERE file_id = ?", [(fid,) for _, fid in gone])
        report.removed += sorted(rel for rel, _ in gone)
    report.added.sort()
    report.updated.sort()
    return report


def _write_file(con: sqlite3.Connection, entry: _Entry, rows: list[dict[str, Any]]) -> None:
    """Replace the catalog rows of one data file."""
    con.execute("DELETE FROM files WHERE path = ?", (entry.rel,))
    cur = con.execute(
        "INSERT INTO files (path, size, mtime_ns, sidecar_size, sidecar_mtime_ns, stamp, "
        "sidecar_stamp) VALUES (?,?,?,?,?,?,?)",
        (entry.rel, *entry.identity),
    )
    file_id = cur.lastrowid
    tag_rows = []
    for row in rows:
        content_id = con.execute(_CONTENT_SQL, _content_values(file_id, row)).lastrowid
        tag_rows += [(tag, content_id, i) for i, tag in enumerate(row["tags"])]
    con.executemany("INSERT INTO tags (tag, content_id, position) VALUES (?,?,?)", tag_rows)
