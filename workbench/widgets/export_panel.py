"""ExportPanel: sample and export the scrubber's in/out range without blocking the kernel.

The export runs on a background thread, in short time chunks so that it reports progress
and can be cancelled between chunks; widget traffic (scrubbing, other widgets) keeps
flowing meanwhile. ``export_frames`` is resumable and atomic, so a cancelled export leaves
only whole files behind and a second run continues where the first stopped.

Examples
--------
.. code-block:: python

    s = wb.VideoScrubber(record)
    panel = wb.ExportPanel(s, out_dir="dump/")
    ipywidgets.HBox([s, panel])
    panel.export().result()          # or click Export; panel.result holds the summary

Settings mean what the same options mean in :func:`workbench.read` and
:func:`workbench.export_frames` (one validator, :class:`workbench.options.ReadOptions`):
``target_frame_rate=None`` keeps every frame (an empty frame-rate field in the browser),
any other rate must be > 0; ``resize_rate`` is a scale factor > 0 (0.5 halves the size,
2 doubles it). A value the browser sends that is not allowed is refused: the setting keeps
its value and :attr:`ExportPanel.setting_error` (shown in the panel) says why.
"""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import Future
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from workbench._assets import frontend_file
from workbench.errors import InvalidArgumentError
from workbench.options import ReadOptions
from workbench.readers.base import TIME_EPS, output_size
from workbench.widgets.scrubber import VideoScrubber

__all__ = ["FORMATS", "ExportPanel", "PanelSettingError", "chunk_bounds", "format_offset"]

log = logging.getLogger(__name__)

#: Output formats: image formats go through ``export_frames``, ``mp4`` through ``export_clip``.
FORMATS = ("jpeg", "png", "webp", "mp4")
_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp", "mp4": "mp4"}
#: Seconds of video exported per chunk (progress / cancel granularity).
CHUNK_SECONDS = 2.0
#: Frames encoded to estimate the size of an MP4 clip.
CLIP_SAMPLE_FRAMES = 16


class PanelSettingError(InvalidArgumentError, traitlets.TraitError):
    """A panel setting that is not allowed.

    Also a ``TraitError``, so that ipywidgets undoes a value typed in the browser (the
    setting keeps its previous value) instead of keeping it.
    """


def format_offset(seconds: float) -> str:
    """Format seconds from the record start as ``m:ss.cc`` (``h:mm:ss.cc`` from an hour).

    Examples
    --------
    >>> format_offset(12.4), format_offset(62.0), format_offset(3723.5), format_offset(-1.0)
    ('0:12.40', '1:02.00', '1:02:03.50', '-0:01.00')
    """
    sign = "-" if seconds < 0 else ""
    cs = round(abs(seconds) * 100)
    h, rest = divmod(cs, 360_000)
    m, rest = divmod(rest, 6000)
    sec = f"{rest // 100:02d}.{rest % 100:02d}"
    return f"{sign}{h}:{m:02d}:{sec}" if h else f"{sign}{m}:{sec}"


def chunk_bounds(
    start: float, end: float, chunk: float, frame_times: np.ndarray | None = None
) -> list[float]:
    """Split ``[start, end)`` into windows of about ``chunk`` seconds, none of them empty.

    With ``frame_times`` (the ascending times of the frames in the range, ``start`` the
    first), every window starts on a frame, so each holds at least one frame. Without,
    windows start on ``start + k * chunk`` (a sampling grid), and a remainder shorter
    than :data:`~workbench.readers.base.TIME_EPS` is not a window of its own (float noise
    of absolute epoch times used to leave a sub-microsecond last window that overlapped
    no frame).

    Examples
    --------
    >>> t0 = 1552857001.48
    >>> b = chunk_bounds(t0, t0 + 2.0000003, 1.0)
    >>> len(b), b[-1] - b[-2] > 0.5
    (3, True)
    >>> chunk_bounds(0.0, 0.1, 0.07, frame_times=np.array([0.0, 0.033, 0.067]))
    [0.0, 0.067, 0.1]
    """
    if frame_times is not None and len(frame_times):
        times = np.asarray(frame_times, dtype="float64")
        period = float(np.median(np.diff(times))) if len(times) > 1 else chunk
        per = max(1, round(chunk / period)) if period > 0 else 1
        return [*times[::per].tolist(), float(end)]
    count = max(1, math.ceil((end - start - TIME_EPS) / chunk))
    return [*(start + k * chunk for k in range(count)), float(end)]


