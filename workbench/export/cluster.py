"""``export_frames(..., client=...)``: the same export, spread over a Dask cluster.

Two rounds of tasks, both through :func:`workbench.parallel.run_tasks` (progress, retries
when a worker dies, one outcome per task):

1. **plan**, one task per source: the worker opens the file (building or loading its
   video index, which warms the cache for round 2) and returns the frame indices and
   file names, nothing decoded. Here, names are checked across all sources exactly as
   in-process (two frames may not share a name) and files the manifest has are left out.
2. **run**, one task per record or, for long records, per ``TASK_SECONDS`` of video (less
   when a few long records would leave worker threads idle at the end): the
   worker plans its source again (cheap: the index is cached), keeps the positions of its
   piece that are still not done, and decodes, encodes and writes them with the
   in-process code (:func:`workbench.export.frames.run_jobs`): atomic files, one manifest
   line each, in the worker's own manifest part (merged into the main file at the end).

A worker killed mid-task leaves complete files and manifest lines behind; its task is
run again elsewhere and skips what is done, and a rerun of the whole export after a
killed cluster does only what is missing. Temp files of killed writers are removed at
the end.

Examples
--------
>>> import workbench as wb
>>> wb.export_frames(sel, "dump/", target_frame_rate=2, resize_rate=0.25,
...                  client="local")                                     # doctest: +SKIP
ExportResult(written=960, skipped=0, ...)
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import ExportError, InvalidArgumentError
from workbench.export.frames import (
    FrameOptions,
    _describe,
    claim_names,
    not_done,
    plan_source,
    run_jobs,
)
from workbench.export.manifest import Manifest, merge_parts, part_name
from workbench.export.result import ExportFailure, ExportResult, SkippedItem
from workbench.export.windows import camera_windows
from workbench.options import ReadOptions
from workbench.readers.source import SourceLike

__all__ = ["TASK_SECONDS", "export_clips", "export_frames_on_cluster"]

#: seconds of video per run task: a long record is split so that it spreads over workers
TASK_SECONDS = 60.0


@dataclass
class _Planned:
    """What a plan task sends back (small: indices, names and segment bounds)."""

    record_id: str
    path: str
    key: str = ""
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, "int64"))
    names: list[str] = field(default_factory=list)
    segments: list[tuple[int, int]] = field(default_factory=list)
    skipped_sources: list[SkippedItem] = field(default_factory=list)
    failed: list[ExportFailure] = field(default_factory=list)


@dataclass(frozen=True)
class _Piece:
    """One run task: a source, the export options, and positions to write."""

    source: SourceLike
    out: str
    opts: FrameOptions
    key: str
    positions: tuple[int, ...]


def _portable(src: SourceLike) -> SourceLike:
    """What travels to a worker: the source itself (paths, rows and Records pickle), or the
    path of an opened Video (its open decoder stays here)."""
    if hasattr(src, "get_frames_at") and getattr(src, "path", None) is not None:
        return str(src.path)
    return src


def _plan_task(payload: tuple[Any, str, FrameOptions]) -> _Planned:
    src, out, opts = payload
    result = ExportResult(out_dir=out)
    job = plan_source(src, opts, Manifest(out, keys=()), result)
    rid, path = _describe(src, opts.storage_options)
    if job is None:
        return _Planned(rid, path, skipped_sources=result.skipped_sources, failed=result.failed)
    return _Planned(
        job.source.record_id,
        job.source.location,
        job.key,
        job.indices,
        job.names,
        [(sl.start, sl.stop) for sl in job.segments],
    )


def _run_task(piece: _Piece) -> ExportResult:
    t_call = time.perf_counter()
    result = ExportResult(out_dir=piece.out)
    manifest = Manifest(piece.out, keys=[piece.key], part=part_name())
    job = plan_source(piece.source, piece.opts, manifest, result)
    if job is None:  # it went missing or bad since the plan: result.failed says why
        return result
    if job.key != piece.key:
        rid, where = _describe(piece.source)
        why = "the file changed while it was being exported; run the export again"
        result.failed.append(ExportFailure(rid, where, why, "ObjectChangedError"))
        return result
    todo = not_done(manifest, job.key, job.names, list(piece.positions))
    result.skipped += len(piece.positions) - len(todo)
    job.todo = np.array(todo, "int64")
    return run_jobs(
        [job],
        Path(piece.out),
        manifest,
        piece.opts,
        result,
        workers=1,
        progress=False,
        t_call=t_call,
    )


def _pieces(plan: _Planned, todo: list[int], opts: FrameOptions, per_task: int) -> list[list[int]]:
    """Group the positions still to do by consecutive segments, ``per_task`` at a time."""
    wanted = set(todo)
    groups: list[list[int]] = []
    for k in range(0, len(plan.segments), per_task):
        lo, hi = plan.segments[k][0], plan.segments[min(k + per_task, len(plan.segments)) - 1][1]
        group = [p for p in range(lo, hi) if p in wanted]
        if group:
            groups.append(group)
    return groups


def _remove_stale_temps(out: Path, names: list[str]) -> None:
    """Delete temp files that killed writers left next to this export's files."""
    folders: dict[Path, set[str]] = {}
    for rel in names:
        target = out / rel
        folders.setdefault(target.parent, set()).add(target.name)
    pattern = re.compile(r"^\.(.+)\.[0-9a-f]{8}\.tmp$")
    for folder, mine in folders.items():
        with contextlib.suppress(OSError):
            for p in folder.iterdir():
                m = pattern.match(p.name)
                if m and m.group(1) in mine:
                    with contextlib.suppress(OSError):
                        p.unlink()


