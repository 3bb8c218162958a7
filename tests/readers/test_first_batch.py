"""``first_batch_seconds``: the first seconds of the first segment as a batch of their own."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import InvalidArgumentError
from workbench.samples import read_frame_code


def test_first_segment_comes_in_two_batches_then_whole_segments(read_media):
    reader = read_media(target_frame_rate=2, segment_duration=3.0, first_batch_seconds=1.0)
    batches = list(reader)
    # the segments stay on the grid 0, 3, 6 ...; only the first one is split at 1 s
    assert [b.indices.tolist() for b in batches] == [[0, 15], [30, 45, 60, 75], [90, 105]]
    assert len(reader) == reader.plan().segments == 3
    assert [read_frame_code(f) for f in batches[1].frames] == [30, 45, 60, 75]
    whole = reader.read_all()
    np.testing.assert_array_equal(np.concatenate([b.frames for b in batches]), whole.frames)


def test_a_ten_second_segment_read_from_mid_file(read_media):
    reader = read_media(start=0.5, target_frame_rate=2, first_batch_seconds=2.0)
    batches = list(reader)
    # 4 s file read from 0.5 s in 10 s segments: [0.5, 2.5) first, then the rest
    assert [b.indices.tolist() for b in batches] == [[15, 30, 45, 60], [75, 90, 105]]
    assert batches[1].timestamps[0] == pytest.approx(2.5)


def test_one_batch_per_segment_by_default_and_short_segments_untouched(read_media):
    default = read_media(target_frame_rate=2)
    assert [len(b) for b in default] == [8]
    short = read_media(target_frame_rate=2, segment_duration=1.0, first_batch_seconds=2.0)
    assert [b.indices.tolist() for b in short] == [[0, 15], [30, 45], [60, 75], [90, 105]]


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "soon"])
def test_bad_first_batch_seconds(read_media, bad):
    with pytest.raises(InvalidArgumentError, match="first_batch_seconds"):
        read_media(first_batch_seconds=bad)
