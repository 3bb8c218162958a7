"""Widget speed, measured in a real browser: VideoScrubber against the naive approach.

Starts a private JupyterLab and headless Chromium (the harness of ``tests/browser``),
opens a notebook that makes the 1280x720 sample video and shows

* our :class:`workbench.VideoScrubber` (JPEG frames in binary buffers, one request in
  flight, keyframe previews while dragging, prefetch around the cursor), and
* the naive approach: an ``ipywidgets.Image`` updated with PNG bytes from an
  ``IntSlider`` observer (``continuous_update=True``), played by an ``ipywidgets.Play``.

Measured, from the browser's clock:

* drag: slider input -> a frame at least that new painted, during a continuous drag;
* step: one-frame step (right arrow) -> that frame painted;
* play: painted frames per second at 1x on the 30 fps video;
* the transport floor: round trip of a bare anywidget message carrying 60 KB (what any
  kernel-to-browser frame costs on this machine before decoding anything);
* the map: a :class:`workbench.MapView` of a 1-hour 10 Hz track (36,000 fixes): its
  preparation in the kernel, its first draw after the view is made, and 1x playback's
  painted fps with and without the map's marker following the scrubber.

Targets (issue 6): drag p50 <= 60 ms, p95 <= 120 ms; step p95 <= 50 ms; play >= 25 fps.
Map (issue 17): drawn <= 200 ms after it is shown; following playback does not lower the
painted fps.
Speed goals are reported, not asserted.

Usage::

    .venv/bin/python benchmarks/bench_widgets.py [--server both|default|low-latency] [--frames 600]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

from jlab import JupyterLab, Notebook, launch_chromium

CANVAS = ".wb-scrubber canvas.wb-frame"

NAIVE_HOOK = """() => {
  // record when the naive slider's readout changes (input) and when the image changes
  const box = document.querySelector('.naive');
  const readout = box.querySelector('.widget-readout');
  const img = box.querySelector('img.naive-img');
  const log = window.__naive = {inputs: [], paints: []};
  new MutationObserver(() => {
    log.inputs.push({t: performance.now(), v: Number(readout.textContent)});
  }).observe(readout, {childList: true, characterData: true, subtree: true});
  new MutationObserver(() => {
    const m = /idx-(\\d+)/.exec(img.className);
    const v = m ? Number(m[1]) : -1;
    const done = () => requestAnimationFrame(() => log.paints.push({t: performance.now(), v}));
    if (img.complete) done(); else img.addEventListener('load', done, {once: true});
  }).observe(img, {attributes: true, attributeFilter: ['class', 'src']});
  return true;
}"""


def percentiles(values: list[float]) -> tuple[float, float, int]:
    """Return (p50, p95, n) of ``values`` in ms."""
    if not values:
        return float("nan"), float("nan"), 0
    arr = np.asarray(values, dtype=np.float64)
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95)), arr.size


def naive_latencies(log: dict[str, list[dict[str, float]]]) -> list[float]:
    """Latency of each input: first later paint of that value (or of a newer input)."""
    paints = log["paints"]
    inputs = log["inputs"]
    out = []
    for k, inp in enumerate(inputs):
        newer = {i["v"] for i in inputs[k:]}
        for p in paints:
            if p["t"] >= inp["t"] and p["v"] in newer:
                out.append(p["t"] - inp["t"])
                break
    return out


ECHO_ESM = """
function render({ model, el }) {
  const g = globalThis;
  g.__echo = [];
  let t = 0;
  const go = () => { t = performance.now(); model.send({ type: "ping" }); };
  model.on("msg:custom", () => {
    g.__echo.push(performance.now() - t);
    if (g.__echo.length < 50) setTimeout(go, 20);
  });
  el.textContent = "transport probe";
  setTimeout(go, 200);
}
export default { render };
"""


def cells(frames: int) -> list[str]:
    return [
        "import io, ipywidgets as W, workbench as wb\n"
        "from pathlib import Path\n"
        "from PIL import Image\n"
        f"path = wb.samples.make_video(Path('media') / 'drive720.mp4', size=(1280, 720), fps=30,"
        f" frames={frames}, gop=30)\n"
        "s = wb.VideoScrubber(path, debug=True)\n"
        "s",
        "naive_video = wb.open_video(path)\n"
        "slider = W.IntSlider(0, 0, len(naive_video) - 1, continuous_update=True,"
        " layout=W.Layout(width='900px'))\n"
        "img = W.Image(format='png', layout=W.Layout(width='640px'))\n"
        "def show(change):\n"
        "    buf = io.BytesIO()\n"
        "    Image.fromarray(naive_video[change['new']]).save(buf, format='PNG')\n"
        "    with img.hold_sync():\n"
        "        img.value = buf.getvalue()\n"
        "        img._dom_classes = ('naive-img', f\"idx-{change['new']}\")\n"
        "slider.observe(show, names='value')\n"
        "show({'new': 0})\n"
        "play = W.Play(value=0, min=0, max=len(naive_video) - 1, interval=33)\n"
        "W.jslink((play, 'value'), (slider, 'value'))\n"
        "box = W.VBox([W.HBox([play, slider]), img])\n"
        "box.add_class('naive')\n"
        "box",
        # the floor: a bare anywidget echo carrying a 60 KB buffer (about one 720p JPEG)
        "import anywidget\n"
        "class Echo(anywidget.AnyWidget):\n"
        f"    _esm = {ECHO_ESM!r}\n"
        "echo = Echo()\n"
        "echo.on_msg(lambda w, c, b: echo.send({'type': 'pong'}, buffers=[bytes(60_000)]))\n"
        "echo",
        # a 1-hour 10 Hz track (36,000 fixes) spread over the video's time, not yet linked
        "import time, numpy as np, pandas as pd\n"
        "n = 36_000\n"
        "heading = np.cumsum(np.random.default_rng(0).normal(0, 0.02, n))\n"
        "gps = pd.DataFrame({'lat': 35.17 + np.cumsum(np.cos(heading)) * 2.5e-6,\n"
        "                    'lon': 136.88 + np.cumsum(np.sin(heading)) * 3e-6,\n"
        "                    'speed_kmh': 40 + 20 * np.sin(np.arange(n) / 500)},\n"
        "                   index=np.linspace(s.frame_timestamps[0], s.frame_timestamps[-1], n))\n"
        "began = time.perf_counter()\n"
        "track_map = wb.MapView(gps, color_by='speed_kmh')\n"
        "map_prep_ms = (time.perf_counter() - began) * 1000\n"
        "track_map",
    ]


def drag(page: Any, selector: str, steps: int, *, dwell_ms: int = 16) -> None:
    """A continuous hand drag back and forth over the slider ``selector``."""
    box = page.locator(selector).bounding_box()
    y = box["y"] + box["height"] / 2
    x0, x1 = box["x"] + 6, box["x"] + box["width"] - 6
    page.mouse.move(x0, y)
    page.mouse.down()
    for k in range(steps):
        phase = (k / steps) * 2.0  # there and back
        f = phase if phase <= 1 else 2 - phase
        page.mouse.move(x0 + f * (x1 - x0), y)
        page.wait_for_timeout(dwell_ms)
    page.mouse.up()


def measure_ours(nb: Notebook, args: argparse.Namespace) -> dict[str, Any]:
    page = nb.page
    page.wait_for_selector(f"{CANVAS}[data-exact='true']", timeout=60_000)
    page.wait_for_timeout(3000)  # let the kernel warm the keyframe previews
    page.evaluate(RESET_STATS)
    drag(page, ".wb-scrubber .wb-slider", args.drag_steps)
    page.wait_for_timeout(1500)
    stats = page.evaluate("() => window.__workbench_stats")
    drag_ms = [x["ms"] for x in stats["latencies"] if x["kind"] == "drag"]
    previews = [p for p in stats["paints"] if not p["exact"]]
    drag_requests = sum(1 for r in stats["requests"] if r["kind"] == "user")

    release_ms = release_to_exact(page, args.releases)

    stats = run_steps(page, args.steps, every_ms=120)
    step_ms = [x["ms"] for x in stats["latencies"] if x["kind"] == "step"]
    from_kernel = [p for p in stats["paints"] if not p["fromStore"]]
    step_from_store = len(stats["paints"]) - len(from_kernel)

    # the same steps with the view's store switched off: every step asks the kernel
    nb.run_code("s.view_cache_mb = 0")
    stats = run_steps(page, args.steps, every_ms=120)
    cold_ms = [x["ms"] for x in stats["latencies"] if x["kind"] == "step"]
    cold_rtt = [p["recvAt"] - p["sentAt"] for p in stats["paints"]]
    cold_paint = [p["at"] - p["recvAt"] for p in stats["paints"]]
    nb.run_code("s.view_cache_mb = 64")

    # a held arrow key: steps at the keyboard's auto-repeat rate (~30 per second)
    stats = run_steps(page, args.steps, every_ms=33)
    held_ms = [x["ms"] for x in stats["latencies"] if x["kind"] == "step"]
    held_painted = len({p["index"] for p in stats["paints"] if p["exact"]})

    fps = scrubber_play_fps(page, args.play_seconds)
    return {
        "drag": drag_ms,
        "release": release_ms,
        "step": step_ms,
        "held": held_ms,
        "held_painted": held_painted,
        "play_fps": fps,
        "drag_previews": len(previews),
        "drag_previews_from_store": sum(p["fromStore"] for p in previews),
        "drag_requests": drag_requests,
        "step_from_store": step_from_store,
        "step_store_off": cold_ms,
        "step_store_off_request_reply": cold_rtt,
        "step_store_off_decode_paint": cold_paint,
    }


def measure_map(nb: Notebook, args: argparse.Namespace) -> dict[str, Any]:
    """The map's first draw, then 1x playback with the map's marker following."""
    page = nb.page
    page.wait_for_function("() => (window.__workbench_map_stats?.draws || []).length > 0")
    first = page.evaluate("() => window.__workbench_map_stats.draws[0].sinceRender")
    prep_ms = float(nb.run_code("print(map_prep_ms)"))
    points = int(nb.run_code("print(sum(t['count'] for t in track_map.tracks))"))
    nb.run_code("track_map.follow(s)")
    page.wait_for_timeout(500)
    moves_before = page.evaluate("() => window.__workbench_map_stats.markerMoves")
    fps = scrubber_play_fps(page, args.play_seconds)
    moves = page.evaluate("() => window.__workbench_map_stats.markerMoves") - moves_before
    return {
        "first_draw_ms": first,
        "prep_ms": prep_ms,
        "points": points,
        "play_fps": fps,
        "marker_moves": moves,
    }


#: Playback is timed from this long after it starts (ms), past the start-up.
PLAY_WARMUP_MS = 500
#: Empties the scrubber's statistics (``window.__workbench_stats``) before a measurement.
RESET_STATS = "() => { const s = window.__workbench_stats; for (const k in s) s[k].length = 0; }"


def play_for(page: Any, seconds: float, *, start: Any) -> tuple[float, float]:
    """Call ``start()``, let it play ``seconds``; return the page clock before and after."""
    start()
    t0 = page.evaluate("() => performance.now()")
    page.wait_for_timeout(int(seconds * 1000))
    return t0, page.evaluate("() => performance.now()")


def scrubber_play_fps(page: Any, seconds: float) -> float:
    """From the first frame, play the scrubber ``seconds`` (space starts and stops it);
    return the exact frames it painted per second."""
    page.focus(".wb-scrubber")
    page.keyboard.press("Home")
    page.wait_for_timeout(500)
    page.evaluate(RESET_STATS)
    t0, t1 = play_for(page, seconds, start=lambda: page.keyboard.press(" "))
    page.keyboard.press(" ")
    stats = page.evaluate("() => window.__workbench_stats")
    return painted_fps([p["at"] for p in stats["paints"] if p["exact"]], t0, t1)


def painted_fps(paint_times: list[float], t0: float, t1: float) -> float:
    """Frames painted per second between ``t0`` (plus the warm-up) and ``t1``."""
    begin = t0 + PLAY_WARMUP_MS
    return sum(begin <= t <= t1 for t in paint_times) / ((t1 - begin) / 1000)


def run_steps(page: Any, steps: int, *, every_ms: int) -> dict[str, Any]:
    """From the first frame (after a second's rest), press the right arrow ``steps`` times."""
    page.focus(".wb-scrubber")
    return press_steps(
        page, steps, every_ms=every_ms, rest_ms=1000, reset=RESET_STATS, drain_ms=500,
        stats="window.__workbench_stats",
    )  # fmt: skip


def press_steps(
    page: Any, steps: int, *, every_ms: int, rest_ms: int, reset: str, drain_ms: int, stats: str
) -> dict[str, Any]:
    """The step test both players get, so that their numbers compare: from the first
    frame (after ``rest_ms``), run ``reset``, press the right arrow ``steps`` times, one
    every ``every_ms``; after ``drain_ms`` return the page's ``stats`` object."""
    page.keyboard.press("Home")
    page.wait_for_timeout(rest_ms)
    page.evaluate(reset)
    for _ in range(steps):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(every_ms)
    page.wait_for_timeout(drain_ms)
    return page.evaluate(f"() => {stats}")


def release_to_exact(page: Any, count: int) -> list[float]:
    """Short drags to random places: from letting go to the exact frame painted (ms)."""
    page.evaluate(
        "() => document.querySelector('.wb-scrubber .wb-slider').addEventListener("
        "'pointerup', () => { window.__released = performance.now(); }, true)"
    )
    box = page.locator(".wb-scrubber .wb-slider").bounding_box()
    y = box["y"] + box["height"] / 2
    rng = np.random.default_rng(7)
    out = []
    for _ in range(count):
        page.wait_for_timeout(1000)  # idle: the view fills its store where it stands
        start = page.eval_on_selector(".wb-scrubber .wb-slider", "s => Number(s.value)")
        x_start = box["x"] + 6 + (box["width"] - 12) * start / 599
        x_end = box["x"] + 6 + (box["width"] - 12) * rng.uniform(0.05, 0.95)
        page.mouse.move(x_start, y)
        page.mouse.down()
        for k in range(1, 11):
            page.mouse.move(x_start + (x_end - x_start) * k / 10, y)
            page.wait_for_timeout(16)
        page.mouse.up()
        target = page.eval_on_selector(".wb-scrubber .wb-slider", "s => Number(s.value)")
        page.wait_for_function(
            "(i) => window.__workbench_stats.paints.some((p) => p.exact && p.index === i"
            " && p.at >= window.__released)",
            arg=target,
            timeout=10_000,
        )
        out.append(
            page.evaluate(
                "(i) => window.__workbench_stats.paints.find((p) => p.exact && p.index === i"
                " && p.at >= window.__released).at - window.__released",
                target,
            )
        )
    return out


def naive_steps(page: Any, steps: int, *, every_ms: int, drain_ms: int) -> dict[str, Any]:
    """From the first frame, press the right arrow on the naive slider ``steps`` times."""
    return press_steps(  # drain_ms: let the queue drain (that is the point)
        page, steps, every_ms=every_ms, rest_ms=1500, reset=NAIVE_HOOK, drain_ms=drain_ms,
        stats="window.__naive",
    )  # fmt: skip


def measure_naive(nb: Notebook, args: argparse.Namespace) -> dict[str, Any]:
    page = nb.page
    page.wait_for_selector(".naive img.naive-img", timeout=60_000)
    page.locator(".naive").scroll_into_view_if_needed()
    page.evaluate(NAIVE_HOOK)
    drag(page, ".naive .widget-slider .noUi-target", args.drag_steps)
    deadline = time.monotonic() + 60  # let the queue drain (that is the point)
    while time.monotonic() < deadline:
        log = page.evaluate("() => window.__naive")
        if log["inputs"] and log["paints"] and log["paints"][-1]["v"] == log["inputs"][-1]["v"]:
            break
        page.wait_for_timeout(200)
    log = page.evaluate("() => window.__naive")
    drag_ms = naive_latencies(log)
    queue_drain_ms = (log["paints"][-1]["t"] - log["inputs"][-1]["t"]) if log["paints"] else 0

    page.evaluate(NAIVE_HOOK)
    page.locator(".naive .noUi-handle").focus()
    step_ms = naive_latencies(naive_steps(page, args.steps, every_ms=120, drain_ms=1500))
    log = naive_steps(page, args.steps, every_ms=33, drain_ms=3000)
    held_ms = naive_latencies(log)
    held_painted = len({p["v"] for p in log["paints"]})

    page.keyboard.press("Home")
    page.wait_for_timeout(1500)
    page.evaluate(NAIVE_HOOK)
    t0, t1 = play_for(
        page, args.play_seconds, start=lambda: page.click(".naive .widget-play button:first-child")
    )
    page.click(".naive .widget-play button:nth-child(2)")
    log = page.evaluate("() => window.__naive")
    fps = painted_fps([p["t"] for p in log["paints"]], t0, t1)
    return {
        "drag": drag_ms,
        "step": step_ms,
        "held": held_ms,
        "held_painted": held_painted,
        "play_fps": fps,
        "queue_drain_ms": queue_drain_ms,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600, help="frames of the 720p video")
    parser.add_argument("--drag-steps", type=int, default=150, help="mouse moves per drag")
    parser.add_argument("--steps", type=int, default=40, help="one-frame steps")
    parser.add_argument(
        "--releases", type=int, default=10, help="short drags timed from release to exact frame"
    )
    parser.add_argument("--play-seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument(
        "--server",
        choices=("default", "low-latency", "both"),
        default="both",
        help="Jupyter Server kernel websockets: stock, with TCP_NODELAY "
        "(workbench.widgets.server), or both one after the other",
    )
    args = parser.parse_args(argv)
    servers = ["default", "low-latency"] if args.server == "both" else [args.server]
    results = {}
    for server in servers:
        print(f"\n== Jupyter Server kernel websockets: {server} ==")
        results[server] = run(args, low_latency=server == "low-latency")
    if args.json:
        args.json.write_text(json.dumps(results))
    return 0


def run(args: argparse.Namespace, *, low_latency: bool) -> dict[str, Any]:
    """Measure once with one server configuration; print the table; return the raw data."""
    with tempfile.TemporaryDirectory(prefix="bench-widgets-") as tmp:
        lab = JupyterLab(Path(tmp) / "root", low_latency=low_latency).start()
        try:
            lab.write_notebook("bench.ipynb", cells(args.frames))
            with launch_chromium() as browser:
                page = browser.new_page(viewport={"width": 1400, "height": 1100})
                page.add_init_script("window.__workbench_debug = true")  # the map's timings
                nb = Notebook(page, lab, "bench.ipynb").open()
                nb.run_all(timeout_ms=300_000)
                if nb.errors():
                    raise RuntimeError(f"notebook errors: {nb.errors()}")
                page.wait_for_function(
                    "() => window.__echo && window.__echo.length >= 50", timeout=120_000
                )
                echo = page.evaluate("() => window.__echo")[5:]
                ours = measure_ours(nb, args)
                track_map = measure_map(nb, args)
                naive = measure_naive(nb, args)
                if args.screenshot:
                    page.screenshot(path=str(args.screenshot), full_page=True)
        finally:
            lab.stop()

    rows = []
    for name, key in (
        ("drag: input -> painted", "drag"),
        ("step: key -> painted", "step"),
        ("held key (33 ms): -> painted", "held"),
    ):
        o, n = percentiles(ours[key]), percentiles(naive[key])
        rows.append((name, o, n))
    print(f"1280x720, 30 fps, {args.frames} frames, gop 30 — times in ms (p50 / p95, n)")
    print(f"{'':28}{'VideoScrubber':>26}{'naive Image+IntSlider (PNG)':>34}")
    for name, o, n in rows:
        ours_txt = f"{o[0]:>9.1f} /{o[1]:>7.1f} (n={o[2]:>3})"
        naive_txt = f"{n[0]:>13.1f} /{n[1]:>8.1f} (n={n[2]:>3})"
        print(f"{name:28}{ours_txt}{naive_txt}")
    r = percentiles(ours["release"])
    print(f"{'drag release -> exact frame':28}{r[0]:>9.1f} /{r[1]:>7.1f} (n={r[2]:>3})")
    e = percentiles(echo)
    print(f"{'transport floor (echo 60KB)':28}{e[0]:>9.1f} /{e[1]:>7.1f} (n={e[2]:>3})")
    print(f"{'  steps from the view store':28}{ours['step_from_store']:>9} of {len(ours['step'])}")
    c = percentiles(ours["step_store_off"])
    print(f"{'step, view store off':28}{c[0]:>9.1f} /{c[1]:>7.1f} (n={c[2]:>3})")
    rr = percentiles(ours["step_store_off_request_reply"])
    dp = percentiles(ours["step_store_off_decode_paint"])
    print(f"{'  request -> reply':28}{rr[0]:>9.1f} /{rr[1]:>7.1f}")
    print(f"{'  reply -> painted':28}{dp[0]:>9.1f} /{dp[1]:>7.1f}")
    print(
        f"{'  held key: frames shown':28}{ours['held_painted']:>9} of {args.steps}"
        f"{naive['held_painted']:>25} of {args.steps}"
    )
    print(f"{'play 1x: painted fps':28}{ours['play_fps']:>26.1f}{naive['play_fps']:>34.1f}")
    print(
        f"{'  with a linked MapView':28}{track_map['play_fps']:>26.1f}"
        f"   (marker moved {track_map['marker_moves']} times)"
    )
    print(
        f"{'map, 36,000 fixes: prepare':28}{track_map['prep_ms']:>9.1f} ms in the kernel "
        f"({track_map['points']} points sent)"
    )
    print(f"{'  first draw after shown':28}{track_map['first_draw_ms']:>9.1f} ms")
    print(
        f"(ours: {ours['drag_previews']} keyframe previews painted during the drag, "
        f"{ours['drag_previews_from_store']} from the view store, {ours['drag_requests']} "
        f"frame requests to the kernel; naive: {naive['queue_drain_ms']:.0f} ms from the "
        "last drag input until its frame was shown)"
    )
    targets = {
        "drag p50 <= 60": rows[0][1][0] <= 60,
        "drag p95 <= 120": rows[0][1][1] <= 120,
        "step p95 <= 50": rows[1][1][1] <= 50,
        "play >= 25 fps": ours["play_fps"] >= 25,
        "map drawn <= 200 ms": track_map["first_draw_ms"] <= 200,
        "map keeps play fps (>= 95 %)": track_map["play_fps"] >= 0.95 * ours["play_fps"],
    }
    print("targets:", ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in targets.items()))
    return {"ours": ours, "naive": naive, "echo": echo, "map": track_map, "targets": targets}


if __name__ == "__main__":
    raise SystemExit(main())
