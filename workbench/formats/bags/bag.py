"""``open_bag``: a recording's index (built once, then loaded from the cache) and its topics.

The index is persisted by the video layer's :class:`~workbench.video.cache.IndexCache`
(same folder, same atomic write and file lock), keyed by the recording's identity (every
file's size, mtime and head/tail hash) and :data:`~workbench.formats.bags.index.INDEX_SCHEMA`:
a changed bag is re-indexed, never misread.

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.samples.bags import write_sample_bag
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> bag = open_bag(write_sample_bag(tmp / "drive.bag", duration_seconds=2), cache=tmp / "c")
>>> bag.index_event, [t.topic for t in bag.topics()][2:]
('built', ['/gps/fix', '/vehicle/state', '/vehicle/twist'])
>>> fix = bag.topic_info("/gps/fix")
>>> fix.count, fix.msgtype, round(fix.frequency, 1)
(20, 'sensor_msgs/msg/NavSatFix', 10.0)
>>> open_bag(bag.path, cache=tmp / "c").index_event
'loaded'
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import SourceNotFoundError
from workbench.formats.bags.index import INDEX_SCHEMA, BagIndex, build_index
from workbench.formats.bags.layout import recording_identity, recording_path
from workbench.formats.bags.messages import MessageStore

__all__ = ["Bag", "BagIndexCache", "TopicInfo", "TruncatedBagWarning", "open_bag"]

log = logging.getLogger(__name__)


class TruncatedBagWarning(UserWarning):
    """The recording ends early; the messages that are there are read."""


def _cache_class() -> type:
    from workbench.video.cache import IndexCache

    class BagIndexCache(IndexCache):
        """The video index cache, storing :class:`BagIndex` files."""

        index_type = BagIndex
        what = "bag index"

    return BagIndexCache


BagIndexCache = _cache_class()


def bag_cache_key(identity: dict[str, Any]) -> str:
    """Hex digest naming the index file of a recording (its own namespace)."""
    payload = json.dumps(
        {"bag": identity, "schema": INDEX_SCHEMA, "kind": "ros-bag-index"}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class TopicInfo:
    """One topic of a recording, as the catalog lists it.

    Attributes
    ----------
    topic, msgtype : str
        Topic name and type name (``sensor_msgs/msg/NavSatFix``, or the MCAP schema name).
    md5sum : str or None
        ROS 1 md5sum (ROS 2 and MCAP have none).
    count : int
        Messages.
    start_timestamp, end_timestamp : float or None
        Absolute seconds of the first and last message (log time).
    encoding : str
        ``ros1``, ``cdr`` or ``json``.
    """

    topic: str
    msgtype: str
    md5sum: str | None
    count: int
    start_timestamp: float | None
    end_timestamp: float | None
    encoding: str

    @property
    def frequency(self) -> float | None:
        """Messages per second over the topic's span (None for fewer than 2 messages)."""
        if self.count < 2 or self.start_timestamp is None or self.end_timestamp is None:
            return None
        span = self.end_timestamp - self.start_timestamp
        return (self.count - 1) / span if span > 0 else None


class Bag:
    """An indexed recording: topics, and messages by position. Use :func:`open_bag`."""

    def __init__(self, index: BagIndex, *, index_event: str = "") -> None:
        self.index = index
        self.index_event = index_event
        self.path = Path(index.path)
        self.store = MessageStore(index)
        if index.truncated:
            warnings.warn(
                f"{index.path} is truncated or was not closed cleanly (it has no index/summary "
                "at its end): it was indexed by reading it through, and the messages that are "
                "there are read",
                TruncatedBagWarning,
                stacklevel=3,
            )

    @property
    def truncated(self) -> bool:
        """The recording ends early."""
        return self.index.truncated

    def topics(self) -> list[TopicInfo]:
        """Every topic, sorted by name."""
        return [self.topic_info(name) for name in sorted(self.index.topics)]

    def topic_info(self, topic: str) -> TopicInfo:
        """Facts about ``topic``; the error lists the topics there are."""
        e = self.store.entry(topic)
        first = float(e.time_ns[0]) / 1e9 if e.count else None
        last = float(e.time_ns[-1]) / 1e9 if e.count else None
        return TopicInfo(topic, e.msgtype, e.md5sum, e.count, first, last, e.encoding)

    def close(self) -> None:
        """Close the recording's files."""
        self.store.close()

    def __enter__(self) -> Bag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Bag {self.path.name!r} {self.index.kind} {len(self.index.topics)} topics>"


def open_bag(path: str | os.PathLike[str], *, cache: Any = None) -> Bag:
    """Open a ROS 1 bag, ROS 2 bag folder (or storage file) or MCAP file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.bag``, ``.mcap`` or ``.db3`` file, or the ROS 2 bag folder.
    cache : None, False or path
        Index cache folder (as for ``open_video``); ``False`` keeps the index in memory.

    Raises
    ------
    SourceNotFoundError
        The recording does not exist.
    CorruptMediaError
        It is not a bag or is damaged (the message says how to repair it).
    """
    p = recording_path(Path(path).expanduser()).absolute()
    if not p.exists():
        raise SourceNotFoundError(f"recording {str(p)!r} does not exist; check the path")
    if cache is False:
        return Bag(build_index(p), index_event="built-in-memory")
    store = BagIndexCache(None if cache is True else cache)
    identity = recording_identity(p)
    key = bag_cache_key(identity)

    def build() -> BagIndex:
        index = build_index(p)
        index.identity.update(identity)
        return index

    index = store.get_or_build(key, build, name=str(p))
    return Bag(index, index_event=store.last_event)
