"""``export_frames``: dump sampled frames of one source or a whole selection as images.

How it works: every source is planned first (which frames, which file names; no
decoding), so the progress bar's total is known up front and files a previous run
finished (see :mod:`workbench.export.manifest`) are left out. Frames are then decoded
segment by segment in the calling thread (the first segment is a single frame, so the
first file appears at once) and encoded + written by a thread pool (Pillow releases the
GIL while encoding). Every file is written under a temp name and renamed.

Examples
--------
>>> import workbench as wb
>>> result = wb.export_frames("camera_01.mp4", "dump/", target_frame_rate=2,
...                           resize_rate=0.25)                          # doctest: +SKIP
>>> result.written, result.failed                                        # doctest: +SKIP
(160, [])
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import (
    CorruptMediaError,
    ExportError,
    InvalidArgumentError,
    SourceNotFoundError,
    StorageUnreachableError,
    UnknownContentTypeError,
    WorkbenchError,
)
from workbench.export.atomic import (
    check_output_folder,
    export_error,
    reason,
    write_bytes_atomic,
)
from workbench.export.manifest import Manifest, job_key
from workbench.export.naming import (
    DEFAULT_NAMES,
    NameTemplate,
    default_template,
    source_fields,
)
from workbench.export.result import ExportFailure, ExportResult, SkippedItem
from workbench.export.windows import camera_windows, window_of
from workbench.options import ReadOptions
from workbench.readers.api import read
from workbench.readers.base import FrameReader
from workbench.readers.registry import find_reader
from workbench.readers.source import Source, SourceLike, resolve_source
from workbench.remote import require_local

__all__ = ["IMAGE_FORMATS", "encode_image", "export_frames", "iter_sources"]

#: export format -> (Pillow format name, default extension)
IMAGE_FORMATS = {"jpeg": ("JPEG", "jpg"), "png": ("PNG", "png"), "webp": ("WEBP", "webp")}
_EXT_FORMATS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}
#: decoded bytes held per decode request (bounds memory when frames are not resized)
CHUNK_BYTES = 64 * 2**20


def encode_image(frame: np.ndarray, format: str = "jpeg", quality: int = 90) -> bytes:
    """Encode an ``(H, W, C)`` uint8 RGB (or 1-channel gray) frame to image bytes.

    Examples
    --------
    >>> import numpy as np
    >>> encode_image(np.zeros((8, 8, 3), np.uint8))[:2]
    b'\\xff\\xd8'
    """
    from PIL import Image

    arr = frame[:, :, 0] if frame.ndim == 3 and frame.shape[2] == 1 else frame
    im = Image.fromarray(arr)
    buf = io.BytesIO()
    pil_format = IMAGE_FORMATS[format][0]
    if format == "jpeg":
        im.save(buf, pil_format, quality=int(quality))
    elif format == "webp":
        im.save(buf, pil_format, quality=int(quality), method=2)
    else:
        im.save(buf, pil_format, compress_level=3)
    return buf.getvalue()


def iter_sources(obj: Any) -> tuple[list[Any], bool]:
    """Return ``(sources, single)``: a Selection, list or DataFrame becomes its items."""
    if isinstance(obj, (str, os.PathLike, Mapping, Source)) or hasattr(obj, "get_frames_at"):
        return [obj], True
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):  # a pandas DataFrame
        return obj.to_dict("records"), False
    if isinstance(obj, Iterable):
        return list(obj), False
    raise InvalidArgumentError(
        f"cannot export from a {type(obj).__name__}: pass a Record, a Selection, a path, a "
        "list of those, or a Video"
    )


def _format_and_template(format: str | None, name: str | None) -> tuple[str, NameTemplate]:
    if format is not None and format not in IMAGE_FORMATS:
        raise InvalidArgumentError(f"format={format!r} is not one of {', '.join(IMAGE_FORMATS)}")
    if name is None:
        fmt = format or "jpeg"
        return fmt, NameTemplate(DEFAULT_NAMES[0].replace("{ext}", IMAGE_FORMATS[fmt][1]))
    template = NameTemplate(name)
    implied = _EXT_FORMATS.get(template.suffix)
    if format is None:
        return implied or "jpeg", template
    if implied is not None and implied != format:
        raise InvalidArgumentError(
            f"name={name!r} ends in {template.suffix} but format={format!r}; make them agree"
        )
    return format, template


@dataclass(frozen=True)
class FrameOptions:
    """Everything that decides which files an export writes (picklable: it travels to workers)."""

    #: what is read (window, rate, size, mode, segment_duration; pixels are always rgb24)
    read: ReadOptions
    #: the image format ("jpeg", "png", "webp")
    format: str
    quality: int
    name: str
    fsync: bool = False
    #: fsspec options for sources given as URLs (not part of what the files are)
    storage_options: dict[str, Any] | None = None

    @property
    def ext(self) -> str:
        return IMAGE_FORMATS[self.format][1]

    def params(self) -> dict[str, Any]:
        """The parameters hashed into the manifest's job key."""
        read = self.read.keywords()
        del read["format"], read["segment_duration"]  # pixels are rgb24; segments: memory only
        return {**read, "format": self.format, "quality": self.quality, "name": self.name}


