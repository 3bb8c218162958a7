"""Raw CAN frames as columns: what every log reader yields and the decoder consumes.

Examples
--------
>>> import numpy as np
>>> f = Frames(np.array([1.0, 2.0]), np.array([0x100, 0x200], np.uint32),
...            np.zeros(2, bool), np.zeros(2, bool), np.array([2, 1], np.uint8),
...            np.array([[1, 2], [3, 0]], np.uint8))
>>> len(f), f.select(np.array([False, True])).ids.tolist()
(2, [512])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FrameColumns", "Frames", "frames_from_messages"]


@dataclass
class Frames:
    """A chunk of data frames of one log, in log order.

    Attributes
    ----------
    timestamps : numpy.ndarray
        ``(N,)`` float64, the log's own (absolute) seconds.
    ids : numpy.ndarray
        ``(N,)`` uint32 arbitration ids (11 or 29 bits).
    extended, fd : numpy.ndarray
        ``(N,)`` bool: 29-bit id; CAN FD frame.
    lengths : numpy.ndarray
        ``(N,)`` uint8: data bytes the frame carries (0 to 64).
    data : numpy.ndarray
        ``(N, W)`` uint8 payloads, zero-padded to the chunk's longest frame ``W``.
    remote_frames, error_frames : int
        Frames of the chunk that carry no data and were left out.
    """

    timestamps: np.ndarray
    ids: np.ndarray
    extended: np.ndarray
    fd: np.ndarray
    lengths: np.ndarray
    data: np.ndarray
    remote_frames: int = 0
    error_frames: int = 0

    def __len__(self) -> int:
        return len(self.timestamps)

    def select(self, keep: np.ndarray) -> Frames:
        """Return the frames where ``keep`` is true (counts of dropped frames kept)."""
        return Frames(
            self.timestamps[keep],
            self.ids[keep],
            self.extended[keep],
            self.fd[keep],
            self.lengths[keep],
            self.data[keep],
            self.remote_frames,
            self.error_frames,
        )


def frames_from_messages(messages: list) -> Frames:
    """Columns from python-can ``Message`` objects (data frames only; others are counted).

    Examples
    --------
    >>> import can
    >>> f = frames_from_messages([can.Message(timestamp=1.5, arbitration_id=0x10,
    ...                                       data=b"\\x01\\x02", is_extended_id=False),
    ...                           can.Message(timestamp=1.6, is_error_frame=True)])
    >>> f.ids.tolist(), f.data.tolist(), f.error_frames
    ([16], [[1, 2]], 1)
    """
    columns = FrameColumns()
    for m in messages:
        columns.add(m)
    return columns.frames()


class FrameColumns:
    """Collects python-can ``Message`` fields column by column (no ``Message`` kept alive:
    holding hundreds of thousands of them makes Python's garbage collector rescan them).

    Examples
    --------
    >>> import can
    >>> cols = FrameColumns()
    >>> cols.add(can.Message(timestamp=2.0, arbitration_id=7, data=bytes([9])))
    >>> len(cols), cols.frames().data.tolist()
    (1, [[9]])
    """

    def __init__(self) -> None:
        self.timestamps: list[float] = []
        self.ids: list[int] = []
        self.extended: list[bool] = []
        self.fd: list[bool] = []
        self.payloads: list[bytes] = []
        self.remote_frames = 0
        self.error_frames = 0

    def __len__(self) -> int:
        return len(self.timestamps)

    def add(self, m: Any) -> None:
        """Add one message (error and remote frames are only counted)."""
        if m.is_error_frame:
            self.error_frames += 1
        elif m.is_remote_frame:
            self.remote_frames += 1
        else:
            self.timestamps.append(m.timestamp)
            self.ids.append(m.arbitration_id)
            self.extended.append(m.is_extended_id)
            self.fd.append(m.is_fd)
            self.payloads.append(bytes(m.data))

    def frames(self) -> Frames:
        """The collected frames as columns."""
        n = len(self.payloads)
        width = max(map(len, self.payloads), default=0)
        buf = b"".join(p.ljust(width, b"\0") for p in self.payloads)
        return Frames(
            np.array(self.timestamps, dtype=np.float64),
            np.array(self.ids, dtype=np.uint32),
            np.array(self.extended, dtype=bool),
            np.array(self.fd, dtype=bool),
            np.fromiter(map(len, self.payloads), dtype=np.uint8, count=n),
            np.frombuffer(buf, dtype=np.uint8).reshape(n, width).copy(),
            self.remote_frames,
            self.error_frames,
        )
