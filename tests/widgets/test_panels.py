"""ExportPanel, Filmstrip, Timeline and CatalogBrowser at the Python level."""

from __future__ import annotations

import time
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import workbench as wb
from workbench.errors import InvalidArgumentError
from workbench.samples import read_frame_code
from workbench.widgets.filmstrip import pick_thumbnails
from workbench.widgets.sync import ClockGroup
from workbench.widgets.timeline import downsample_minmax


# ---- ExportPanel ---------------------------------------------------------------------------
def test_panel_follows_in_out_points_and_estimates(scrubber, tmp_path) -> None:
    panel = wb.ExportPanel(scrubber, out_dir=tmp_path / "out", target_frame_rate=2)
    try:
        scrubber.set_range(10, 40)
        ts = scrubber.frame_timestamps
        assert (panel.in_point, panel.out_point) == (10, 40)
        assert panel.start == pytest.approx(ts[10]) and panel.end == pytest.approx(ts[41])
        assert panel.estimate_frames == 3  # 31 frames at 30 fps, sampled at 2 fps
        assert panel.estimate_bytes > 0
        panel.target_frame_rate = None  # every frame, as in wb.read
        assert panel.estimate_frames == 31
        small = panel.estimate_bytes
        panel.resize_rate = 1.0
        assert panel.estimate_bytes > small
        panel.in_point = 0  # the panel drives the scrubber too
        assert scrubber.in_point == 0
    finally:
        panel.close()


def test_panel_validation(scrubber, tmp_path) -> None:
    panel = wb.ExportPanel(scrubber, out_dir=tmp_path)
    try:
        with pytest.raises(InvalidArgumentError, match="resize_rate"):
            panel.resize_rate = 0
        with pytest.raises(InvalidArgumentError, match="format"):
            panel.format = "gif"
        with pytest.raises(InvalidArgumentError, match="target_frame_rate"):
            panel.target_frame_rate = -1
        with pytest.raises(InvalidArgumentError, match="quality"):
            panel.quality = 0
        panel.format = "jpg"
        assert panel.format == "jpeg"
    finally:
        panel.close()
    with pytest.raises(InvalidArgumentError, match="VideoScrubber"):
        wb.ExportPanel("clip.mp4")  # type: ignore[arg-type]


def test_panel_exports_the_range(scrubber, tmp_path, frontend) -> None:
    out = tmp_path / "frames"
    panel = wb.ExportPanel(scrubber, out_dir=out, target_frame_rate=5, resize_rate=1.0)
    fe = frontend(panel)
    scrubber.set_range(30, 59)
    fe.request({"type": "export"})  # what the Export button sends
    summary = panel.wait(60)
    assert panel.status == "done" and panel.progress == 1.0, panel.message
    files = sorted(out.glob("*.jpg"))
    assert summary["written"] == len(files) == panel.estimate_frames == 5
    codes = sorted(read_frame_code(np.asarray(Image.open(f).convert("RGB"))) for f in files)
    assert codes == [30, 36, 42, 48, 54]
    again = panel.export().result(60)  # resumable: nothing new to write
    assert again["written"] == 0 and again["skipped"] == 5
    panel.close()


def test_panel_runs_in_background_and_cancels(scrubber, tmp_path) -> None:
    panel = wb.ExportPanel(
        scrubber, out_dir=tmp_path / "c", target_frame_rate=None, chunk_seconds=0.1
    )
    future = panel.export()
    assert panel.status in ("running", "done")  # export() returned at once
    with pytest.raises(InvalidArgumentError, match="already running"):
        if not future.done():
            panel.export()
        else:
            raise InvalidArgumentError("already running (finished too fast to check)")
    panel.cancel()
    summary = future.result(60)
    assert panel.status == "cancelled"
    assert summary["chunks"] < 30 and summary["written"] < 90
    panel.close()


def test_panel_exports_a_clip(scrubber, tmp_path) -> None:
    panel = wb.ExportPanel(
        scrubber, out_dir=tmp_path / "clips", format="mp4", target_frame_rate=None, resize_rate=1
    )
    scrubber.set_range(15, 44)
    summary = panel.export().result(120)
    assert panel.status == "done", panel.message
    (clip,) = summary["files"]
    with wb.open_video(clip) as video:
        assert len(video) == 30
        assert read_frame_code(video[0]) == 15 and read_frame_code(video[-1]) == 44
    panel.close()


