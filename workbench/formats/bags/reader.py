"""``wb.read(bag, topic=...)``: lazy, segmented readers over one topic of a recording.

The registry names :class:`BagReader` for ``application/x-rosbag``, ``application/x-mcap``
and ``application/x-ros2bag``; it looks at the topic's type and returns a
:class:`TopicSeriesReader` (``SeriesBatch``es of flattened numeric columns, see
:mod:`workbench.formats.bags.flatten`) or, for ``sensor_msgs`` image topics, an
:class:`ImageTopicReader` (``FrameBatch``es, with the options of a video read).

The topic is the ``topic=`` argument, else the record's ``contents`` (a catalog row of a
bag is one topic). Times are absolute seconds: the message *log* time, or with
``time="header"`` the ``header.stamp`` of each message (segments and the ``start``/``end``
window are still cut on log time, the order the recording keeps; only the batch index
changes). Only the positions of messages are known up front (from the bag's index); each
segment reads and decodes its own messages, so memory is bounded by a segment.

This module adapts the bag layer to the readers layer (it subclasses
:class:`~workbench.readers.base.BaseReader`); the registry names it by string, so the
readers never import it until a bag is read.

Examples
--------
>>> import tempfile, pathlib, workbench as wb
>>> from workbench.samples.bags import write_sample_bag
>>> bag = write_sample_bag(pathlib.Path(tempfile.mkdtemp()) / "drive.bag", duration_seconds=3)
>>> reader = wb.read(bag, topic="/gps/fix", segment_duration=1.0)
>>> len(reader), [len(b) for b in reader]
(3, [10, 10, 10])
>>> df = reader.read_all().to_pandas()
>>> list(df.columns[:5]), float(df.index[0])
(['header.seq', 'header.stamp', 'status.status', 'status.service', 'latitude'], 1552806732.0)
>>> wb.read(bag, topic="/vehicle/twist", target_frame_rate=2).read_all().to_pandas().shape
(6, 8)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, InvalidArgumentError
from workbench.formats.bags.bag import Bag, open_bag
from workbench.formats.bags.flatten import dict_values, flatten_dict, plan_columns, to_values
from workbench.formats.bags.images import is_image_type
from workbench.readers.base import BaseReader, FrameReader, make_frame_batch
from workbench.readers.batches import SeriesBatch
from workbench.readers.source import Source
from workbench.readers.timeseries import SeriesReader

__all__ = ["BagReader", "ImageTopicReader", "TopicSeriesReader"]

TIME_AXES = ("log", "header")


def _topic_of(source: Source, topic: str | None, bag: Bag) -> str:
    if topic is None:
        contents = source.metadata.get("contents")
        topic = contents if isinstance(contents, str) and contents else None
    if topic is None:
        raise InvalidArgumentError(
            f"which topic of {source.path.name}? pass topic=...; its topics are: "
            f"{', '.join(sorted(bag.index.topics)) or 'none'}"
        )
    bag.store.entry(topic)  # unknown topic: the error lists them
    return topic


class BagReader(FrameReader):
    """Chooses the reader for a topic of a bag (a FrameReader subclass, so exporters that
    ask ``issubclass(reader, FrameReader)`` try bags: they may hold camera topics).

    Extra options
    -------------
    topic : str, optional
        The topic (default: the record's ``contents``).
    cache : path or False, optional
        Index cache folder (as for ``open_video``).
    time : {"log", "header"}
        Series only: index batches by log time (default) or by ``header.stamp``.
    """

    @classmethod
    def kind_for(cls, record: Any) -> str:
        """``"frames"`` for an image topic, ``"series"`` for any other topic.

        The topic is the record's ``contents`` and its type the catalog row's
        ``msg_type``; a row without one (a hand-made dict) has its type looked up in the
        bag's index. A record naming no topic is not one stream (``"frames"``, the class's
        kind: it is never a series); a bag that cannot be opened counts as a series, so
        that reading it reports why.

        Examples
        --------
        >>> BagReader.kind_for({"contents": "/front/image", "msg_type": "sensor_msgs/msg/Image"})
        'frames'
        >>> BagReader.kind_for({"contents": "/gps/fix", "msg_type": "sensor_msgs/msg/NavSatFix"})
        'series'
        """
        from workbench.errors import WorkbenchError
        from workbench.readers.streams import record_field

        topic = record_field(record, "contents")
        if not isinstance(topic, str) or not topic:
            return cls.kind
        msgtype = record_field(record, "msg_type")
        if not msgtype:
            try:
                with open_bag(record_field(record, "path")) as bag:
                    msgtype = bag.store.entry(topic).msgtype
            except (WorkbenchError, TypeError):  # reading it will say why
                return "series"
        return "frames" if is_image_type(msgtype) else "series"

    def __new__(  # type: ignore[misc]
        cls,
        source: Source,
        *,
        topic: str | None = None,
        cache: Any = None,
        time: str = "log",
        **kwargs: Any,
    ) -> BaseReader:
        bag = open_bag(source.path, cache=cache)
        try:
            topic = _topic_of(source, topic, bag)
            source.metadata["contents"] = topic
            if is_image_type(bag.store.entry(topic).msgtype):
                if time != "log":
                    raise InvalidArgumentError(
                        f"time={time!r}: image topics are read on log time; drop time="
                    )
                return ImageTopicReader(source, bag=bag, topic=topic, **kwargs)
            return TopicSeriesReader(source, bag=bag, topic=topic, time=time, **kwargs)
        except BaseException:
            bag.close()
            raise


class ImageTopicReader(FrameReader):
    """Segmented reader of an image topic (frames at absolute log times)."""

    def __init__(self, source: Source, *, bag: Bag, topic: str, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)  # options=, first_batch_seconds=
        from workbench.formats.bags.topic_video import TopicVideo

        self.topic = topic
        self._video = TopicVideo(bag, topic)

    @property
    def video(self) -> Any:
        """The :class:`~workbench.formats.bags.topic_video.TopicVideo` of the topic."""
        return self._video

    def _load_axis(self) -> tuple[np.ndarray, float, np.ndarray | None, int, int]:
        v = self._video
        times = v.timestamps
        duration = float(np.median(np.diff(times))) if len(times) > 1 else 0.1
        return times, duration, None, v.width, v.height

    def fetch(self, indices: np.ndarray, timestamps: np.ndarray | None = None) -> Any:
        indices = np.asarray(indices, dtype=np.int64)
        h, w, c = self.frame_shape()
        if len(indices) == 0:
            frames = np.zeros((0, h, w, c), np.uint8)
            ts = np.zeros(0)
        else:
            frames = self._video.get_frames_at(indices, size=(w, h), format=self.format).frames
            ts = self.axis()[0][indices] if timestamps is None else timestamps
        return make_frame_batch(frames, ts, indices, columns=self.columns, record_id=self.record_id)


class TopicSeriesReader(SeriesReader):
    """Segmented reader of a topic as numeric time series (one row per message)."""

    def __init__(
        self, source: Source, *, bag: Bag, topic: str, time: str = "log", **kwargs: Any
    ) -> None:
        super().__init__(source, **kwargs)  # options=
        if self.resize_rate is not None or self.size is not None:
            raise InvalidArgumentError(
                f"resize_rate/size apply to image topics, not to {topic!r} of "
                f"{source.path.name}; drop them"
            )
        if self.mode != "exact":
            raise InvalidArgumentError(f"mode={self.mode!r} applies to video only")
        if time not in TIME_AXES:
            raise InvalidArgumentError(f"time={time!r} is not one of {', '.join(TIME_AXES)}")
        self.bag = bag
        self.topic = topic
        self.time = time
        self.entry = bag.store.entry(topic)
        self._columns: tuple[list[str], Any] | None = None

    # -- columns -----------------------------------------------------------------------
    def columns(self) -> list[str]:
        """The flattened column names (from the type definition, or the first JSON message)."""
        if self._columns is None:
            if self.entry.encoding == "json":
                first = self.bag.store.decode(self.topic, [0])[0] if self.entry.count else {}
                names = list(flatten_dict(first))
                self._columns = (names, None)
            else:
                store = self.bag.store.typestore(self.topic)
                cols = plan_columns(store, self.entry.msgtype)
                self._columns = ([c.name for c in cols], cols)
        return self._columns[0]

    def _values(self, messages: list[Any]) -> np.ndarray:
        names = self.columns()
        cols = self._columns[1] if self._columns else None
        if cols is None:
            return dict_values(messages, names)
        return to_values(messages, cols)

    # -- planning ----------------------------------------------------------------------
    def times(self) -> np.ndarray:
        """Absolute log time of every message (from the index)."""
        return self.entry.time_ns.astype(np.float64) / 1e9

    def value_columns(self) -> list[str]:
        return self.columns()

    # -- reading -----------------------------------------------------------------------
    def _batch(self, rows: np.ndarray) -> SeriesBatch:
        unique, inverse = np.unique(rows, return_inverse=True)
        messages = self.bag.store.decode(self.topic, unique)
        values = self._values(messages)[inverse]
        names = self.columns()
        if self.time == "header":
            if "header.stamp" not in names:
                raise CorruptMediaError(
                    f"topic {self.topic!r} ({self.entry.msgtype}) has no header stamp; read it "
                    "with time='log'"
                )
            times = values[:, names.index("header.stamp")]
        else:
            times = self.times()[rows]
        return SeriesBatch(
            np.asarray(times, np.float64),
            values,
            list(names),
            record_id=self.record_id,
            metadata={"topic": self.topic, "msg_type": self.entry.msgtype},
        )

    def __iter__(self) -> Iterator[SeriesBatch]:
        for rows in self._planned()[0]:
            yield self._batch(rows)
