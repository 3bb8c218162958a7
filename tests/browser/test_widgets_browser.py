"""The widgets in a real JupyterLab, driven by headless Chromium.

One notebook makes a small sample video and shows a scrubber with its filmstrip,
timeline and export panel; the tests drag, press keys and click, then read the frame
code out of the pixels on screen to prove the right frame is shown.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from jlab import JupyterLab, Notebook, module_notebook, notebook_page, video_code

from workbench.samples import read_frame_code

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CANVAS = ".wb-scrubber canvas.wb-frame"
N = 120  # frames of the notebook's video (4 s at 30 fps, keyframe every 15)

CELLS = [
    "import ipywidgets as W, numpy as np, pandas as pd, workbench as wb\n"
    + video_code("clip.mp4", frames=N),
    "s = wb.VideoScrubber(video, debug=True)\n"
    "strip = wb.Filmstrip(s, count=8, thumb_width=96)\n"
    "t = np.arange(0, 4, 0.01)\n"
    "can = pd.DataFrame({'speed_kmh': 50 + 20 * np.sin(t), 'brake': (t > 2).astype(float)},"
    " index=pd.Index(t, name='timestamp'))\n"
    "tl = wb.Timeline(can, scrubber=s)\n"
    "panel = wb.ExportPanel(s, out_dir='exported', target_frame_rate=5, resize_rate=1.0)\n"
    "W.VBox([W.HBox([s, panel]), strip, tl])",
]


nb = module_notebook("widgets.ipynb", CELLS, ready={f"{CANVAS}[data-exact='true']": 60_000})


def shown(nb: Notebook, index: int, timeout: float = 20_000) -> int:
    """Wait until frame ``index`` is painted exactly; return the code read from the pixels."""
    nb.page.wait_for_function(
        "([sel, i]) => { const c = document.querySelector(sel);"
        " return c && c.dataset.exact === 'true' && c.dataset.index === String(i); }",
        arg=[CANVAS, index],
        timeout=timeout,
    )
    return read_frame_code(nb.canvas_rgb(CANVAS))


def kernel(nb: Notebook, expr: str) -> str:
    return nb.run_code(f"print({expr})").strip()


def test_scrubber_renders_first_frame(nb: Notebook) -> None:
    assert not nb.errors()
    assert shown(nb, 0) == 0
    readout = nb.page.inner_text(".wb-scrubber .wb-readout")
    assert "frame 0 / 119" in readout and "00:00.000" in readout


def test_drag_slider_paints_the_exact_frame(nb: Notebook) -> None:
    page = nb.page
    page.evaluate(
        "() => { const s = window.__workbench_stats; s.paints.length = 0;"
        " s.inputs.length = 0; s.latencies.length = 0; }"
    )
    box = page.locator(".wb-scrubber .wb-slider").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 8, y)
    page.mouse.down()
    for k in range(1, 21):  # a continuous drag to ~60 % of the track
        page.mouse.move(box["x"] + 8 + k * (box["width"] * 0.6) / 20, y)
        page.wait_for_timeout(15)
    page.mouse.up()
    value = int(page.eval_on_selector(".wb-scrubber .wb-slider", "s => s.value"))
    assert 40 <= value <= 100
    assert shown(nb, value) == value
    stats = page.evaluate("() => window.__workbench_stats")
    drags = [i for i in stats["inputs"] if i["kind"] == "drag"]
    assert len(drags) >= 10
    # one frame request in flight at a time: each left after the previous reply came in,
    # and the kernel was asked for fewer frames than the slider produced positions
    asked = [r for r in stats["requests"] if r["kind"] == "user"]
    answered = {r["seq"]: r["at"] for r in stats["replies"]}
    assert all(b["at"] >= answered[a["seq"]] for a, b in itertools.pairwise(asked))
    assert len(asked) < len(drags)
    # the hand saw keyframe previews while it moved, most from the view's own store
    previews = [p for p in stats["paints"] if not p["exact"]]
    assert previews and sum(p["fromStore"] for p in previews) >= len(previews) / 2
    wait_code = (
        f"import time\nfor _ in range(100):\n    if s.value == {value}: break\n"
        "    time.sleep(0.05)\nprint(s.value)"
    )
    assert nb.run_code(wait_code).strip() == str(value)


def test_steps_paint_from_the_view_store(nb: Notebook) -> None:
    page = nb.page
    page.focus(".wb-scrubber")
    page.keyboard.press("Home")
    shown(nb, 0)
    page.wait_for_timeout(1500)  # idle: the view fills its store around the cursor
    page.evaluate("() => { window.__workbench_stats.paints.length = 0; }")
    for i in range(1, 7):
        page.keyboard.press("ArrowRight")
        assert shown(nb, i) == i
    for i in range(5, 2, -1):
        page.keyboard.press("ArrowLeft")
        assert shown(nb, i) == i
    paints = page.evaluate("() => window.__workbench_stats.paints")
    assert [p["index"] for p in paints] == [1, 2, 3, 4, 5, 6, 5, 4, 3]
    assert sum(p["fromStore"] for p in paints) >= 7, paints


def test_keyboard(nb: Notebook) -> None:
    page = nb.page
    cells_before = page.locator(".jp-Notebook .jp-Cell").count()
    page.focus(".wb-scrubber")
    page.keyboard.press("Home")
    assert shown(nb, 0) == 0
    page.keyboard.press("ArrowRight")
    assert shown(nb, 1) == 1
    page.keyboard.press("Shift+ArrowRight")
    assert shown(nb, 31) == 31
    page.keyboard.press("ArrowLeft")
    assert shown(nb, 30) == 30
    page.keyboard.press("i")  # in point; in JupyterLab "i i" would interrupt the kernel
    page.keyboard.press("Shift+ArrowRight")
    assert shown(nb, 60) == 60
    page.keyboard.press("o")  # out point; "o" would toggle the output
    page.keyboard.press("End")
    assert shown(nb, N - 1) == N - 1
    for key in ("a", "b", "d", "d", "m"):  # notebook command-mode shortcuts
        page.keyboard.press(key)
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells_before
    assert page.locator(CANVAS).is_visible()
    points = kernel(nb, "s.in_point, s.out_point, panel.in_point, panel.out_point")
    assert points == "30 60 30 60"
    page.keyboard.press("Home")
    shown(nb, 0)
    page.evaluate("() => { const s = window.__workbench_stats; s.requests.length = 0;"
                  " s.paints.length = 0; }")  # fmt: skip
    page.keyboard.press(" ")  # play
    page.wait_for_function(
        "(sel) => Number(document.querySelector(sel).dataset.index) >= 20",
        arg=CANVAS,
        timeout=10_000,
    )
    page.keyboard.press(" ")  # pause
    page.wait_for_timeout(300)
    index = int(page.eval_on_selector(CANVAS, "c => c.dataset.index"))
    assert shown(nb, index) == index
    # the kernel pushed the frames: one session, credit returned in batches
    stats = page.evaluate("() => window.__workbench_stats")
    kinds = [r["kind"] for r in stats["requests"]]
    played = {p["index"] for p in stats["paints"] if p["exact"] and 0 < p["index"] <= index}
    assert kinds.count("play") == 1 and "user" not in kinds[1:]
    assert len(played) >= 10 and kinds.count("credit") < len(played)


def test_playback_at_2x_moves_forward_in_steps_of_two(nb: Notebook) -> None:
    page = nb.page
    kernel(nb, "setattr(s, 'playback_rate', 2.0)")
    page.focus(".wb-scrubber")
    page.keyboard.press("Home")
    shown(nb, 0)
    page.evaluate("() => { window.__workbench_stats.paints.length = 0; }")
    page.evaluate(
        "() => { window.__cursor_moves = 0; new MutationObserver(() => window.__cursor_moves++)"
        ".observe(document.querySelector('.wb-timeline'), {attributeFilter: ['data-cursor']}); }"
    )
    page.keyboard.press(" ")
    page.wait_for_function(
        "(sel) => Number(document.querySelector(sel).dataset.index) >= 40",
        arg=CANVAS,
        timeout=10_000,
    )
    page.keyboard.press(" ")
    kernel(nb, "setattr(s, 'playback_rate', 1.0)")
    index = int(page.eval_on_selector(CANVAS, "c => c.dataset.index"))
    assert shown(nb, index) == index  # the frame it stopped on is the one shown
    painted = [p["index"] for p in page.evaluate("() => window.__workbench_stats.paints")]
    steps = [b - a for a, b in itertools.pairwise(painted)]
    assert steps and all(d > 0 for d in steps), painted  # never a frame from the past
    assert sum(d % 2 == 0 for d in steps) >= len(steps) / 2, painted  # mostly every 2nd
    # the timeline's cursor followed frame by frame, not only when the kernel heard of it
    moves = page.evaluate("() => window.__cursor_moves")
    assert moves >= 0.9 * len(painted), (moves, len(painted))


def test_filmstrip_click_jumps(nb: Notebook) -> None:
    page = nb.page
    page.wait_for_selector(".wb-filmstrip[data-loaded='true']", timeout=30_000)
    thumb = page.locator(".wb-filmstrip .wb-thumb").nth(4)
    index = int(thumb.get_attribute("data-index"))
    assert index % 15 == 0 and index > 0  # a keyframe
    thumb.click()
    assert shown(nb, index) == index
    assert "wb-current" in (thumb.get_attribute("class") or "")


def test_timeline_click_seeks(nb: Notebook) -> None:
    page = nb.page
    box = page.locator(".wb-timeline canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
    # t0 .. t1 spans the video's 4 s: a quarter is about frame 30
    page.wait_for_function(
        "(sel) => { const c = document.querySelector(sel); const i = Number(c.dataset.index);"
        " return c.dataset.exact === 'true' && i >= 25 && i <= 35; }",
        arg=CANVAS,
        timeout=20_000,
    )
    index = int(page.eval_on_selector(CANVAS, "c => c.dataset.index"))
    assert read_frame_code(nb.canvas_rgb(CANVAS)) == index
    cursor = float(page.get_attribute(".wb-timeline", "data-cursor"))
    assert abs(cursor - index / 30) < 0.05


def test_export_through_the_panel(nb: Notebook, lab: JupyterLab) -> None:
    page = nb.page
    page.click(".wb-export .wb-export-go")
    page.wait_for_selector(".wb-export[data-status='done']", timeout=60_000)
    files = sorted((lab.root / "exported").glob("*.jpg"))
    assert len(files) == 6  # frames 30..60 (1.03 s) sampled at 5 fps
    estimate = page.inner_text(".wb-export .wb-export-estimate")
    assert "6 files" in estimate
    import numpy as np
    from PIL import Image

    codes = sorted(read_frame_code(np.asarray(Image.open(f).convert("RGB"))) for f in files)
    assert codes == [30, 36, 42, 48, 54, 60]
    page.screenshot(path=str(lab.home / "widgets.png"), full_page=True)


BROWSER_CELLS = [
    "import workbench as wb\n"
    "db = wb.samples.make_sample_database('db', records=2, duration_seconds=2, size=(320, 180),"
    " workers=1)\n"
    "browser = wb.CatalogBrowser(wb.build_catalog(db))\n"
    "browser",
]


def test_catalog_browser_opens_a_record_on_one_clock(lab: JupyterLab, browser: Any) -> None:
    with notebook_page(lab, browser, "catalog.ipynb", BROWSER_CELLS, debug=True) as nb:
        page = nb.page
        assert not nb.errors()
        rows = page.locator(".wb-catalog tr[data-record]")
        rows.first.wait_for(timeout=30_000)
        assert rows.count() == 2
        chips = page.locator(".wb-catalog .wb-chip").all_inner_texts()
        # a record: 2 videos, 2 timestamps files, 2 bags of 2 camera topics each; can.csv
        # and the 5 messages of its raw CAN log
        assert "camera 16" in chips and "can 12" in chips
        page.click(".wb-catalog .wb-chip[data-tag='rear']")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.wb-catalog .wb-chip')]"
            ".every(c => !c.textContent.startsWith('can '))"
        )
        rows.first.click()
        canvases = page.locator(".wb-scrubber canvas.wb-frame[data-exact='true']")
        page.wait_for_function(
            "() => document.querySelectorAll(\".wb-scrubber canvas[data-exact='true']\")"
            ".length === 2",
            timeout=60_000,
        )
        assert canvases.count() == 2
        page.locator(".wb-timeline canvas").wait_for()
        # the middle of the lanes in view (a record's many signals scroll in their box)
        box = page.locator(".wb-timeline canvas").bounding_box()
        lanes = page.locator(".wb-timeline .wb-timeline-lanes").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.5, lanes["y"] + lanes["height"] / 2)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.wb-scrubber canvas.wb-frame')]"
            ".every(c => c.dataset.exact === 'true' && Number(c.dataset.index) > 20)",
            timeout=30_000,
        )
        page.wait_for_timeout(300)
        codes = []
        for k in range(2):
            index = int(canvases.nth(k).get_attribute("data-index"))
            code = read_frame_code(nb.canvas_rgb(f".wb-scrubber >> nth={k} >> canvas.wb-frame"))
            assert code == index
            codes.append(code)
        assert abs(codes[0] - codes[1]) <= 1  # both cameras on one clock
        # one play button plays both cameras; stopping one stops both on one frame time
        page.locator(".wb-scrubber").first.focus()
        page.keyboard.press("Home")  # the records are 2 s long: play from the start
        page.wait_for_function(
            "() => [...document.querySelectorAll('.wb-scrubber canvas.wb-frame')]"
            ".every(c => c.dataset.exact === 'true' && c.dataset.index === '0')",
            timeout=10_000,
        )
        page.evaluate("() => { window.__workbench_stats.paints.length = 0; }")
        page.keyboard.press(" ")
        page.wait_for_timeout(1200)
        page.keyboard.press(" ")
        # frames each camera painted: the second plays along (about as many as the
        # first), it does not just follow the first one's position as the kernel hears
        # of it (4 times a second)
        paints = page.evaluate("() => window.__workbench_stats.paints")
        per_view = sorted(
            len({p["index"] for p in paints if p["view"] == v and p["exact"]})
            for v in {p["view"] for p in paints}
        )
        assert len(per_view) == 2 and per_view[1] >= 8, per_view
        assert per_view[0] >= 0.6 * per_view[1], f"a camera did not play along: {per_view}"
        page.wait_for_function(
            "() => { const c = [...document.querySelectorAll('.wb-scrubber canvas.wb-frame')];"
            " return c.every(x => x.dataset.exact === 'true')"
            " && Math.abs(c[0].dataset.index - c[1].dataset.index) <= 1; }",
            timeout=10_000,
        )
        page.wait_for_timeout(500)
        stopped = [int(canvases.nth(k).get_attribute("data-index")) for k in range(2)]
        assert abs(stopped[0] - stopped[1]) <= 1 and stopped[0] > 0, stopped
        playing = nb.run_code("print([s.playing for s in browser.scrubbers])").strip()
        assert playing == "[False, False]"
        page.screenshot(path=str(lab.home / "catalog.png"), full_page=True)


TWO_VIEWS_CELLS = [
    "import workbench as wb\n" + video_code("twice.mp4", frames=N) + "\n"
    "s = wb.VideoScrubber(video, debug=True)\n"
    "display(s)\n"
    "display(s)  # two views of one widget, like JupyterLab's 'new view for output'",
]


def test_two_views_of_one_scrubber_play_together(lab: JupyterLab, browser: Any) -> None:
    with notebook_page(lab, browser, "twice.ipynb", TWO_VIEWS_CELLS) as nb:
        page = nb.page
        page.wait_for_function(
            "() => document.querySelectorAll(\".wb-scrubber canvas[data-exact='true']\")"
            ".length === 2",
            timeout=60_000,
        )
        page.evaluate("() => { window.__workbench_stats.paints.length = 0; }")
        page.locator(".wb-scrubber").first.focus()
        page.keyboard.press(" ")
        page.wait_for_timeout(1200)
        stopped_at = page.evaluate("() => performance.now()")
        page.keyboard.press(" ")
        stats = page.evaluate("() => window.__workbench_stats")
        paints = [p for p in stats["paints"] if p["at"] < stopped_at]
        per_view = {
            v: [p["index"] for p in paints if p["view"] == v and p["exact"]]
            for v in {p["view"] for p in paints}
        }
        assert len(per_view) == 2, per_view
        for shown_by_view in per_view.values():  # each plays its own frames, in order
            assert len(shown_by_view) >= 8, per_view
            assert all(b > a for a, b in itertools.pairwise(shown_by_view)), per_view
        # both views published frames while playing: wait until the last word has reached
        # the kernel and both views, then all three must agree
        same_frame = (
            "() => { const c = [...document.querySelectorAll('.wb-scrubber canvas.wb-frame')];"
            " return c.every(x => x.dataset.exact === 'true')"
            " && c[0].dataset.index === c[1].dataset.index; }"
        )
        for _ in range(20):
            page.wait_for_function(same_frame, timeout=10_000)
            index = int(page.locator(CANVAS).first.get_attribute("data-index"))
            if kernel(nb, "s.value") == str(index) and page.evaluate(same_frame):
                break
            page.wait_for_timeout(250)
        assert read_frame_code(nb.canvas_rgb(".wb-scrubber >> nth=1 >> canvas.wb-frame")) == index
        assert kernel(nb, "s.value, s.playing") == f"{index} False"


# ---- what a user noticed: drawn icons, the in/out band, a drag moving the timeline, a
# filmstrip showing all its thumbnails (one notebook for all three) ------------------------
POLISH_N = 240  # 8 s at 30 fps, a keyframe every 20: 12 thumbnails
POLISH_CELLS = [
    "import ipywidgets as W, numpy as np, pandas as pd, workbench as wb\n"
    + video_code("polish.mp4", frames=POLISH_N, gop=20),
    "s = wb.VideoScrubber(video, debug=True)\n"
    "s.set_range(60, 180)\n"
    "strip = wb.Filmstrip(s, count=12, thumb_width=160)\n"
    "t = np.arange(0, 8, 0.05)\n"
    "can = pd.DataFrame({'speed_kmh': 50 + 10 * np.sin(t)}, index=pd.Index(t, name='timestamp'))\n"
    "tl = wb.Timeline(can, scrubber=s)\n"
    "W.VBox([s, strip, tl])",
]


polish = module_notebook(
    "polish.ipynb",
    POLISH_CELLS,
    ready={f"{CANVAS}[data-exact='true']": 60_000, ".wb-filmstrip[data-loaded='true']": 30_000},
)


def ink(png: bytes) -> int:
    """Pixels of a screenshot that stand out from its commonest colour (what is drawn)."""
    import io

    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    return int((np.abs(rgb - background).sum(axis=1) > 150).sum())


def test_buttons_draw_their_icons(polish: Notebook) -> None:
    page = polish.page
    icons = page.eval_on_selector_all(
        ".wb-scrubber .wb-btn[data-icon]",
        "bs => bs.map(b => [b.dataset.icon, b.textContent, !!b.querySelector('svg path[d]'),"
        " b.querySelector('svg').getBoundingClientRect().width])",
    )
    assert sorted(name for name, *_ in icons) == ["first", "last", "play"]
    assert all(text == "" and svg and width >= 8 for _, text, svg, width in icons), icons
    play = page.locator(".wb-scrubber .wb-btn[data-act='play']")
    play.scroll_into_view_if_needed()
    assert ink(play.screenshot()) > 20  # the triangle is drawn, whatever the fonts
    page.focus(".wb-scrubber")
    page.keyboard.press(" ")
    page.wait_for_selector(".wb-scrubber .wb-btn[data-act='play'][data-icon='pause']")
    assert ink(play.screenshot()) > 20  # the two bars: no empty box
    page.keyboard.press(" ")
    page.wait_for_selector(".wb-scrubber .wb-btn[data-act='play'][data-icon='play']")


def test_drag_moves_the_timeline_cursor_and_the_band_shows(polish: Notebook) -> None:
    page = polish.page
    page.focus(".wb-scrubber")
    page.keyboard.press("Home")
    shown(polish, 0)
    slider = page.locator(".wb-scrubber .wb-slider")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    # the in/out band (frames 60..180) lies under the track, not behind its fill
    band = page.locator(".wb-scrubber .wb-inout").bounding_box()
    assert band["y"] >= box["y"] + box["height"] - 1 and band["height"] >= 2
    travel = box["width"] - 16  # the thumb's centre stops half a thumb from either end
    assert abs(band["x"] - (box["x"] + 8 + travel * 60 / (POLISH_N - 1))) <= 3
    assert abs(band["width"] - travel * 120 / (POLISH_N - 1)) <= 3
    page.evaluate(
        "() => { const tl = document.querySelector('.wb-timeline'); window.__cursors = [];"
        " new MutationObserver(() => window.__cursors.push(Number(tl.dataset.cursor)))"
        ".observe(tl, {attributeFilter: ['data-cursor']}); }"
    )
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 8, y)
    page.mouse.down()
    for k in range(1, 11):  # a drag to half-way
        page.mouse.move(box["x"] + 8 + k * travel / 20, y)
        page.wait_for_timeout(30)
    page.wait_for_timeout(100)
    while_dragging = set(page.evaluate("() => window.__cursors"))
    cursor = float(page.get_attribute(".wb-timeline", "data-cursor"))
    position = int(slider.evaluate("s => s.value"))
    page.mouse.up()
    # the cursor followed the hand before the release, not only after it
    assert len({t for t in while_dragging if t > 0}) >= 5, while_dragging
    assert abs(cursor - position / 30) < 0.05, (cursor, position)
    shown(polish, position)
    page.wait_for_function(
        "(t) => Math.abs(Number(document.querySelector('.wb-timeline').dataset.cursor) - t) < 1e-6",
        arg=position / 30,
    )


def test_filmstrip_shows_every_thumbnail(polish: Notebook) -> None:
    page = polish.page
    strip = page.locator(".wb-filmstrip")
    strip.scroll_into_view_if_needed()
    area = strip.bounding_box()
    thumbs = [t.bounding_box() for t in page.locator(".wb-filmstrip .wb-thumb").all()]
    assert len(thumbs) == 12
    for t in thumbs:  # inside the strip's box: none scrolled out of sight
        assert area["x"] - 1 <= t["x"] and t["x"] + t["width"] <= area["x"] + area["width"] + 1
        assert area["y"] - 1 <= t["y"] and t["y"] + t["height"] <= area["y"] + area["height"] + 1
    kernel(polish, "setattr(s, 'value', 235)")
    last = page.locator(".wb-filmstrip .wb-thumb").last
    page.wait_for_function(
        "() => document.querySelector('.wb-filmstrip .wb-thumb:last-child')"
        ".classList.contains('wb-current')"
    )
    t = last.bounding_box()
    assert area["x"] - 1 <= t["x"] and t["x"] + t["width"] <= area["x"] + area["width"] + 1


CAN_CELLS = [
    "from pathlib import Path\n"
    "import workbench as wb\n"
    "from workbench.samples.can_log import write_can_log\n"
    "from workbench.samples.drive import simulate_drive\n"
    "write_can_log(Path('.'), 'r1', 1552806732.0, simulate_drive(20, seed=2), 20, '.')\n"
    "out = wb.decode_can('can_bus.log', 'vehicle.dbc')\n"
    "wb.Timeline({'Gear': out['Gear'], 'VehicleSpeed': out['VehicleSpeed']})",
]


def test_timeline_state_lane_shows_choice_names(lab: JupyterLab, browser: Any) -> None:
    with notebook_page(lab, browser, "can.ipynb", CAN_CELLS) as nb:
        page = nb.page
        gear = page.locator(".wb-timeline-lane-label[data-lane='Gear.gear']")
        gear.wait_for(timeout=30_000)
        assert not nb.errors()
        assert gear.get_attribute("data-kind") == "state"
        assert gear.get_attribute("data-states") == "D"
        assert gear.inner_text() == "Gear.gear: D"  # the state under the cursor, by name
        turn = page.locator(".wb-timeline-lane-label[data-lane='Gear.turn_signal']")
        assert set(turn.get_attribute("data-states").split()) <= {"off", "left", "right"}
        speed = page.locator(".wb-timeline-lane-label[data-lane='VehicleSpeed.speed_kmh']")
        assert speed.inner_text().startswith("VehicleSpeed.speed_kmh (km/h)")
        # labels sit in their own strip above the curves, on an opaque background
        label_box = speed.bounding_box()
        assert page.eval_on_selector(
            ".wb-timeline-lane-label[data-lane='VehicleSpeed.speed_kmh']",
            "e => getComputedStyle(e).backgroundColor !== 'rgba(0, 0, 0, 0)'",
        )
        assert label_box["height"] <= 14