# ---- Filmstrip -----------------------------------------------------------------------------
def test_pick_thumbnails() -> None:
    assert pick_thumbnails(range(0, 300, 30), 4) == [0, 90, 180, 270]
    with pytest.raises(InvalidArgumentError):
        pick_thumbnails([0], 0)


def test_filmstrip_thumbs_and_click(scrubber, frontend, jpeg_code) -> None:
    strip = wb.Filmstrip(scrubber, count=4, thumb_width=128)
    fe = frontend(strip)
    assert strip.thumb_indices == [0, 30, 45, 75]
    fe.request({"type": "thumbs"})
    deadline = time.monotonic() + 30
    while not fe.sent and time.monotonic() < deadline:
        time.sleep(0.01)
    msg, buffers = fe.sent[0]
    assert msg["indices"] == strip.thumb_indices and len(buffers) == 4
    assert [jpeg_code(b) for b in buffers] == strip.thumb_indices
    assert Image.open(__import__("io").BytesIO(buffers[0])).width == 128
    strip.set_state({"value": strip.thumb_indices[2]})  # a click on the third thumb
    assert scrubber.value == strip.thumb_indices[2]
    scrubber.value = 7
    assert strip.value == 7
    strip.close()
    scrubber.value = 8
    assert strip.value == 7  # unlinked


# ---- Timeline ------------------------------------------------------------------------------
def test_downsample_keeps_spikes() -> None:
    t = np.arange(10_000) / 100.0
    v = np.zeros_like(t)
    v[5_000] = 1.0  # one 10 ms brake press
    tc, lo, hi = downsample_minmax(t, v, 200)
    assert tc.size <= 200 and hi.max() == 1.0 and lo.min() == 0.0
    assert np.all(np.diff(tc) > 0)


def _series(t0: float) -> pd.DataFrame:
    t = t0 + np.arange(0, 3, 0.01)
    return pd.DataFrame(
        {"speed_kmh": 50 + 10 * np.sin(t), "brake": (t > t0 + 1).astype(float), "frame": 1.0},
        index=pd.Index(t, name="timestamp"),
    )


def test_timeline_lanes_and_cursor(scrubber) -> None:
    tl = wb.Timeline({"can": _series(0.0)}, scrubber=scrubber, buckets=100)
    assert [lane["name"] for lane in tl.lanes] == ["can.speed_kmh", "can.brake"]
    assert all(len(lane["t"]) <= 100 for lane in tl.lanes)
    assert tl.players == [scrubber.model_id]  # its view follows that playback in the browser
    scrubber.value = 45
    assert tl.timestamp == pytest.approx(scrubber.timestamp)
    tl.set_state({"timestamp": 2.0 + 0.001})  # a click on the lanes
    assert scrubber.value == 60
    tl.close()
    with pytest.raises(InvalidArgumentError, match="not found"):
        wb.Timeline(_series(0.0), columns=["rpm"])
    with pytest.raises(InvalidArgumentError):
        wb.Timeline(42)


def test_clock_group_does_not_bounce() -> None:
    import traitlets

    class Snap(traitlets.HasTraits):
        timestamp = traitlets.Float(0.0)

        @traitlets.observe("timestamp")
        def _snap(self, change):
            self.timestamp = round(change["new"])  # like a scrubber snapping to its frames

    a, b = Snap(), Snap()
    group = ClockGroup([a, b])
    a.timestamp = 2.4
    assert (a.timestamp, b.timestamp) == (2, 2)
    group.unlink()
    a.timestamp = 5.0
    assert b.timestamp == 2


# ---- CatalogBrowser ------------------------------------------------------------------------
def _build(root):
    db = wb.samples.make_sample_database(
        root, records=2, duration_seconds=2, size=(160, 96), cameras=("front-center", "rear"),
        workers=1,
    )  # fmt: skip
    return wb.build_catalog(db)


def _paths(cat, record_id):
    return [rec.path for rec in cat.select(record_id=record_id)]


