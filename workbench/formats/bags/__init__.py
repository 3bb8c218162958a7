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

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports, type_checking_imports

# ruff: noqa: F401  (the public names are imports under TYPE_CHECKING, exported via _LAZY)
if TYPE_CHECKING:  # the public names, imported on first use (see workbench._lazy)
    from workbench.formats.bags.bag import Bag, TopicInfo, TruncatedBagWarning, open_bag
    from workbench.formats.bags.catalog import catalog_rows, is_recording, topic_tags
    from workbench.formats.bags.images import SUPPORTED_ENCODINGS, is_image_type
    from workbench.formats.bags.index import BagIndex, build_index
    from workbench.formats.bags.layout import bag_kind, recording_stat
    from workbench.formats.bags.topic_video import TopicVideo, open_image_topic, open_scrub_topic

_LAZY: dict[str, str] = type_checking_imports(__file__)

__all__ = list(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
