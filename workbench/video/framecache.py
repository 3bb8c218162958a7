"""A least-recently-used cache of decoded frames bounded by bytes, not by a count.

Examples
--------
>>> import numpy as np
>>> c = FrameCache(max_bytes=100)
>>> c.put(("a",), np.zeros(60, np.uint8))
>>> c.put(("b",), np.zeros(60, np.uint8))   # evicts "a": 120 bytes > 100
>>> c.get(("a",)) is None, c.get(("b",)) is not None, c.nbytes
(True, True, 60)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

__all__ = ["FrameCache"]


class FrameCache:
    """LRU mapping ``key -> ndarray`` holding at most ``max_bytes`` of pixels.

    Arrays are stored read-only; callers copy before handing them out. An array larger
    than the whole budget is not stored. ``max_bytes=0`` disables the cache.
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._nbytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        """Bytes currently held."""
        return self._nbytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable) -> np.ndarray | None:
        """The cached array (read-only) or ``None``; a hit becomes most recent."""
        with self._lock:
            arr = self._items.get(key)
            if arr is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return arr

    def put(self, key: Hashable, arr: np.ndarray) -> None:
        """Store ``arr`` under ``key``, evicting the least recently used as needed."""
        size = int(arr.nbytes)
        if size > self.max_bytes:
            return
        arr.flags.writeable = False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._nbytes -= old.nbytes
            self._items[key] = arr
            self._nbytes += size
            while self._nbytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._nbytes -= dropped.nbytes

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._items.clear()
            self._nbytes = 0
