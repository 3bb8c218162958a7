"""Timeline: a record's time series (CAN speed, brake, GPS ...) drawn under the video.

Each numeric column is a lane. Data is reduced to a min/max envelope per pixel bucket
before it is sent (spikes such as a short brake press survive); times are absolute
seconds, the same axis as the scrubber's ``timestamp``, so the cursor lines up with the
frame on screen. Click or drag on the lanes to seek.

A DataFrame's ``attrs`` (as :func:`workbench.decode_can` fills them) label the lanes:
``attrs["units"][column]`` is shown next to the lane's name, and a column with
``attrs["choices"][column]`` (an enumeration such as a gear or a turn signal) becomes a
state lane: one band per run of equal values, labelled with the choice names.

Examples
--------
>>> import numpy as np
>>> t = np.arange(10.0)
>>> tc, lo, hi = downsample_minmax(t, np.array([0, 1, 9, 1, 0, 0, 0, 5, 0, 0.0]), 2)
>>> lo.tolist(), hi.tolist()
([0.0, 0.0], [9.0, 5.0])
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets

from workbench._assets import frontend_file
from workbench.errors import InvalidArgumentError
from workbench.widgets.sync import ClockFollower

__all__ = ["Timeline", "downsample_minmax", "load_recording_series", "state_runs"]

log = logging.getLogger(__name__)

#: Columns that are never drawn (bookkeeping, not signals).
_SKIP_COLUMNS = {"frame", "index", "timestamp", "timestamps", "time", "header.seq", "header.stamp"}


def downsample_minmax(
    t: np.ndarray, v: np.ndarray, buckets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduce ``(t, v)`` to at most ``buckets`` points of (centre time, min, max).

    NaNs are ignored; empty buckets are dropped. Series shorter than ``buckets`` are
    returned as they are (``lo == hi == v``).
    """
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    if t.size <= buckets or t.size == 0:
        return t, v, v
    edges = np.linspace(t[0], t[-1], buckets + 1)
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, buckets - 1)
    starts = np.flatnonzero(np.r_[True, np.diff(which) != 0])
    lo = np.minimum.reduceat(v, starts)
    hi = np.maximum.reduceat(v, starts)
    centres = (edges[which[starts]] + edges[which[starts] + 1]) / 2
    return centres, lo, hi


