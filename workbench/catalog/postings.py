"""Tag postings: the sorted content ids carrying each tag, cached in memory.

Exact-tag selects intersect (``tags``), unite (``any_tags``) and subtract
(``exclude_tags``) these sorted arrays with numpy instead of asking SQLite to join the
``tags`` table with itself. A posting is read from the ``tags`` primary key
(``tag, content_id``: already sorted) the first time a tag is used and kept until the
database changes: SQLite's ``PRAGMA data_version`` reveals commits by other connections
(another process ingesting), and the catalog calls :meth:`TagPostings.clear` after its
own writes.

Examples
--------
>>> import sqlite3
>>> from workbench.catalog.schema import create_schema
>>> con = sqlite3.connect(":memory:")
>>> create_schema(con)
>>> _ = con.executemany("INSERT INTO tags VALUES (?, ?, 0)",
...                     [("camera", 1), ("camera", 2), ("front", 2), ("rear", 1)])
>>> postings = TagPostings(con)
>>> postings.match(all_of=["camera", "front"]).tolist()
[2]
>>> postings.match(any_of=["front", "rear"], none_of=["rear"]).tolist()
[2]
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import reduce

import numpy as np

__all__ = ["TagPostings"]


class TagPostings:
    """Lazily cached tag -> sorted ``int64`` array of content ids, for one connection."""

    def __init__(self, con: sqlite3.Connection):
        self._con = con
        self._cache: dict[str, np.ndarray] = {}
        self._version: int | None = None

    def clear(self) -> None:
        """Forget every cached posting (call after writing through this connection)."""
        self._cache.clear()
        self._version = None

    def _check_version(self) -> None:
        version = int(self._con.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            self._cache.clear()
            self._version = version

    def posting(self, tag: str) -> np.ndarray:
        """Sorted content ids carrying ``tag`` (empty when no stream has it)."""
        cached = self._cache.get(tag)
        if cached is None:
            rows = self._con.execute(
                "SELECT content_id FROM tags WHERE tag = ? ORDER BY content_id", (tag,)
            ).fetchall()
            cached = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            self._cache[tag] = cached
        return cached

    def match(
        self,
        *,
        all_of: Sequence[str] = (),
        any_of: Sequence[str] = (),
        none_of: Sequence[str] = (),
    ) -> np.ndarray:
        """Sorted ids carrying every tag of ``all_of``, one of ``any_of``, none of ``none_of``.

        At least one of ``all_of`` / ``any_of`` must be given (the universe is not
        enumerated here; a pure exclusion is left to SQL).
        """
        if not all_of and not any_of:
            raise ValueError("match() needs all_of or any_of")
        self._check_version()
        sets: list[np.ndarray] = []
        if all_of:
            postings = sorted((self.posting(t) for t in dict.fromkeys(all_of)), key=len)
            sets.append(reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), postings))
        if any_of:
            sets.append(reduce(np.union1d, (self.posting(t) for t in dict.fromkeys(any_of))))
        ids = reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), sets)
        if none_of and len(ids):
            drop = reduce(np.union1d, (self.posting(t) for t in dict.fromkeys(none_of)))
            ids = np.setdiff1d(ids, drop, assume_unique=True)
        return ids
