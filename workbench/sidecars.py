"""One home for the dwtk sidecars: the JSON metadata file and the per-frame timestamps CSV.

dwtk wrote two kinds of file next to a recording's data files:

- ``<file>.json``, the metadata sidecar (``record_id``, ``type``/``data_type``,
  ``content-type``, ``start_timestamp``, ``end_timestamp``, ``contents: {name: {tags:
  [...], ...}}``). :func:`read_sidecar` reads one (a local path or an fsspec URL) under
  one size limit (:data:`MAX_SIDECAR_BYTES`) and :meth:`Sidecar.parse` checks it once;
  a bad one raises :class:`~workbench.errors.SidecarError` with the reason. The catalog
  reports the reason in its ingest report; a reader warns, naming the file and the
  reason, and falls back to the file's own metadata. :func:`record_id_of` is the one
  rule for a record id.
- ``<video>_timestamps.csv`` (or ``<video>.mp4_timestamps.csv``), the wall-clock time of
  every frame, which wins over the container's times. :func:`timestamps_names` spells
  its names, :func:`find_timestamps` and :func:`folder_timestamps_candidates` look for it
  and :func:`load_camera_timestamps` reads it.

The catalog (ingest, records, the rows of bags), the readers (source resolution, videos,
images) and the widgets all ask this module, so a sidecar means the same thing everywhere.

Examples
--------
>>> import json, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> video = folder / "camera_01.mp4"
>>> _ = video.write_bytes(b"")
>>> _ = json_sidecar_of(video).write_text(json.dumps({"record_id": "016",
...     "content-type": "video/mp4", "start_timestamp": 1500000000}))
>>> side = read_sidecar(json_sidecar_of(video))
>>> side.record_id, side.content_type, side.start_timestamp
('016', 'video/mp4', 1500000000.0)
>>> _ = (folder / "camera_01_timestamps.csv").write_text("1500000000000\\n1500000000033\\n")
>>> times = load_camera_timestamps(find_timestamps(video))
>>> times.round(3).tolist()
[1500000000.0, 1500000000.033]
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, SidecarError
from workbench.remote import is_range_error, is_url, open_file, remote_error, url_to_fs

__all__ = [
    "CONTENT_KEYS",
    "JSON_SIDECAR_SUFFIX",
    "MAX_SIDECAR_BYTES",
    "Sidecar",
    "SidecarWarning",
    "find_timestamps",
    "folder_timestamps_candidates",
    "json_sidecar_of",
    "load_camera_timestamps",
    "number_field",
    "read_sidecar",
    "record_id_from_folder",
    "record_id_of",
    "short_repr",
    "text_field",
    "timestamps_names",
    "to_seconds",
    "TIMESTAMPS_GLOB",
]

#: a data file's JSON sidecar is named ``<file>`` + this
JSON_SIDECAR_SUFFIX = ".json"
#: sidecars larger than this (bytes) are refused without being read: a dwtk sidecar is
#: a few KiB, and one bigger than this is not metadata
MAX_SIDECAR_BYTES = 16 * 2**20

#: folders that hold a record's files rather than name the record
_FOLDERS_NOT_RECORDS = frozenset({"data", "raw", "raw_data", "video", "videos", "camera"})


# --------------------------------------------------------------------------- JSON sidecar


def json_sidecar_of(location: Any) -> Any:
    """The JSON sidecar's location for a data file: ``<file>.json`` (a Path, or a URL string).

    Examples
    --------
    >>> json_sidecar_of("s3://bucket/rec/gps.csv")
    's3://bucket/rec/gps.csv.json'
    >>> json_sidecar_of(Path("rec/camera_01.mp4")).as_posix()
    'rec/camera_01.mp4.json'
    """
    if is_url(location):
        return f"{location}{JSON_SIDECAR_SUFFIX}"
    path = Path(location)
    return path.with_name(path.name + JSON_SIDECAR_SUFFIX)


def short_repr(value: Any) -> str:
    """A bad value as an error message quotes it: its ``repr``, cut to 60 characters.

    Examples
    --------
    >>> short_repr("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
    >>> short_repr(10**40)
    'a huge integer'
    """
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge integer"
    return text if len(text) <= 60 else text[:57] + "..."


def text_field(value: Any, key: str) -> str | None:
    """A sidecar field that holds text (``None`` when absent).

    Raises
    ------
    SidecarError
        When the value is an object or a list, or text that is not valid Unicode.

    Examples
    --------
    >>> text_field(16, "record_id")
    '16'
    >>> text_field(["a"], "record_id")
    Traceback (most recent call last):
    ...
    workbench.errors.SidecarError: 'record_id' must be a string, got list
    """
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise SidecarError(f"'{key}' must be a string, got {type(value).__name__}")
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SidecarError(f"text {short_repr(text)} is not valid Unicode") from None
    return text


def number_field(value: Any, key: str) -> float | None:
    """A sidecar field that holds a finite number (``None`` when absent, empty or NaN).

    Raises
    ------
    SidecarError
        When the value is not a number (a boolean is not) or is infinite.

    Examples
    --------
    >>> number_field("12.5", "start_timestamp"), number_field(None, "start_timestamp")
    (12.5, None)
    >>> number_field(float("inf"), "start_timestamp")
    Traceback (most recent call last):
    ...
    workbench.errors.SidecarError: 'start_timestamp' must be a finite number, got inf
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise SidecarError(f"'{key}' must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SidecarError(f"'{key}' must be a number, got {short_repr(value)}") from None
    except OverflowError:
        raise SidecarError(f"'{key}' must be a finite number, got {short_repr(value)}") from None
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise SidecarError(f"'{key}' must be a finite number, got {short_repr(value)}")
    return number


class SidecarWarning(UserWarning):
    """A reader met a bad JSON sidecar and read the file without it (the message says why)."""


#: the keys a content of ``contents`` may carry (others are kept as they are)
CONTENT_KEYS = frozenset({"tags", "msg_type", "msg_md5sum", "count", "frequency"})


def _tag_list(value: Any, where: str) -> list[str]:
    """A ``tags`` field: a list of strings (one string is a list of one)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise SidecarError(f"{where} 'tags' must be a list of strings, got {type(value).__name__}")
    tags = []
    for tag in value:
        if not isinstance(tag, (str, int, float)) or isinstance(tag, bool):
            raise SidecarError(f"{where} tag {tag!r} is not a string")
        tags.append(text_field(tag, f"{where} tag") or "")
    return tags


def _content(name: str, info: Any) -> dict[str, Any]:
    """One entry of ``contents``, its known keys checked and converted."""
    if info is None:
        info = {}
    if not isinstance(info, dict):
        raise SidecarError(f"content '{name}' must be an object, got {type(info).__name__}")
    return {
        **info,
        "count": number_field(info.get("count"), f"{name}.count"),
        "tags": _tag_list(info.get("tags"), f"content '{name}'"),
        "msg_type": text_field(info.get("msg_type"), f"{name}.msg_type"),
        "msg_md5sum": text_field(info.get("msg_md5sum"), f"{name}.msg_md5sum"),
        "frequency": number_field(info.get("frequency"), f"{name}.frequency"),
    }


@dataclass(frozen=True)
class Sidecar:
    """A dwtk JSON sidecar, checked once: every field it defines has the right kind.

    Attributes
    ----------
    fields : dict
        The JSON object as written (the keys below, and any others).
    record_id, content_type, data_type, sub_record_id, description, database_id : str or None
        The text fields (``content-type`` or ``content_type``; ``data_type`` or ``type``).
    start_timestamp, end_timestamp : float or None
        Absolute seconds (finite; ``end_timestamp`` not before ``start_timestamp``).
    tags : list of str
        The top-level tags.
    contents : dict
        ``{name: {"tags": [...], "msg_type", "msg_md5sum", "count", "frequency", ...}}``
        with those keys checked (numbers finite, text as text); empty when the sidecar
        names none (an explicitly empty ``contents`` is refused).
    location : pathlib.Path or str or None
        Where the sidecar was read from.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    record_id: str | None = None
    content_type: str | None = None
    start_timestamp: float | None = None
    end_timestamp: float | None = None
    data_type: str | None = None
    sub_record_id: str | None = None
    description: str | None = None
    database_id: str | None = None
    tags: list[str] = field(default_factory=list)
    contents: dict[str, dict[str, Any]] = field(default_factory=dict)
    location: Path | str | None = None

    @classmethod
    def parse(cls, data: bytes, location: Path | str | None = None) -> Sidecar:
        """Parse and check a sidecar's bytes.

        Raises
        ------
        SidecarError
            With the reason (``exc.reason``), when the bytes are not UTF-8 JSON, not a
            JSON object, nested too deeply, or a field has the wrong kind of value.

        Examples
        --------
        >>> Sidecar.parse(b'{"record_id": "r1", "end_timestamp": 9, "start_timestamp": 2}')
        Sidecar(record_id='r1', content_type=None, start_timestamp=2.0, end_timestamp=9.0)
        >>> Sidecar.parse(b'{"contents": {"gps": {"count": "many"}}}', "a.csv.json")
        Traceback (most recent call last):
        ...
        workbench.errors.SidecarError: sidecar 'a.csv.json': 'gps.count' must be a number, ...
        """
        try:
            return cls._from_fields(_load_json(data), location)
        except SidecarError as exc:
            raise SidecarError(exc.reason, location) from None

    @classmethod
    def _from_fields(cls, meta: Any, location: Path | str | None) -> Sidecar:
        if not isinstance(meta, dict):
            raise SidecarError(f"sidecar must be a JSON object, got {type(meta).__name__}")
        content_type = text_field(
            meta.get("content-type", meta.get("content_type")), "content-type"
        )
        start = number_field(meta.get("start_timestamp"), "start_timestamp")
        end = number_field(meta.get("end_timestamp"), "end_timestamp")
        if start is not None and end is not None and end < start:
            raise SidecarError(f"end_timestamp {end} is before start_timestamp {start}")
        record_id = text_field(meta.get("record_id"), "record_id")
        sub_record_id = text_field(meta.get("sub_record_id"), "sub_record_id")
        data_type = text_field(meta.get("data_type", meta.get("type")), "type")
        description = text_field(meta.get("description"), "description")
        database_id = text_field(meta.get("database_id"), "database_id")
        tags = _tag_list(meta.get("tags"), "top-level")
        contents = meta.get("contents")
        if contents is not None and not isinstance(contents, dict):
            raise SidecarError(
                "'contents' must be an object {name: {tags: [...]}}, got "
                f"{type(contents).__name__}"
            )
        if contents is not None and not contents:
            raise SidecarError(
                "'contents' is empty: name at least one content, {name: {tags: [...]}}"
            )
        return cls(
            fields=meta,
            record_id=record_id or None,
            content_type=content_type or None,
            start_timestamp=start,
            end_timestamp=end,
            data_type=data_type,
            sub_record_id=sub_record_id,
            description=description,
            database_id=database_id,
            tags=tags,
            contents={str(name): _content(name, info) for name, info in (contents or {}).items()},
            location=location,
        )

    def __repr__(self) -> str:
        return (
            f"Sidecar(record_id={self.record_id!r}, content_type={self.content_type!r}, "
            f"start_timestamp={self.start_timestamp!r}, end_timestamp={self.end_timestamp!r})"
        )


def _load_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise SidecarError(f"sidecar is not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise SidecarError(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise SidecarError("JSON nested too deeply to be a sidecar") from None
    except ValueError as exc:  # e.g. an integer literal with more digits than Python allows
        raise SidecarError(f"invalid JSON: {exc}") from None


def _too_big() -> SidecarError:
    return SidecarError(
        f"sidecar is larger than {MAX_SIDECAR_BYTES} bytes (MAX_SIDECAR_BYTES); a dwtk "
        "sidecar is a few KiB: is this file really a sidecar?"
    )


def _read_local(path: Path, size: int | None) -> bytes | None:
    try:
        if size is None:
            if not path.is_file():
                return None
            size = path.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            raise _too_big()  # refused from its size, never opened
        with open(path, "rb") as handle:
            return handle.read(MAX_SIDECAR_BYTES + 1)  # never more, even if it grew
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SidecarError(f"cannot read sidecar: {exc.strerror or exc}") from None


def _read_remote(
    url: str, storage_options: dict[str, Any] | None, size: int | None
) -> bytes | None:
    if size is not None and size > MAX_SIDECAR_BYTES:
        raise _too_big()
    fs, fs_path = url_to_fs(url, storage_options)
    try:  # one ranged GET, never more than the limit and a byte
        return fs.cat_file(fs_path, start=0, end=MAX_SIDECAR_BYTES + 1)
    except FileNotFoundError:
        return None
    except Exception as exc:
        if is_range_error(exc):
            return b""  # an empty object
        # the store failed, not the file: a StorageError, nothing concluded about it
        raise remote_error(exc, f"sidecar {url!r}", fs=fs, fs_path=fs_path) from exc


def read_sidecar(
    location: str | os.PathLike[str],
    *,
    storage_options: dict[str, Any] | None = None,
    size: int | None = None,
) -> Sidecar | None:
    """Read and check the JSON sidecar at ``location`` (a path or an fsspec URL).

    Parameters
    ----------
    location
        The sidecar itself (see :func:`json_sidecar_of`).
    storage_options
        fsspec options for a URL.
    size
        The sidecar's size when a listing already knows it (saves a stat).

    Returns
    -------
    Sidecar or None
        ``None`` when there is no sidecar.

    Raises
    ------
    SidecarError
        The sidecar is over :data:`MAX_SIDECAR_BYTES` (refused unread), unreadable or
        malformed; ``exc.reason`` says why.
    StorageError
        A remote store failed (nothing is concluded about the sidecar).

    Examples
    --------
    >>> read_sidecar("/nonexistent/camera_01.mp4.json") is None
    True
    """
    where: Path | str = str(location) if is_url(location) else Path(location)
    try:
        if isinstance(where, str):
            data = _read_remote(where, storage_options, size)
        else:
            data = _read_local(where, size)
    except SidecarError as exc:
        raise SidecarError(exc.reason, where) from None
    if data is None:
        return None
    if len(data) > MAX_SIDECAR_BYTES:
        raise SidecarError(_too_big().reason, where)
    return Sidecar.parse(data, where)


def record_id_from_folder(rel: str) -> str:
    """Guess a record id from a file's folder (``records/<id>/data/x.mp4`` -> ``<id>``).

    ``rel`` is relative to the dataset root; a bare file name gives its stem.

    Examples
    --------
    >>> record_id_from_folder("records/016_0001/data/camera_01.mp4")
    '016_0001'
    >>> record_id_from_folder("clip.mp4")
    'clip'
    """
    parts = PurePosixPath(rel).parts[:-1]
    for name in reversed(parts):
        if name.lower() not in _FOLDERS_NOT_RECORDS:
            return name
    return PurePosixPath(rel).stem


def record_id_of(sidecar: Sidecar | None, rel: str) -> str:
    """The one record-id rule: the sidecar's ``record_id``, else the record's folder.

    ``rel`` is the data file's path below the dataset root (the catalog knows it), or
    just its name when there is no dataset root (a file read on its own): then the
    record id is the file's stem.

    Examples
    --------
    >>> record_id_of(Sidecar(record_id="016"), "records/x/data/camera_01.mp4")
    '016'
    >>> record_id_of(None, "records/x/data/camera_01.mp4"), record_id_of(None, "gps.csv")
    ('x', 'gps')
    """
    if sidecar is not None and sidecar.record_id:
        return sidecar.record_id
    return record_id_from_folder(rel)


# --------------------------------------------------------------------------- timestamps CSV


#: the end of a timestamps sidecar's name (``camera_01_timestamps.csv``)
TIMESTAMPS_SUFFIX = "_timestamps.csv"
#: the file-name glob of timestamps sidecars (the readers' registry reads them with it)
TIMESTAMPS_GLOB = f"*{TIMESTAMPS_SUFFIX}"


def timestamps_names(name: str) -> tuple[str, str]:
    """dwtk's two spellings of a video's timestamps sidecar, in the order they are tried.

    Examples
    --------
    >>> timestamps_names("camera_01.mp4")
    ('camera_01_timestamps.csv', 'camera_01.mp4_timestamps.csv')
    """
    return f"{PurePosixPath(name).stem}{TIMESTAMPS_SUFFIX}", f"{name}{TIMESTAMPS_SUFFIX}"


def _remote_file_exists(fs: Any, fs_path: str) -> bool:
    try:
        return fs.info(fs_path).get("type", "file") == "file"
    except FileNotFoundError:
        return False
    except Exception as exc:
        raise remote_error(exc, repr(fs.unstrip_protocol(fs_path)), fs=fs, fs_path=fs_path) from exc


def find_timestamps(
    video: str | os.PathLike[str], *, storage_options: dict[str, Any] | None = None
) -> Path | str | None:
    """Return the per-frame timestamps CSV next to ``video``, if there is one.

    Both ``camera_01_timestamps.csv`` and ``camera_01.mp4_timestamps.csv`` are accepted.
    ``video`` may be an fsspec URL (with ``storage_options``): the CSV is then looked for
    next to the object and returned as a URL.

    Raises
    ------
    StorageError
        A remote store failed while looking.

    Examples
    --------
    >>> find_timestamps("/nonexistent/camera_01.mp4") is None
    True
    """
    if is_url(video):
        fs, fs_path = url_to_fs(str(video), storage_options)
        parent, _, name = fs_path.rstrip("/").rpartition("/")
        for cand in timestamps_names(name):
            if _remote_file_exists(fs, f"{parent}/{cand}"):
                return fs.unstrip_protocol(f"{parent}/{cand}")
        return None
    path = Path(video)
    for cand in timestamps_names(path.name):
        if path.with_name(cand).is_file():
            return path.with_name(cand)
    return None


def folder_timestamps_candidates(folder: Path | str) -> list[Path | str]:
    """Where a folder of images keeps its times: ``timestamps.csv`` inside it, then
    ``<folder>_timestamps.csv`` beside it (URLs for a remote folder, all returned; local
    paths only when they exist).

    Examples
    --------
    >>> folder_timestamps_candidates("s3://b/rec/frames")
    ['s3://b/rec/frames/timestamps.csv', 's3://b/rec/frames_timestamps.csv']
    """
    if is_url(folder):
        url = str(folder).rstrip("/")
        parent, name = url.rsplit("/", 1)
        return [f"{url}/timestamps.csv", f"{parent}/{name}{TIMESTAMPS_SUFFIX}"]
    path = Path(folder)
    cands = [path / "timestamps.csv", path.with_name(f"{path.name}{TIMESTAMPS_SUFFIX}")]
    return [c for c in cands if c.is_file()]


#: (smallest magnitude, divisor): epoch times in ns, µs and ms scaled to seconds
_UNIT_SCALES = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))

_TIME_NAMES = ("timestamp", "timestamps", "time", "stamp", "t", "unix_time", "epoch")


def load_camera_timestamps(
    path: str | os.PathLike[str], *, storage_options: dict[str, Any] | None = None
) -> np.ndarray:
    """Return the per-frame absolute times in the CSV at ``path`` as float64 seconds.

    The file may have a header (a column named ``timestamp``, ``timestamps``, ``time``,
    ``stamp``... is used; otherwise the last column) or be a bare column of numbers.
    dwtk wrote milliseconds; times are scaled to seconds by magnitude (see
    :func:`to_seconds`). ``path`` may be an fsspec URL (with ``storage_options``).

    Raises
    ------
    SourceNotFoundError
        The file does not exist.
    CorruptMediaError
        The file has no numeric time column or the times go backwards.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "camera_01_timestamps.csv"
    >>> _ = p.write_text("frame,timestamp\\n0,100.0\\n1,100.033\\n")
    >>> load_camera_timestamps(p).tolist()
    [100.0, 100.033]
    """
    import pandas as pd

    if not is_url(path):
        path = Path(path)
    with open_file(path, storage_options if is_url(path) else None) as fh:
        data = fh.read()  # one time per frame: small, and read once
    try:
        first = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
        has_header = not all(_is_number(v) for v in first if v != "")
        df = pd.read_csv(io.BytesIO(data), header=0 if has_header else None)
    except (ValueError, OSError) as exc:
        raise CorruptMediaError(f"{path} is not a readable timestamps CSV ({exc})") from exc
    if df.empty:
        raise CorruptMediaError(f"{path} has no rows; regenerate the timestamps file")
    col = None
    if has_header:
        lower = {str(c).strip().lower(): c for c in df.columns}
        col = next((lower[n] for n in _TIME_NAMES if n in lower), None)
    series = df[col] if col is not None else df.iloc[:, -1]
    times = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    if np.isnan(times).any():
        raise CorruptMediaError(f"{path} has non-numeric times; fix or remove the file")
    if len(times) > 1 and (np.diff(times) < 0).any():
        raise CorruptMediaError(f"{path} has times that go backwards; fix or remove the file")
    return to_seconds(times)


def to_seconds(times: np.ndarray) -> np.ndarray:
    """Scale epoch times given in nanoseconds, microseconds or milliseconds to seconds.

    The unit is told by magnitude: seconds since 1970 stay below 1e11 until the year
    5138, milliseconds since 1970 are above it.

    Examples
    --------
    >>> to_seconds(np.array([1489728491000.0, 1489728491033.0])).round(3).tolist()
    [1489728491.0, 1489728491.033]
    >>> to_seconds(np.array([12.5])).tolist()
    [12.5]
    """
    magnitude = float(np.abs(times).max()) if len(times) else 0.0
    for smallest, divisor in _UNIT_SCALES:
        if magnitude > smallest:
            return times / divisor
    return times


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
