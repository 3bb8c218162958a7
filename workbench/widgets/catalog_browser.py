"""CatalogBrowser: filter a catalog by tags, pick a record, scrub its cameras on one clock.

Examples
--------
.. code-block:: python

    cat = wb.open_catalog("data/catalog.db")
    browser = wb.CatalogBrowser(cat)
    browser                                   # tag chips with counts, record list
    browser.open_record("016_00000000030000000240")
    browser.scrubbers, browser.timeline       # one scrubber per camera, CAN/GPS lanes
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import anywidget
import ipywidgets
import traitlets

from workbench._assets import frontend_file
from workbench.errors import InvalidArgumentError
from workbench.widgets.map_data import find_position_columns
from workbench.widgets.map_view import MapView
from workbench.widgets.scrubber import VideoScrubber
from workbench.widgets.sync import ClockGroup
from workbench.widgets.timeline import Timeline, load_recording_series

__all__ = ["CatalogBrowser", "CatalogList"]

log = logging.getLogger(__name__)


class CatalogList(anywidget.AnyWidget):
    """The browser's list part: tag chips with counts and the matching records."""

    _esm = frontend_file("catalog_browser.js")
    _css = frontend_file("catalog_browser.css")

    tags = traitlets.List(traitlets.Dict()).tag(sync=True)
    selected_tags = traitlets.List(traitlets.Unicode()).tag(sync=True)
    records = traitlets.List(traitlets.Dict()).tag(sync=True)
    opened = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)


