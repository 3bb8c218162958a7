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
"""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from workbench._assets import frontend_file
from workbench.errors import InvalidArgumentError
from workbench.widgets.scrubber import VideoScrubber

__all__ = ["FORMATS", "ExportPanel"]

log = logging.getLogger(__name__)

#: Output formats: image formats go through ``export_frames``, ``mp4`` through ``export_clip``.
FORMATS = ("jpeg", "png", "webp", "mp4")
_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp", "mp4": "mp4"}
#: Seconds of video exported per chunk (progress / cancel granularity).
CHUNK_SECONDS = 2.0


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
    target_frame_rate : float
        Frames per second to keep; 0 keeps every frame.
    resize_rate : float
        Scale factor in (0, 1].
    format : str
        One of :data:`FORMATS`.
    estimate_frames, estimate_bytes : int
        What the export will write (bytes: one sample frame encoded, times the frames).
    status : str
        ``idle``, ``running``, ``cancelling``, ``done``, ``cancelled`` or ``error``.
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
    target_frame_rate = traitlets.Float(2.0).tag(sync=True)
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
    @traitlets.validate("target_frame_rate")
    def _valid_rate(self, proposal: dict[str, Any]) -> float:
        r = float(proposal["value"])
        if not (math.isfinite(r) and r >= 0):
            raise InvalidArgumentError(
                f"target_frame_rate must be >= 0 (0 keeps every frame), got {r!r}"
            )
        return r

    @traitlets.validate("resize_rate")
    def _valid_resize(self, proposal: dict[str, Any]) -> float:
        r = float(proposal["value"])
        if not (math.isfinite(r) and 0 < r <= 1):
            raise InvalidArgumentError(f"resize_rate must be in (0, 1], got {r!r}")
        return r

    @traitlets.validate("format")
    def _valid_format(self, proposal: dict[str, Any]) -> str:
        f = str(proposal["value"]).lower()
        f = "jpeg" if f == "jpg" else f
        if f not in FORMATS:
            raise InvalidArgumentError(f"format {f!r} is not supported; use one of {FORMATS}")
        return f

    @traitlets.validate("quality")
    def _valid_quality(self, proposal: dict[str, Any]) -> int:
        q = int(proposal["value"])
        if not 1 <= q <= 100:
            raise InvalidArgumentError(f"quality must be in 1..100, got {q!r}")
        return q

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
        with self.hold_sync():
            self.start = float(ts[a])
            self.end = end
        self._update_estimate()

    def frames_in_range(self) -> int:
        """Number of frames the export will write for the current settings."""
        ts = self._scrubber.frame_timestamps
        a, b = self.in_point, self.out_point
        if self.target_frame_rate <= 0:
            return b - a + 1
        period = 1.0 / self.target_frame_rate
        count = math.ceil((self.end - self.start) / period - 1e-9)
        # never more samples than frames in the range
        return int(min(max(count, 1), b - a + 1 if ts.size else 0))

    def _update_estimate(self) -> None:
        frames = self.frames_in_range()
        per_frame = self._sample_size()
        with self.hold_sync():
            self.estimate_frames = frames
            self.estimate_bytes = int(frames * per_frame)

    def _sample_size(self) -> int:
        """Bytes of one exported frame: the in-point frame encoded with the settings."""
        key = (self.in_point, self.resize_rate, self.format, self.quality)
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
            self.message = (
                f"{'cancelled: ' if cancelled else ''}{summary['written']} files written, "
                f"{summary['skipped']} already there, {_human(summary['bytes'])} "
                f"in {summary['seconds']:.1f} s → {summary['out']}"
            )
        future.set_result(summary)

    def _export_frames(self) -> dict[str, Any]:
        from workbench.export import export_frames

        rate = self.target_frame_rate or None
        chunk = self.chunk_seconds
        if rate:  # keep the sampling grid start + k / rate across chunks
            chunk = max(1, round(chunk * rate)) / rate
        start, end = self.start, self.end
        bounds = [*np.arange(start, end, chunk).tolist(), end]
        if len(bounds) > 2 and end - bounds[-2] < 1e-9:
            bounds.pop(-2)
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
                resize_rate=None if self.resize_rate >= 1 else self.resize_rate,
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

        out = Path(self.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        label = Path(self._scrubber.source.label).stem
        target = out / f"{label}-{self.start:.3f}-{self.end:.3f}.mp4"
        self.message = f"writing {target.name}"
        res = export_clip(
            self._origin(),
            target,
            start=self.start,
            end=self.end,
            target_frame_rate=self.target_frame_rate or None,
            resize_rate=None if self.resize_rate >= 1 else self.resize_rate,
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
    if resize_rate < 1:
        w = max(1, round(image.width * resize_rate))
        h = max(1, round(image.height * resize_rate))
        image = image.resize((w, h), Image.BILINEAR)
    buf = io.BytesIO()
    if fmt == "mp4":  # rough: an H.264 frame at crf 20 is about a tenth of a JPEG q90
        image.save(buf, format="JPEG", quality=90)
        return max(1, buf.tell() // 10)
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
