"""Read a folder (or list) of JPEG/PNG images as frames on a time axis.

Each image's absolute time is taken, in this order, from a ``timestamps.csv`` (or
``<folder>_timestamps.csv``) next to the images (one time per image, in name order), from
its file name when every stem is a number (``1500000000.250.jpg``), or else
``start_timestamp + i / fps`` with ``fps`` from the record's metadata (default 1).

Examples
--------
>>> import workbench as wb
>>> reader = wb.read("frames/", target_frame_rate=2, resize_rate=0.5)   # doctest: +SKIP
>>> batch = reader.read_all()                                            # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from workbench.content_types import IMAGE_SUFFIXES
from workbench.errors import CorruptMediaError, InvalidArgumentError, SourceNotFoundError
from workbench.readers.base import FrameReader, make_frame_batch
from workbench.readers.source import Source

__all__ = ["ImageReader", "load_image"]


def load_image(path: Path, size: tuple[int, int] | None, format: str) -> np.ndarray:
    """Decode one image to ``(H, W, C)`` uint8 in ``format``, resized to ``size`` (w, h)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            if size is not None:
                im.draft("RGB", size)  # JPEG: decode at a reduced scale when it can
            im = im.convert("L" if format == "gray" else "RGB")
            if size is not None and im.size != tuple(size):
                im = im.resize(tuple(size), Image.Resampling.BILINEAR)
            arr = np.asarray(im)
    except FileNotFoundError as exc:
        raise SourceNotFoundError(f"{path} disappeared while being read") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise CorruptMediaError(f"{path} is not a readable image ({exc}); replace it") from exc
    if format == "gray":
        return arr[:, :, None]
    if format == "bgr24":
        return np.ascontiguousarray(arr[:, :, ::-1])
    return arr


def _stem_times(paths: list[Path]) -> np.ndarray | None:
    try:
        return np.array([float(p.stem) for p in paths], dtype="float64")
    except ValueError:
        return None


def _csv_times(source: Source, n: int) -> np.ndarray | None:
    folder = source.path if source.path.is_dir() else source.path.parent
    for cand in (folder / "timestamps.csv", folder.with_name(f"{folder.name}_timestamps.csv")):
        if cand.is_file():
            from workbench.readers.camera_timestamps import load_camera_timestamps

            times = load_camera_timestamps(cand)
            if len(times) != n:
                raise CorruptMediaError(
                    f"{cand} has {len(times)} times for {n} images in {folder}; fix or remove it"
                )
            return times
    return None


class ImageReader(FrameReader):
    """Frames from image files; see the module docstring for how times are found."""

    def _files(self) -> list[Path]:
        src = self.source
        if src.paths:
            return list(src.paths)
        if src.path.is_dir():
            return sorted(p for p in src.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        return [src.path]

    def _load_axis(self) -> tuple[np.ndarray, float, np.ndarray | None, int, int]:
        from PIL import Image, UnidentifiedImageError

        files = self._files()
        if not files:
            raise InvalidArgumentError(
                f"{self.source.path} holds no images ({', '.join(IMAGE_SUFFIXES)})"
            )
        times = _csv_times(self.source, len(files))
        order = np.arange(len(files))
        if times is None and len(files) > 1:
            times = _stem_times(files)
        if times is None:
            fps = float(self.source.metadata.get("fps", 1.0) or 1.0)
            times = self.source.start_timestamp + np.arange(len(files)) / fps
        else:
            order = np.argsort(times, kind="stable")
            times = times[order]
        self._ordered = [files[i] for i in order]
        duration = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
        try:
            with Image.open(self._ordered[0]) as im:
                width, height = im.size
        except (UnidentifiedImageError, OSError) as exc:
            raise CorruptMediaError(f"{self._ordered[0]} is not a readable image") from exc
        return times, duration, None, width, height

    def fetch(self, indices: np.ndarray, timestamps: np.ndarray | None = None) -> Any:
        times, _, _, width, height = self.axis()
        h, w, c = self.frame_shape()
        size = None if (w, h) == (width, height) else (w, h)
        out = np.empty((len(indices), h, w, c), dtype=np.uint8)
        for k, i in enumerate(indices):
            arr = load_image(self._ordered[int(i)], size, self.format)
            if arr.shape != out.shape[1:]:  # an image of a different size in the set
                arr = load_image(self._ordered[int(i)], (w, h), self.format)
            out[k] = arr
        ts = times[np.asarray(indices, dtype="int64")] if timestamps is None else timestamps
        return make_frame_batch(
            out, ts, np.asarray(indices), columns=self.columns, record_id=self.record_id
        )
