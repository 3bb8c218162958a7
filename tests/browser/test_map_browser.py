"""MapView in a real JupyterLab: the marker sits on the GPS position of the scrubber's time,
and a click on the track moves the scrubber to the frame nearest that fix."""

from __future__ import annotations

import json

import pytest
from jlab import Notebook, kernel, module_notebook, video_code

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

MAP = ".wb-map"
N = 120  # frames: 4 s at 30 fps

CELLS = [
    "import ipywidgets as W, numpy as np, pandas as pd, workbench as wb\n"
    + video_code("map.mp4", frames=N),
    "s = wb.VideoScrubber(video)\n"
    "t = s.frame_timestamps[::3]  # a fix every third frame: 10 Hz\n"
    "a = np.linspace(0, np.pi, t.size)\n"
    "gps = pd.DataFrame({'lat': 35.0 + 0.002 * np.sin(a), 'lon': 137.0 + 0.003 * a / np.pi,"
    " 'speed_kmh': 40 + 20 * np.cos(a)}, index=pd.Index(t, name='timestamp'))\n"
    "m = wb.MapView(gps, scrubber=s, color_by='speed_kmh', height=300)\n"
    "W.HBox([s, m])",
]


nb = module_notebook("map.ipynb", CELLS, ready={f"{MAP}[data-marker-x]": 60_000})


def screen_of(view: dict[str, float], x: float, y: float) -> tuple[float, float]:
    """Web Mercator metres -> CSS pixels of the map canvas, as the page's view maps them."""
    return (
        (x - view["cx"]) / view["mpp"] + view["w"] / 2,
        view["h"] / 2 - (y - view["cy"]) / view["mpp"],
    )


def marker_centre(nb: Notebook) -> tuple[float, float]:
    """Where the marker is drawn, from its box on the page, relative to the canvas."""
    return tuple(
        nb.page.evaluate(
            "(sel) => { const root = document.querySelector(sel);"
            " const c = root.querySelector('canvas').getBoundingClientRect();"
            " const m = root.querySelector('.wb-map-marker').getBoundingClientRect();"
            " return [m.left + m.width / 2 - c.left, m.top + m.height / 2 - c.top]; }",
            MAP,
        )
    )


def test_the_marker_is_at_the_gps_position_of_the_scrubbers_time(nb: Notebook) -> None:
    for index in (0, 50, 101):
        ts = kernel(nb, f"(s.__setattr__('value', {index}), s.timestamp)[1]")
        nb.page.wait_for_function(
            "([sel, ts]) => Math.abs(Number(document.querySelector(sel).dataset.cursor) - ts)"
            " < 1e-6",
            arg=[MAP, ts],
            timeout=20_000,
        )
        x, y = kernel(nb, f"m.track().position_at({ts!r})")
        view = json.loads(nb.page.eval_on_selector(MAP, "el => el.dataset.view"))
        want = screen_of(view, x, y)
        got = marker_centre(nb)
        assert got == pytest.approx(want, abs=1.5), (index, got, want)
    assert nb.errors() == []


def test_a_click_on_the_track_moves_the_scrubber_to_the_nearest_frame(nb: Notebook) -> None:
    kernel(nb, "s.__setattr__('value', 0)")
    fix = 23  # the 24th fix: frame 69's time
    x, y, t_fix = kernel(nb, f"[*m.track().position_at(float(t[{fix}])), float(t[{fix}])]")
    view = json.loads(nb.page.eval_on_selector(MAP, "el => el.dataset.view"))
    px, py = screen_of(view, x, y)
    box = nb.page.eval_on_selector(
        f"{MAP} canvas", "c => { const r = c.getBoundingClientRect(); return [r.left, r.top]; }"
    )
    nb.page.mouse.click(box[0] + px, box[1] + py)
    want = kernel(nb, f"int(np.argmin(np.abs(s.frame_timestamps - {t_fix!r})))")
    assert want == 3 * fix
    nb.page.wait_for_function(
        "(want) => { const c = document.querySelector('.wb-scrubber canvas.wb-frame');"
        " return c && c.dataset.index === String(want) && c.dataset.exact === 'true'; }",
        arg=want,
        timeout=20_000,
    )
    assert kernel(nb, "s.value") == want
    assert kernel(nb, "m.selected_record") == "track"
