"""The dwtk camera-timestamps CSV read on its own: a series with one column, ``frame``.

dwtk recorded, next to each camera video, a ``<video>_timestamps.csv`` with the
wall-clock time every frame was captured. Its names, its lookup and its parser live in
:mod:`workbench.sidecars` (:func:`~workbench.sidecars.load_camera_timestamps`, re-exported
here), where the catalog and the video and image readers find them too.

Examples
--------
>>> import tempfile, pathlib
>>> import workbench as wb
>>> p = pathlib.Path(tempfile.mkdtemp()) / "camera_01_timestamps.csv"
>>> _ = p.write_text("1489728491000\\n1489728491033\\n")   # dwtk's milliseconds
>>> batch = wb.read(p).read_all()
>>> batch.columns, batch.timestamps.round(3).tolist()
(['frame'], [1489728491.0, 1489728491.033])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.readers.timeseries import TimeSeriesReader
from workbench.sidecars import load_camera_timestamps, to_seconds

__all__ = ["CameraTimestampsReader", "load_camera_timestamps", "to_seconds"]


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
