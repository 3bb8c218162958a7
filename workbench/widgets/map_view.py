"""MapView: where the car was, on the same clock as the scrubber and the timeline.

The track is drawn in the browser from points sent once as a binary buffer (see
:mod:`workbench.widgets.map_data`): Web Mercator metres, simplified so thousands of
fixes per record stay smooth, north up, with a scale bar, and a graticule on a plain
background (no network needed) or, with ``tiles=``, the tiles of an XYZ server under it.
The car's marker follows the linked scrubber's time, in the browser during playback;
a click on a track moves the clock (and so the scrubber and the timeline) to the fix
nearest the click, and with several records selects that record.

Examples
--------
.. code-block:: python

    rec = cat.select(record_id="016_*").recordings()[0]
    s = wb.VideoScrubber(rec.cameras[0])
    W.HBox([s, wb.MapView(rec, scrubber=s, color_by="speed_kmh")])
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets

from workbench._assets import frontend_file
from workbench.errors import InvalidArgumentError
from workbench.widgets.map_data import Track, find_position_columns, gps_track, pack_tracks
from workbench.widgets.sync import ClockFollower
from workbench.widgets.timeline import load_recording_series

__all__ = ["MapView"]

log = logging.getLogger(__name__)

#: an XYZ tile URL template must name these three fields
_TILE_FIELDS = ("{z}", "{x}", "{y}")


class MapView(ClockFollower, anywidget.AnyWidget):
    """A map of GPS tracks whose marker is the shared clock; click a track to seek.

    Parameters
    ----------
    source
        A GPS series record (CSV/Parquet/bag topic with latitude and longitude columns),
        a whole record (a ``Recording``: its GPS stream is found), a ``Selection`` (one
        track per record), a DataFrame indexed by absolute seconds, or a mapping
        ``{stream name: DataFrame}`` of one record.
    scrubber
        A :class:`VideoScrubber` whose ``timestamp`` the marker follows and drives.
    timeline
        A :class:`Timeline` to share the clock with (when no scrubber is given).
    color_by
        A series column of the record (``"speed_kmh"`` or ``"can.speed_kmh"``), taken as
        of each fix's time, that colours the track; a legend shows its range.
    tiles
        An XYZ tile URL template such as ``"https://tile.example.org/{z}/{x}/{y}.png"``;
        tiles are drawn under the track. Default: a plain background with a graticule.
    max_points
        Most points per track sent to the browser after simplification.
    height
        Height of the map in pixels.
    record_id
        Names a track given as a bare DataFrame or mapping.

    Attributes
    ----------
    timestamp : float
        The marker's time, absolute seconds (synced both ways).
    selected_record : str
        The record whose track was clicked last (with a selection) or the only one.
    highlights : list of dict
        Stretches drawn over the tracks: ``record_id``, ``start``, ``end``, ``label``
        (see :meth:`show_events`).
    status : str
        What was drawn, and how many fixes were skipped (NaN or (0, 0)).

    Raises
    ------
    InvalidArgumentError
        No GPS stream (the message names the record and the streams it has), an unknown
        ``color_by`` column (the message lists the columns), or a bad ``tiles`` template.
    """

    _esm = frontend_file("map_view.js")
    _css = frontend_file("map_view.css")

    points = traitlets.Bytes(b"").tag(sync=True)
    tracks = traitlets.List(traitlets.Dict()).tag(sync=True)
    timestamp = traitlets.Float(0.0).tag(sync=True)
    players = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected_record = traitlets.Unicode("").tag(sync=True)
    color_by = traitlets.Unicode("").tag(sync=True)
    color_range = traitlets.List(traitlets.Float(), default_value=[0.0, 1.0]).tag(sync=True)
    tiles = traitlets.Unicode("").tag(sync=True)
    highlights = traitlets.List(traitlets.Dict()).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(320).tag(sync=True)

    def __init__(
        self,
        source: Any,
        *,
        scrubber: Any = None,
        timeline: Any = None,
        color_by: str | None = None,
        tiles: str | None = None,
        max_points: int = 4000,
        height: int = 320,
        record_id: str = "track",
        **kwargs: Any,
    ) -> None:
        if tiles and not all(field in tiles for field in _TILE_FIELDS):
            raise InvalidArgumentError(
                f"tiles={tiles!r} is not an XYZ tile URL template: it must contain "
                f"{', '.join(_TILE_FIELDS)}, e.g. 'https://tile.example.org/{{z}}/{{x}}/{{y}}.png'"
            )
        if tiles and not re.match(r"^(https?:)?//|^/", tiles):
            raise InvalidArgumentError(
                f"tiles={tiles!r} must be an http(s) URL or a path on the Jupyter server"
            )
        recordings = _recordings_of(source, record_id)
        tracks: list[Track] = []
        without_gps: list[str] = []
        for rid, series in recordings:
            try:
                tracks.append(_track_of(rid, series, color_by))
            except _NoGps as exc:
                if len(recordings) == 1:
                    raise InvalidArgumentError(str(exc)) from None
                without_gps.append(rid)
        if not tracks:
            raise InvalidArgumentError(
                f"none of the {len(recordings)} records has a GPS stream (a series with "
                f"latitude and longitude columns): {', '.join(without_gps)}"
            )
        buffer, meta = pack_tracks(tracks, max_points=max_points)
        values = np.concatenate([t.value for t in tracks])
        values = values[np.isfinite(values)]
        color_range = [float(values.min()), float(values.max())] if values.size else [0.0, 1.0]
        first_t = next((m["t0"] for m in meta if m["t0"] is not None), 0.0)
        super().__init__(
            points=buffer,
            tracks=meta,
            color_by=color_by or "",
            color_range=color_range,
            tiles=tiles or "",
            height=int(height),
            selected_record=tracks[0].record_id if len(tracks) == 1 else "",
            timestamp=float(first_t),
            status=_status(tracks, without_gps),
            **kwargs,
        )
        self._tracks = {t.record_id: t for t in tracks}
        self.on_msg(self._on_message)
        if scrubber is not None:
            self.follow(scrubber)
        elif timeline is not None:
            self._link = traitlets.link((timeline, "timestamp"), (self, "timestamp"))
            self.players = list(timeline.players)

    # ---- clock ----------------------------------------------------------------------------
    def close(self) -> None:
        """Unlink from the scrubber or timeline and close the widget."""
        self.unfollow()
        super().close()

    def seek(self, timestamp: float, *, record_id: str | None = None) -> None:
        """Move the clock to ``timestamp``, as a click on the track does.

        A linked scrubber goes to the frame whose time is nearest ``timestamp`` (not
        the frame on screen at that instant: a click names a place, and the nearest
        moment in time is what was meant); ``record_id`` becomes the selected record.
        """
        t = float(timestamp)
        if not np.isfinite(t):
            raise InvalidArgumentError(f"timestamp must be a finite number, got {timestamp!r}")
        if record_id is not None:
            self.track(record_id)  # refuses an unknown record
            self.selected_record = record_id
        scrubber = self._followed
        if scrubber is not None:
            times = np.asarray(scrubber.frame_timestamps)
            scrubber.value = int(np.argmin(np.abs(times - t)))
        else:
            self.timestamp = t

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "seek":
            log.warning("MapView: ignoring message %r", content)
            return
        record = content.get("record_id")
        try:
            self.seek(content.get("timestamp"), record_id=str(record) if record else None)
        except (InvalidArgumentError, TypeError, ValueError) as exc:
            log.warning("MapView: bad seek message %r: %s", content, exc)

    @traitlets.validate("timestamp")
    def _valid_timestamp(self, proposal: dict[str, Any]) -> float:
        t = float(proposal["value"])
        if not np.isfinite(t):
            raise traitlets.TraitError(f"timestamp must be a finite number, got {t!r}")
        return t

    # ---- data -----------------------------------------------------------------------------
    @property
    def record_ids(self) -> list[str]:
        """The records drawn, one track each."""
        return list(self._tracks)

    def track(self, record_id: str | None = None) -> Track:
        """Return the full-resolution :class:`Track` of ``record_id`` (default: the first)."""
        if record_id is None:
            return next(iter(self._tracks.values()))
        if record_id not in self._tracks:
            raise InvalidArgumentError(
                f"no track for record {record_id!r}; the map has {self.record_ids}"
            )
        return self._tracks[record_id]

    def show_events(self, events: pd.DataFrame, *, label: str | None = None) -> None:
        """Highlight stretches of the tracks: one per row of ``events``.

        Parameters
        ----------
        events : pandas.DataFrame
            Rows with ``start`` and ``end`` (absolute seconds) and, with several tracks,
            ``record_id`` (as ``wb.find_events`` and ``cat.labels.df`` give them).
        label : str, optional
            A column whose value names each stretch (default ``"label"`` when present).
        """
        missing = [c for c in ("start", "end") if c not in events.columns]
        if missing:
            raise InvalidArgumentError(
                f"events need columns {missing}; they have {list(events.columns)}"
            )
        label_col = label or ("label" if "label" in events.columns else None)
        only = next(iter(self._tracks)) if len(self._tracks) == 1 else ""
        rows = []
        for row in events.to_dict("records"):
            rid = str(row.get("record_id", only) or only)
            start, end = float(row["start"]), float(row["end"])
            if not (np.isfinite(start) and np.isfinite(end) and end > start):
                raise InvalidArgumentError(
                    f"an event must end after it starts, got start={start}, end={end}"
                )
            text = str(row[label_col]) if label_col else ""
            rows.append({"record_id": rid, "start": start, "end": end, "label": text})
        self.highlights = rows


# ---- source resolution -------------------------------------------------------------------
class _NoGps(Exception):
    """A record has no series with latitude/longitude columns (the message says so)."""


def _recordings_of(source: Any, record_id: str) -> list[tuple[str, dict[str, pd.DataFrame]]]:
    """Return ``(record_id, {stream: DataFrame})`` for every record in ``source``."""
    from workbench.catalog.selection import Recording, Selection

    if isinstance(source, pd.DataFrame):
        return [(record_id, {"": source})]
    if isinstance(source, Recording):
        return [(str(source.record_id), load_recording_series(source))]
    if isinstance(source, Selection):
        return [(str(r.record_id), load_recording_series(r)) for r in source.recordings()]
    if isinstance(source, Mapping) and source and all(
        isinstance(v, pd.DataFrame) for v in source.values()
    ):
        return [(record_id, dict(source))]
    if getattr(source, "path", None) is not None or (
        isinstance(source, Mapping) and "path" in source
    ):
        from workbench.readers import read

        rid = str(_field(source, "record_id") or record_id)
        name = str(_field(source, "contents") or "gps")
        return [(rid, {name: read(source).read_all().to_pandas()})]
    if isinstance(source, Iterable) and not isinstance(source, (str, bytes)):
        return [(record_id, load_recording_series(source))]
    raise InvalidArgumentError(
        f"MapView needs a GPS record, a Recording, a Selection or a DataFrame, "
        f"got {type(source).__name__}"
    )


def _field(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _track_of(record_id: str, series: dict[str, pd.DataFrame], color_by: str | None) -> Track:
    gps = next((df for df in series.values() if find_position_columns(list(df.columns))), None)
    if gps is None:
        streams = ", ".join(
            f"{name or 'series'} ({', '.join(map(str, df.columns[:6]))})"
            for name, df in series.items()
        )
        raise _NoGps(
            f"record {record_id!r} has no GPS stream (a series with latitude and longitude "
            f"columns); its series are: {streams or 'none'}"
        )
    color = _color_series(record_id, series, color_by) if color_by else None
    return gps_track(gps, record_id=record_id, color_by=color)


def _color_series(
    record_id: str, series: dict[str, pd.DataFrame], column: str
) -> tuple[np.ndarray, np.ndarray]:
    for stream, df in series.items():
        for col in df.columns:
            if column in (str(col), f"{stream}.{col}"):
                t = pd.to_numeric(pd.Series(df.index), errors="coerce").to_numpy(np.float64)
                v = pd.to_numeric(df[col], errors="coerce").to_numpy(np.float64)
                ok = np.isfinite(t) & np.isfinite(v)
                return t[ok], v[ok]
    available = sorted(f"{s}.{c}" if s else str(c) for s, d in series.items() for c in d.columns)
    raise InvalidArgumentError(
        f"color_by={column!r} is not a column of record {record_id!r}; available: {available}"
    )


def _status(tracks: list[Track], without_gps: list[str]) -> str:
    fixes = sum(len(t) for t in tracks)
    skipped = sum(t.skipped for t in tracks)
    text = f"{len(tracks)} track{'s' if len(tracks) != 1 else ''}, {fixes:,} fixes"
    if skipped:
        text += f"; {skipped:,} skipped (NaN or 0,0 before a fix)"
    if without_gps:
        text += f"; no GPS in {', '.join(without_gps)}"
    return text
