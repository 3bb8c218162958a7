"""The dwtk camera-timestamps CSV: one absolute time per video frame.

dwtk recorded, next to each camera video, a ``<video>_timestamps.csv`` with the
wall-clock time every frame was captured. Where it exists it wins over the container's
presentation times (:mod:`workbench.readers.video` uses :func:`load_camera_timestamps`).
Read on its own it is a one-column time series (``frame`` = frame number).

The file may have a header (a column named ``timestamp``, ``timestamps``, ``time`` or
``stamp`` is used; otherwise the last column) or be a bare column of numbers. dwtk wrote
milliseconds; times are scaled to seconds by magnitude (see :func:`to_seconds`).

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "camera_01_timestamps.csv"
>>> _ = p.write_text("frame,timestamp\\n0,100.0\\n1,100.033\\n")
>>> load_camera_timestamps(p).tolist()
[100.0, 100.033]
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError
from workbench.readers.timeseries import TimeSeriesReader
from workbench.remote import is_url, open_file

__all__ = ["CameraTimestampsReader", "load_camera_timestamps", "to_seconds"]

#: (smallest magnitude, divisor): epoch times in ns, µs and ms scaled to seconds
_UNIT_SCALES = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))

_TIME_NAMES = ("timestamp", "timestamps", "time", "stamp", "t", "unix_time", "epoch")


def load_camera_timestamps(
    path: str | os.PathLike[str], *, storage_options: dict[str, Any] | None = None
) -> np.ndarray:
    """Return the per-frame absolute times in the CSV at ``path`` as float64 seconds.

    ``path`` may be an fsspec URL (with ``storage_options``).

    Raises
    ------
    SourceNotFoundError
        The file does not exist.
    CorruptMediaError
        The file has no numeric time column or the times go backwards.
    """
    import pandas as pd

    if not is_url(path):
        path = Path(path)
    with open_file(path, storage_options if is_url(path) else None) as fh:
        data = fh.read()  # one time per frame: small, and read once
    try:
        first = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
        has_header = not all(_is_number(v) for v in first if v != "")
        df = pd.read_csv(io.BytesIO(data), header=0 if has_header else None)
    except (ValueError, OSError) as exc:
        raise CorruptMediaError(f"{path} is not a readable timestamps CSV ({exc})") from exc
    if df.empty:
        raise CorruptMediaError(f"{path} has no rows; regenerate the timestamps file")
    col = None
    if has_header:
        lower = {str(c).strip().lower(): c for c in df.columns}
        col = next((lower[n] for n in _TIME_NAMES if n in lower), None)
    series = df[col] if col is not None else df.iloc[:, -1]
    times = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    if np.isnan(times).any():
        raise CorruptMediaError(f"{path} has non-numeric times; fix or remove the file")
    if len(times) > 1 and (np.diff(times) < 0).any():
        raise CorruptMediaError(f"{path} has times that go backwards; fix or remove the file")
    return to_seconds(times)


def to_seconds(times: np.ndarray) -> np.ndarray:
    """Scale epoch times given in nanoseconds, microseconds or milliseconds to seconds.

    The unit is told by magnitude: seconds since 1970 stay below 1e11 until the year
    5138, milliseconds since 1970 are above it.

    Examples
    --------
    >>> to_seconds(np.array([1489728491000.0, 1489728491033.0])).round(3).tolist()
    [1489728491.0, 1489728491.033]
    >>> to_seconds(np.array([12.5])).tolist()
    [12.5]
    """
    magnitude = float(np.abs(times).max()) if len(times) else 0.0
    for smallest, divisor in _UNIT_SCALES:
        if magnitude > smallest:
            return times / divisor
    return times


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CameraTimestampsReader(TimeSeriesReader):
    """Read a camera-timestamps CSV as a series with one column, ``frame``."""

    def _load_frame(self) -> Any:
        import pandas as pd

        if getattr(self, "_df", None) is None:
            times = load_camera_timestamps(
                self.source.path, storage_options=self.source.storage_options
            )
            self._df = pd.DataFrame({"timestamp": times, "frame": np.arange(len(times))})
        return self._df