class ExportPanel(anywidget.AnyWidget):
    """Sampling and export controls driven by a scrubber's in/out points.

    Parameters
    ----------
    scrubber
        The :class:`VideoScrubber` whose in/out points set the range.
    out_dir
        Output folder (created on export).
    chunk_seconds
        Seconds of video per ``export_frames`` call: progress and cancel granularity.
    **kwargs
        Initial values of ``target_frame_rate``, ``resize_rate``, ``format``,
        ``quality``, ``name``.

    Attributes
    ----------
    start, end : float
        The absolute time window ``[start, end)`` (from the in/out points).
    target_frame_rate : float or None
        Frames per second to keep (> 0); ``None`` keeps every frame, as in ``wb.read``.
    resize_rate : float
        Scale factor > 0 (1 keeps the size), as in ``wb.read``.
    format : str
        One of :data:`FORMATS`.
    estimate_frames, estimate_bytes : int
        What the export will write (bytes: one sample frame encoded, times the frames).
    status : str
        ``idle``, ``running``, ``cancelling``, ``done``, ``cancelled`` or ``error``.
    setting_error : str
        Why the last setting sent from the browser was refused ("" when it was not).
    range_label, range_title : str
        The range relative to the record start (``0:12.40 → 0:15.00``) and in absolute
        seconds (the label's tooltip).
    progress : float
        Fraction done, 0..1.
    result : dict
        Summary of the last export (``written``, ``skipped``, ``bytes``, ``out``,
        ``files``, ``seconds``, ``failed``).
    """

    _esm = frontend_file("export_panel.js")
    _css = frontend_file("export_panel.css")

    in_point = traitlets.Int(0).tag(sync=True)
    out_point = traitlets.Int(0).tag(sync=True)
    start = traitlets.Float(0.0).tag(sync=True)
    end = traitlets.Float(0.0).tag(sync=True)
    target_frame_rate = traitlets.Float(2.0, allow_none=True).tag(sync=True)
    resize_rate = traitlets.Float(0.5).tag(sync=True)
    format = traitlets.Unicode("jpeg").tag(sync=True)
    quality = traitlets.Int(90).tag(sync=True)
    out_dir = traitlets.Unicode("export").tag(sync=True)
    name = traitlets.Unicode("{record_id}-{timestamp:.3f}.{ext}").tag(sync=True)
    estimate_frames = traitlets.Int(0).tag(sync=True)
    estimate_bytes = traitlets.Int(0).tag(sync=True)
    status = traitlets.Unicode("idle").tag(sync=True)
    progress = traitlets.Float(0.0).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    setting_error = traitlets.Unicode("").tag(sync=True)
    range_label = traitlets.Unicode("").tag(sync=True)
    range_title = traitlets.Unicode("").tag(sync=True)
    result = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        scrubber: VideoScrubber,
        *,
        out_dir: str | Path = "export",
        chunk_seconds: float = CHUNK_SECONDS,
        **kwargs: Any,
    ) -> None:
        if not isinstance(scrubber, VideoScrubber):
            raise InvalidArgumentError(
                f"ExportPanel needs a VideoScrubber, got {type(scrubber).__name__}"
            )
        if not chunk_seconds > 0:
            raise InvalidArgumentError(f"chunk_seconds must be > 0, got {chunk_seconds!r}")
        self._scrubber = scrubber
        self.chunk_seconds = float(chunk_seconds)
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._sample_bytes: dict[tuple[Any, ...], int] = {}
        super().__init__(out_dir=str(out_dir), **kwargs)
        self._links = [
            traitlets.link((scrubber, "in_point"), (self, "in_point")),
            traitlets.link((scrubber, "out_point"), (self, "out_point")),
        ]
        self._update_window()
        self.on_msg(self._handle_message)

    # ---- validation ---------------------------------------------------------------------
    @staticmethod
    def _check(name: str, value: Any, hint: str = "") -> None:
        try:
            ReadOptions(**{name: value})
        except InvalidArgumentError as exc:
            raise PanelSettingError(f"{exc}{hint}") from None

    @traitlets.validate("target_frame_rate")
    def _valid_rate(self, proposal: dict[str, Any]) -> float | None:
        r = proposal["value"]
        if r is None:
            return None
        self._check("target_frame_rate", r, "; leave the frame rate empty to keep every frame")
        return float(r)

    @traitlets.validate("resize_rate")
    def _valid_resize(self, proposal: dict[str, Any]) -> float:
        self._check("resize_rate", proposal["value"], " (1 keeps the size)")
        return float(proposal["value"])

    @traitlets.validate("format")
    def _valid_format(self, proposal: dict[str, Any]) -> str:
        f = str(proposal["value"]).lower()
        f = "jpeg" if f == "jpg" else f
        if f not in FORMATS:
            raise PanelSettingError(f"format {f!r} is not supported; use one of {FORMATS}")
        return f

    @traitlets.validate("quality")
    def _valid_quality(self, proposal: dict[str, Any]) -> int:
        q = proposal["value"]
        if isinstance(q, float) and q.is_integer():
            q = int(q)
        if isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= 100:
            raise PanelSettingError(f"quality must be an integer from 1 to 100, got {q!r}")
        return q

    @traitlets.validate("out_dir")
    def _valid_out_dir(self, proposal: dict[str, Any]) -> str:
        d = str(proposal["value"])
        if not d.strip():
            raise PanelSettingError(
                "the output folder is empty; give a folder to write into, e.g. 'export'"
            )
        return d

    @traitlets.validate("name")
    def _valid_name(self, proposal: dict[str, Any]) -> str:
        from workbench.export.naming import NameTemplate

        name = str(proposal["value"])
        try:
            NameTemplate(name.replace("{ext}", "jpg"))
        except InvalidArgumentError as exc:
            raise PanelSettingError(str(exc)) from None
        return name

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply settings from the browser; refuse a value that is not allowed.

        ipywidgets undoes the whole message on a ``TraitError`` (every setting keeps its
        value); the reason goes to :attr:`setting_error` and the kept values back to
        the browser, so the fields show what the panel will use.
        """
        try:
            super().set_state(sync_data)
        except traitlets.TraitError as exc:
            log.info("refused a setting from the browser: %s", exc)
            self.setting_error = str(exc)
            self.send_state([k for k in sync_data if k in self.keys])
            return
        if any(k in sync_data for k in self._SETTINGS):
            self.setting_error = ""

    _SETTINGS = ("target_frame_rate", "resize_rate", "format", "quality", "out_dir", "name")

    # ---- range and estimate -------------------------------------------------------------
    @traitlets.observe("in_point", "out_point")
    def _on_points(self, change: dict[str, Any]) -> None:
        self._update_window()

    @traitlets.observe("target_frame_rate", "resize_rate", "format", "quality")
    def _on_settings(self, change: dict[str, Any]) -> None:
        self._update_estimate()

    def _update_window(self) -> None:
        ts = self._scrubber.frame_timestamps
        a, b = self.in_point, self.out_point
        step = 1.0 / self._scrubber.fps if self._scrubber.fps > 0 else 0.0
        end = float(ts[b + 1]) if b + 1 < ts.size else float(ts[b]) + step
        start = float(ts[a])
        origin = float(self._scrubber.start_timestamp)
        title = f"absolute time: {start:.3f} → {end:.3f} s"
        if start > 1e8:  # an epoch time: say the date too
            day = datetime.fromtimestamp(start, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            title += f" (starts {day} UTC)"
        with self.hold_sync():
            self.start = start
            self.end = end
            self.range_label = (
                f"{format_offset(start - origin)} → {format_offset(end - origin)} "
                f"({end - start:.2f} s, frames {a}–{b})"
            )
            self.range_title = title
        self._update_estimate()

    def frames_in_range(self) -> int:
        """Number of frames the export will write for the current settings."""
        ts = self._scrubber.frame_timestamps
        a, b = self.in_point, self.out_point
        if self.target_frame_rate is None:
            return b - a + 1
        period = 1.0 / self.target_frame_rate
        count = math.ceil((self.end - self.start - TIME_EPS) / period)
        # never more samples than frames in the range
        return int(min(max(count, 1), b - a + 1 if ts.size else 0))

    def _update_estimate(self) -> None:
        frames = self.frames_in_range()
        if self.format == "mp4":
            total = self._clip_size(frames)
        else:
            total = int(frames * self._sample_size())
        with self.hold_sync():
            self.estimate_frames = frames
            self.estimate_bytes = total

    def _sample_indices(self, count: int) -> list[int]:
        """The first ``count`` frames the export will take from the in point."""
        ts = self._scrubber.frame_timestamps
        a, b = self.in_point, self.out_point
        if self.target_frame_rate is None:
            return list(range(a, min(b, a + count - 1) + 1))
        times = self.start + np.arange(count) / self.target_frame_rate
        idx = np.searchsorted(ts, times + TIME_EPS, side="right") - 1
        return np.clip(idx, a, b).tolist()

    def _clip_size(self, frames: int) -> int:
        """Bytes of the MP4 clip: the source's packets when ``export_clip`` will copy them,
        else its first frames encoded with the clip's own settings."""
        from workbench.export.clip import can_copy, estimate_clip_bytes

        video = self._scrubber.video
        a, b = self.in_point, self.out_point
        w, h = self._scrubber.width, self._scrubber.height
        transform = self.target_frame_rate is not None or self.resize_rate != 1 or w % 2 or h % 2
        index = getattr(video, "index", None)
        if index is not None and can_copy(
            np.arange(a, b + 1), len(video), video.keyframe_indices, bool(transform)
        ):
            return int(np.asarray(index.frame_size)[a : b + 1].sum())

        key = ("mp4", self.in_point, self.target_frame_rate, self.resize_rate, frames)
        if key in self._sample_bytes:
            return self._sample_bytes[key]
        try:
            from PIL import Image

            picks = self._sample_indices(min(frames, CLIP_SAMPLE_FRAMES))
            first = self._scrubber.get_frame(picks[0])
            h, w = first.shape[:2]
            ow, oh = output_size(w, h, None if self.resize_rate == 1 else self.resize_rate, None)
            ow, oh = max(2, ow - ow % 2), max(2, oh - oh % 2)
            sample = np.stack(
                [
                    np.asarray(
                        Image.fromarray(self._scrubber.get_frame(i)).resize(
                            (ow, oh), Image.BILINEAR
                        )
                    )
                    for i in picks
                ]
            )
            rate = self.target_frame_rate or self._scrubber.fps or 30.0
            size = estimate_clip_bytes(sample, frames, rate)
        except Exception:  # no estimate rather than no panel
            log.debug("sample clip for the estimate failed", exc_info=True)
            return 0
        self._sample_bytes[key] = size
        return size

    def _sample_size(self) -> int:
        """Bytes of one exported frame: the in-point frame encoded with the settings."""
        key = ("image", self.in_point, self.resize_rate, self.format, self.quality)
        if key in self._sample_bytes:
            return self._sample_bytes[key]
        try:
            rgb = self._scrubber.get_frame(self.in_point)
        except Exception:  # no estimate rather than no panel
            log.debug("sample frame for the estimate failed", exc_info=True)
            return 0
        size = _encoded_size(rgb, self.resize_rate, self.format, self.quality)
        self._sample_bytes[key] = size
        return size

    # ---- export -------------------------------------------------------------------------
    def export(self) -> Future[dict[str, Any]]:
        """Start the export on a background thread; the Future resolves to :attr:`result`.

        Raises
        ------
        InvalidArgumentError
            If an export is already running.
        """
        if self._thread is not None and self._thread.is_alive():
            raise InvalidArgumentError("an export is already running; cancel it or wait")
        self._cancel.clear()
        future: Future[dict[str, Any]] = Future()
        with self.hold_sync():
            self.status = "running"
            self.progress = 0.0
            self.message = "starting"
            self.result = {}
        self._thread = threading.Thread(
            target=self._run, args=(future,), name="workbench-export", daemon=True
        )
        self._thread.start()
        return future

    def cancel(self) -> None:
        """Ask a running export to stop after the chunk it is writing."""
        if self._thread is not None and self._thread.is_alive():
            self._cancel.set()
            self.status = "cancelling"

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the running export (if any) ends; return :attr:`result`."""
        if self._thread is not None:
            self._thread.join(timeout)
        return dict(self.result)

    def _origin(self) -> Any:
        return self._scrubber.source.origin

    def _run(self, future: Future[dict[str, Any]]) -> None:
        try:
            summary = self._export_clip() if self.format == "mp4" else self._export_frames()
        except Exception as exc:
            log.warning("export failed: %s", exc)
            with self.hold_sync():
                self.status = "error"
                self.message = str(exc)
            future.set_exception(exc)
            return
        cancelled = self._cancel.is_set()
        with self.hold_sync():
            self.result = summary
            self.status = "cancelled" if cancelled else "done"
            if not cancelled:
                self.progress = 1.0
            self.message = (  # the front end shows "<status>: <message>"
                f"{summary['written']} files written, "
                f"{summary['skipped']} already there, {_human(summary['bytes'])} "
                f"in {summary['seconds']:.1f} s → {summary['out']}"
            )
        future.set_result(summary)

    def _export_frames(self) -> dict[str, Any]:
        from workbench.export import export_frames

        rate = self.target_frame_rate
        chunk = self.chunk_seconds
        start, end = self.start, self.end
        if rate:  # keep the sampling grid start + k / rate across chunks
            chunk = max(1, round(chunk * rate)) / rate
            bounds = chunk_bounds(start, end, chunk)
        else:  # every frame: windows start on frames
            ts = self._scrubber.frame_timestamps[self.in_point : self.out_point + 1]
            bounds = chunk_bounds(start, end, chunk, frame_times=ts)
        total = len(bounds) - 1
        summary: dict[str, Any] = {
            "written": 0, "skipped": 0, "bytes": 0, "files": [], "failed": [],
            "seconds": 0.0, "out": str(Path(self.out_dir).absolute()), "chunks": 0,
        }  # fmt: skip
        name = self.name.replace("{ext}", _EXT[self.format])
        for k in range(total):
            if self._cancel.is_set():
                break
            a, b = float(bounds[k]), float(bounds[k + 1])
            res = export_frames(
                self._origin(),
                self.out_dir,
                target_frame_rate=rate,
                resize_rate=None if self.resize_rate == 1 else self.resize_rate,
                start=a,
                end=b,
                format=self.format,
                quality=self.quality,
                name=name,
                progress=False,
            )
            summary["written"] += res.written
            summary["skipped"] += res.skipped
            summary["bytes"] += res.bytes
            summary["seconds"] += res.seconds
            summary["files"] += [str(f) for f in res.files]
            summary["failed"] += [str(f.error) for f in res.failed]
            summary["chunks"] += 1
            with self.hold_sync():
                self.progress = (k + 1) / total
                self.message = f"{summary['written'] + summary['skipped']} frames"
        return summary

    def _export_clip(self) -> dict[str, Any]:
        from workbench.export import export_clip
        from workbench.export.atomic import check_output_folder

        out = check_output_folder(self.out_dir)
        label = Path(self._scrubber.source.label).stem
        target = out / f"{label}-{self.start:.3f}-{self.end:.3f}.mp4"
        self.message = f"writing {target.name}"
        res = export_clip(
            self._origin(),
            target,
            start=self.start,
            end=self.end,
            target_frame_rate=self.target_frame_rate,
            resize_rate=None if self.resize_rate == 1 else self.resize_rate,
            progress=False,
        )
        path = Path(getattr(res, "path", target))
        if self._cancel.is_set():  # a clip cannot stop half-way: discard it
            path.unlink(missing_ok=True)
            return {"written": 0, "skipped": 0, "bytes": 0, "files": [], "failed": [],
                    "seconds": 0.0, "out": str(out.absolute()), "chunks": 0}  # fmt: skip
        size = path.stat().st_size if path.exists() else 0
        return {"written": 1, "skipped": 0, "bytes": size, "files": [str(path)], "failed": [],
                "seconds": float(getattr(res, "seconds", 0.0)), "out": str(out.absolute()),
                "chunks": 1}  # fmt: skip

    def _handle_message(self, _w: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        try:
            if kind == "export":
                self.export()
            elif kind == "cancel":
                self.cancel()
        except Exception as exc:
            self.message = str(exc)

    def close(self) -> None:
        """Cancel a running export, unlink from the scrubber and close the widget."""
        cancel = getattr(self, "_cancel", None)
        if cancel is not None:
            cancel.set()
        for link in getattr(self, "_links", []):
            link.unlink()
        self._links = []
        super().close()


def _encoded_size(rgb: np.ndarray, resize_rate: float, fmt: str, quality: int) -> int:
    import io

    from PIL import Image

    image = Image.fromarray(rgb)
    if resize_rate != 1:
        w = max(1, round(image.width * resize_rate))
        h = max(1, round(image.height * resize_rate))
        image = image.resize((w, h), Image.BILINEAR)
    buf = io.BytesIO()
    image.save(buf, format="JPEG" if fmt == "jpeg" else fmt.upper(), quality=quality)
    return buf.tell()


def _human(n: int) -> str:
    """Format a byte count.

    Examples
    --------
    >>> _human(1536)
    '1.5 KiB'
    """
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover
