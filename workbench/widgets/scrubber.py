"""VideoScrubber: a frame-accurate video player and scrubber for the notebook.

Examples
--------
.. code-block:: python

    import ipywidgets as W
    import workbench as wb

    scrubber = wb.VideoScrubber("camera_01.mp4")
    scrubber                                   # shows the player
    scrubber.value = 120                       # jump to frame 120 (or set .time, seconds)
    scrubber.on_frame(lambda e: print(e.index, e.timestamp))
    W.link((scrubber, "value"), (other, "value"))
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import anywidget
import numpy as np
import traitlets

from workbench._assets import frontend_file
from workbench.errors import FrameIndexError, InvalidArgumentError, WorkbenchError
from workbench.widgets.playback import PlaybackStream
from workbench.widgets.prefetch import EncodedFrame, FrameServer
from workbench.widgets.protocol import (
    FrameRequest,
    error_reply,
    frame_reply,
    keyframes_reply,
    message_seq,
    message_type,
    parse_frame_request,
    parse_keyframes_request,
    parse_play_message,
    parse_prefetch_request,
)
from workbench.widgets.source import VideoSource, open_scrub_source

__all__ = ["FrameEvent", "VideoScrubber"]

log = logging.getLogger(__name__)

#: Playback rates offered by the view.
PLAYBACK_RATES = (0.25, 0.5, 1.0, 2.0, 4.0)


@dataclass
class FrameEvent:
    """What :meth:`VideoScrubber.on_frame` callbacks receive.

    Attributes
    ----------
    index, time, timestamp
        The frame now shown, its presentation time and its absolute timestamp (s).
    scrubber
        The widget; ``event.frame`` decodes the RGB picture on demand.
    """

    index: int
    time: float
    timestamp: float
    scrubber: VideoScrubber = field(repr=False)

    @property
    def frame(self) -> np.ndarray:
        """The ``(H, W, 3)`` uint8 RGB frame (decoded on first access)."""
        return self.scrubber.get_frame(self.index)


class VideoScrubber(anywidget.AnyWidget):
    """Scrub, step and play a video frame-accurately in the notebook.

    Parameters
    ----------
    source
        A :class:`workbench.video.Video`, a catalog ``Record`` (or row dict), a path or an
        fsspec URL (``"s3://bucket/cam.mp4"``); remote Videos and Records work alike.
    quality
        JPEG quality of the frames sent to the browser (1–95).
    preview_max_width
        Width of the keyframe previews shown while dragging (``None``: full size).
    cache_mb
        Budget of the kernel-side JPEG cache, in MiB.
    storage_options
        fsspec options for a URL (``endpoint_url``, credentials ...).
    **kwargs
        Initial traitlet values (``value``, ``playback_rate``, ``in_point`` ...).

    Attributes
    ----------
    value : int
        Index of the frame on screen (synced both ways; negative counts from the end).
    time : float
        Its presentation time in seconds (synced both ways; setting it jumps to the frame
        on screen at that time).
    timestamp : float
        Its absolute timestamp (record start + time, or the per-frame timestamps file).
    in_point, out_point : int
        The selected range (keys I and O), used by :class:`ExportPanel`.
    playing : bool
        Whether the view is playing.
    playback_rate : float
        Playback speed, one of 0.25, 0.5, 1, 2, 4.
    view_width : int
        Device pixels the view shows the frame at, rounded up to an even number (set
        by the view; 0 = full size). Frames are decoded and sent at that width, never
        wider than the video.
    view_cache_mb : float
        Most browser memory (MiB) for frames kept in the view: up to 19 decoded frames
        around the cursor (fewer if they do not fit in three quarters of it), so that a
        step paints without a round trip to the kernel, and keyframe preview JPEGs in the
        last quarter, so that a drag paints at once. 0 turns the view's cache off.

    Examples
    --------
    .. code-block:: python

        s = VideoScrubber("camera_01.mp4")
        s.time = 12.0           # the frame on screen at 12 s
        s.value, s.timestamp
    """

    _esm = frontend_file("scrubber.js")
    _css = frontend_file("scrubber.css")

    value = traitlets.Int(0).tag(sync=True)
    time = traitlets.Float(0.0).tag(sync=True)
    timestamp = traitlets.Float(0.0).tag(sync=True)
    num_frames = traitlets.Int(1).tag(sync=True)
    fps = traitlets.Float(30.0).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    duration_seconds = traitlets.Float(0.0).tag(sync=True)
    start_seconds = traitlets.Float(0.0).tag(sync=True)
    start_timestamp = traitlets.Float(0.0).tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    in_point = traitlets.Int(0).tag(sync=True)
    out_point = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    playback_rate = traitlets.Float(1.0).tag(sync=True)
    debug = traitlets.Bool(False).tag(sync=True)
    view_width = traitlets.Int(0).tag(sync=True)
    view_cache_mb = traitlets.Float(64.0).tag(sync=True)

    def __init__(
        self,
        source: Any,
        *,
        quality: int = 85,
        preview_max_width: int | None = 640,
        cache_mb: float = 64,
        storage_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._syncing = False
        self._from_view = False  # inside set_state: a state update from the browser
        self._callbacks: list[Callable[[FrameEvent], Any]] = []
        self._source: VideoSource = open_scrub_source(source, storage_options=storage_options)
        clock = self._source.clock
        if clock.num_frames == 0:
            self._source.close()
            raise InvalidArgumentError(f"{self._source.label} has no frames to show")
        self._clock = clock
        try:
            self._server = FrameServer(
                self._source.video,
                quality=quality,
                preview_max_width=preview_max_width,
                cache_bytes=int(cache_mb * 2**20),
            )
        except Exception:
            self._source.close()
            raise
        self._playback = PlaybackStream(self._server, self._reply, clock.num_frames)
        meta = self._source.video.metadata
        n = clock.num_frames
        step = float(np.median(np.diff(clock.pts_seconds))) if n > 1 else 0.0
        fps = float(getattr(meta, "fps", 0) or 0) or (1.0 / step if step > 0 else 30.0)
        duration = float(getattr(meta, "duration_seconds", 0) or 0) or (
            float(clock.pts_seconds[-1] - clock.pts_seconds[0]) + step
        )
        init = {
            "num_frames": n,
            "fps": fps,
            "width": int(getattr(meta, "width", 0) or 0),
            "height": int(getattr(meta, "height", 0) or 0),
            "duration_seconds": duration,
            "start_seconds": float(clock.pts_seconds[0]),
            "start_timestamp": float(self._source.start_timestamp),
            "label": self._source.label,
            "out_point": n - 1,
            "time": float(clock.pts_seconds[0]),
            "timestamp": float(clock.timestamps[0]),
        }
        user = dict(kwargs)
        super().__init__(**{**init, **{k: v for k, v in user.items() if k not in init}})
        self.on_msg(self._handle_message)

    # ---- public API --------------------------------------------------------------------
    @property
    def video(self) -> Any:
        """The underlying :class:`workbench.video.Video`."""
        return self._source.video

    @property
    def source(self) -> VideoSource:
        """The opened source (video, clock, label, record id, path)."""
        return self._source

    @property
    def frame_timestamps(self) -> np.ndarray:
        """Absolute timestamp of every frame (seconds)."""
        return self._clock.timestamps

    def get_frame(self, index: int | None = None) -> np.ndarray:
        """Return frame ``index`` (default: the one on screen) as ``(H, W, 3)`` RGB."""
        i = self._clock.check_index(self.value if index is None else index)
        return self._server.decode(i)

    def on_frame(self, callback: Callable[[FrameEvent], Any], *, remove: bool = False) -> None:
        """Call ``callback(event)`` whenever the frame on screen changes.

        Parameters
        ----------
        callback
            Receives a :class:`FrameEvent` (``index``, ``time``, ``timestamp`` and a lazy
            ``frame``). Exceptions are logged, never raised into the widget machinery.
        remove
            Unregister ``callback`` instead.
        """
        if remove:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
            return
        if not callable(callback):
            raise InvalidArgumentError(f"on_frame needs a callable, got {callback!r}")
        self._callbacks.append(callback)

    def seek(self, *, index: int | None = None, time: float | None = None) -> None:
        """Show frame ``index`` or the frame on screen at ``time`` seconds."""
        if (index is None) == (time is None):
            raise InvalidArgumentError("seek() needs exactly one of index= or time=")
        if index is not None:
            self.value = index
        else:
            self.time = float(time)  # type: ignore[arg-type]

    def set_range(self, in_point: int, out_point: int) -> None:
        """Set the in and out points together (frame indices, negative from the end)."""
        a, b = self._clock.check_index(in_point), self._clock.check_index(out_point)
        if a > b:
            raise FrameIndexError(f"in_point {in_point} is after out_point {out_point}")
        with self.hold_trait_notifications():
            self.in_point, self.out_point = a, b

    def close(self) -> None:
        """Stop the frame server, close the video and the widget."""
        playback = getattr(self, "_playback", None)
        if playback is not None:
            playback.stop()
        server = getattr(self, "_server", None)
        if server is not None:
            server.close()
        source = getattr(self, "_source", None)
        if source is not None:
            source.close()
        self._callbacks = []
        super().close()

    # ---- state from the view -------------------------------------------------------------
    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply a state update from the view (ipywidgets calls this for the browser).

        A frame index (``value``, ``in_point``, ``out_point``) or ``time`` out of range is
        clamped into the video and the clamped value is sent back, so that ``value``,
        ``time`` and ``timestamp`` always name one frame. Any other invalid value is
        refused: the update is undone and the view is sent the kernel's state.
        """
        self._from_view = True
        try:
            super().set_state(sync_data)
        except traitlets.TraitError as exc:
            log.warning("refused a state update from the view %r: %s", sync_data, exc)
            keys = [k for k in sync_data if k in self.keys]
            if keys and self.comm is not None:
                self.send_state(keys)
        finally:
            self._from_view = False

    def _refuse(self, exc: Exception) -> Exception:
        """The error to raise for an invalid value: ``exc`` from Python; from the view a
        ``TraitError`` (traitlets undoes an update from the view only for those)."""
        return traitlets.TraitError(str(exc)) if self._from_view else exc

    def _invalid(self, message: str) -> Exception:
        """:meth:`_refuse` of an :class:`InvalidArgumentError` saying ``message``."""
        return self._refuse(InvalidArgumentError(message))

    def _view_index(self, value: Any) -> int:
        """A frame index: from the view clamped into the video, from Python checked."""
        if self._from_view:
            return min(max(int(value), 0), self._clock.num_frames - 1)
        return self._clock.check_index(value)

    # ---- traitlet validation and syncing ------------------------------------------------
    @contextlib.contextmanager
    def _sync(self) -> Iterator[None]:
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    @traitlets.validate("value")
    def _valid_value(self, proposal: dict[str, Any]) -> int:
        return self._view_index(proposal["value"])

    @traitlets.validate("in_point")
    def _valid_in(self, proposal: dict[str, Any]) -> int:
        i = self._view_index(proposal["value"])
        if i > self.out_point:
            raise self._range_refused(f"in_point {i} would be after out_point {self.out_point}")
        return i

    @traitlets.validate("out_point")
    def _valid_out(self, proposal: dict[str, Any]) -> int:
        i = self._view_index(proposal["value"])
        if i < self.in_point:
            raise self._range_refused(f"out_point {i} would be before in_point {self.in_point}")
        return i

    def _range_refused(self, why: str) -> Exception:
        """The error for an in or out point that would cross the other one."""
        return self._refuse(
            FrameIndexError(f"{why}; use set_range(in_point, out_point) to move both")
        )

    @traitlets.validate("playback_rate")
    def _valid_rate(self, proposal: dict[str, Any]) -> float:
        rate = float(proposal["value"])
        if rate not in PLAYBACK_RATES:
            raise self._invalid(
                f"playback_rate {rate!r} is not offered; use one of {list(PLAYBACK_RATES)}"
            )
        return rate

    @traitlets.validate("time")
    def _valid_time(self, proposal: dict[str, Any]) -> float:
        t = float(proposal["value"])
        if self._syncing:
            return t
        if self._from_view and np.isfinite(t):  # clamped: _on_time snaps it to a frame
            pts = self._clock.pts_seconds
            return min(max(t, float(pts[0])), float(pts[-1]))
        try:
            self._clock.index_at_time(t)  # raises FrameIndexError when outside
        except FrameIndexError as exc:
            raise self._refuse(exc) from None
        return t

    @traitlets.validate("view_width")
    def _valid_view_width(self, proposal: dict[str, Any]) -> int:
        w = int(proposal["value"])
        if w < 0:
            raise self._invalid(f"view_width must be >= 0 (0: full size), got {w}")
        return w

    @traitlets.validate("view_cache_mb")
    def _valid_view_cache(self, proposal: dict[str, Any]) -> float:
        mb = float(proposal["value"])
        if not (np.isfinite(mb) and mb >= 0):
            raise self._invalid(
                f"view_cache_mb must be a number of MiB >= 0 (0: no view cache), got {mb!r}"
            )
        return mb

    @traitlets.observe("view_width")
    def _on_view_width(self, change: dict[str, Any]) -> None:
        self._server.set_output_width(change["new"] or None)

    @traitlets.validate("timestamp")
    def _valid_timestamp(self, proposal: dict[str, Any]) -> float:
        t = float(proposal["value"])
        if not np.isfinite(t):
            raise self._invalid(f"timestamp must be a finite number, got {t!r}")
        return t

    @traitlets.observe("value")
    def _on_value(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            i = int(self.value)  # validated (a held change may still carry the raw value)
            with self._sync():
                self.time = float(self._clock.pts_seconds[i])
                self.timestamp = float(self._clock.timestamps[i])
        self._notify()

    @traitlets.observe("time")
    def _on_time(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self._show(self._clock.index_at_time(change["new"]))

    @traitlets.observe("timestamp")
    def _on_timestamp(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self._show(self._clock.index_at_timestamp(change["new"]))

    def _show(self, i: int) -> None:
        """Point every clock traitlet at frame ``i`` (snapping time and timestamp)."""
        with self._sync(), self.hold_sync():
            self.value = i
            self.time = float(self._clock.pts_seconds[i])
            self.timestamp = float(self._clock.timestamps[i])

    def _notify(self) -> None:
        event = FrameEvent(self.value, self.time, self.timestamp, self)
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("on_frame callback %r failed", callback)

    # ---- messages from the view ---------------------------------------------------------
    def _handle_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        """Serve one message from the view. Never raises: whatever fails, a malformed
        message included, is answered with an error reply (with the message's ``seq``
        when it has a usable one), so that no request of the view waits forever."""
        handlers = {
            "frame": self._on_frame_request,
            "prefetch": self._on_prefetch_request,
            "keyframes": self._on_keyframes_request,
            "play": self._on_play_message,
            "credit": self._on_play_message,
            "stop": self._on_play_message,
        }
        try:
            handlers[message_type(content)](content)
        except Exception as exc:
            if not isinstance(exc, WorkbenchError):
                log.exception("message from the view failed: %.200r", content)
            self.send(error_reply(message_seq(content), str(exc)))

    def _on_play_message(self, content: dict[str, Any]) -> None:
        msg = parse_play_message(content, num_frames=self._clock.num_frames)
        if msg.kind == "play":
            self._playback.start(seq=msg.seq, first=msg.first, stride=msg.stride, credit=msg.credit)
        elif msg.kind == "credit":
            self._playback.credit(seq=msg.seq, n=msg.credit, first=msg.first)
        else:
            self._playback.stop(msg.seq)

    def _on_keyframes_request(self, content: dict[str, Any]) -> None:
        seq = parse_keyframes_request(content)
        header, data = keyframes_reply(seq, self.video.keyframe_indices)
        self.send(header, buffers=[data])

    def _on_prefetch_request(self, content: dict[str, Any]) -> None:
        batch = parse_prefetch_request(content, num_frames=self._clock.num_frames)
        for request in batch.requests():
            self._server.prefetch(
                request.index, preview=request.preview, reply=partial(self._reply, request)
            )

    def _on_frame_request(self, content: dict[str, Any]) -> None:
        request = parse_frame_request(content, num_frames=self._clock.num_frames)
        if request.offset_seconds:
            request = replace(request, index=self._offset_index(request))
        self._server.request(
            request.index,
            preview=request.preview,
            hint=request.hint,
            reply=lambda frame, error: self._reply(request, frame, error),
        )

    def _offset_index(self, request: FrameRequest) -> int:
        """The frame on screen ``offset_seconds`` away from ``request.index`` (clamped)."""
        pts = self._clock.pts_seconds
        target = float(pts[request.index]) + request.offset_seconds
        pos = int(np.searchsorted(pts, target + 1e-9, side="right")) - 1
        return min(max(pos, 0), self._clock.num_frames - 1)

    def _reply(
        self, request: FrameRequest, frame: EncodedFrame | None, error: BaseException | None
    ) -> None:
        if self.comm is None:
            return
        if error is not None or frame is None:
            message = f"frame {request.index}: {error}"
            self.send(error_reply(request.seq, message, index=request.index))
            return
        i = frame.index  # while playing, possibly a frame just before the one asked for
        size = self._server.output_size or (self.width, self.height)
        header = frame_reply(
            request,
            index=i,
            exact=frame.exact,
            time=float(self._clock.pts_seconds[i]),
            timestamp=float(self._clock.timestamps[i]),
            keyframe_index=frame.keyframe_index,
            width=size[0],
            height=size[1],
        )
        self.send(header, buffers=[frame.data])
