"""ROS 1 bags, ROS 2 bags and MCAP files, read without a ROS installation.

* :func:`open_bag` indexes a recording once (positions of every message, from the
  format's own index, with ``rosbags`` and ``mcap``) and caches the index;
  ``bag.topics()`` lists topics (type, md5sum, count, frequency, first/last time).
* ``wb.read(bag, topic=...)`` reads a topic lazily in segments: numeric series as
  ``SeriesBatch`` (:mod:`~workbench.formats.bags.flatten` says how messages become
  columns), image topics as ``FrameBatch`` (:mod:`~workbench.formats.bags.reader`).
* ``wb.open_video(bag, topic=...)`` opens an image topic for random access
  (:class:`~workbench.formats.bags.topic_video.TopicVideo`).
* :func:`catalog_rows` gives the catalog one row per topic, with tags.

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.samples.bags import write_sample_bag
>>> from workbench.formats.bags import open_bag
>>> bag = open_bag(write_sample_bag(pathlib.Path(tempfile.mkdtemp()) / "d", duration_seconds=1),
...                cache=False)
>>> [(t.topic, t.count) for t in bag.topics()][:2]
[('/cabin/image_raw', 2), ('/dashcam/image_raw/compressed', 10)]
"""

from __future__ import annotations

from workbench._lazy import lazy_exports

_LAZY = {
    "Bag": "workbench.formats.bags.bag",
    "TopicInfo": "workbench.formats.bags.bag",
    "TruncatedBagWarning": "workbench.formats.bags.bag",
    "open_bag": "workbench.formats.bags.bag",
    "BagIndex": "workbench.formats.bags.index",
    "build_index": "workbench.formats.bags.index",
    "TopicVideo": "workbench.formats.bags.topic_video",
    "open_image_topic": "workbench.formats.bags.topic_video",
    "SUPPORTED_ENCODINGS": "workbench.formats.bags.images",
    "is_image_type": "workbench.formats.bags.images",
    "catalog_rows": "workbench.formats.bags.catalog",
    "topic_tags": "workbench.formats.bags.catalog",
    "is_recording": "workbench.formats.bags.catalog",
    "open_scrub_topic": "workbench.formats.bags.topic_video",
    "bag_kind": "workbench.formats.bags.layout",
    "recording_stat": "workbench.formats.bags.layout",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports("workbench.formats.bags", _LAZY, globals(), __all__)