@dataclass
class _Job:
    reader: FrameReader
    source: Source
    key: str
    indices: np.ndarray
    timestamps: np.ndarray
    names: list[str]
    todo: np.ndarray  # positions (into indices) still to write
    segments: list[slice]


def _describe(src: SourceLike, storage_options: dict[str, Any] | None = None) -> tuple[str, str]:
    try:
        s = resolve_source(src, storage_options=storage_options)
        return s.record_id, s.location
    except WorkbenchError:
        path = src.get("path") if isinstance(src, Mapping) else src
        rid = src.get("record_id") if isinstance(src, Mapping) else None
        return str(rid or Path(str(path)).stem), str(path)


def _name_fields(s: Source) -> dict[str, str]:
    return source_fields(s.record_id, s.path, s.metadata.get("contents"))


def _frame_sources_fields(
    sources: list[Any], storage_options: dict[str, Any] | None
) -> list[dict[str, str]]:
    """Name fields of the sources that have frames (for the default name); others are
    left to the plan, which reports them."""
    out = []
    for src in sources:
        try:
            s = resolve_source(src, storage_options=storage_options)
            if issubclass(find_reader(s.content_type, s.name), FrameReader):
                out.append(_name_fields(s))
        except (WorkbenchError, OSError):
            continue
    return out


