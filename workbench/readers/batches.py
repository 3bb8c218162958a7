"""Batches of time-series samples and the read plan every reader reports.

Frames travel in :class:`workbench.video.batch.FrameBatch` (owned by the decoder);
time series travel in :class:`SeriesBatch`, defined here.

Examples
--------
>>> import numpy as np
>>> b = SeriesBatch(np.array([10.0, 10.01]), np.array([[1.0], [2.0]]), ["speed"])
>>> len(b), b.columns
(2, ['speed'])
>>> float(b.to_pandas().iloc[1]["speed"])
2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ReadPlan", "SeriesBatch"]


@dataclass
class SeriesBatch:
    """Time-series samples of one segment.

    Parameters
    ----------
    timestamps : numpy.ndarray
        ``(N,)`` float64 absolute seconds.
    values : numpy.ndarray
        ``(N, C)`` values, float64 when every column is numeric, object otherwise.
    columns : list of str
        The ``C`` column names.
    record_id : str, optional
        The record the samples come from.

    Examples
    --------
    >>> import numpy as np
    >>> b = SeriesBatch(np.arange(3.0), np.zeros((3, 2)), ["a", "b"], record_id="r1")
    >>> b.to_pandas().shape
    (3, 2)
    """

    timestamps: np.ndarray
    values: np.ndarray
    columns: list[str]
    record_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.timestamps)

    def to_pandas(self) -> pd.DataFrame:
        """Return the samples as a DataFrame indexed by absolute ``timestamp`` seconds."""
        import pandas as pd

        index = pd.Index(np.asarray(self.timestamps, dtype="float64"), name="timestamp")
        return pd.DataFrame(self.values, index=index, columns=list(self.columns))


@dataclass(frozen=True)
class ReadPlan:
    """What a read will produce, computed before decoding anything.

    Attributes
    ----------
    segments : int
        Number of batches the reader will yield (``len(reader)``).
    items : int
        Frames (video, images) or rows (time series) in total.
    bytes : int
        Bytes of the arrays the read will return in total (frames: ``N*H*W*C``;
        series: ``N*(C+1)*8``, an estimate for object columns).
    start, end : float
        The absolute time window actually read, in seconds.
    shape : tuple of int, optional
        ``(H, W, C)`` of one frame, for frame readers.
    columns : list of str, optional
        Column names, for series readers.

    Examples
    --------
    >>> p = ReadPlan(segments=2, items=40, bytes=40 * 270 * 480 * 3, start=0.0, end=20.0,
    ...              shape=(270, 480, 3))
    >>> p.megabytes
    15.552
    """

    segments: int
    items: int
    bytes: int
    start: float
    end: float
    shape: tuple[int, ...] | None = None
    columns: tuple[str, ...] | None = None

    @property
    def megabytes(self) -> float:
        """``bytes`` in megabytes (10**6)."""
        return round(self.bytes / 1e6, 3)

    @property
    def frames(self) -> int:
        """Alias of ``items`` for frame readers."""
        return self.items
