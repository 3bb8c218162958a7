"""A least-recently-used cache of decoded frames bounded by bytes, not by a count.

The video layer stores decoded pictures (``av.VideoFrame`` in the stream's own pixel
format, about half the bytes of RGB) keyed by frame index, so one cached picture serves
every output size and format.

Examples
--------
>>> import numpy as np
>>> c = FrameCache(max_bytes=100)
>>> c.put("a", np.zeros(60, np.uint8))
>>> c.put("b", np.zeros(60, np.uint8))   # evicts "a": 120 bytes > 100
>>> c.get("a") is None, c.get("b") is not None, c.nbytes
(True, True, 60)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

__all__ = ["FrameCache", "size_of"]


def size_of(obj: Any) -> int:
    """Bytes held by a numpy array or an ``av.VideoFrame`` (sum of its planes)."""
    nbytes = getattr(obj, "nbytes", None)
    if nbytes is not None:
        return int(nbytes)
    planes = getattr(obj, "planes", None)
    if planes is not None:
        return int(sum(p.buffer_size for p in planes))
    raise TypeError(f"cannot size {type(obj).__name__}")


class FrameCache:
    """LRU mapping ``key -> frame`` holding at most ``max_bytes``.

    Values are treated as immutable; callers convert or copy before handing pixels
    out. A value larger than the whole budget is not stored; ``max_bytes=0`` disables
    the cache. Thread-safe.
    """

    def __init__(self, max_bytes: int = 192 * 2**20) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
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

    def get(self, key: Hashable) -> Any | None:
        """The cached value or ``None``; a hit becomes the most recent."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: Any, nbytes: int | None = None) -> None:
        """Store ``value``, evicting the least recently used entries as needed."""
        size = size_of(value) if nbytes is None else int(nbytes)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._nbytes -= old[1]
            self._items[key] = (value, size)
            self._nbytes += size
            while self._nbytes > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._nbytes -= dropped

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._items.clear()
            self._nbytes = 0
