"""Exports take an events or labels table directly: clips with padding, frames of each
event's window, resumable like any export."""

from __future__ import annotations

import numpy as np
import pytest
from events_support import sample_catalog

import workbench as wb
from workbench.errors import InvalidArgumentError


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory):
    cat = sample_catalog(tmp_path_factory, "export-events", 25)
    return cat, wb.find_events(cat.select(), "brake > 0.5")


def test_export_clips_cuts_each_event_from_its_camera_with_padding(found, tmp_path) -> None:
    cat, ev = found
    clips = wb.export_clips(ev, tmp_path / "clips", pad=1.0, progress=False)
    assert clips.ok.all() and clips.record_id.tolist() == ev.record_id.tolist()
    for row, path in zip(ev.itertuples(), clips.result, strict=True):
        video = wb.open_video(path, cache=False)
        want = (row.end - row.start) + 2.0
        assert video.metadata.duration_seconds == pytest.approx(want, abs=0.1)
    again = wb.export_clips(ev, tmp_path / "clips", pad=1.0, progress=False)
    assert again.result.tolist() == clips.result.tolist()  # resumed: nothing cut again
    cat.labels.add_events(ev, "hard_brake")
    with pytest.raises(InvalidArgumentError, match="pass catalog="):
        wb.export_clips(cat.labels.df, tmp_path / "labels", progress=False)
    labelled = wb.export_clips(cat.labels.df, tmp_path / "labels", catalog=cat, progress=False)
    assert labelled.ok.all() and len(labelled) == len(ev)
    with pytest.raises(InvalidArgumentError, match="pad="):
        wb.export_clips(ev, tmp_path / "x", pad=-1)


def test_export_frames_of_each_events_window(found, tmp_path) -> None:
    _cat, ev = found
    result = wb.export_frames(ev, tmp_path / "frames", target_frame_rate=2, progress=False)
    # a file per 0.5 s of each event, named by the time of the frame on screen then
    times = np.array([float(p.stem.rsplit("-", 1)[-1]) for p in result.files])
    for row in ev.itertuples():
        inside = times[(times > row.start - 1 / 30 - 1e-3) & (times < row.end)]
        assert len(inside) == int(np.ceil((row.end - row.start) * 2 - 1e-9))
    assert len(times) == sum(
        int(np.ceil((end - start) * 2 - 1e-9)) for start, end in zip(ev.start, ev.end, strict=True)
    )
    again = wb.export_frames(ev, tmp_path / "frames", target_frame_rate=2, progress=False)
    assert (again.written, again.skipped) == (0, result.written)
