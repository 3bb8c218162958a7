"""Scan one record for events: its series aligned on time, segment by segment, runs found.

The record's series streams (CAN, GPS, IMU, bag topics ... every record whose read
yields ``SeriesBatch``es, as :func:`workbench.readers.streams.series_streams` decides)
are planned first (their columns and rates, no values), then the ones carrying a column
the condition names are read lazily, one segment at a time. The
fastest of them drives: each of its batches is a window, and every other stream is taken
*as of* each of its sample times (the last sample at or before it), so memory stays
bounded by a segment of each stream. Runs of samples where the condition holds are
tracked across windows, so an event that crosses a segment boundary comes out whole.

Examples
--------
>>> import numpy as np
>>> finder = RunFinder(["speed"])
>>> t = np.arange(6.0)
>>> finder.feed(t[:3], np.array([0, 1, 1], bool), {"speed": t[:3]})
>>> finder.feed(t[3:], np.array([1, 0, 1], bool), {"speed": t[3:]})
>>> [(r.start, r.end) for r in finder.finish(step=1.0)]
[(1.0, 4.0), (5.0, 6.0)]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from workbench.readers.streams import record_field, series_streams, unique_name

__all__ = ["AlignedSeries", "Run", "RunFinder", "series_streams"]


@dataclass
class Run:
    """One stretch where the condition held: ``[start, end)`` absolute seconds.

    ``end`` is the time of the first sample after the run where it no longer held (the
    last sample's time plus one sample period at the end of the data). ``stats`` keeps,
    per summarised signal, ``[min, max, sum, count]`` over the samples where it held.
    """

    start: float
    end: float
    stats: dict[str, list[float]] = field(default_factory=dict)

    def absorb(self, other: Run) -> None:
        """Extend this run over ``other`` (later), combining their statistics."""
        self.end = max(self.end, other.end)
        for name, (lo, hi, total, n) in other.stats.items():
            mine = self.stats.setdefault(name, [np.inf, -np.inf, 0.0, 0])
            mine[0], mine[1] = min(mine[0], lo), max(mine[1], hi)
            mine[2] += total
            mine[3] += n


class RunFinder:
    """Find runs of true samples in windows fed one after another."""

    def __init__(self, signals: Sequence[str]) -> None:
        self.signals = list(signals)
        self.runs: list[Run] = []
        self._open: Run | None = None
        self._last_t: float | None = None

    def feed(self, t: np.ndarray, mask: np.ndarray, values: dict[str, np.ndarray]) -> None:
        """Take the next window's sample times, condition and summarised signals."""
        if t.size == 0:
            return
        edges = np.diff(mask.astype(np.int8))
        starts = list(np.flatnonzero(edges == 1) + 1)
        stops = list(np.flatnonzero(edges == -1) + 1)  # first false index after a run
        if mask[0]:
            starts.insert(0, 0)
        if mask[0] and self._open is not None:
            opened_from = 0  # the open run goes on
        else:
            if self._open is not None:  # it ended at this window's first sample
                self._open.end = float(t[0])
                self.runs.append(self._open)
                self._open = None
            opened_from = None
        for k, first in enumerate(starts):
            stop = stops[k] if k < len(stops) else None
            part = Run(float(t[first]), float(t[stop]) if stop is not None else np.nan)
            for name in self.signals:
                v = values[name][first:stop]
                v = v[np.isfinite(v)]
                part.stats[name] = (
                    [float(v.min()), float(v.max()), float(v.sum()), int(v.size)]
                    if v.size
                    else [np.inf, -np.inf, 0.0, 0]
                )
            if k == 0 and opened_from == 0 and self._open is not None:
                self._open.absorb(part)
                part = self._open
                self._open = None
                part.end = float(t[stop]) if stop is not None else np.nan
            if stop is None:
                self._open = part
            else:
                self.runs.append(part)
        self._last_t = float(t[-1])

    def finish(self, *, step: float) -> list[Run]:
        """Close a run still open at the end of the data (it ends one ``step`` later)."""
        if self._open is not None and self._last_t is not None:
            self._open.end = self._last_t + step
            self.runs.append(self._open)
            self._open = None
        return self.runs


@dataclass
class _Stream:
    batches: Iterator[Any]
    times: np.ndarray
    values: np.ndarray
    columns: list[str]
    done: bool = False

    def cover(self, until: float) -> None:
        """Read batches until the buffer reaches ``until`` (or the stream ends)."""
        while not self.done and (self.times.size == 0 or self.times[-1] < until):
            batch = next(self.batches, None)
            if batch is None:
                self.done = True
                break
            self.times = np.concatenate([self.times, batch.timestamps])
            self.values = np.concatenate([self.values, _numeric(batch.values)])

    def as_of(self, t: np.ndarray) -> np.ndarray:
        """Values as of each time (NaN before the first sample), then forget older rows."""
        i = np.searchsorted(self.times, t, side="right") - 1
        out = np.full((t.size, len(self.columns)), np.nan)
        ok = i >= 0
        if self.values.size:
            out[ok] = self.values[i[ok]]
        keep = max(int(i[-1]), 0) if i.size else 0
        self.times, self.values = self.times[keep:], self.values[keep:]
        return out


def _numeric(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "biuf":
        return values.astype(np.float64, copy=False)
    return pd.DataFrame(values).apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)


def _identifier(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_") or "series"


def _prefixes(stream: Any, k: int) -> list[str]:
    """Prefixes that tell a stream's shared column names apart: its content name
    (``gps``, ``vehicle_state``), then its file's stem with it (``drive_ros2_vehicle_state``:
    two bags of a record carry the same topics)."""
    contents = _identifier(str(record_field(stream, "contents") or f"s{k}"))
    stem = PurePath(str(record_field(stream, "path") or "")).stem
    return [contents, _identifier(f"{stem}_{contents}")] if stem else [contents]


class AlignedSeries:
    """The series streams of one record, planned (no values read yet) and named.

    Columns keep their own names; a name that two streams share is prefixed with the
    stream's content name (``gps_speed``) in the slower stream, and with its file's stem
    too when that is taken (``drive_ros2_vehicle_state_speed_kmh``: the same topic in two
    bags of one record). :attr:`columns` lists every
    name (for errors that list what there is); :meth:`windows` reads only the streams that
    carry the names asked for.
    """

    def __init__(
        self,
        streams: Sequence[Any],
        *,
        segment_duration: float,
        start: float | None,
        end: float | None,
    ) -> None:
        from workbench.readers import read

        readers = [
            read(rec, start=start, end=end, segment_duration=segment_duration) for rec in streams
        ]
        plans = [r.plan() for r in readers]
        rates = [p.items / max(p.end - p.start, 1e-9) for p in plans]
        order = sorted(range(len(readers)), key=lambda k: -rates[k])  # fastest first
        self._readers = [readers[k] for k in order]
        self._names: list[list[str]] = []
        seen: set[str] = set()
        for k in order:
            prefixes = _prefixes(streams[k], k)
            cols = []
            for col in plans[k].columns:
                name = unique_name([str(col), *(f"{p}_{col}" for p in prefixes)], seen)
                seen.add(name)
                cols.append(name)
            self._names.append(cols)

    @property
    def columns(self) -> list[str]:
        """Every column of every stream, as :meth:`windows` names them."""
        return [c for cols in self._names for c in cols]

    def windows(self, needed: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """Yield DataFrames indexed by absolute seconds, one per segment of the fastest
        stream read; with ``needed``, only the streams carrying one of those columns are
        read (the others are never opened past their plan)."""
        chosen = [
            (reader, cols)
            for reader, cols in zip(self._readers, self._names, strict=True)
            if needed is None or set(cols) & set(needed)
        ]
        if not chosen:
            return
        buffers = [
            _Stream(iter(reader), np.zeros(0), np.zeros((0, len(cols))), cols)
            for reader, cols in chosen
        ]
        driver, others = buffers[0], buffers[1:]
        columns = [c for b in buffers for c in b.columns]
        for batch in driver.batches:
            t = np.asarray(batch.timestamps, dtype=np.float64)
            if t.size == 0:
                continue
            parts = [_numeric(batch.values)]
            for other in others:
                other.cover(float(t[-1]))
                parts.append(other.as_of(t))
            yield pd.DataFrame(
                np.concatenate(parts, axis=1), index=pd.Index(t, name="timestamp"), columns=columns
            )