def export_frames_on_cluster(
    sources: list[Any],
    out: Path,
    opts: FrameOptions,
    *,
    client: Any,
    progress: bool,
    t_call: float,
    retries: int = 2,
) -> ExportResult:
    """Run :func:`workbench.export_frames` on a cluster (see the module docstring)."""
    from workbench.parallel.client import decoder_threads_by_host, resolve_client
    from workbench.parallel.mapping import run_tasks

    rows = [_portable(src) for src in sources]
    result = ExportResult(out_dir=out)
    with resolve_client(client, announce=progress) as c:
        planned = run_tasks(
            _plan_task,
            [(row, str(out), opts) for row in rows],
            client=c,
            retries=retries,
            progress=False,
            desc="plan",
        )
        manifest = Manifest(out)
        owners: dict[str, tuple[str, int]] = {}
        pieces: list[_Piece] = []
        all_names: list[str] = []
        todos: list[tuple[Any, _Planned, list[int]]] = []
        for row, outcome in zip(rows, planned, strict=True):
            if not outcome.ok:
                rid, where = _describe(row)
                kind = outcome.error.split(":", 1)[0]
                result.failed.append(ExportFailure(rid, where, outcome.error, kind))
                continue
            plan: _Planned = outcome.value
            result.skipped_sources.extend(plan.skipped_sources)
            result.failed.extend(plan.failed)
            if not plan.key:
                continue
            fresh = claim_names(owners, plan.path, plan.indices, plan.names, opts.name)
            todo = not_done(manifest, plan.key, plan.names, fresh)
            result.skipped += len(fresh) - len(todo)
            all_names.extend(plan.names[p] for p in todo)
            todos.append((row, plan, todo))
        # at most TASK_SECONDS of video per task, and pieces enough to keep every worker
        # thread busy to the end (4 per thread) when there are few, long records
        segments = sum(len(plan.segments) for _, plan, _ in todos)
        threads = sum(decoder_threads_by_host(c).values()) or 1
        per_task = max(
            1,
            min(
                round(TASK_SECONDS / opts.read.segment_duration),
                math.ceil(segments / (4 * threads)),
            ),
        )
        for row, plan, todo in todos:
            for group in _pieces(plan, todo, opts, per_task):
                pieces.append(_Piece(row, str(out), opts, plan.key, tuple(group)))

        from tqdm.auto import tqdm

        total = sum(len(p.positions) for p in pieces) + result.skipped
        bar = tqdm(total=total, initial=result.skipped, unit="frame", disable=not progress)
        fatal: list[str] = []

        def merge(i: int, outcome: Any) -> int:
            piece = pieces[i]
            if outcome.ok:
                part: ExportResult = outcome.value
                result.written += part.written
                result.skipped += part.skipped
                result.bytes += part.bytes
                result.files.extend(part.files)
                result.failed.extend(part.failed)
                if part.written and result.first_file_seconds is None:
                    result.first_file_seconds = time.perf_counter() - t_call
            else:
                kind = outcome.error.split(":", 1)[0]
                if kind == "ExportError":
                    fatal.append(outcome.error)
                rid, where = _describe(piece.source)
                span = f"frames {piece.positions[0]}..{piece.positions[-1]}"
                result.failed.append(ExportFailure(rid, where, f"{span}: {outcome.error}", kind))
            bar.update(len(piece.positions))
            return 0

        try:
            run_tasks(
                _run_task,
                pieces,
                client=c,
                retries=retries,
                progress=False,
                desc="export",
                on_done=merge,
                keep_values=False,
            )
        finally:
            bar.close()
            _remove_stale_temps(out, all_names)
            merge_parts(out)
            result.seconds = time.perf_counter() - t_call
    if fatal:
        err = ExportError(
            f"{fatal[0]}. {result.written} file(s) were completely written before it (no "
            "partial file is left); run the same export again to do only the missing ones"
        )
        err.result = result  # type: ignore[attr-defined]
        raise err
    return result


#: the read options a clip takes (its window comes from each item)
_CLIP_READ = ("target_frame_rate", "resize_rate", "size")


@dataclass(frozen=True)
class _ClipJob:
    """One clip to cut on a worker (picklable)."""

    out_dir: str
    name: str
    options: tuple[tuple[str, Any], ...]


def _clip_name(template: str, spec: Any, n: int) -> str:
    from workbench.errors import InvalidArgumentError
    from workbench.export.naming import safe_value

    try:
        name = template.format(
            record_id=safe_value(spec.record_id), start=spec.start, end=spec.end, n=n
        )
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        raise InvalidArgumentError(
            f"name={template!r} cannot be filled ({exc}); fields: record_id, start, end, n"
        ) from exc
    if "/" in name or "\\" in name or name.startswith("."):
        raise InvalidArgumentError(f"name={template!r} must give a plain file name, got {name!r}")
    return name


