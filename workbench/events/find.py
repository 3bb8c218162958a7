"""``wb.find_events``: every moment, across recordings, where a signal condition holds.

Examples
--------
.. code-block:: python

    ev = wb.find_events(cat.select(tags=["can"]), "brake > 0.5 and speed_kmh > 60",
                        min_duration=0.3, merge_gap=0.5, pad=1.0)
    ev[["record_id", "start", "duration", "speed_kmh_max"]]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from workbench.errors import InvalidArgumentError
from workbench.events.condition import Condition, ConditionLike
from workbench.events.scan import AlignedSeries, Run, RunFinder, series_streams
from workbench.events.table import EVENT_COLUMNS, Events

if TYPE_CHECKING:
    from workbench.catalog import Catalog, Record
    from workbench.catalog.selection import Recording, Selection

__all__ = ["RecordingsLike", "SearchOptions", "find_events", "find_events_in_recording"]

#: what :func:`find_events` searches: a selection, one recording, a whole catalog, a
#: DataFrame of catalog rows, or records (or catalog row dicts)
RecordingsLike: TypeAlias = (
    "Selection | Recording | Catalog | pd.DataFrame "
    "| Iterable[Record | Recording | Mapping[str, Any]]"
)


def find_events(
    records: RecordingsLike,
    condition: ConditionLike,
    *,
    min_duration: float = 0.0,
    merge_gap: float = 0.0,
    pad: float = 0.0,
    signals: Sequence[str] | None = None,
    start: float | None = None,
    end: float | None = None,
    segment_duration: float = 600.0,
    client: Any = None,
) -> Events:
    """Find every stretch of time where ``condition`` holds, in every record.

    Parameters
    ----------
    records : Selection, Recording, Catalog or iterable of Record
        The recordings to search; the streams of each record are grouped by
        ``record_id`` and every time-series stream of a record takes part (CAN, GPS ...).
    condition : str or callable
        A pandas expression over the record's columns, e.g.
        ``"brake > 0.5 and speed_kmh > 60"`` (columns of several streams are aligned on
        the fastest stream's samples, each taken as of that time), or a function taking
        that DataFrame and returning a boolean Series.
    min_duration : float
        Drop events shorter than this (seconds), after merging.
    merge_gap : float
        Join events separated by less than this (seconds).
    pad : float
        Widen each event by this much on both sides (within the record's time span);
        events that then overlap are joined.
    signals : sequence of str, optional
        Columns summarised per event (``<name>_min``, ``_max``, ``_mean``); default: the
        columns a string condition names.
    start, end : float, optional
        Absolute time window to search (default: all of each record).
    segment_duration : float
        Seconds read at a time: memory is bounded by one segment of each stream.
    client : None, "local", distributed.Client or str, optional
        Search the records on a Dask cluster (see :func:`workbench.map_records`);
        default: in this process.

    Returns
    -------
    Events
        A DataFrame, one row per event, sorted by record and time: ``record_id``,
        ``start``, ``end`` (absolute seconds), ``duration``, and per summarised signal its
        min/max/mean over the samples where the condition held. In a notebook it shows a
        keyframe thumbnail for the first few events.

    Raises
    ------
    InvalidArgumentError
        A syntax error in the condition (the message shows where), a column no stream of
        a record has (the message lists those it has), or a bad option.
    """
    cond = Condition(condition, signals=signals)
    options = SearchOptions(min_duration, merge_gap, pad, start, end, segment_duration)
    recordings = _recordings(records)
    if client is None:
        frames = [find_events_in_recording(rec, cond, options) for rec in recordings]
    else:
        frames = _on_cluster(recordings, cond, options, client)
    cameras = {str(rec.record_id): _camera_of(rec) for rec in recordings}
    streams = {str(rec.record_id): rec.df.to_dict("records") for rec in recordings}
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Events.from_frame(table, signals=cond.names, cameras=cameras, streams=streams)


@dataclass(frozen=True)
class SearchOptions:
    """How :func:`find_events` searches and shapes events, checked once (seconds).

    Examples
    --------
    >>> SearchOptions(min_duration=0.3, start=10.0).end is None
    True
    >>> SearchOptions(pad=-1)
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidArgumentError: pad must be a number of seconds >= 0, got -1
    """

    min_duration: float = 0.0
    merge_gap: float = 0.0
    pad: float = 0.0
    start: float | None = None
    end: float | None = None
    segment_duration: float = 600.0

    def __post_init__(self) -> None:
        for name in ("min_duration", "merge_gap", "pad"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise InvalidArgumentError(
                    f"{name} must be a number of seconds >= 0, got {value!r}"
                )
            object.__setattr__(self, name, float(value))
        duration = self.segment_duration
        if not isinstance(duration, (int, float)) or not duration > 0:
            raise InvalidArgumentError(
                f"segment_duration must be a positive number of seconds, got {duration!r}"
            )
        object.__setattr__(self, "segment_duration", float(duration))
        start, end = self.start, self.end
        for name, value in (("start", start), ("end", end)):
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise InvalidArgumentError(f"{name} must be absolute seconds, got {value!r}")
        if start is not None and end is not None and start >= end:
            raise InvalidArgumentError(f"start={start} must be before end={end} (absolute seconds)")


def find_events_in_recording(
    recording: Any, condition: Condition, options: SearchOptions | None = None
) -> pd.DataFrame:
    """The events of one record (a ``Recording``): the per-record step of :func:`find_events`."""
    options = options or SearchOptions()
    record_id = str(recording.record_id)
    streams = series_streams(recording)
    if not streams:
        raise InvalidArgumentError(
            f"record {record_id!r} has no time-series stream to search; its streams are "
            f"{[str(getattr(r, 'contents', r)) for r in recording]}"
        )
    series = AlignedSeries(
        streams, segment_duration=options.segment_duration, start=options.start, end=options.end
    )
    condition.check_columns(series.columns, record_id=record_id)
    finder = RunFinder(condition.names)
    first_t = last_t = None
    steps: list[float] = []
    for window in series.windows(condition.columns_used):
        t = window.index.to_numpy(np.float64)
        mask = condition.evaluate(window, record_id=record_id)
        values = {n: window[n].to_numpy(np.float64) for n in condition.names}
        finder.feed(t, mask, values)
        first_t = t[0] if first_t is None else first_t
        last_t = t[-1]
        if t.size > 1:
            steps.append(float(np.median(np.diff(t))))
    step = float(np.median(steps)) if steps else 0.0
    runs = finder.finish(step=step)
    if first_t is None:
        return _frame(record_id, [], condition.names)
    runs = _merge(runs, options.merge_gap)
    runs = [r for r in runs if r.end - r.start >= options.min_duration - 1e-9]
    if pad := options.pad:
        span = (float(first_t), float(last_t) + step)
        for r in runs:
            r.start, r.end = max(span[0], r.start - pad), min(span[1], r.end + pad)
        runs = _merge(runs, 0.0)
    return _frame(record_id, runs, condition.names)


def _merge(runs: list[Run], gap: float) -> list[Run]:
    merged: list[Run] = []
    for run in runs:
        if merged and run.start - merged[-1].end < gap + (0.0 if gap else 1e-12):
            merged[-1].absorb(run)
        else:
            merged.append(run)
    return merged


def _frame(record_id: str, runs: list[Run], signals: Sequence[str]) -> pd.DataFrame:
    rows = []
    for r in runs:
        row: dict[str, Any] = {
            "record_id": record_id,
            "start": r.start,
            "end": r.end,
            "duration": r.end - r.start,
        }
        for name in signals:
            lo, hi, total, n = r.stats.get(name, [np.inf, -np.inf, 0.0, 0])
            row[f"{name}_min"] = lo if n else np.nan
            row[f"{name}_max"] = hi if n else np.nan
            row[f"{name}_mean"] = total / n if n else np.nan
        rows.append(row)
    columns = [*EVENT_COLUMNS, *(f"{n}_{s}" for n in signals for s in ("min", "max", "mean"))]
    return pd.DataFrame(rows, columns=columns)


def _recordings(records: RecordingsLike) -> list[Any]:
    """Group whatever was given into one ``Recording`` per record id."""
    from workbench.catalog.selection import Recording, Selection

    if isinstance(records, Recording):
        return [records]
    if isinstance(records, Selection):
        return records.recordings()
    if hasattr(records, "select") and hasattr(records, "tags"):  # a Catalog
        return records.select().recordings()
    if isinstance(records, pd.DataFrame):
        return Selection(records).recordings()
    if isinstance(records, Iterable) and not isinstance(records, (str, bytes)):
        items = list(records)
        if all(isinstance(r, Recording) for r in items):
            return items
        rows = [dict(r) for r in items]
        if rows and all("record_id" in r and "path" in r for r in rows):
            return Selection(pd.DataFrame(rows)).recordings()
    raise InvalidArgumentError(
        f"find_events needs a Selection, a Recording, a Catalog or Records, "
        f"got {type(records).__name__}"
    )


def _camera_of(recording: Any) -> str | None:
    """The first camera of a record (for thumbnails), if it has one."""
    cameras = getattr(recording, "cameras", None)
    if cameras is None or not len(cameras):
        return None
    return str(cameras[0].path)


def _on_cluster(
    recordings: list[Any], condition: Condition, options: SearchOptions, client: Any
) -> list[pd.DataFrame]:
    """Search every record in its own task on a Dask cluster (one task per record)."""
    from workbench.parallel.mapping import run_tasks

    payloads = [
        (str(rec.record_id), rec.df.to_dict("records"), condition, options) for rec in recordings
    ]
    outcomes = run_tasks(
        _events_task, payloads, client=client, desc="find_events", what="condition"
    )
    failed = [(p[0], o.error) for p, o in zip(payloads, outcomes, strict=True) if not o.ok]
    if failed:
        listed = "; ".join(f"{rid}: {error}" for rid, error in failed[:5])
        raise InvalidArgumentError(
            f"find_events failed on {len(failed)} of {len(payloads)} records: {listed}"
        )
    return [o.value for o in outcomes]


def _events_task(payload: tuple[str, list[dict[str, Any]], Condition, SearchOptions]) -> Any:
    """One record's search, on a worker: the record travels as its catalog rows."""
    from workbench.catalog.selection import Recording

    record_id, rows, condition, options = payload
    return find_events_in_recording(Recording(record_id, pd.DataFrame(rows)), condition, options)
