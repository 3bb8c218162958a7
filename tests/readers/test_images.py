"""Image-collection reader: folders and lists, times from names, sampling, resizing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import workbench as wb
from workbench.errors import CorruptMediaError


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "frames"
    d.mkdir()
    for i in range(6):
        arr = np.full((40, 64, 3), i * 40, np.uint8)
        Image.fromarray(arr).save(d / f"{100 + i * 0.5:.3f}.png")
    (d / "notes.txt").write_text("not an image")
    return d


def test_folder_times_from_names_and_segments(folder):
    reader = wb.read(folder, segment_duration=1.0)
    assert len(reader) == 3
    batches = list(reader)
    ts = np.concatenate([b.timestamps for b in batches])
    np.testing.assert_allclose(ts, 100 + np.arange(6) * 0.5)
    assert batches[0].frames.shape == (2, 40, 64, 3)
    assert batches[0].frames[1, 0, 0, 0] == 40
    assert batches[0].record_id == "frames"


def test_sampling_resizing_and_formats(folder):
    batch = wb.read(folder, target_frame_rate=1, size=(32, 20), format="gray").read_all()
    assert batch.frames.shape == (3, 20, 32, 1)
    np.testing.assert_allclose(batch.timestamps, [100.0, 101.0, 102.0])
    assert batch.frames[1, 5, 5, 0] == 80
    plan = wb.read(folder, resize_rate=0.5).plan()
    assert (plan.items, plan.shape, plan.bytes) == (6, (20, 32, 3), 6 * 20 * 32 * 3)


def test_list_of_images_in_order(folder):
    files = sorted(folder.glob("*.png"))[:3]
    batch = wb.read([str(f) for f in files], format="bgr24").read_all()
    assert len(batch) == 3


def test_corrupt_image_is_typed(folder):
    (folder / "100.250.png").write_bytes(b"garbage")
    with pytest.raises(CorruptMediaError, match=r"100\.250\.png"):
        wb.read(folder).read_all()