def _chunks(job: _Job, frame_bytes: int, first: bool) -> list[np.ndarray]:
    """Split the positions still to do into decode requests: per segment, bounded in
    bytes, and the very first request a single frame (first file fast)."""
    per = max(1, CHUNK_BYTES // max(1, frame_bytes))
    todo = set(job.todo.tolist())
    out: list[np.ndarray] = []
    for sl in job.segments:
        pos = np.array([p for p in range(sl.start, sl.stop) if p in todo], dtype="int64")
        if first and len(pos):
            out.append(pos[:1])
            pos, first = pos[1:], False
        out.extend(pos[i : i + per] for i in range(0, len(pos), per))
    return [c for c in out if len(c)]


def plan_source(
    src: SourceLike,
    opts: FrameOptions,
    manifest: Manifest,
    result: ExportResult,
    *,
    single: bool = False,
) -> _Job | None:
    """Plan one source (which frames, which names; no decoding) or note why it is left out.

    A source without frames is added to ``result.skipped_sources``, one that cannot be
    read to ``result.failed`` (both raise instead when ``single``). The job's ``todo`` is
    empty: the caller fills it (:func:`claim_names`, then :func:`not_done`).
    """
    template = NameTemplate(opts.name)
    options = opts.storage_options
    start, end = opts.read.start, opts.read.end
    window = window_of(src)  # an event's own window, within the export's
    if window is not None:
        start = window[0] if start is None else max(start, window[0])
        end = window[1] if end is None else min(end, window[1])
        if end <= start:
            rid, where = _describe(src, options)
            outside = f"its window lies outside start={opts.read.start}, end={opts.read.end}"
            result.skipped_sources.append(SkippedItem(rid, where, outside))
            return None
    try:
        s = resolve_source(src, storage_options=options)
        if not issubclass(find_reader(s.content_type, s.name), FrameReader):
            result.skipped_sources.append(
                SkippedItem(s.record_id, s.location, f"{s.content_type} has no frames")
            )
            return None
        reader = read(s, options=opts.read.replace(start=start, end=end))
        if not isinstance(reader, FrameReader):
            result.skipped_sources.append(
                SkippedItem(s.record_id, s.location, f"{s.content_type} has no frames")
            )
            return None
        try:
            indices, timestamps, segments = reader.sample_plan()
        except InvalidArgumentError as exc:
            if single or (start is None and end is None):
                raise
            result.skipped_sources.append(SkippedItem(s.record_id, s.location, str(exc)))
            return None
    except (UnknownContentTypeError, InvalidArgumentError) as exc:
        if single:
            raise
        rid, where = _describe(src, options)
        if isinstance(exc, UnknownContentTypeError):
            result.skipped_sources.append(SkippedItem(rid, where, str(exc)))
        else:
            result.failed.append(ExportFailure(rid, where, str(exc), type(exc).__name__))
        return None
    except (SourceNotFoundError, CorruptMediaError, OSError) as exc:
        if single or isinstance(exc, StorageUnreachableError):
            raise
        rid, where = _describe(src, options)
        result.failed.append(ExportFailure(rid, where, str(exc), type(exc).__name__))
        return None
    key = job_key(s.identity(), {**opts.params(), "window": window})
    fields = _name_fields(s)
    names = [
        template.render(timestamp=t, index=i, n=n, ext=opts.ext, **fields)
        for n, (i, t) in enumerate(zip(indices.tolist(), timestamps.tolist(), strict=False))
    ]
    return _Job(reader, s, key, indices, timestamps, names, np.zeros(0, "int64"), segments)


def claim_names(
    owners: dict[str, tuple[str, int]],
    path: str,
    indices: np.ndarray,
    names: list[str],
    template: str,
) -> list[int]:
    """Positions whose names are new (a repeat of the same frame is left out).

    ``owners`` (name -> (path, frame index)) spans every source of the export.

    Raises
    ------
    InvalidArgumentError
        The template gives one name to two different frames.
    """
    keep: list[int] = []
    for n, (i, rel) in enumerate(zip(indices.tolist(), names, strict=False)):
        owner = owners.get(rel)
        if owner is None:
            owners[rel] = (path, i)
        elif owner == (path, i):
            continue  # the same frame again (target_frame_rate above the video's)
        else:
            raise InvalidArgumentError(
                f"name={template!r} gives {rel!r} to two different frames "
                f"({owner[0]} frame {owner[1]} and {path} frame {i}); add {{camera}} "
                "or {index} to the name"
            )
        keep.append(n)
    return keep


def not_done(manifest: Manifest, key: str, names: list[str], positions: list[int]) -> list[int]:
    """The positions whose files the manifest does not have (complete) yet."""
    return [n for n in positions if not manifest.is_done(key, names[n])]


def run_jobs(
    jobs: list[_Job],
    out: Path,
    manifest: Manifest,
    opts: FrameOptions,
    result: ExportResult,
    *,
    workers: int | None,
    progress: bool,
    t_call: float,
) -> ExportResult:
    """Decode the jobs' ``todo`` frames here, encode + write them in a thread pool.

    Raises
    ------
    ExportError
        The disk is full or the folder unwritable (``exc.result`` holds the result).
    StorageUnreachableError
        The storage of a remote source stopped answering (``exc.result`` likewise).
    """
    from tqdm.auto import tqdm

    fmt, quality, fsync = opts.format, opts.quality, opts.fsync
    total = sum(len(j.todo) for j in jobs) + result.skipped
    bar = tqdm(total=total, initial=result.skipped, unit="frame", disable=not progress)
    lock = threading.Lock()
    fatal: list[BaseException] = []
    made_dirs: set[Path] = set()

    def write_one(frame: np.ndarray, rel: str, key: str) -> None:
        if fatal:
            return
        target = out / rel
        try:
            if target.parent not in made_dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(target.parent)
            nbytes = write_bytes_atomic(target, encode_image(frame, fmt, quality), fsync=fsync)
            manifest.add(key, rel, nbytes)
        except OSError as exc:
            err = exc
            if not isinstance(exc, ExportError):
                err = export_error(exc.errno, f"cannot write {target}: {reason(exc)}")
            with lock:
                fatal.append(err)
            return
        with lock:
            result.written += 1
            result.bytes += nbytes
            result.files.append(target)
            if result.first_file_seconds is None:
                result.first_file_seconds = time.perf_counter() - t_call
        bar.update(1)

    pool = ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1))
    pending: deque[Future[None]] = deque()
    first = True
    outage: StorageUnreachableError | None = None
    try:
        for job in jobs:
            if fatal:
                break
            if not len(job.todo):
                continue
            bar.set_description(job.source.record_id[:30])
            h, w, c = job.reader.frame_shape()
            try:
                for chunk in _chunks(job, h * w * c, first):
                    first = False
                    batch = job.reader.fetch(job.indices[chunk], job.timestamps[chunk])
                    for pos, frame in zip(chunk.tolist(), batch.frames, strict=False):
                        pending.append(pool.submit(write_one, frame, job.names[pos], job.key))
                    while len(pending) > 2 * pool._max_workers + len(chunk):
                        pending.popleft().result()
                    if fatal:
                        break
            except (CorruptMediaError, SourceNotFoundError, OSError) as exc:
                if isinstance(exc, ExportError):
                    raise
                if isinstance(exc, StorageUnreachableError):  # every later read would fail too
                    outage = exc
                    break
                result.failed.append(
                    ExportFailure(
                        job.source.record_id, job.source.location, str(exc), type(exc).__name__
                    )
                )
        while pending:
            pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        result.seconds = time.perf_counter() - t_call
    if fatal:
        cause = fatal[0]
        err = export_error(
            getattr(cause, "errno", None),
            f"{reason(cause)}. {result.written} file(s) were completely written before it (no "
            "partial file is left); run the same export again to do only the missing ones",
        )
        err.result = result  # type: ignore[attr-defined]
        raise err from cause
    if outage is not None:
        err = StorageUnreachableError(
            f"{outage} {result.written} file(s) were completely written before it (no "
            "partial file is left); run the same export again once the storage answers, to "
            "do only the missing ones"
        )
        err.result = result  # type: ignore[attr-defined]
        raise err from outage
    return result