class CatalogBrowser(ipywidgets.VBox):
    """Browse a catalog: tag filters, record list, and the opened record's player.

    Parameters
    ----------
    catalog
        A :class:`workbench.catalog.Catalog` (or a path to one).
    max_cameras
        Most cameras shown side by side for one record.

    Attributes
    ----------
    scrubbers : list of VideoScrubber
        One per camera of the opened record, all on one clock with the timeline. Play,
        pause and the playback rate of one apply to all: each plays on its own clock
        from the same time, and the one stopped first leads the others to its time.
    timeline : Timeline or None
        The record's time series (CAN, GPS ...).
    map : MapView or None
        The record's GPS track beside the cameras, its marker on the same clock (when
        the record has a series with latitude and longitude).
    """

    def __init__(self, catalog: Any, *, max_cameras: int = 4, **kwargs: Any) -> None:
        if isinstance(catalog, (str,)) or hasattr(catalog, "__fspath__"):
            from workbench.catalog import open_catalog

            catalog = open_catalog(catalog)
        if not hasattr(catalog, "select") or not hasattr(catalog, "tags"):
            raise InvalidArgumentError(
                f"CatalogBrowser needs a Catalog (wb.open_catalog(path)), got "
                f"{type(catalog).__name__}"
            )
        self.catalog = catalog
        self.max_cameras = int(max_cameras)
        self.list = CatalogList()
        self.player = ipywidgets.VBox()
        self.scrubbers: list[VideoScrubber] = []
        self.timeline: Timeline | None = None
        self.map: MapView | None = None
        self._clock: ClockGroup | None = None
        self._transport: list[ClockGroup] = []
        super().__init__(children=[self.list, self.player], **kwargs)
        self.list.observe(self._on_filter, names="selected_tags")
        self.list.observe(self._on_open, names="opened")
        self.refresh()

    # ---- listing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-run the query for the selected tags and update counts and records."""
        selected = list(self.list.selected_tags)
        sel = self.catalog.select(tags=selected) if selected else self.catalog.select()
        df = sel.df
        counts: Counter[str] = Counter()
        for tags in df.get("tags", []):
            counts.update(set(tags or []))
        if not selected:
            tag_rows = [
                {"tag": str(t), "count": int(c)}
                for t, c in self.catalog.tags().itertuples(index=False)
            ]
        else:
            tag_rows = [{"tag": t, "count": c} for t, c in counts.most_common()]
            tag_rows += [{"tag": t, "count": 0} for t in selected if t not in counts]
        records = []
        for rec in sel.recordings():
            start, end = rec.start_timestamp, rec.end_timestamp
            records.append(
                {
                    "record_id": str(rec.record_id),
                    "start": start,
                    "duration": (end - start) if start is not None and end is not None else None,
                    "streams": list(dict.fromkeys(str(s) for s in rec.streams)),
                }
            )
        with self.list.hold_sync():
            self.list.tags = tag_rows
            self.list.records = records
            self.list.status = f"{len(records)} records, {len(df)} streams"

    def select_tags(self, tags: list[str]) -> None:
        """Filter the record list by these tags (all must match)."""
        self.list.selected_tags = list(tags)

    def _on_filter(self, change: dict[str, Any]) -> None:
        try:
            self.refresh()
        except Exception as exc:
            self.list.status = f"query failed: {exc}"

    def _on_open(self, change: dict[str, Any]) -> None:
        if change["new"]:
            try:
                self.open_record(change["new"])
            except Exception as exc:
                log.warning("cannot open record %s: %s", change["new"], exc)
                self.list.status = f"cannot open {change['new']}: {exc}"

    # ---- player -------------------------------------------------------------------------
    def open_record(self, record_id: str) -> None:
        """Show the cameras of ``record_id`` in scrubbers and its series in a timeline."""
        recordings = self.catalog.select(record_id=record_id).recordings()
        if not recordings:
            raise InvalidArgumentError(f"record {record_id!r} is not in the catalog")
        recording = recordings[0]
        self._close_player()
        cameras = list(recording.cameras)[: self.max_cameras]
        scrubbers = [VideoScrubber(cam) for cam in cameras]
        for s, cam in zip(scrubbers, cameras, strict=True):
            s.label = str(getattr(cam, "contents", "") or s.label)
        series = load_recording_series(recording)
        timeline = None
        if series:
            span = None
            if scrubbers:
                span = (
                    min(float(s.frame_timestamps[0]) for s in scrubbers),
                    max(float(s.frame_timestamps[-1]) for s in scrubbers),
                )
            timeline = Timeline(series, span=span)
            timeline.show_labels(self.catalog, record_id, editable=not self.catalog.readonly)
        track = None
        if any(find_position_columns(list(df.columns)) for df in series.values()):
            track = MapView(series, record_id=str(recording.record_id))
        self.scrubbers, self.timeline, self.map = scrubbers, timeline, track
        members: list[Any] = [*scrubbers, *(w for w in (timeline, track) if w is not None)]
        self._clock = ClockGroup(members)
        # one play button for every camera: each view plays on its own clock from the
        # same timestamp; when they stop, the one that stopped first leads the others
        self._transport = [ClockGroup(scrubbers, name=n) for n in ("playing", "playback_rate")]
        for follower in (timeline, track):
            if follower is not None and scrubbers:
                follower.timestamp = scrubbers[0].timestamp
                follower.players = [s.model_id for s in scrubbers]
        beside = [*scrubbers, *([track] if track else [])]
        row = ipywidgets.HBox(beside, layout=ipywidgets.Layout(width="100%"))
        for w in beside:
            w.layout = ipywidgets.Layout(flex="1 1 0", min_width="0")
        self.player.children = [row, *([timeline] if timeline else [])]
        if self.list.opened != record_id:
            self.list.opened = record_id

    def _close_player(self) -> None:
        if self._clock is not None:
            self._clock.unlink()
            self._clock = None
        for group in self._transport:
            group.unlink()
        self._transport = []
        for w in [*self.scrubbers, *(x for x in (self.timeline, self.map) if x is not None)]:
            w.close()
        self.scrubbers, self.timeline, self.map = [], None, None
        self.player.children = []

    def close(self) -> None:
        """Close the player widgets and the browser."""
        self._close_player()
        self.list.close()
        self.player.close()
        super().close()
