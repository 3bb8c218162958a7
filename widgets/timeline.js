// Front end of workbench.widgets.Timeline: lanes of downsampled series + a cursor.
// The cursor is the synced `timestamp` (absolute seconds); click or drag to seek.
//
// The lanes are drawn once (again on resize or new data); the cursor is an overlay moved
// by a CSS transform, so it can follow playback at the frame rate. While a scrubber
// listed in `players` (model ids) plays, the cursor follows that scrubber's model in the
// browser: the scrubber updates `timestamp` locally for every painted frame and tells
// the kernel only a few times a second (each message to the kernel costs JupyterLab a
// status round). The cursor shows the latest time heard from either model.

const COLORS = ["#1976d2", "#d32f2f", "#388e3c", "#f57c00", "#7b1fa2", "#0097a7"];
const SEND_EVERY_MS = 40;
/** The time label is rewritten at most this often while following playback (ms). */
const LABEL_EVERY_MS = 100;

/**
 * @typedef {{name: string, t: number[], lo: number[], hi: number[], min: number, max: number}} Lane
 */

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "wb-timeline";
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.tabIndex = 0;
  const canvas = document.createElement("canvas");
  canvas.className = "wb-timeline-canvas";
  const cursor = document.createElement("div");
  cursor.className = "wb-timeline-cursor";
  const label = document.createElement("div");
  label.className = "wb-timeline-label";
  root.append(canvas, cursor, label);
  el.append(root);

  let dragging = false;
  let lastSent = 0;
  let pendingTs = NaN;
  let sendTimer = 0;
  let raf = 0;
  let labelAt = 0;
  let closed = false;
  /** @type {any[]} models of the scrubbers whose playback the cursor follows */
  let players = [];

  const t0 = () => Number(model.get("t0"));
  const t1 = () => Number(model.get("t1"));
  const lanes = () => /** @type {Lane[]} */ (model.get("lanes"));

  function size() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(200, root.clientWidth || 600);
    const h = Math.max(1, lanes().length) * Number(model.get("lane_height")) + 18;
    canvas.style.height = `${h}px`;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    return { w, h, dpr };
  }

  function draw() {
    raf = 0;
    const { w, h, dpr } = size();
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const span = Math.max(1e-9, t1() - t0());
    const lh = Number(model.get("lane_height"));
    const style = getComputedStyle(root);
    const fg = style.getPropertyValue("--jp-ui-font-color2") || "#666";
    const grid = style.getPropertyValue("--jp-border-color2") || "#ddd";
    ctx.font = "11px sans-serif";
    lanes().forEach((lane, k) => {
      const top = k * lh + 2;
      const height = lh - 6;
      const lo = lane.min;
      const hi = lane.max === lane.min ? lane.min + 1 : lane.max;
      const y = (/** @type {number} */ v) => top + height - ((v - lo) / (hi - lo)) * height;
      const x = (/** @type {number} */ t) => (t / span) * w;
      ctx.strokeStyle = grid;
      ctx.beginPath();
      ctx.moveTo(0, top + height + 2);
      ctx.lineTo(w, top + height + 2);
      ctx.stroke();
      const color = COLORS[k % COLORS.length];
      ctx.fillStyle = color + "55";
      ctx.strokeStyle = color;
      ctx.beginPath();
      for (let i = 0; i < lane.t.length; i++) {
        const px = x(lane.t[i]);
        ctx.fillRect(px, y(lane.hi[i]), Math.max(1, w / lane.t.length), Math.max(1, y(lane.lo[i]) - y(lane.hi[i])));
      }
      for (let i = 0; i < lane.t.length; i++) {
        const px = x(lane.t[i]);
        const py = y((lane.lo[i] + lane.hi[i]) / 2);
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      }
      ctx.stroke();
      ctx.fillStyle = fg;
      const digits = Math.min(8, Math.max(0, Math.ceil(-Math.log10(Math.max(lane.max - lane.min, 1e-9))) + 2));
      const f = (/** @type {number} */ v) => (v === 0 ? "0" : v.toFixed(digits));
      ctx.fillText(`${lane.name}  [${f(lane.min)} … ${f(lane.max)}]`, 4, top + 11);
    });
    // time axis ticks
    ctx.fillStyle = fg;
    const axisY = h - 4;
    const step = niceStep(span / 8);
    for (let s = 0; s <= span + 1e-9; s += step) {
      const px = (s / span) * w;
      ctx.fillText(`${s.toFixed(step < 1 ? 1 : 0)}s`, Math.min(px + 2, w - 30), axisY);
    }
    cursor.style.height = `${h}px`;
    placeCursor();
  }

  /** The cursor's time: the latest heard, from our model or a scrubber we follow. */
  let cursorTs = Number(model.get("timestamp"));
  const fromModel = () => {
    cursorTs = Number(model.get("timestamp"));
    placeCursor();
  };
  /** @param {any} player */
  const fromPlayer = (player) => () => {
    cursorTs = Number(player.get("timestamp"));
    placeCursor();
  };
  /** @type {Map<any, () => void>} */
  const listeners = new Map();

  /** Move the cursor (a transform: no repaint of the lanes). */
  function placeCursor() {
    const ts = cursorTs;
    const span = Math.max(1e-9, t1() - t0());
    const w = canvas.clientWidth || 1;
    cursor.style.transform = `translateX(${((ts - t0()) / span) * w - 1}px)`;
    root.dataset.cursor = String(ts);
    const now = performance.now();
    const following = players.some((m) => m.get("playing"));
    if (!following || now - labelAt >= LABEL_EVERY_MS) {
      labelAt = now;
      label.textContent = `t = ${(ts - t0()).toFixed(3)} s  (${ts.toFixed(3)})`;
    }
  }

  /** Follow the scrubbers listed in `players` (their models, found by id). */
  async function attachPlayers() {
    detachPlayers();
    const ids = /** @type {string[]} */ (model.get("players") || []);
    const found = await Promise.all(
      ids.map((id) => model.widget_manager.get_model(id).catch(() => null)),
    );
    if (closed) return;
    players = found.filter(Boolean);
    for (const m of players) {
      const listener = fromPlayer(m);
      listeners.set(m, listener);
      m.on("change:timestamp", listener);
    }
  }

  function detachPlayers() {
    for (const [m, listener] of listeners) m.off("change:timestamp", listener);
    listeners.clear();
    players = [];
  }

  /** @param {number} raw */
  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-6))));
    for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
    return 10 * p;
  }
  const schedule = () => {
    if (!raf) raf = requestAnimationFrame(draw);
  };

  /** @param {number} ts */
  function send(ts) {
    pendingTs = ts;
    const now = performance.now();
    const go = () => {
      sendTimer = 0;
      lastSent = performance.now();
      model.set("timestamp", pendingTs);
      model.save_changes();
    };
    if (now - lastSent >= SEND_EVERY_MS) go();
    else if (!sendTimer) sendTimer = window.setTimeout(go, SEND_EVERY_MS - (now - lastSent));
  }

  /** @param {PointerEvent} e */
  function tsAt(e) {
    const r = canvas.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (e.clientX - r.left) / Math.max(1, r.width)));
    return t0() + f * (t1() - t0());
  }
  const onDown = (/** @type {PointerEvent} */ e) => {
    dragging = true;
    canvas.setPointerCapture(e.pointerId);
    send(tsAt(e));
  };
  const onMove = (/** @type {PointerEvent} */ e) => {
    if (dragging) send(tsAt(e));
  };
  const onUp = (/** @type {PointerEvent} */ e) => {
    if (!dragging) return;
    dragging = false;
    send(tsAt(e));
  };
  const stop = (/** @type {Event} */ e) => e.stopPropagation();

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  root.addEventListener("keydown", stop);
  model.on("change:timestamp", fromModel);
  model.on("change:lanes", schedule);
  model.on("change:players", attachPlayers);
  const ro = new ResizeObserver(schedule);
  ro.observe(root);
  schedule();
  attachPlayers();

  return () => {
    closed = true;
    ro.disconnect();
    clearTimeout(sendTimer);
    if (raf) cancelAnimationFrame(raf);
    detachPlayers();
    model.off("change:timestamp", fromModel);
    model.off("change:lanes", schedule);
    model.off("change:players", attachPlayers);
    root.remove();
  };
}

export default { render };