def export_frames(
    source_or_selection: Any,
    out_dir: str | os.PathLike[str],
    *,
    target_frame_rate: float | None,
    resize_rate: float | None = None,
    size: tuple[int, int] | None = None,
    start: float | None = None,
    end: float | None = None,
    format: str | None = None,
    quality: int = 90,
    name: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    segment_duration: float = 10.0,
    mode: str = "exact",
    fsync: bool = False,
    storage_options: dict[str, Any] | None = None,
    catalog: Any = None,
    client: Any = None,
) -> ExportResult:
    """Write the frames of a source or selection as image files, resumably.

    Parameters
    ----------
    source_or_selection : Record, Selection, path, list, DataFrame or Video
        What to export. Non-frame sources in a selection (CAN, GPS ...) are skipped and
        listed in ``result.skipped_sources``. An events or labels table (``record_id``,
        ``start``, ``end``: ``wb.find_events``, ``cat.labels.df``) exports each row's
        window of its record's first camera.
    out_dir : str or os.PathLike
        Output folder (created if needed). Refused with a message saying why when it is
        empty, is a file (or lies under one), or looks like a file name (``out.mp4``).
    target_frame_rate : float or None
        Frames per second to keep (the frame on screen at each instant), > 0; ``None``
        keeps every frame. The same rule as ``wb.read`` and the ExportPanel (whose empty
        frame-rate field is ``None``).
    resize_rate, size : optional
        Scale factor > 0 (0.5 halves the size, 2 doubles it; as in ``wb.read`` and the
        ExportPanel), or output ``(width, height)``.
    start, end : float, optional
        Absolute time window in seconds (sources outside it are skipped).
    format : {"jpeg", "png", "webp"}, optional
        Image format; by default taken from ``name``'s extension, else JPEG.
    quality : int
        JPEG / WebP quality (1-100, default 90).
    name : str, optional
        File name template; fields: ``record_id``, ``timestamp``, ``index``, ``n``,
        ``stem``, ``camera``, ``content``, ``source_id``, ``ext``. Values are made safe
        (see :mod:`workbench.export.naming`); ``/`` in the template itself makes
        sub-folders. A template that gives two frames one name is refused. The default
        is ``"{record_id}-{timestamp:.3f}.jpg"``, with ``-{camera}`` after the record id
        when a record has several frame sources (two cameras), so it never collides
        (see :func:`workbench.export.naming.default_template`).
    workers : int, optional
        Encoder threads (default: ``min(4, cpu_count)``).
    progress : bool
        Show a ``tqdm.auto`` bar over all frames of all sources.
    segment_duration : float
        Seconds decoded per segment (memory bound).
    mode : {"exact", "keyframes"}
        ``"keyframes"`` exports the keyframe at or before each instant (fast preview).
    fsync : bool
        Flush every file to disk before renaming it (slower; see
        :mod:`workbench.export.atomic`).
    storage_options : dict, optional
        fsspec options for sources given as URLs (``"s3://bucket/rec/cam.mp4"``); remote
        Records and Videos carry their own. Files are always written to ``out_dir``.
    catalog : Catalog, optional
        Where a labels table's records find their cameras.
    client : None, "local", distributed.Client or str
        Run on a Dask cluster (see :func:`workbench.map_records`): the work is split per
        record and, for long records, per minute of video; the files, names and manifest
        are those of an in-process run, so either one resumes the other. ``workers`` is
        ignored there (one encoder thread per task).

    Returns
    -------
    ExportResult
        Counts, bytes, seconds, the first file's latency, skipped and failed items. A
        source that fails mid-way (e.g. a corrupt video) is listed in ``failed``; the
        files written before the failure are kept and the export goes on.

    Raises
    ------
    InvalidArgumentError
        Bad options, or a template that gives two frames the same file name.
    ExportError
        The output folder is not writable or the disk is full; what was completely
        written stays (a rerun resumes), nothing partial is left. ``exc.result`` holds
        the :class:`ExportResult` so far.
    SourceNotFoundError, UnknownContentTypeError, CorruptMediaError
        For a single source (not a selection) that cannot be read at all.
    StorageUnreachableError
        The storage of a remote source stopped answering: the export stops, what was
        completely written stays (a rerun resumes), nothing partial is left.
        ``exc.result`` holds the :class:`ExportResult` so far.

    Examples
    --------
    >>> import workbench as wb
    >>> sel = wb.open_catalog("data/catalog.db").select(tags=["camera", "front"])  # doctest: +SKIP
    >>> wb.export_frames(sel, "dump/", target_frame_rate=2, resize_rate=0.25)    # doctest: +SKIP
    ExportResult(written=480, skipped=0, ...)
    """
    read_options = ReadOptions.from_keywords(locals(), where="export_frames", exclude=["format"])
    t_call = time.perf_counter()
    if not (isinstance(quality, int) and 1 <= quality <= 100):
        raise InvalidArgumentError(f"quality={quality!r} must be an integer from 1 to 100")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InvalidArgumentError(f"workers={workers!r} must be a positive integer")
    fmt, template = _format_and_template(format, name)
    sources, single = iter_sources(camera_windows(source_or_selection, catalog))
    if name is None:  # the shortest default that keeps every source's frames apart
        fields = _frame_sources_fields(sources, storage_options)
        template = default_template(IMAGE_FORMATS[fmt][1], fields)
    require_local(out_dir, "out_dir")
    out = check_output_folder(out_dir)
    opts = FrameOptions(
        read=read_options,
        format=fmt,
        quality=quality,
        name=template.template,
        fsync=fsync,
        storage_options=storage_options,
    )
    if client is not None:
        from workbench.export.cluster import export_frames_on_cluster

        return export_frames_on_cluster(
            sources, out, opts, client=client, progress=progress, t_call=t_call
        )
    manifest = Manifest(out)
    result = ExportResult(out_dir=out)

    # -- plan: which files, under which names (no decoding) ----------------------------
    jobs: list[_Job] = []
    owners: dict[str, tuple[str, int]] = {}
    for src in sources:
        job = plan_source(src, opts, manifest, result, single=single)
        if job is None:
            continue
        fresh = claim_names(owners, job.source.location, job.indices, job.names, opts.name)
        todo = not_done(manifest, job.key, job.names, fresh)
        result.skipped += len(fresh) - len(todo)
        job.todo = np.array(todo, "int64")
        jobs.append(job)

    # -- run: decode here, encode + write in the pool --------------------------------------
    return run_jobs(
        jobs, out, manifest, opts, result, workers=workers, progress=progress, t_call=t_call
    )