def state_runs(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start time and value of every run of equal values (NaNs dropped).

    Examples
    --------
    >>> ts, vs = state_runs(np.arange(6.0), np.array([3, 3, 1, 1, 1, 3.0]))
    >>> ts.tolist(), vs.tolist()
    ([0.0, 2.0, 5.0], [3.0, 1.0, 3.0])
    """
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    if v.size == 0:
        return t, v
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    return t[starts], v[starts]


def load_recording_series(recording: Iterable[Any]) -> dict[str, pd.DataFrame]:
    """Read every series stream of a recording: CSV/Parquet series, CAN messages, bag topics.

    Which records are series is :func:`workbench.readers.streams.series_streams`' rule
    (the one :func:`workbench.find_events` uses): not videos, images, image topics or
    camera timestamps. One unreadable stream is logged and left out; the others are read.

    Parameters
    ----------
    recording
        A catalog ``Recording`` (or any iterable of ``Record``) of one record.

    Returns
    -------
    dict
        Stream name -> DataFrame indexed by absolute timestamp. The name is the record's
        ``contents`` (``can``, ``VehicleSpeed``, ``/vehicle/speed``), else its file's
        stem; a name two records share is told apart by the later one's file
        (``/gps/fix (drive_0.mcap)``). Columns that repeat the stream name as a prefix
        lose it (a CAN message's ``VehicleSpeed.speed_kmh`` is ``speed_kmh`` of stream
        ``VehicleSpeed``, so its lane is ``VehicleSpeed.speed_kmh`` as with
        :func:`workbench.decode_can`); the read's ``units`` and ``choices`` go to
        ``df.attrs``.
    """
    from workbench.readers import read
    from workbench.readers.streams import record_field, series_streams

    streams = series_streams(recording)
    from_logs = _read_can_logs(streams)
    out: dict[str, pd.DataFrame] = {}
    for rec in streams:
        path = record_field(rec, "path")
        name = _stream_name(rec, out)
        try:
            read_once = from_logs.get(id(rec))
            if isinstance(read_once, Exception):
                raise read_once
            if read_once is None:
                batch = read(rec).read_all()
                read_once = batch.to_pandas(), getattr(batch, "metadata", {})
        except Exception as exc:  # one unreadable stream must not hide the others
            log.warning("timeline: cannot read %s: %s", path or rec, exc)
            continue
        out[name] = _named_columns(name, *read_once)
    return out


def _read_can_logs(streams: Iterable[Any]) -> dict[int, Any]:
    """Read each CAN log once for all its message records (a record per message would
    parse the whole log once per message: minutes for an hour of a real bus).

    Returns ``id(record)`` -> ``(DataFrame, metadata)`` of its message, or the exception
    that reading its log raised.
    """
    from workbench.formats.can.reader import CanReader
    from workbench.readers import read
    from workbench.readers.registry import find_reader
    from workbench.readers.streams import record_field

    logs: dict[str, list[Any]] = {}
    for rec in streams:
        path = record_field(rec, "path")
        try:
            reader = find_reader(record_field(rec, "content_type"), path)
        except Exception:  # read on its own below, which reports why
            continue
        if reader is CanReader and record_field(rec, "contents"):
            logs.setdefault(str(path), []).append(rec)
    found: dict[int, Any] = {}
    for records in logs.values():
        messages = [str(record_field(rec, "contents")) for rec in records]
        parts: dict[str, list[pd.DataFrame]] = {}
        metadata: dict[str, Mapping[str, Any]] = {}
        try:
            for batch in read(records[0], messages=messages):
                message = batch.metadata["message"]
                parts.setdefault(message, []).append(batch.to_pandas())
                metadata.setdefault(message, batch.metadata)
        except Exception as exc:  # every message of this log fails alike
            found.update((id(rec), exc) for rec in records)
            continue
        for rec, message in zip(records, messages, strict=True):
            if message in parts:
                found[id(rec)] = pd.concat(parts[message]), metadata[message]
    return found


def _stream_name(rec: Any, taken: Mapping[str, Any]) -> str:
    """The record's ``contents`` (or file stem), told apart from ``taken`` by its file."""
    from pathlib import PurePath

    from workbench.readers.streams import record_field, unique_name

    path = PurePath(str(record_field(rec, "path") or "series"))
    name = str(record_field(rec, "contents") or "") or path.stem
    candidates = [name, f"{name} ({path.name})", f"{name} ({path.parent.name}/{path.name})"]
    return unique_name(candidates, taken, sep=" ")


def _named_columns(name: str, df: pd.DataFrame, metadata: Mapping[str, Any]) -> pd.DataFrame:
    """Drop a ``<name>.`` prefix from columns; keep the read's units and choices in attrs."""
    prefix = f"{name}."
    columns = set(df.columns)
    renamed = {c: str(c)[len(prefix) :] for c in columns if str(c).startswith(prefix)}
    df = df.rename(columns=renamed)
    for key in ("units", "choices"):
        per_column = metadata.get(key) if isinstance(metadata, Mapping) else None
        if isinstance(per_column, Mapping):
            kept = {renamed.get(c, c): v for c, v in per_column.items() if c in columns}
            if kept:
                df.attrs[key] = kept
    return df


class Timeline(ClockFollower, anywidget.AnyWidget):
    """Time-series lanes with a cursor on the shared clock; click or drag to seek.

    Parameters
    ----------
    data
        A DataFrame indexed by absolute timestamp (as ``SeriesBatch.to_pandas()`` gives),
        a mapping ``{stream name: DataFrame}``, or a catalog ``Recording`` (its series
        streams are read: CSV/Parquet, CAN messages, bag topics; see
        :func:`load_recording_series`).
    columns
        Columns to draw (``"speed_kmh"`` or ``"can.speed_kmh"``); default every numeric one.
    scrubber
        A :class:`VideoScrubber` whose ``timestamp`` the cursor follows and drives.
    buckets
        Points per lane after min/max downsampling.
    start_timestamp, end_timestamp
        The time span shown (default: the span of the data, widened to the scrubber's).
    span
        ``(start, end)`` absolute seconds to widen the default span to (e.g. the span of
        several cameras).

    Attributes
    ----------
    timestamp : float
        The cursor, absolute seconds (synced both ways).
    lanes : list of dict
        What is drawn: ``name``, ``unit``, ``kind`` and ``t`` (seconds after ``t0``); a
        ``"line"`` lane has ``lo``, ``hi``, ``min``, ``max`` (a min/max envelope); a
        ``"state"`` lane (an enumeration) has ``v`` (the value of each run starting at
        ``t``), ``end`` (when the last run ends) and ``labels`` (value -> choice name).
    players : list of str
        Model ids of scrubbers whose playback the cursor follows in the browser, frame by
        frame (the kernel hears of a playing scrubber's time only a few times a second).
        Set by :meth:`follow` and by :class:`CatalogBrowser`.
    bands : list of dict
        Labels and events drawn over the lanes: ``start``, ``end`` (absolute seconds),
        ``label``, ``kind`` (``"label"`` or ``"event"``). See :meth:`show_labels` and
        :meth:`show_events`.
    labelling : bool
        Shift+drag marks a range and asks for its name; it is stored in the catalog
        given to :meth:`show_labels`.
    """

    _esm = frontend_file("timeline.js")
    _css = frontend_file("timeline.css")

    timestamp = traitlets.Float(0.0).tag(sync=True)
    t0 = traitlets.Float(0.0).tag(sync=True)
    t1 = traitlets.Float(1.0).tag(sync=True)
    lanes = traitlets.List(traitlets.Dict()).tag(sync=True)
    lane_height = traitlets.Int(44).tag(sync=True)
    players = traitlets.List(traitlets.Unicode()).tag(sync=True)
    bands = traitlets.List(traitlets.Dict()).tag(sync=True)
    labelling = traitlets.Bool(False).tag(sync=True)
    label_name = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        data: Any,
        *,
        columns: Iterable[str] | None = None,
        scrubber: Any = None,
        buckets: int = 800,
        start_timestamp: float | None = None,
        end_timestamp: float | None = None,
        span: tuple[float, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if int(buckets) < 2:
            raise InvalidArgumentError(f"buckets must be at least 2, got {buckets!r}")
        frames = self._frames(data)
        lanes, lo_t, hi_t = self._lanes(frames, columns, int(buckets))
        if scrubber is not None:
            ts = scrubber.frame_timestamps
            lo_t, hi_t = min(lo_t, float(ts[0])), max(hi_t, float(ts[-1]))
        if span is not None:
            lo_t, hi_t = min(lo_t, float(span[0])), max(hi_t, float(span[1]))
        t0 = float(start_timestamp) if start_timestamp is not None else lo_t
        t1 = float(end_timestamp) if end_timestamp is not None else hi_t
        if not np.isfinite(t0) or not np.isfinite(t1) or t1 <= t0:
            t1 = t0 + 1.0 if np.isfinite(t0) else 1.0
            t0 = t0 if np.isfinite(t0) else 0.0
        for lane in lanes:
            lane["t"] = [round(x - t0, 4) for x in lane.pop("abs_t")]
            if "abs_end" in lane:
                lane["end"] = round(lane.pop("abs_end") - t0, 4)
        super().__init__(t0=t0, t1=t1, lanes=lanes, timestamp=t0, **kwargs)
        self._labels: tuple[Any, str] | None = None
        self._events: list[dict[str, Any]] = []
        self.on_msg(self._on_message)
        if scrubber is not None:
            self.follow(scrubber)

    def close(self) -> None:
        """Unlink from the scrubber and close the widget."""
        self.unfollow()
        super().close()

    # ---- labels and events ---------------------------------------------------------------
    def show_labels(self, catalog: Any, record_id: str, *, editable: bool = True) -> None:
        """Draw the labels of ``record_id`` in ``catalog``; with ``editable``, Shift+drag
        on the lanes marks a new one (named in a box that opens) and stores it there."""
        self._labels = (catalog, str(record_id))
        self.labelling = bool(editable)
        self._refresh_bands()

    def show_events(self, events: pd.DataFrame) -> None:
        """Draw events (``start``, ``end`` in absolute seconds, as ``wb.find_events`` gives
        them; rows of other records are left out when labels name the record)."""
        missing = [c for c in ("start", "end") if c not in events.columns]
        if missing:
            raise InvalidArgumentError(
                f"events need columns {missing}; they have {list(events.columns)}"
            )
        self._events = [
            {
                "start": float(r["start"]),
                "end": float(r["end"]),
                "label": str(r.get("label", "") or ""),
                "kind": "event",
                "record_id": str(r.get("record_id", "") or ""),
            }
            for r in events.to_dict("records")
        ]
        self._refresh_bands()

    def add_label(self, start: float, end: float, label: str, *, note: str = "") -> int:
        """Store a label of the shown record (as a Shift+drag does); return its id."""
        if self._labels is None:
            raise InvalidArgumentError(
                "this Timeline has no catalog to store labels in; call "
                "timeline.show_labels(catalog, record_id) first"
            )
        catalog, record_id = self._labels
        label_id = catalog.labels.add(record_id, start, end, label, note=note)
        self.label_name = label
        self._refresh_bands()
        return label_id

    def _refresh_bands(self) -> None:
        bands = []
        record_id = self._labels[1] if self._labels is not None else None
        if self._labels is not None:
            table = self._labels[0].labels.select(record_id=record_id)
            for row in table.to_dict("records"):
                bands.append(
                    {
                        "start": float(row["start"]),
                        "end": float(row["end"]),
                        "label": str(row["label"]),
                        "kind": "label",
                        "id": int(row["label_id"]),
                    }
                )
        bands += [
            {k: v for k, v in e.items() if k != "record_id"}
            for e in self._events
            if record_id is None or e["record_id"] in ("", record_id)
        ]
        self.bands = bands

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "label":
            log.warning("Timeline: ignoring message %r", content)
            return
        try:
            start, end = float(content["start"]), float(content["end"])
            name = str(content["label"]).strip()
            self.add_label(start, end, name)
        except Exception as exc:  # shown in the widget: a message must not raise in the comm
            self.status = f"label not saved: {exc}"
            return
        self.status = f"label {name!r} saved: {start - self.t0:.2f} to {end - self.t0:.2f} s"

    @traitlets.validate("timestamp")
    def _valid_timestamp(self, proposal: dict[str, Any]) -> float:
        t = float(proposal["value"])
        if not np.isfinite(t):
            raise InvalidArgumentError(f"timestamp must be a finite number, got {t!r}")
        return t

    # ---- data preparation ---------------------------------------------------------------
    @staticmethod
    def _frames(data: Any) -> dict[str, pd.DataFrame]:
        if isinstance(data, pd.DataFrame):
            return {"": data}
        if isinstance(data, Mapping):
            bad = [k for k, v in data.items() if not isinstance(v, pd.DataFrame)]
            if bad:
                raise InvalidArgumentError(f"Timeline data {bad} are not DataFrames")
            return dict(data)
        if isinstance(data, Iterable) and not isinstance(data, (str, bytes)):
            return load_recording_series(data)
        raise InvalidArgumentError(
            f"Timeline needs a DataFrame, a dict of DataFrames or a Recording, "
            f"got {type(data).__name__}"
        )

    @staticmethod
    def _lanes(
        frames: dict[str, pd.DataFrame], columns: Iterable[str] | None, buckets: int
    ) -> tuple[list[dict[str, Any]], float, float]:
        wanted = list(columns) if columns is not None else None
        lanes: list[dict[str, Any]] = []
        lo_t, hi_t = np.inf, -np.inf
        for stream, df in frames.items():
            t = pd.to_numeric(pd.Series(df.index), errors="coerce").to_numpy(np.float64)
            for col in df.columns:
                name = f"{stream}.{col}" if stream else str(col)
                if wanted is not None and col not in wanted and name not in wanted:
                    continue
                if wanted is None and str(col).lower() in _SKIP_COLUMNS:
                    continue
                v = pd.to_numeric(df[col], errors="coerce").to_numpy(np.float64)
                if not np.isfinite(v).any():
                    continue
                unit = str((df.attrs.get("units") or {}).get(col) or "")
                choices = (df.attrs.get("choices") or {}).get(col)
                lane = _state_lane(t, v, choices, buckets) if choices else None
                if lane is None:
                    tc, lo, hi = downsample_minmax(t, v, buckets)
                    if tc.size == 0:
                        continue
                    lane = {
                        "kind": "line",
                        "abs_t": tc.tolist(),
                        "lo": np.round(lo, 6).tolist(),
                        "hi": np.round(hi, 6).tolist(),
                        "min": float(np.min(lo)),
                        "max": float(np.max(hi)),
                    }
                lo_t = min(lo_t, lane["abs_t"][0])
                hi_t = max(hi_t, lane.get("abs_end", lane["abs_t"][-1]))
                lanes.append({"name": name, "unit": unit, **lane})
        if wanted is not None:
            found = {lane["name"] for lane in lanes} | {
                lane["name"].split(".", 1)[-1] for lane in lanes
            }
            missing = [w for w in wanted if w not in found]
            if missing:
                raise InvalidArgumentError(
                    f"Timeline columns {missing} not found; available: "
                    f"{sorted(f'{s}.{c}' if s else str(c) for s, d in frames.items() for c in d)}"
                )

            def rank(lane: dict[str, Any]) -> int:  # lanes in the order they were asked for
                name = lane["name"]
                short = name.split(".", 1)[-1]
                return min(i for i, w in enumerate(wanted) if w in (name, short))

            lanes.sort(key=rank)
        return lanes, lo_t, hi_t


def _state_lane(
    t: np.ndarray, v: np.ndarray, choices: Mapping[Any, Any], buckets: int
) -> dict[str, Any] | None:
    """A state lane (runs of equal values named by ``choices``), or None when it flickers
    more often than there are pixels (then it is drawn as a line)."""
    starts, values = state_runs(t, v)
    if starts.size == 0 or starts.size > buckets:
        return None
    finite = t[np.isfinite(t) & np.isfinite(v)]
    labels = {str(int(k)): str(name) for k, name in choices.items()}
    return {
        "kind": "state",
        "abs_t": starts.tolist(),
        "abs_end": float(finite[-1]),
        "v": values.tolist(),
        "labels": labels,
        "min": float(values.min()),
        "max": float(values.max()),
    }