@pytest.mark.slow
def test_catalog_browser(tmp_path) -> None:
    cat = _build(tmp_path / "db")
    browser = wb.CatalogBrowser(cat)
    try:
        tags = {t["tag"]: t["count"] for t in browser.list.tags}
        # 8 videos and timestamps files and 8 image topics of the sample bags; 2 can.csv
        # and 2 x 5 messages of the raw CAN logs
        assert tags["camera"] == 16 and tags["can"] == 12
        assert len(browser.list.records) == 2
        browser.list.selected_tags = ["rear"]  # a click on the "rear" chip
        assert {t["tag"] for t in browser.list.tags} >= {"rear", "camera"}
        assert all(t["tag"] != "can" for t in browser.list.tags)
        rid = browser.list.records[0]["record_id"]
        browser.list.opened = rid  # a click on the record row
        assert len(browser.scrubbers) == 2 and browser.timeline is not None
        names = [lane["name"] for lane in browser.timeline.lanes]
        assert "can.speed_kmh" in names and "gps.lat" in names
        # lane times are relative to t0, on the same clock as the frames
        can = pd.read_csv(next(p for p in map(str, _paths(cat, rid)) if p.endswith("can.csv")))
        lane = browser.timeline.lanes[names.index("can.speed_kmh")]
        assert browser.timeline.t0 + lane["t"][0] == pytest.approx(
            can["timestamp"].iloc[0], abs=0.02
        )
        front, rear = browser.scrubbers
        front.value = 40
        assert rear.timestamp == pytest.approx(front.timestamp, abs=1 / 30)
        assert browser.timeline.timestamp == pytest.approx(front.timestamp)
        browser.timeline.timestamp = float(front.frame_timestamps[10])
        assert front.value == 10 and abs(rear.value - 10) <= 1
        old = browser.scrubbers
        browser.open_record(browser.list.records[-1]["record_id"])
        assert all(s.comm is None for s in old)  # the previous player was closed
    finally:
        browser.close()
    assert all(s.comm is None for s in browser.scrubbers)


def test_timeline_span_keeps_lane_times_on_the_clock() -> None:
    tl = wb.Timeline(_series(10.0), span=(5.0, 20.0))
    assert (tl.t0, tl.t1) == (5.0, 20.0)
    lane = tl.lanes[0]
    assert tl.t0 + lane["t"][0] == pytest.approx(10.0)  # the first sample stays at 10 s
    tl.close()


# ---- ExportPanel hardening -------------------------------------------------------------------
T0 = 1552857001.48  # a sample-database record start: float noise at this size is ~2e-7 s


@pytest.fixture
def epoch_scrubber(video_path):
    s = wb.VideoScrubber({"path": str(video_path), "record_id": "r", "start_timestamp": T0})
    yield s
    s.close()


def test_panel_exports_a_whole_sample_database_record(tmp_path):
    root = wb.samples.make_sample_database(
        tmp_path / "db", records=1, duration_seconds=2, cameras=("front-center",),
        size=(160, 96), workers=1,
    )  # fmt: skip
    rec = next(iter(wb.build_catalog(root).select(content_type="video/*")))
    scrubber = wb.VideoScrubber(rec)
    panel = wb.ExportPanel(scrubber, out_dir=tmp_path / "out")  # default range and chunks
    try:
        summary = panel.export().result(120)
        assert panel.status == "done", panel.message
        assert summary["written"] == panel.estimate_frames == 4
    finally:
        panel.close()
        scrubber.close()


def test_panel_exports_every_frame_with_absolute_times(epoch_scrubber, tmp_path):
    panel = wb.ExportPanel(
        epoch_scrubber, out_dir=tmp_path / "all", target_frame_rate=None, chunk_seconds=1.0
    )
    try:
        summary = panel.export().result(120)  # the default range: the whole video
        assert panel.status == "done", panel.message
        assert summary["failed"] == [] and summary["skipped"] == 0
        assert summary["written"] == panel.estimate_frames == 90 == summary["chunks"] * 30
    finally:
        panel.close()


def test_chunk_bounds_leave_no_degenerate_window():
    from workbench.widgets.export_panel import chunk_bounds

    end = T0 + 3.0000003  # ts[-1] + 1/fps computed in floats
    bounds = chunk_bounds(T0, end, 1.0)
    assert bounds[0] == T0 and bounds[-1] == end and len(bounds) == 4
    assert min(np.diff(bounds)) > 0.5
    ts = T0 + np.arange(90) / 30
    framed = chunk_bounds(T0, end, 0.5, frame_times=ts)
    assert framed[:-1] == ts[::15].tolist() and framed[-1] == end


