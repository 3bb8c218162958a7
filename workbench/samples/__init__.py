"""Synthetic media and a sample driving database for tests, notebooks and the demo.

* :func:`make_video` encodes a road scene with the frame index burnt in (as text and as
  a machine-readable block code) and produces the hard cases a decoder must get right.
* :func:`read_frame_code` reads the index back from any decoded (even resized or
  JPEG-compressed) frame.
* :func:`make_edit_list_cut` stream-copies an MP4 from mid-GOP, producing an edit list.
* :func:`make_sample_database` writes a dwtk-style dataset: videos, per-frame
  timestamps, CAN and GPS logs, each with a JSON sidecar.

Examples
--------
>>> import tempfile, pathlib, av
>>> from workbench.samples import make_video, read_frame_code
>>> path = make_video(pathlib.Path(tempfile.mkdtemp()) / "a.mp4", size=(160, 96), frames=3)
>>> with av.open(str(path)) as c:
...     [read_frame_code(f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
[0, 1, 2]
"""

from __future__ import annotations

from workbench.samples.database import make_sample_database
from workbench.samples.drive import Drive, simulate_drive
from workbench.samples.framecode import read_frame_code
from workbench.samples.video import frame_times, make_edit_list_cut, make_video

__all__ = [
    "Drive",
    "frame_times",
    "make_edit_list_cut",
    "make_sample_database",
    "make_video",
    "read_frame_code",
    "simulate_drive",
]
