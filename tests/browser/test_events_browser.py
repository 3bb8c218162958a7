"""EventTable in a real JupyterLab: a click on a row shows the event's first frame (read
from the pixels on the canvas), with the event's range marked in and out."""

from __future__ import annotations

import time

import pytest
from jlab import Notebook, kernel, module_notebook

from workbench.samples import read_frame_code

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CANVAS = ".wb-scrubber canvas.wb-frame"

CELLS = [
    "import workbench as wb\n"
    "root = wb.samples.make_sample_database('db', records=2, duration_seconds=25,"
    " cameras=('front',), size=(320, 180), workers=1)\n"
    "cat = wb.build_catalog(root)\n"
    "ev = wb.find_events(cat.select(), 'brake > 0.5')\n"
    "table = wb.EventTable(ev)\n"
    "table",
    "rid = cat.record_ids()[0]\n"
    "tl = wb.Timeline(cat.select(record_id=rid).recordings()[0])\n"
    "tl.show_labels(cat, rid)\n"
    "tl",
]


nb = module_notebook("events.ipynb", CELLS, ready={".wb-events tbody tr img": 120_000})


def wait_kernel(nb: Notebook, expr: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not kernel(nb, expr):
        assert time.monotonic() < deadline, f"the kernel never saw {expr}"
        time.sleep(0.1)


def test_a_click_on_a_row_shows_the_events_first_frame(nb: Notebook) -> None:
    rows = nb.page.locator(".wb-events tbody tr")
    n = rows.count()
    assert n == kernel(nb, "len(ev)") >= 2
    for row in (n - 1, 0):
        rows.nth(row).click()
        nb.page.wait_for_function(
            "(row) => document.querySelector('.wb-events').dataset.selected === String(row)",
            arg=row,
            timeout=10_000,
        )
        # the view's change may reach the kernel after our next request: wait for it
        wait_kernel(nb, f"table.selected == {row} and table.shown == {row}")
        want = kernel(
            nb,
            f"int((table.scrubber.frame_timestamps <= ev.start[{row}]).sum() - 1)",
        )
        assert want > 0
        nb.page.wait_for_function(
            "([sel, i]) => { const c = document.querySelector(sel);"
            " return c && c.dataset.exact === 'true' && c.dataset.index === String(i); }",
            arg=[CANVAS, want],
            timeout=30_000,
        )
        assert read_frame_code(nb.canvas_rgb(CANVAS)) == want
        record, in_point, out_point = kernel(
            nb, "[table.scrubber.source.record_id, table.scrubber.in_point,"
            " table.scrubber.out_point]",
        )  # fmt: skip
        assert record == kernel(nb, f"ev.record_id[{row}]")
        assert in_point == want < out_point
        selected = nb.page.eval_on_selector(".wb-events", "el => el.dataset.selected")
        assert selected == str(row)
    assert nb.errors() == []


def test_a_range_drawn_on_the_timeline_is_stored_as_a_label(nb: Notebook) -> None:
    canvas = nb.page.locator(".jp-CodeCell").nth(1).locator(".wb-timeline canvas")
    canvas.scroll_into_view_if_needed()  # the player the other test opened pushed it down
    box = canvas.bounding_box()
    # the middle of the lanes in view (a record's many signals scroll in their box)
    lanes = nb.page.locator(".jp-CodeCell").nth(1).locator(".wb-timeline-lanes").bounding_box()
    y = lanes["y"] + lanes["height"] / 2
    x_from, x_to = box["x"] + 0.25 * box["width"], box["x"] + 0.5 * box["width"]
    nb.page.keyboard.down("Shift")
    nb.page.mouse.move(x_from, y)
    nb.page.mouse.down()
    nb.page.mouse.move(x_to, y, steps=8)
    nb.page.mouse.up()
    nb.page.keyboard.up("Shift")
    name = nb.page.locator(".jp-CodeCell").nth(1).locator(".wb-timeline-name")
    name.wait_for(state="visible", timeout=10_000)
    name.fill("near_miss")
    name.press("Enter")
    wait_kernel(nb, "len(cat.labels.select(label='near_miss')) == 1")
    start, end, t0, t1 = kernel(
        nb,
        "[*cat.labels.select(label='near_miss')[['start', 'end']].values[0].tolist(),"
        " tl.t0, tl.t1]",
    )
    px = (t1 - t0) / box["width"]  # seconds per pixel: the drag is exact to a pixel
    assert start == pytest.approx(t0 + 0.25 * (t1 - t0), abs=1.5 * px)
    assert end == pytest.approx(t0 + 0.5 * (t1 - t0), abs=1.5 * px)
    nb.page.wait_for_function(
        "() => document.querySelectorAll('.jp-CodeCell')[1]"
        ".querySelector('.wb-timeline').dataset.bands === '1'",
        timeout=10_000,
    )
    assert "saved" in kernel(nb, "tl.status")
