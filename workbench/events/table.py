"""The table ``find_events`` returns: a DataFrame that shows a thumbnail per event.

:class:`Events` is a plain pandas DataFrame (filter, sort, concatenate and save it as
usual) that remembers each record's first camera; in a notebook its HTML shows, for the
first few events, the keyframe at or before the event's start, so a user sees what
happened without opening a player. Thumbnails cost one keyframe decode each, from the
cached video index.

Examples
--------
>>> ev = Events.from_frame(pd.DataFrame({"record_id": ["r1"], "start": [10.0],
...                                      "end": [11.5], "duration": [1.5]}))
>>> ev.duration.tolist(), len(ev)
([1.5], 1)
"""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["EVENT_COLUMNS", "THUMBNAILS", "Events", "thumbnail_jpeg"]

log = logging.getLogger(__name__)

#: the columns every events table starts with
EVENT_COLUMNS = ("record_id", "start", "end", "duration")
#: how many events the notebook view shows a thumbnail for
THUMBNAILS = 6
_THUMB_WIDTH = 128


class Events(pd.DataFrame):
    """Events found in recordings: ``record_id``, ``start``, ``end``, ``duration``, stats.

    ``attrs["cameras"]`` maps a record id to the camera its thumbnails come from,
    ``attrs["streams"]`` to the catalog rows of its streams (so an
    :class:`~workbench.widgets.EventTable` can open the record), and ``attrs["signals"]``
    lists the summarised signals.
    """

    @property
    def _constructor(self) -> type[Events]:
        return Events

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        signals: Sequence[str] = (),
        cameras: Mapping[str, str | None] | None = None,
        streams: Mapping[str, list[dict]] | None = None,
    ) -> Events:
        """Wrap ``frame`` (sorted by record and start, index reset) as :class:`Events`."""
        if frame.empty:
            frame = pd.DataFrame(columns=[*EVENT_COLUMNS])
        else:
            frame = frame.sort_values(["record_id", "start"], kind="stable")
        events = cls(frame.reset_index(drop=True))
        events.attrs["signals"] = list(signals)
        events.attrs["cameras"] = dict(cameras or {})
        events.attrs["streams"] = dict(streams or {})
        return events

    def _repr_html_(self) -> str | None:  # type: ignore[override]
        table = pd.DataFrame(self).to_html(max_rows=60, float_format=lambda v: f"{v:.3f}")
        if not set(EVENT_COLUMNS) <= set(self.columns):  # a few columns picked out: a table
            return table
        cameras = self.attrs.get("cameras") or {}
        thumbs = []
        for row in self.head(THUMBNAILS).itertuples(index=False):
            jpeg = thumbnail_jpeg(cameras.get(str(row.record_id)), float(row.start))
            if jpeg is None:
                continue
            image = base64.b64encode(jpeg).decode("ascii")
            label = html.escape(f"{row.record_id} @ {float(row.start):.2f}")
            thumbs.append(
                f"<figure style='display:inline-block;margin:2px'>"
                f"<img src='data:image/jpeg;base64,{image}' width='{_THUMB_WIDTH}'/>"
                f"<figcaption style='font-size:10px'>{label}</figcaption></figure>"
            )
        summary = f"<p>{len(self)} events in {self['record_id'].nunique()} records</p>"
        return summary + "".join(thumbs) + table


def thumbnail_jpeg(camera: Any, timestamp: float, *, width: int = _THUMB_WIDTH) -> bytes | None:
    """JPEG of the keyframe at or before ``timestamp`` in ``camera`` (a path or record).

    Returns None when there is no camera or the picture cannot be had (never raises: a
    thumbnail must not break a table).
    """
    if not camera:
        return None
    try:
        import numpy as np
        from PIL import Image

        from workbench.readers import read

        reader = read(
            camera,
            start=timestamp,
            end=timestamp + 1e-3,
            mode="keyframes",
            target_frame_rate=1000,
        )
        frames = [b.frames for b in reader if len(b.frames)]
        if not frames:
            return None
        image = Image.fromarray(np.asarray(frames[0][0]))
        image.thumbnail((width, width))
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=80)
        return buf.getvalue()
    except Exception as exc:  # a thumbnail must never break the table
        log.debug("no thumbnail for %s at %s: %s", camera, timestamp, exc)
        return None
