"""``wb.read(log, database=...)``: a CAN log as lazy, segmented :class:`SeriesBatch` es.

Each ``segment_duration`` seconds of the log give one batch per message present in them
(in database order): a row per frame of that message, a column ``"<message>.<signal>"``
per signal (NaN where its multiplexer does not select it). The log is read a chunk at a
time, so memory is bounded by a chunk plus a segment, not by the log.
``batch.metadata`` holds ``message``, ``frame_id``, and ``units`` and ``choices`` per
column; after iterating, ``reader.report`` is the
:class:`~workbench.formats.can.decode.DecodeReport`. ``read_all()`` merges every
message into one table (a column per signal, NaN where a row is another message).

This module is the adapter the readers layer loads by name (``readers/registry.py``);
it is the only part of ``formats.can`` that knows the readers' base class.

The database comes from ``database=``, else from the log's sidecar (``"database"``)
or a database file next to the log (:func:`~workbench.formats.can.database.find_database`).
A catalog row of one message (``contents`` = message name) reads only that message.

Examples
--------
>>> import tempfile, pathlib, workbench as wb
>>> from workbench.samples.can_log import write_can_log
>>> from workbench.samples.drive import simulate_drive
>>> data = pathlib.Path(tempfile.mkdtemp())   # a sample log, its DBC and sidecar:
>>> write_can_log(data, "r1", 100.0, simulate_drive(2.0, seed=3), 2.0, "r1")
>>> reader = wb.read(data / "can_bus.log", segment_duration=1.0)   # the sidecar's DBC
>>> [(b.metadata["message"], len(b)) for b in reader][:5]        # per segment, per message
[('Steering', 100), ('Brake', 100), ('VehicleSpeed', 100), ('Gear', 10), ('Diag', 1)]
>>> batch = wb.read(data / "can_bus.log", messages=["VehicleSpeed"]).read_all()
>>> batch.columns, batch.metadata["units"], len(batch)
(['VehicleSpeed.speed_kmh'], {'VehicleSpeed.speed_kmh': 'km/h'}, 200)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, InvalidArgumentError, SourceNotFoundError
from workbench.formats.can.api import select_plans
from workbench.formats.can.database import find_database, load_database
from workbench.formats.can.decode import DecodeReport, compile_database, decode_frames
from workbench.formats.can.frames import Frames
from workbench.formats.can.logs import iter_frames, log_content_type
from workbench.options import ReadOptions
from workbench.readers.base import TIME_EPS, BaseReader
from workbench.readers.batches import ReadPlan, SeriesBatch
from workbench.readers.source import Source

__all__ = ["MAX_STEP_BACK", "CanReader"]

#: seconds a log may step back in time (merged channels jitter) before it is refused
MAX_STEP_BACK = 1.0


class CanReader(BaseReader):
    """Segmented reader of a raw CAN log decoded with a database.

    Parameters
    ----------
    database : str, os.PathLike or cantools Database, optional
        Default: the one the sidecar names or the one next to the log.
    messages, signals : iterable, optional
        Restrict to these message names (or frame ids) and signal names.
    chunk_frames : int
        Frames read at a time by python-can's readers.
    """

    kind = "series"

    def __init__(
        self,
        source: Source,
        *,
        database: Any = None,
        messages: Iterable[str | int] | None = None,
        signals: Iterable[str] | None = None,
        chunk_frames: int = 200_000,
        options: ReadOptions | None = None,
    ) -> None:
        super().__init__(source, options=options)
        name = source.path.name
        if self.resize_rate is not None or self.size is not None or self.mode != "exact":
            raise InvalidArgumentError(
                f"resize_rate, size and mode apply to video, not to the CAN log {name}"
            )
        if self.target_frame_rate is not None:
            raise InvalidArgumentError(
                f"target_frame_rate does not apply to the CAN log {name}: frames are read as "
                "logged; resample the decoded DataFrame instead"
            )
        self.content_type = log_content_type(source.path, source.content_type)
        if database is None:
            database = find_database(source.path, source.metadata)
            if database is None:
                raise SourceNotFoundError(
                    f"no CAN database for {name}: pass database='car.dbc', name it in the "
                    "sidecar ('database': 'car.dbc') or put one .dbc next to the log"
                )
        self.database = load_database(database)
        contents = source.metadata.get("contents")
        if messages is None and isinstance(contents, str):
            names = {m.name for m in self.database.messages}
            messages = [contents] if contents in names else None
        self.plans, self.wanted = select_plans(self.database, messages, signals)
        self._others = np.array(
            sorted(set(compile_database(self.database)) - set(self.plans)), dtype=np.uint32
        )
        self.columns: list[str] = []
        self._message_columns: dict[str, list[str]] = {}
        self.units: dict[str, str] = {}
        self.choices: dict[str, dict[int, str]] = {}
        for plan in self.plans.values():
            for sig in plan.signals:
                if self.wanted is None or sig.name in self.wanted[plan.name]:
                    self._message_columns.setdefault(plan.name, []).append(sig.name)
                    column = f"{plan.name}.{sig.name}"
                    self.columns.append(column)
                    self.units[column] = sig.unit
                    if sig.choices:
                        self.choices[column] = dict(sig.choices)
        self.chunk_frames = int(chunk_frames)
        self.report = DecodeReport()
        self._segments: np.ndarray | None = None  # rows per segment, from a scan
        self._origin: float | None = None  # the first frame's time (segments count from it)
        self._last: float | None = None  # the last frame's time

    # -- reading -----------------------------------------------------------------------
    def _frames(self) -> Iterator[Frames]:
        """Frames of the chosen messages inside the window (others counted in the report)."""
        for frames in iter_frames(
            self.source.path, content_type=self.content_type, chunk_frames=self.chunk_frames
        ):
            t = frames.timestamps
            keep = np.ones(len(t), dtype=bool)
            if self.start is not None:
                keep &= t >= self.start - TIME_EPS
            if self.end is not None:
                keep &= t < self.end - TIME_EPS
            if len(self._others):
                keep &= ~np.isin(frames.ids, self._others)
            yield frames if keep.all() else frames.select(keep)

    def _check_order(self, t: np.ndarray, latest: float) -> float:
        """Refuse a log that steps back in time by more than :data:`MAX_STEP_BACK` seconds
        (a concatenation of logs?): its segments would not bound memory. Returns the latest
        time seen."""
        if len(t) == 0:
            return latest
        running = np.maximum.accumulate(np.r_[latest, t])[:-1]
        back = running - t
        k = int(np.argmax(back))
        if back[k] > MAX_STEP_BACK:
            raise CorruptMediaError(
                f"{self.source.path} goes back in time by {back[k]:.3f} s (to {t[k]:.6f}); "
                "reading in segments needs a time-ordered log: sort it, or decode it whole "
                "with wb.decode_can"
            )
        return max(latest, float(t.max()))

    def _segment_of(self, t: np.ndarray, origin: float) -> np.ndarray:
        seg = np.floor((t - origin + TIME_EPS) / self.segment_duration).astype(np.int64)
        # a log may step back a little (merged channels): such frames stay in the segment
        return np.maximum.accumulate(seg) if len(seg) else seg

    def _decode(self, frames: Frames, into: dict[str, list]) -> None:
        """Decode a run of frames of one segment; append (times, values) per message."""
        decoded, report = decode_frames(frames, self.plans, signals=self.wanted)
        self.report.add(report)
        for message, columns in decoded.items():
            names = self._message_columns[message]
            values = np.column_stack([columns[n] for n in names]) if names else None
            into.setdefault(message, []).append((columns["timestamp"], values))

    def __iter__(self) -> Iterator[SeriesBatch]:
        self.report = DecodeReport()
        origin: float | None = self.start
        current, parts = None, {}
        latest = -np.inf
        for frames in self._frames():
            if len(frames) == 0:
                continue
            latest = self._check_order(frames.timestamps, latest)
            if origin is None:
                origin = float(frames.timestamps[0])
            seg = self._segment_of(frames.timestamps, origin)
            if current is not None:
                seg = np.maximum(seg, current)
            cuts = np.flatnonzero(np.diff(seg)) + 1
            for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(seg)], strict=True):
                if current is not None and seg[a] != current:
                    yield from self._batches(parts)
                    parts = {}
                current = int(seg[a])
                self._decode(frames.select(np.arange(a, b)), parts)
        yield from self._batches(parts)

    def _batches(self, parts: dict[str, list]) -> Iterator[SeriesBatch]:
        """One batch per message of a segment, in database order."""
        for plan in self.plans.values():
            pieces = parts.get(plan.name)
            if not pieces:
                continue
            names = self._message_columns[plan.name]
            columns = [f"{plan.name}.{n}" for n in names]
            yield SeriesBatch(
                np.concatenate([t for t, _ in pieces]),
                np.concatenate([v for _, v in pieces]),
                columns,
                record_id=self.record_id,
                metadata={
                    "message": plan.name,
                    "frame_id": plan.frame_id,
                    "units": {c: self.units[c] for c in columns},
                    "choices": {c: self.choices[c] for c in columns if c in self.choices},
                },
            )

    # -- planning ----------------------------------------------------------------------
    def _scan(self) -> np.ndarray:
        """Rows of each batch, i.e. per (segment, message) present (one pass over the log)."""
        if self._segments is None:
            counts: dict[tuple[int, int], int] = {}
            origin = self.start
            last = origin
            current = None
            known = np.array(sorted(self.plans), dtype=np.uint32)
            latest = -np.inf
            for frames in self._frames():
                latest = self._check_order(frames.timestamps, latest)
                mine = np.isin(frames.ids, known)
                t, ids = frames.timestamps[mine], frames.ids[mine]
                if len(t) == 0:
                    continue
                if origin is None:
                    origin = float(t[0])
                last = float(t[-1])
                seg = self._segment_of(t, origin)
                if current is not None:
                    seg = np.maximum(seg, current)
                current = int(seg[-1])
                pairs, n = np.unique(
                    np.stack([seg, ids.astype(np.int64)]), axis=1, return_counts=True
                )
                for s, fid, c in zip(*pairs.tolist(), n.tolist(), strict=True):
                    counts[(s, fid)] = counts.get((s, fid), 0) + c
            self._origin = origin
            self._last = last
            self._segments = np.array([counts[k] for k in sorted(counts)], dtype=np.int64)
        return self._segments

    def __len__(self) -> int:
        return len(self._scan())

    def plan(self) -> ReadPlan:
        segments = self._scan()
        items = int(segments.sum())
        start = self.start if self.start is not None else (self._origin or 0.0)
        last = self._last if self._last is not None else start
        # the data's end: the last frame plus one mean frame period (as for CSV series)
        period = (last - start) / (items - 1) if items > 1 else 1e-6
        end = self.end if self.end is not None else last + period
        return ReadPlan(
            segments=len(segments),
            items=items,
            bytes=items * (len(self.columns) + 1) * 8,
            start=float(start),
            end=float(end),
            columns=tuple(self.columns),
        )

    def read_all(self) -> SeriesBatch:
        """Every message in one batch, a column per signal, rows in time order (NaN where a
        row's frame is another message's). Meant for small windows."""
        batches = list(self)
        index = {c: k for k, c in enumerate(self.columns)}
        n = sum(len(b) for b in batches)
        times = np.concatenate([b.timestamps for b in batches]) if batches else np.zeros(0)
        values = np.full((n, len(self.columns)), np.nan)
        row = 0
        for b in batches:
            cols = [index[c] for c in b.columns]
            values[row : row + len(b), cols] = b.values
            row += len(b)
        order = np.argsort(times, kind="stable")
        return SeriesBatch(
            times[order],
            values[order],
            list(self.columns),
            record_id=self.record_id,
            metadata={"units": dict(self.units), "choices": dict(self.choices)},
        )
