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

import contextlib
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from workbench.content_types import IMAGE_SUFFIXES
from workbench.errors import (
    CorruptMediaError,
    InvalidArgumentError,
    SourceNotFoundError,
    StorageError,
)
from workbench.readers.base import FrameReader, make_frame_batch
from workbench.readers.source import Source
from workbench.remote import is_url, open_file
from workbench.sidecars import folder_timestamps_candidates, load_camera_timestamps

__all__ = ["ImageReader", "load_image"]


def load_image(
    path: Path | str,
    size: tuple[int, int] | None,
    format: str,
    *,
    storage_options: dict[str, Any] | None = None,
) -> np.ndarray:
    """Decode one image to ``(H, W, C)`` uint8 in ``format``, resized to ``size`` (w, h).

    ``path`` may be an fsspec URL (with ``storage_options``).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with _image_file(path, storage_options) as fh, Image.open(fh) as im:
            if size is not None:
                im.draft("RGB", size)  # JPEG: decode at a reduced scale when it can
            im = im.convert("L" if format == "gray" else "RGB")
            if size is not None and im.size != tuple(size):
                im = im.resize(tuple(size), Image.Resampling.BILINEAR)
            arr = np.asarray(im)
    except (StorageError, SourceNotFoundError):
        raise
    except FileNotFoundError as exc:
        raise SourceNotFoundError(f"{path} disappeared while being read") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise CorruptMediaError(f"{path} is not a readable image ({exc}); replace it") from exc
    if format == "gray":
        return arr[:, :, None]
    if format == "bgr24":
        return np.ascontiguousarray(arr[:, :, ::-1])
    return arr


def _image_file(path: Path | str, storage_options: dict[str, Any] | None) -> Any:
    """A local path as is (Pillow opens it), or the remote file opened through fsspec."""
    if is_url(path):
        return open_file(path, storage_options)
    return contextlib.nullcontext(path)


def _stem_times(paths: list[Any]) -> np.ndarray | None:
    try:
        return np.array([float(PurePosixPath(str(p)).stem) for p in paths], dtype="float64")
    except ValueError:
        return None


def _csv_candidates(source: Source) -> tuple[Any, list[Any]]:
    """The folder of the images and where its timestamps CSV may be."""
    if source.is_remote:
        url = str(source.path).rstrip("/")
        folder: Any = url if source.paths else url.rsplit("/", 1)[0]
    else:
        path = Path(source.path)
        folder = path if path.is_dir() else path.parent
    return folder, folder_timestamps_candidates(folder)


def _csv_times(source: Source, n: int) -> np.ndarray | None:
    folder, candidates = _csv_candidates(source)
    for cand in candidates:
        try:
            times = load_camera_timestamps(cand, storage_options=source.storage_options)
        except SourceNotFoundError:
            continue  # remote candidates are asked for directly
        if len(times) != n:
            raise CorruptMediaError(
                f"{cand} has {len(times)} times for {n} images in {folder}; fix or remove it"
            )
        return times
    return None


class ImageReader(FrameReader):
    """Frames from image files; see the module docstring for how times are found."""

    def _files(self) -> list[Any]:
        src = self.source
        if src.paths:
            return list(src.paths)
        if not src.is_remote and Path(src.path).is_dir():
            folder = Path(src.path)
            return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if src.is_remote and src.content_type == "inode/directory":
            return []
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
            with (
                _image_file(self._ordered[0], self.source.storage_options) as fh,
                Image.open(fh) as im,
            ):
                width, height = im.size
        except (StorageError, SourceNotFoundError):
            raise
        except (UnidentifiedImageError, OSError) as exc:
            raise CorruptMediaError(f"{self._ordered[0]} is not a readable image") from exc
        return times, duration, None, width, height

    def fetch(self, indices: np.ndarray, timestamps: np.ndarray | None = None) -> Any:
        times, _, _, width, height = self.axis()
        h, w, c = self.frame_shape()
        size = None if (w, h) == (width, height) else (w, h)
        out = np.empty((len(indices), h, w, c), dtype=np.uint8)
        for k, i in enumerate(indices):
            path = self._ordered[int(i)]
            opts = self.source.storage_options
            arr = load_image(path, size, self.format, storage_options=opts)
            if arr.shape != out.shape[1:]:  # an image of a different size in the set
                arr = load_image(path, (w, h), self.format, storage_options=opts)
            out[k] = arr
        ts = times[np.asarray(indices, dtype="int64")] if timestamps is None else timestamps
        return make_frame_batch(
            out, ts, np.asarray(indices), columns=self.columns, record_id=self.record_id
        )
