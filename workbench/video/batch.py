"""``FrameBatch``: a block of frames with their timestamps, shared by video and readers.

Examples
--------
>>> import numpy as np
>>> from workbench.video.batch import FrameBatch
>>> b = FrameBatch(np.zeros((2, 4, 6, 3), np.uint8), np.array([0.0, 0.5]), np.array([0, 15]))
>>> len(b), b.shape
(2, (2, 4, 6, 3))
>>> b.shifted(100.0).timestamps.tolist()
[100.0, 100.5]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["FrameBatch"]


@dataclass(frozen=True, eq=False)
class FrameBatch:
    """Frames with the time and index of each.

    Parameters
    ----------
    frames : numpy.ndarray
        ``(N, H, W, C)`` uint8 pixels (``C`` is 3 for RGB/BGR, 1 for gray).
    timestamps : numpy.ndarray
        ``(N,)`` float64 seconds. From :class:`~workbench.video.Video` these are the
        presentation times of the frames (``pts * time_base``, the stream's start offset
        is *not* subtracted); readers shift them to absolute time with :meth:`shifted`.
    indices : numpy.ndarray
        ``(N,)`` int64 frame indices in the video (presentation order).
    columns : list of str, optional
        Names of the channels, e.g. ``["r", "g", "b"]``.
    record_id : str, optional
        The record the frames belong to, set by readers.
    meta : dict
        Free-form extra information (e.g. the source path).

    Examples
    --------
    >>> import numpy as np
    >>> b = FrameBatch.empty(4, 6)
    >>> b.frames.shape, b.timestamps.dtype, b.indices.dtype
    ((0, 4, 6, 3), dtype('float64'), dtype('int64'))
    """

    frames: np.ndarray
    timestamps: np.ndarray
    indices: np.ndarray
    columns: list[str] | None = None
    record_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        timestamps = np.asarray(self.timestamps, dtype=np.float64)
        indices = np.asarray(self.indices, dtype=np.int64)
        object.__setattr__(self, "timestamps", timestamps)
        object.__setattr__(self, "indices", indices)
        n = len(self.frames)
        if len(timestamps) != n or len(indices) != n:
            raise ValueError(
                f"FrameBatch needs as many timestamps ({len(timestamps)}) and indices "
                f"({len(indices)}) as frames ({n})"
            )

    @classmethod
    def empty(cls, height: int, width: int, channels: int = 3, **kwargs: Any) -> FrameBatch:
        """A batch with no frames but the right frame shape."""
        return cls(
            np.zeros((0, height, width, channels), np.uint8),
            np.zeros(0, np.float64),
            np.zeros(0, np.int64),
            **kwargs,
        )

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        """Iterate ``(timestamp, frame)`` pairs."""
        return zip(self.timestamps.tolist(), self.frames, strict=True)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of :attr:`frames`."""
        return tuple(self.frames.shape)

    def shifted(self, offset_seconds: float, **changes: Any) -> FrameBatch:
        """Return a copy whose timestamps are moved by ``offset_seconds`` (and other fields
        replaced by ``changes``, e.g. ``record_id=``); the pixels are shared, not copied."""
        return replace(self, timestamps=self.timestamps + float(offset_seconds), **changes)

    def __repr__(self) -> str:
        span = ""
        if len(self):
            span = f", t=[{self.timestamps[0]:.3f} .. {self.timestamps[-1]:.3f}]"
        rid = f", record_id={self.record_id!r}" if self.record_id is not None else ""
        return f"FrameBatch(frames={self.shape}{span}{rid})"