def _cut_clip(job: _ClipJob, spec: Any) -> str:
    from workbench.export.clip import export_clip
    from workbench.export.manifest import job_key

    options = dict(job.options)
    out = Path(job.out_dir)
    key = job_key(
        {
            "path": spec.path,
            "record_id": spec.record_id,
            "size": _size(spec.path),
            "start": spec.start,
            "end": spec.end,
        },
        options,
    )
    manifest = Manifest(out, keys=[key], part=part_name())
    if manifest.is_done(key, job.name):
        return str(out / job.name)
    clip = export_clip(
        spec.as_row(), out / job.name, start=spec.start, end=spec.end, progress=False, **options
    )
    manifest.add(key, job.name, clip.bytes)
    return str(clip.path)


def _size(path: str) -> int | None:
    with contextlib.suppress(OSError):
        return Path(path).stat().st_size
    return None


def export_clips(
    items: Any,
    out_dir: str | os.PathLike[str],
    *,
    name: str = "{record_id}-{start:.3f}.mp4",
    pad: float = 0.0,
    catalog: Any = None,
    client: Any = None,
    retries: int = 2,
    progress: bool = True,
    target_frame_rate: float | None = None,
    resize_rate: float | None = None,
    size: tuple[int, int] | None = None,
    **clip_options: Any,
) -> Any:
    """Cut one clip per item with :func:`workbench.export_clip`, here or on a Dask cluster.

    Parameters
    ----------
    items : DataFrame, Selection or list of rows / Records
        Each with a ``path`` and ``record_id``; ``start`` / ``end`` (absolute seconds) give
        the window (events), else the record's ``start_timestamp`` / ``end_timestamp``.
        An events or labels table (``record_id``, ``start``, ``end``, no ``path``) is cut
        from each record's first camera: the one ``wb.find_events`` noted, else the one
        ``catalog`` has.
    out_dir : str or os.PathLike
        Folder for the clips (created if needed).
    pad : float
        Seconds added before and after each window (clipped to the video).
    catalog : Catalog, optional
        Where a labels table's records find their cameras.
    name : str
        File name template; fields ``record_id``, ``start``, ``end``, ``n`` (position).
    client, retries, progress
        As in :func:`workbench.map_records`.
    target_frame_rate, resize_rate, size : optional
        As in :func:`workbench.export_clip` (checked here, before any clip is cut).
    **clip_options
        Passed to :func:`workbench.export_clip` (``crf``, ``preset`` ...).

    Returns
    -------
    pandas.DataFrame
        One row per clip, in order (as :func:`workbench.map_records`); ``result`` is the
        clip's path. Clips are written atomically and recorded in the folder's manifest: a
        rerun cuts only the missing ones.

    Examples
    --------
    >>> import workbench as wb
    >>> events = wb.find_events(sel, "brake > 0.5", min_duration=0.3)  # doctest: +SKIP
    >>> wb.export_clips(events, "clips/", client="local")             # doctest: +SKIP
    """
    read = ReadOptions.from_keywords(locals(), where="export_clips")
    from workbench.export.atomic import check_output_folder
    from workbench.parallel.mapping import map_records
    from workbench.parallel.records import as_specs

    out = check_output_folder(out_dir)
    if not isinstance(pad, (int, float)) or not pad >= 0:
        raise InvalidArgumentError(f"pad={pad!r} must be a number of seconds >= 0")
    specs = as_specs(camera_windows(items, catalog))
    specs = [
        s if s.start is not None else replace(s, start=s.start_timestamp, end=s.end_timestamp)
        for s in specs
    ]
    if pad:
        specs = [_padded(s, float(pad)) for s in specs]
    changed = {k: v for k, v in read.keywords().items() if v is not None and k in _CLIP_READ}
    options = tuple(sorted({**changed, **clip_options}.items()))
    jobs = [_ClipJob(str(out), _clip_name(name, s, n), options) for n, s in enumerate(specs)]
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise InvalidArgumentError(
            f"name={name!r} gives two clips the same file name; add {{n}} or {{end}}"
        )
    paired = [replace(s, fields={**s.fields, "_clip": j}) for s, j in zip(specs, jobs, strict=True)]
    try:
        return map_records(_cut_paired, paired, client=client, retries=retries, progress=progress)
    finally:
        merge_parts(out)


def _padded(spec: Any, pad: float) -> Any:
    """The spec's window widened by ``pad`` on both sides, within the video's own span."""
    lo = spec.start_timestamp if spec.start_timestamp is not None else -float("inf")
    hi = spec.end_timestamp if spec.end_timestamp is not None else float("inf")
    return replace(spec, start=max(lo, spec.start - pad), end=min(hi, spec.end + pad))


def _cut_paired(spec: Any) -> str:
    return _cut_clip(spec.fields["_clip"], spec)
