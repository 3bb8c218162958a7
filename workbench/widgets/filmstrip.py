"""Filmstrip: keyframe thumbnails across a video; click one to jump there.

Examples
--------
.. code-block:: python

    s = wb.VideoScrubber("camera_01.mp4")
    strip = wb.Filmstrip(s)          # linked: clicking a thumb moves the scrubber
    ipywidgets.VBox([s, strip])
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import anywidget
import numpy as np
import traitlets

from workbench._assets import frontend_file
from workbench.errors import InvalidArgumentError
from workbench.widgets.encode import encode_jpeg, thumbnail_size
from workbench.widgets.scrubber import VideoScrubber

__all__ = ["Filmstrip", "pick_thumbnails"]

log = logging.getLogger(__name__)


def pick_thumbnails(keyframe_indices: Any, count: int) -> list[int]:
    """Choose up to ``count`` keyframes spread evenly over the video.

    Examples
    --------
    >>> pick_thumbnails([0, 30, 60, 90], 2)
    [0, 90]
    >>> pick_thumbnails([0, 30], 8)
    [0, 30]
    """
    keys = np.unique(np.asarray(keyframe_indices, dtype=np.int64))
    if count < 1:
        raise InvalidArgumentError(f"count must be at least 1, got {count!r}")
    if keys.size <= count:
        return [int(k) for k in keys]
    picks = np.unique(np.round(np.linspace(0, keys.size - 1, count)).astype(np.int64))
    return [int(keys[p]) for p in picks]


class Filmstrip(anywidget.AnyWidget):
    """A row of keyframe thumbnails; clicking one sets ``value`` to that keyframe.

    Parameters
    ----------
    scrubber
        The :class:`VideoScrubber` to follow and drive (``value`` is linked both ways);
        thumbnails are decoded on its frame server, so the decoder is shared safely.
    count
        Maximum number of thumbnails.
    thumb_width
        Width of a thumbnail in pixels.

    Attributes
    ----------
    value : int
        The frame index the strip highlights (the scrubber's frame).
    thumb_indices : list of int
        Frame index of each thumbnail (keyframes).
    """

    _esm = frontend_file("filmstrip.js")
    _css = frontend_file("filmstrip.css")

    value = traitlets.Int(0).tag(sync=True)
    num_frames = traitlets.Int(1).tag(sync=True)
    thumb_indices = traitlets.List(traitlets.Int()).tag(sync=True)
    thumb_times = traitlets.List(traitlets.Float()).tag(sync=True)
    thumb_width = traitlets.Int(160).tag(sync=True)

    def __init__(
        self, scrubber: VideoScrubber, *, count: int = 16, thumb_width: int = 160, **kwargs: Any
    ) -> None:
        if not isinstance(scrubber, VideoScrubber):
            raise InvalidArgumentError(
                f"Filmstrip needs a VideoScrubber, got {type(scrubber).__name__}; "
                "create one with wb.VideoScrubber(source)"
            )
        if not 16 <= int(thumb_width) <= 640:
            raise InvalidArgumentError(f"thumb_width must be in 16..640, got {thumb_width!r}")
        self._scrubber = scrubber
        server = scrubber._server
        picks = pick_thumbnails(server._keyframes, int(count))
        pts = scrubber.source.clock.pts_seconds
        super().__init__(
            num_frames=scrubber.num_frames,
            thumb_indices=picks,
            thumb_times=[float(pts[i]) for i in picks],
            thumb_width=int(thumb_width),
            value=scrubber.value,
            **kwargs,
        )
        self._thumbs: list[bytes] | None = None
        self._lock = threading.Lock()
        self._link = traitlets.link((scrubber, "value"), (self, "value"))
        self.on_msg(self._handle_message)

    @traitlets.validate("value")
    def _valid_value(self, proposal: dict[str, Any]) -> int:
        return self._scrubber.source.clock.check_index(proposal["value"])

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply a state update from the view; a frame index out of range is clamped
        (as the scrubber does), never raised half-way through the update."""
        value = sync_data.get("value")
        if isinstance(value, int) and not isinstance(value, bool):
            sync_data = {**sync_data, "value": min(max(value, 0), self.num_frames - 1)}
        super().set_state(sync_data)

    def thumbnails(self, timeout: float = 120.0) -> list[bytes]:
        """Return the JPEG bytes of every thumbnail (made once, on the scrubber's decoder)."""
        with self._lock:
            if self._thumbs is None:
                size = thumbnail_size(
                    max(1, self._scrubber.width), max(1, self._scrubber.height), self.thumb_width
                )
                futures = [
                    self._scrubber._server.call(
                        lambda video, k=k: encode_jpeg(
                            video.get_keyframe_preview(k, size=size), quality=75
                        )
                    )
                    for k in self.thumb_indices
                ]
                self._thumbs = [f.result(timeout=timeout) for f in futures]
            return self._thumbs

    def _handle_message(self, _w: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        if isinstance(content, dict) and content.get("type") == "thumbs":
            threading.Thread(target=self._send_thumbs, name="workbench-thumbs", daemon=True).start()

    def _send_thumbs(self) -> None:
        try:
            thumbs = self.thumbnails()
        except Exception as exc:
            log.warning("filmstrip thumbnails failed: %s", exc)
            if self.comm is not None:
                self.send({"type": "error", "message": str(exc)})
            return
        if self.comm is not None:
            self.send({"type": "thumbs", "indices": list(self.thumb_indices)}, buffers=thumbs)

    def close(self) -> None:
        """Unlink from the scrubber and close the widget."""
        link = getattr(self, "_link", None)
        if link is not None:
            link.unlink()
            self._link = None
        super().close()