def test_panel_refuses_bad_settings_from_the_browser(scrubber, tmp_path):
    panel = wb.ExportPanel(scrubber, out_dir=tmp_path / "out", target_frame_rate=2)
    try:
        for key, bad in [
            ("target_frame_rate", -1),
            ("target_frame_rate", 0),
            ("resize_rate", 0),
            ("quality", 500),
            ("quality", 50.5),
            ("name", "frame\n{n}.{ext}"),
            ("out_dir", ""),
        ]:
            before = getattr(panel, key)
            panel.set_state({key: bad})  # what ipywidgets does with a browser edit
            assert getattr(panel, key) == before, (key, bad)
            assert panel.setting_error, (key, bad)
        assert "out" in panel.out_dir and "empty" in panel.setting_error
        panel.set_state({"quality": 70})
        assert panel.quality == 70 and panel.setting_error == ""
        panel.set_state({"target_frame_rate": None})  # an empty field: every frame
        assert panel.target_frame_rate is None and panel.estimate_frames == 90
    finally:
        panel.close()


def test_panel_and_api_mean_the_same_by_the_same_option(scrubber, video_path, tmp_path):
    panel = wb.ExportPanel(scrubber, out_dir=tmp_path / "big", target_frame_rate=2)
    try:
        for bad in (0, -1):  # a rate must be > 0 in both; None keeps every frame in both
            with pytest.raises(InvalidArgumentError, match="target_frame_rate") as api:
                wb.read(video_path, target_frame_rate=bad)
            with pytest.raises(InvalidArgumentError, match="target_frame_rate") as ui:
                panel.target_frame_rate = bad
            rule = "must be a positive number"
            assert rule in str(api.value) and rule in str(ui.value)
        # resize_rate is a scale factor > 0 in both: 2 doubles the size
        panel.resize_rate = 2
        scrubber.set_range(0, 14)
        summary = panel.export().result(60)
        assert panel.status == "done", panel.message
        with Image.open(summary["files"][0]) as im:
            assert im.size == (320, 192)
        batch = next(iter(wb.read(video_path, target_frame_rate=2, resize_rate=2)))
        assert batch.frames.shape[1:3] == (192, 320)
    finally:
        panel.close()


def test_panel_range_is_shown_from_the_record_start(epoch_scrubber, tmp_path):
    panel = wb.ExportPanel(epoch_scrubber, out_dir=tmp_path)
    try:
        epoch_scrubber.set_range(30, 59)
        assert panel.range_label.startswith("0:01.00 → 0:02.00")
        assert f"{T0 + 1:.3f}" in panel.range_title and "2019-03-17" in panel.range_title
        assert "1552857" not in panel.range_label
    finally:
        panel.close()


def test_panel_cancelled_message_says_cancelled_once(scrubber, tmp_path):
    panel = wb.ExportPanel(
        scrubber, out_dir=tmp_path / "c", target_frame_rate=None, chunk_seconds=0.1
    )
    try:
        panel._cancel.set()  # cancelled before the first chunk
        future: Future = Future()
        panel._run(future)
        future.result(10)
        assert panel.status == "cancelled"
        assert not panel.message.startswith("cancelled")  # the view shows "<status>: <msg>"
    finally:
        panel.close()


def test_panel_status_text_wraps_at_spaces():
    from workbench._assets import frontend_file

    assert "break-all" not in frontend_file("export_panel.css").read_text()


@pytest.mark.parametrize(("rate", "resize"), [(None, 1.0), (None, 0.5), (10.0, 1.0)])
def test_panel_mp4_estimate_is_within_2x_of_the_clip(scrubber, tmp_path, rate, resize):
    panel = wb.ExportPanel(
        scrubber, out_dir=tmp_path / "clip", format="mp4", target_frame_rate=rate,
        resize_rate=resize,
    )  # fmt: skip
    try:
        estimate = panel.estimate_bytes
        summary = panel.export().result(120)
        assert panel.status == "done", panel.message
        real = summary["bytes"]
        assert real / 2 <= estimate <= real * 2, (estimate, real)
    finally:
        panel.close()


def test_panel_output_folder_that_is_a_file_is_said_once(scrubber, tmp_path):
    afile = tmp_path / "afile.txt"
    afile.write_text("x")
    panel = wb.ExportPanel(scrubber, out_dir=afile)
    try:
        with pytest.raises(OSError):
            panel.export().result(60)
        assert panel.status == "error"
        assert "is a file, not a folder" in panel.message
        assert panel.message.count("[Errno") <= 1 and panel.message.count("afile.txt") == 1
    finally:
        panel.close()
