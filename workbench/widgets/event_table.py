"""EventTable: events (or labels) as rows with thumbnails; a click opens the moment.

Clicking a row moves the player to the event: the record's camera is shown in a
:class:`VideoScrubber` (opened on demand, or a linked one), its in and out points mark the
event's range, and a :class:`Timeline` (and a :class:`MapView`, when the record has GPS)
of the record follows on the same clock.

Examples
--------
.. code-block:: python

    ev = wb.find_events(cat.select(), "brake > 0.5 and speed_kmh > 60")
    table = wb.EventTable(ev)      # rows with thumbnails; click one to look at it
    table.show(3)                  # the same from code
"""

from __future__ import annotations

import logging
from typing import Any

import anywidget
import ipywidgets
import numpy as np
import pandas as pd
import traitlets

from workbench._assets import frontend_file
from workbench.errors import InvalidArgumentError
from workbench.widgets.scrubber import VideoScrubber
from workbench.widgets.sync import ClockGroup
from workbench.widgets.timeline import Timeline, load_recording_series

__all__ = ["EventList", "EventTable"]

log = logging.getLogger(__name__)

#: columns an events or labels table must have
_REQUIRED = ("record_id", "start", "end")
#: rows that get a thumbnail, at most
_THUMBNAILS = 24


class EventList(anywidget.AnyWidget):
    """The table part of :class:`EventTable`: rows, thumbnails, the selected row."""

    _esm = frontend_file("event_table.js")
    _css = frontend_file("event_table.css")

    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    thumbnails = traitlets.List(traitlets.Bytes()).tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)

    @traitlets.validate("selected")
    def _valid_selected(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not -1 <= value < len(self.rows):
            raise traitlets.TraitError(f"row {value} is not in the table (0..{len(self.rows) - 1})")
        return value


class EventTable(ipywidgets.VBox):
    """Browse events or labels: a table with thumbnails above the player of the moment.

    Parameters
    ----------
    events : pandas.DataFrame
        ``wb.find_events`` results or ``cat.labels.df``: ``record_id``, ``start``, ``end``
        (absolute seconds) per row; other columns (``label``, ``speed_kmh_max`` ...) are
        shown too.
    catalog : Catalog, optional
        Where to find each record's streams (needed for a labels table; an events table
        from ``find_events`` knows them).
    scrubber : VideoScrubber, optional
        Move this scrubber instead of opening one per record (its record's events only).
    timeline : Timeline, optional
        With ``scrubber``: its timeline (it follows the scrubber already).
    columns : list of str, optional
        Extra columns to show (default: every other column of ``events``).
    thumbnails : bool
        Show the keyframe at each event's start (the first few rows).

    Attributes
    ----------
    scrubber, timeline, map
        The player of the shown event (``map`` when the record has GPS).
    selected : int
        Row selected in the table (-1 for none).
    shown : int
        Row whose event the player shows (-1 for none; it lags ``selected`` while the
        record opens, and stays put when a row cannot be shown).
    """

    def __init__(
        self,
        events: pd.DataFrame,
        *,
        catalog: Any = None,
        scrubber: VideoScrubber | None = None,
        timeline: Timeline | None = None,
        columns: list[str] | None = None,
        thumbnails: bool = True,
        **kwargs: Any,
    ) -> None:
        if not isinstance(events, pd.DataFrame):
            raise InvalidArgumentError(
                f"EventTable needs an events or labels DataFrame, got {type(events).__name__}"
            )
        missing = [c for c in _REQUIRED if c not in events.columns]
        if missing:
            raise InvalidArgumentError(
                f"the events table lacks columns {missing}; it has {list(events.columns)}"
            )
        self.events = events.reset_index(drop=True)
        self.catalog = catalog
        self._streams: dict[str, list[dict[str, Any]]] = dict(events.attrs.get("streams") or {})
        self._own_player = scrubber is None
        self.scrubber: VideoScrubber | None = scrubber
        self.timeline: Timeline | None = timeline
        self.map: Any = None
        self._shown_record: str | None = (
            str(scrubber.source.record_id) if scrubber is not None else None
        )
        self._clock: ClockGroup | None = None
        self._selecting = False
        self.shown = -1
        shown = columns if columns is not None else [
            c for c in self.events.columns if c not in (*_REQUIRED, "label_id", "created")
        ]  # fmt: skip
        self.list = EventList(
            rows=[_row(r, shown) for r in self.events.to_dict("records")],
            columns=[str(c) for c in shown],
            thumbnails=self._thumbnails() if thumbnails else [],
            status=f"{len(self.events)} events in {self.events['record_id'].nunique()} records",
        )
        self.player = ipywidgets.VBox()
        super().__init__(children=[self.list, self.player], **kwargs)
        self.list.observe(self._on_select, names="selected")

    @property
    def selected(self) -> int:
        """The row shown (-1 for none)."""
        return self.list.selected

    def show(self, row: int) -> None:
        """Show the event of ``row``: the player at its start, its range marked in and out."""
        n = len(self.events)
        if not -n <= int(row) < n:
            raise InvalidArgumentError(f"row {row} is not in the table of {n} events")
        row = int(row) % n
        self._show(row)
        self._selecting = True
        try:
            self.list.selected = row
        finally:
            self._selecting = False

    def _show(self, row: int) -> None:
        event = self.events.iloc[row]
        record_id = str(event["record_id"])
        if record_id != self._shown_record:
            if not self._own_player:
                self.list.status = (
                    f"row {row} is an event of record {record_id!r}; the linked scrubber "
                    f"shows {self._shown_record!r}"
                )
                return
            self._open_record(record_id)
        scrubber = self.scrubber
        assert scrubber is not None
        times = scrubber.frame_timestamps
        first = int(np.clip(np.searchsorted(times, float(event["start"]), "right") - 1, 0, None))
        last = int(np.searchsorted(times, float(event["end"]), "left") - 1)
        last = int(np.clip(last, first, len(times) - 1))
        scrubber.set_range(first, last)
        scrubber.value = first
        self.shown = row
        self.list.status = (
            f"row {row}: {record_id}, {float(event['end']) - float(event['start']):.2f} s "
            f"(frames {first}..{last})"
        )

    def _on_select(self, change: dict[str, Any]) -> None:
        if change["new"] < 0 or self._selecting:
            return
        try:
            self._show(change["new"])
        except Exception as exc:  # shown in the panel: a click must not raise into the comm
            log.warning("EventTable: cannot show row %s: %s", change["new"], exc)
            self.list.status = f"cannot show row {change['new']}: {exc}"

    # ---- the player ----------------------------------------------------------------------
    def _recording(self, record_id: str) -> Any:
        from workbench.catalog.selection import Recording

        if self.catalog is not None:
            found = self.catalog.select(record_id=record_id).recordings()
            if found:
                return found[0]
        rows = self._streams.get(record_id)
        if rows:
            return Recording(record_id, pd.DataFrame(rows))
        raise InvalidArgumentError(
            f"cannot open record {record_id!r}: pass catalog= (a labels table does not know "
            "where its records' files are)"
        )

    def _open_record(self, record_id: str) -> None:
        from workbench.widgets.map_data import find_position_columns
        from workbench.widgets.map_view import MapView

        recording = self._recording(record_id)
        cameras = recording.cameras
        if not len(cameras):
            raise InvalidArgumentError(f"record {record_id!r} has no camera to show")
        self._close_player()
        scrubber = VideoScrubber(cameras[0])
        series = load_recording_series(recording)
        span = (float(scrubber.frame_timestamps[0]), float(scrubber.frame_timestamps[-1]))
        timeline = Timeline(series, span=span) if series else None
        if timeline is not None:
            timeline.show_events(self.events[self.events["record_id"] == record_id])
            if self.catalog is not None:
                timeline.show_labels(self.catalog, record_id)
        track = None
        if any(find_position_columns(list(df.columns)) for df in series.values()):
            track = MapView(series, record_id=record_id, height=240)
        members = [w for w in (scrubber, timeline, track) if w is not None]
        self._clock = ClockGroup(members)
        for follower in (timeline, track):
            if follower is not None:
                follower.timestamp = scrubber.timestamp
                follower.players = [scrubber.model_id]
        top = ipywidgets.HBox([scrubber, *([track] if track else [])])
        for w in top.children:
            w.layout = ipywidgets.Layout(flex="1 1 0", min_width="0")
        self.player.children = [top, *([timeline] if timeline else [])]
        self.scrubber, self.timeline, self.map = scrubber, timeline, track
        self._shown_record = record_id

    def _close_player(self) -> None:
        if not self._own_player:
            return
        if self._clock is not None:
            self._clock.unlink()
            self._clock = None
        for w in (self.scrubber, self.timeline, self.map):
            if w is not None:
                w.close()
        self.scrubber = self.timeline = self.map = None
        self._shown_record = None
        self.shown = -1
        self.player.children = []

    def close(self) -> None:
        """Close the player (when the table opened it), the table and the panel."""
        if hasattr(self, "list"):  # not when __init__ refused its arguments
            self._close_player()
            self.list.close()
            self.player.close()
        super().close()

    # ---- thumbnails ----------------------------------------------------------------------
    def _thumbnails(self) -> list[bytes]:
        from workbench.events.table import thumbnail_jpeg

        cameras = dict(self.events.attrs.get("cameras") or {})
        out: list[bytes] = []
        for event in self.events.head(_THUMBNAILS).to_dict("records"):
            rid = str(event["record_id"])
            if rid not in cameras:
                try:
                    cams = self._recording(rid).cameras
                    cameras[rid] = str(cams[0].path) if len(cams) else None
                except InvalidArgumentError:
                    cameras[rid] = None
            out.append(thumbnail_jpeg(cameras[rid], float(event["start"]), width=96) or b"")
        return out


def _row(event: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """One row for the browser: times and the shown columns, as JSON-safe values."""
    out: dict[str, Any] = {
        "record_id": str(event["record_id"]),
        "start": float(event["start"]),
        "end": float(event["end"]),
    }
    for col in columns:
        value = event.get(col)
        if isinstance(value, (float, np.floating)):
            out[col] = None if not np.isfinite(value) else round(float(value), 4)
        elif isinstance(value, (int, np.integer)):
            out[col] = int(value)
        else:
            out[col] = None if value is None else str(value)
    return out
