"""MapView: the data sent to the browser (points, times, projection, simplification), its
clock links, and its errors. What the browser draws is checked in tests/browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dataset_support import small_sample_database, write_series

import workbench as wb
from workbench.errors import InvalidArgumentError
from workbench.widgets.map_data import (
    EARTH_RADIUS_M,
    gps_track,
    pack_tracks,
    simplify,
    web_mercator,
)
from workbench.widgets.map_view import MapView


def track_df(n: int = 600, *, rate: float = 10.0, t0: float = 1.5e9) -> pd.DataFrame:
    """An L-shaped drive: north for the first half, then east; absolute time index."""
    t = t0 + np.arange(n) / rate
    half = n // 2
    step = 1e-5
    lat = 35.0 + step * np.minimum(np.arange(n), half)
    lon = 137.0 + step * np.maximum(np.arange(n) - half, 0)
    speed = np.linspace(10, 70, n)
    return pd.DataFrame({"lat": lat, "lon": lon, "speed_kmh": speed}, index=pd.Index(t))


def decode(widget: MapView) -> np.ndarray:
    """The points buffer as the browser reads it: (t, x, y, value) rows."""
    return np.frombuffer(widget.points, dtype="<f8").reshape(-1, 4)


def segment_distance(px: np.ndarray, py: np.ndarray, ax, ay, bx, by) -> np.ndarray:
    dx, dy = bx - ax, by - ay
    f = np.clip(((px - ax) * dx + (py - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0, 1)
    return np.hypot(ax + f * dx - px, ay + f * dy - py)


def test_web_mercator_matches_the_epsg_3857_formulas() -> None:
    x, y = web_mercator(np.array([0.0, 45.0, -45.0, 89.9]), np.array([180.0, 90.0, -90.0, 0.0]))
    assert x[0] == pytest.approx(np.pi * EARTH_RADIUS_M)
    assert x[1] == pytest.approx(np.pi / 2 * EARTH_RADIUS_M)
    assert y[1] == pytest.approx(-y[2]) and y[1] == pytest.approx(5_621_521.486, abs=1e-2)
    # latitudes beyond the square world are clamped, not infinite
    assert np.isfinite(y).all() and y[3] <= np.pi * EARTH_RADIUS_M + 1


def test_simplify_keeps_the_ends_and_the_corner_and_drops_the_straight_runs() -> None:
    track = gps_track(track_df(), record_id="r")
    keep = simplify(track.x, track.y, tolerance=0.5)
    assert keep[0] == 0 and keep[-1] == len(track) - 1
    assert 300 in keep.tolist()  # the corner
    assert keep.size <= 5


def test_simplified_track_stays_within_its_tolerance_of_every_fix() -> None:
    rng = np.random.default_rng(3)
    n = 36_000  # one hour at 10 Hz
    df = pd.DataFrame(
        {
            "lat": 35 + np.cumsum(rng.normal(0, 2e-6, n)) + 1e-6 * np.arange(n),
            "lon": 137 + np.cumsum(rng.normal(0, 2e-6, n)),
        },
        index=pd.Index(np.arange(n) / 10.0),
    )
    track = gps_track(df, record_id="hour")
    buf, meta = pack_tracks([track], max_points=4000)
    pts = np.frombuffer(buf, dtype="<f8").reshape(-1, 4)
    assert 2 < meta[0]["count"] <= 4000 and meta[0]["fixes"] == n
    # every original fix lies within the tolerance of the segment its time falls in
    tol = meta[0]["tolerance_m"]
    assert 0 < tol < 5  # metres: well under a pixel of a map showing the whole track
    seg = np.clip(np.searchsorted(pts[:, 0], track.t, side="right") - 1, 0, len(pts) - 2)
    d = segment_distance(
        track.x, track.y, pts[seg, 1], pts[seg, 2], pts[seg + 1, 1], pts[seg + 1, 2]
    )
    assert d.max() <= tol
    assert pts[0, 0] == track.t[0] and pts[-1, 0] == track.t[-1]


def test_bad_fixes_are_skipped_counted_and_said_in_the_status() -> None:
    df = track_df(50)
    df.iloc[0, :2] = 0.0  # (0, 0) before the first fix
    df.iloc[1, 0] = np.nan
    df.iloc[2, 1] = np.inf
    m = MapView(df, record_id="r9")
    assert m.tracks[0]["skipped"] == 3 and m.tracks[0]["fixes"] == 47
    assert "47 fixes" in m.status and "3 skipped" in m.status
    assert decode(m)[0, 0] == df.index[3]


def test_points_buffer_holds_times_projected_positions_and_colour_values() -> None:
    df = track_df()
    m = MapView(df, color_by="speed_kmh", record_id="r1")
    pts = decode(m)
    assert pts.shape[0] == m.tracks[0]["count"]
    full = gps_track(df, record_id="r1")
    i = np.searchsorted(full.t, pts[:, 0])
    np.testing.assert_array_equal(full.t[i], pts[:, 0])
    np.testing.assert_allclose(pts[:, 1:3], np.column_stack((full.x[i], full.y[i])))
    np.testing.assert_allclose(pts[:, 3], df["speed_kmh"].to_numpy()[i])
    assert m.color_range == pytest.approx([10.0, 70.0])
    assert m.selected_record == "r1" and m.timestamp == df.index[0]


def test_color_by_is_taken_as_of_each_fix_from_another_stream() -> None:
    gps = track_df(20, rate=1.0, t0=100.0)[["lat", "lon"]]
    can = pd.DataFrame({"speed_kmh": [5.0, 50.0]}, index=pd.Index([100.0, 110.0]))
    m = MapView({"gps": gps, "can": can}, color_by="can.speed_kmh")
    track = m.track()
    assert track.value[track.t < 110].tolist() == [5.0] * 10
    assert set(track.value[track.t >= 110]) == {50.0}
    with pytest.raises(InvalidArgumentError, match=r"color_by='gear'.*can\.speed_kmh"):
        MapView({"gps": gps, "can": can}, color_by="gear")


def test_a_record_without_gps_names_the_record_and_its_streams() -> None:
    can = pd.DataFrame({"speed_kmh": [1.0, 2.0]}, index=pd.Index([0.0, 1.0]))
    with pytest.raises(InvalidArgumentError, match=r"record 'r7' has no GPS stream.*can \(speed"):
        MapView({"can": can}, record_id="r7")


def test_a_selection_gives_one_track_per_record(tmp_path: Path) -> None:
    for k, rid in enumerate(["rA", "rB", "rC"]):
        df = track_df(40, t0=1000.0 * (k + 1))
        if rid != "rC":
            write_series(tmp_path / rid, "gps", rid, df[["lat", "lon"]])
        else:
            write_series(tmp_path / rid, "can", rid, df[["speed_kmh"]])
    cat = wb.build_catalog(tmp_path)
    m = MapView(cat.select())
    assert m.record_ids == ["rA", "rB"]
    assert [t["t0"] for t in m.tracks] == [1000.0, 2000.0]
    assert "no GPS in rC" in m.status
    assert m.selected_record == ""
    with pytest.raises(InvalidArgumentError, match="record 'rC' has no GPS stream"):
        MapView(cat.select(record_id="rC"))


def test_the_marker_shares_the_scrubber_clock_both_ways(video_path: Path) -> None:
    s = wb.VideoScrubber(video_path)
    t = s.frame_timestamps
    gps = pd.DataFrame(
        {"lat": np.linspace(35, 35.001, 31), "lon": np.full(31, 137.0)},
        index=pd.Index(np.linspace(t[0], t[-1], 31)),
    )
    m = MapView(gps, scrubber=s)
    assert m.players == [s.model_id]
    s.value = 45
    assert m.timestamp == pytest.approx(t[45])
    m.timestamp = float(t[60]) + 0.001  # a click on the track between two frames
    assert s.value == 60
    m.close()
    s.value = 10
    assert m.timestamp == pytest.approx(t[60], abs=0.01)
    s.close()


def test_show_events_highlights_stretches_and_refuses_bad_rows() -> None:
    df = track_df(100)
    m = MapView(df, record_id="r1")
    t0 = float(df.index[0])
    events = pd.DataFrame({"start": [t0 + 1], "end": [t0 + 2.5], "label": ["hard_brake"]})
    m.show_events(events)
    assert m.highlights == [
        {"record_id": "r1", "start": t0 + 1, "end": t0 + 2.5, "label": "hard_brake"}
    ]
    with pytest.raises(InvalidArgumentError, match="end after it starts"):
        m.show_events(pd.DataFrame({"start": [5.0], "end": [4.0]}))
    with pytest.raises(InvalidArgumentError, match=r"need columns \['end'\]"):
        m.show_events(pd.DataFrame({"start": [5.0]}))


@pytest.mark.parametrize(
    "tiles",
    ["https://tile.example.org/{z}/{y}.png", "file:///etc/{z}/{x}/{y}.png", "{z}{x}{y}"],
)
def test_a_bad_tile_template_is_refused(tiles: str) -> None:
    with pytest.raises(InvalidArgumentError, match="tiles="):
        MapView(track_df(10), tiles=tiles)


def test_the_sample_database_record_maps_with_its_speed(tmp_path: Path) -> None:
    root = small_sample_database(tmp_path / "db", duration_seconds=6, cameras=("front",))
    rec = wb.build_catalog(root).select().recordings()[0]
    m = MapView(rec, color_by="speed_kmh")
    assert m.record_ids == [rec.record_id]
    assert m.tracks[0]["fixes"] == 60 and m.tracks[0]["skipped"] == 0
    lo, hi = m.color_range
    assert 0 < lo < hi < 200


def test_catalog_browser_shows_the_map_beside_the_cameras_on_one_clock(tmp_path: Path) -> None:
    root = wb.samples.make_sample_database(
        tmp_path / "db", records=2, duration_seconds=2, cameras=("front",), size=(160, 96),
        workers=1,
    )  # fmt: skip
    browser = wb.CatalogBrowser(wb.build_catalog(root))
    try:
        browser.open_record(browser.list.records[0]["record_id"])
        (front,) = browser.scrubbers
        m = browser.map
        assert m is not None and m in browser.player.children[0].children
        assert m.players == [front.model_id]
        front.value = 40
        assert m.timestamp == pytest.approx(front.timestamp)
        m.timestamp = float(front.frame_timestamps[10])  # a click on the track
        assert front.value == 10
        browser.open_record(browser.list.records[-1]["record_id"])
        assert m.comm is None and browser.map is not m  # the previous map was closed
    finally:
        browser.close()


def test_a_click_seeks_the_scrubber_to_the_nearest_frame_and_selects_the_record(
    video_path: Path,
) -> None:
    s = wb.VideoScrubber(video_path)
    t = s.frame_timestamps
    gps = pd.DataFrame(
        {"lat": np.linspace(35, 35.001, 30), "lon": np.full(30, 137.0)},
        index=pd.Index(t[::3]),
    )
    m = MapView(gps, scrubber=s, record_id="r1")
    # the view sends a click's time; just before frame 69 starts, frame 69 is nearest
    m._handle_custom_msg({"type": "seek", "timestamp": float(t[69]) - 1e-6, "record_id": "r1"}, [])
    assert s.value == 69 and m.timestamp == pytest.approx(t[69])
    for bad in ({"type": "seek", "timestamp": "abc"}, {"type": "seek", "timestamp": None},
                {"type": "seek", "timestamp": 1.0, "record_id": "nope"}, ["seek"]):  # fmt: skip
        m._handle_custom_msg(bad, [])  # logged and ignored: the clock does not move
        assert s.value == 69
    s.close()
    m.close()
