"""``wb.read(log, database=...)``: a CAN log as lazy, segmented :class:`SeriesBatch` es.

One batch per ``segment_duration`` seconds of the log; a row per decoded frame (in log
order), a column ``"<message>.<signal>"`` per signal, NaN where the row's frame belongs to
another message (or the signal is not selected by its multiplexer). The log is read a
chunk at a time, so memory is bounded by a chunk plus a segment, not by the log.
``batch.metadata`` holds ``units`` and ``choices`` per column; after iterating,
``reader.report`` is the :class:`~workbench.formats.can.decode.DecodeReport`.

This module is the adapter the readers layer loads by name (``readers/registry.py``);
it is the only part of ``formats.can`` that knows the readers' base class.

The database comes from ``database=``, else from the log's sidecar (``"database"``)
or a database file next to the log (:func:`~workbench.formats.can.database.find_database`).
A catalog row of one message (``contents`` = message name) reads only that message.

Examples
--------
>>> import tempfile, pathlib, can, workbench as wb
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "car.dbc").write_text('''VERSION ""
... BU_:
... BO_ 256 Speed: 1 X
...  SG_ speed : 0|8@1+ (1,0) [0|255] "km/h" X
... ''')
>>> with can.CanutilsLogWriter(folder / "bus.log") as log:
...     for i in range(30):
...         log.on_message_received(can.Message(timestamp=100.0 + i / 10,
...             arbitration_id=256, data=bytes([i]), is_extended_id=False))
>>> reader = wb.read(folder / "bus.log", segment_duration=1.0)
>>> len(reader), [len(b) for b in reader]
(3, [10, 10, 10])
>>> batch = reader.read_all()
>>> batch.columns, batch.metadata["units"], float(batch.values[-1, 0])
(['Speed.speed'], {'Speed.speed': 'km/h'}, 29.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from workbench.errors import InvalidArgumentError, SourceNotFoundError
from workbench.formats.can.api import select_plans
from workbench.formats.can.database import find_database, load_database
from workbench.formats.can.decode import DecodeReport, compile_database, decode_frames
from workbench.formats.can.frames import Frames
from workbench.formats.can.logs import iter_frames, log_content_type
from workbench.readers.base import TIME_EPS, BaseReader
from workbench.readers.batches import ReadPlan, SeriesBatch
from workbench.readers.source import Source

__all__ = ["CanReader"]


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
        **options: Any,
    ) -> None:
        super().__init__(source, **options)
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
        self.units: dict[str, str] = {}
        self.choices: dict[str, dict[int, str]] = {}
        for plan in self.plans.values():
            for sig in plan.signals:
                if self.wanted is None or sig.name in self.wanted[plan.name]:
                    column = f"{plan.name}.{sig.name}"
                    self.columns.append(column)
                    self.units[column] = sig.unit
                    if sig.choices:
                        self.choices[column] = dict(sig.choices)
        self.chunk_frames = int(chunk_frames)
        self.report = DecodeReport()
        self._segments: np.ndarray | None = None  # rows per segment, from a scan

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

    def _segment_of(self, t: np.ndarray, origin: float) -> np.ndarray:
        seg = np.floor((t - origin + TIME_EPS) / self.segment_duration).astype(np.int64)
        # a log may step back a little (merged channels): such frames stay in the segment
        return np.maximum.accumulate(seg) if len(seg) else seg

    def _decode(self, frames: Frames) -> tuple[np.ndarray, np.ndarray]:
        decoded, report = decode_frames(frames, self.plans, signals=self.wanted)
        self.report.add(report)
        values = np.full((len(frames), len(self.columns)), np.nan)
        index = {c: k for k, c in enumerate(self.columns)}
        has = np.zeros(len(frames), dtype=bool)
        for message, columns in decoded.items():
            rows = columns["row"]
            has[rows] = True
            for sig, v in columns.items():
                k = index.get(f"{message}.{sig}")
                if k is not None:
                    values[rows, k] = v
        return frames.timestamps[has], values[has]

    def __iter__(self) -> Iterator[SeriesBatch]:
        self.report = DecodeReport()
        origin: float | None = self.start
        current, parts = None, []
        for frames in self._frames():
            if len(frames) == 0:
                continue
            if origin is None:
                origin = float(frames.timestamps[0])
            seg = self._segment_of(frames.timestamps, origin)
            if current is not None:
                seg = np.maximum(seg, current)
            cuts = np.flatnonzero(np.diff(seg)) + 1
            for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(seg)], strict=True):
                if current is not None and seg[a] != current and parts:
                    yield self._batch(parts)
                    parts = []
                current = int(seg[a])
                t, v = self._decode(frames.select(np.arange(a, b)))
                if len(t):
                    parts.append((t, v))
        if parts:
            yield self._batch(parts)

    def _batch(self, parts: list[tuple[np.ndarray, np.ndarray]]) -> SeriesBatch:
        return SeriesBatch(
            np.concatenate([t for t, _ in parts]),
            np.concatenate([v for _, v in parts]),
            list(self.columns),
            record_id=self.record_id,
            metadata={"units": dict(self.units), "choices": dict(self.choices)},
        )

    # -- planning ----------------------------------------------------------------------
    def _scan(self) -> np.ndarray:
        """Rows per non-empty segment (one pass over the log's times and ids)."""
        if self._segments is None:
            counts: dict[int, int] = {}
            origin = self.start
            current = None
            known = np.array(sorted(self.plans), dtype=np.uint32)
            for frames in self._frames():
                t = frames.timestamps[np.isin(frames.ids, known)]
                if len(t) == 0:
                    continue
                if origin is None:
                    origin = float(t[0])
                seg = self._segment_of(t, origin)
                if current is not None:
                    seg = np.maximum(seg, current)
                current = int(seg[-1])
                uniq, n = np.unique(seg, return_counts=True)
                for s, c in zip(uniq.tolist(), n.tolist(), strict=True):
                    counts[s] = counts.get(s, 0) + c
            self._origin = origin
            self._segments = np.array([counts[s] for s in sorted(counts)], dtype=np.int64)
        return self._segments

    def __len__(self) -> int:
        return len(self._scan())

    def plan(self) -> ReadPlan:
        segments = self._scan()
        items = int(segments.sum())
        start = self.start if self.start is not None else (self._origin or 0.0)
        end = self.end if self.end is not None else start + len(segments) * self.segment_duration
        return ReadPlan(
            segments=len(segments),
            items=items,
            bytes=items * (len(self.columns) + 1) * 8,
            start=float(start),
            end=float(end),
            columns=tuple(self.columns),
        )

    def read_all(self) -> SeriesBatch:
        batches = list(self)
        if not batches:
            return SeriesBatch(
                np.zeros(0),
                np.zeros((0, len(self.columns))),
                list(self.columns),
                record_id=self.record_id,
                metadata={"units": dict(self.units), "choices": dict(self.choices)},
            )
        return self._batch([(b.timestamps, b.values) for b in batches])
