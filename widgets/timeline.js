// Front end of workbench.widgets.Timeline: lanes of downsampled series + a cursor.
// The cursor is the synced `timestamp` (absolute seconds); click or drag to seek.
//
// The lanes are drawn once (again on resize or new data); the cursor is an overlay moved
// by a CSS transform, so it can follow playback at the frame rate. While a scrubber
// listed in `players` (model ids) plays, the cursor follows that scrubber's model in the
// browser: the scrubber updates `timestamp` locally for every painted frame and tells
// the kernel only a few times a second (each message to the kernel costs JupyterLab a
// status round). The cursor shows the latest time heard from either model.
//
// `bands` (labels and events, absolute seconds) are drawn as coloured stretches over the
// lanes. When `labelling` is on, a drag with Shift held marks a range instead of seeking;
// on release a name box opens, and Enter sends a "label" message (see
// workbench/widgets/protocol.py): the kernel stores it in the catalog (cat.labels) and
// sends the new bands back.

import { h, widgetRoot } from "./shared/dom.js";
import { followClock, listen } from "./shared/model.js";

const COLORS = ["#1976d2", "#d32f2f", "#388e3c", "#f57c00", "#7b1fa2", "#0097a7"];
/** Fills of a state lane's runs, by the state's value. */
const STATE_COLORS = ["#90caf9", "#ffcc80", "#a5d6a7", "#ce93d8", "#ef9a9a", "#80deea", "#fff59d"];
const SEND_EVERY_MS = 40;
/** The time label is rewritten at most this often while following playback (ms). */
const LABEL_EVERY_MS = 100;
/** Height of the strip above each lane's plot that holds its label (px): curves stay below. */
const LABEL_STRIP = 14;
/** Fills of bands: labels by name (hashed into this palette), events in one colour. */
const BAND_COLORS = ["#ffb74d", "#4db6ac", "#f06292", "#9575cd", "#aed581", "#4fc3f7"];
const EVENT_COLOR = "#ff7043";

/** @param {string} text */
function hashed(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return BAND_COLORS[Math.abs(h) % BAND_COLORS.length];
}

/**
 * @typedef {{name: string, unit?: string, kind?: string, t: number[], lo?: number[],
 *   hi?: number[], v?: number[], end?: number, labels?: Record<string, string>,
 *   min: number, max: number}} Lane
 */

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const root = widgetRoot(el, { class: "wb-timeline", tabindex: "0" });
  const canvas = /** @type {HTMLCanvasElement} */ (h("canvas", { class: "wb-timeline-canvas" }));
  const cursor = h("div", { class: "wb-timeline-cursor" });
  // lane labels are elements above the canvas, each in its lane's label strip, on an
  // opaque background: no curve is ever drawn over them
  const names = h("div", { class: "wb-timeline-names" });
  Object.assign(names.style, { position: "absolute", left: "0", top: "0", pointerEvents: "none" });
  const label = h("div", { class: "wb-timeline-label" });
  // the range being marked (Shift+drag) and the box that names it
  const mark = h("div", { class: "wb-timeline-mark", hidden: "" });
  const nameBox = /** @type {HTMLInputElement} */ (
    h("input", {
      class: "wb-timeline-name",
      placeholder: "label name, Enter to save, Esc to cancel",
      hidden: "",
    })
  );
  const status = h("div", { class: "wb-timeline-status" });
  // the lanes scroll inside a box of bounded height (a bag or a CAN bus brings dozens of
  // signals); the time label, the name box and the status stay in view below it
  const lanesBox = h("div", { class: "wb-timeline-lanes" });
  lanesBox.append(canvas, names, mark, cursor);
  root.append(lanesBox, label, nameBox, status);

  let dragging = false;
  /** @type {{from: number, to: number} | null} a Shift+drag in progress (absolute s) */
  let marking = null;
  let lastSent = 0;
  let pendingTs = NaN;
  let sendTimer = 0;
  let raf = 0;
  let labelAt = 0;
  let closed = false;
  /** the scrubbers whose playback the cursor follows */
  const clock = followClock(model, (ts) => onClock(ts));
  /** @type {HTMLElement[]} one label element per lane */
  let laneLabels = [];

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

  /** The lane's name with its unit, e.g. "VehicleSpeed.speed_kmh (km/h)". @param {Lane} lane */
  const title = (lane) => (lane.unit ? `${lane.name} (${lane.unit})` : lane.name);

  /** The choice name of a state lane at time `s` (seconds after t0). @param {Lane} lane @param {number} s */
  function stateAt(lane, s) {
    const t = lane.t;
    let lo = 0;
    let hi = t.length - 1;
    if (!t.length || s < t[0]) return "";
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (t[mid] <= s) lo = mid;
      else hi = mid - 1;
    }
    const v = /** @type {number[]} */ (lane.v)[lo];
    return (lane.labels || {})[String(v)] ?? String(v);
  }

  /** Rebuild the label elements (one per lane, in its label strip). */
  function buildLabels() {
    const lh = Number(model.get("lane_height"));
    names.replaceChildren();
    laneLabels = lanes().map((lane, k) => {
      const div = document.createElement("div");
      div.className = "wb-timeline-lane-label";
      div.dataset.lane = lane.name;
      div.dataset.kind = lane.kind || "line";
      Object.assign(div.style, {
        position: "absolute",
        top: `${k * lh + 1}px`,
        whiteSpace: "nowrap",
        lineHeight: `${LABEL_STRIP - 2}px`,
        padding: "0 3px",
        borderRadius: "3px",
        background: "var(--jp-layout-color1, #fff)",
      });
      if (lane.kind === "state") {
        /** @type {string[]} */
        const seen = [];
        for (const v of lane.v || []) {
          const n = (lane.labels || {})[String(v)] ?? String(v);
          if (!seen.includes(n)) seen.push(n);
        }
        div.dataset.states = seen.join(" ");
        div.textContent = title(lane);
      } else {
        const digits = Math.min(8, Math.max(0, Math.ceil(-Math.log10(Math.max(lane.max - lane.min, 1e-9))) + 2));
        const f = (/** @type {number} */ v) => (v === 0 ? "0" : v.toFixed(digits));
        div.textContent = `${title(lane)}  [${f(lane.min)} … ${f(lane.max)}]`;
      }
      names.append(div);
      return div;
    });
  }

  /** Show the state under the cursor in each state lane's label. @param {number} s */
  function updateStateLabels(s) {
    lanes().forEach((lane, k) => {
      if (lane.kind !== "state" || !laneLabels[k]) return;
      const now = stateAt(lane, s);
      const text = now ? `${title(lane)}: ${now}` : title(lane);
      if (laneLabels[k].textContent !== text) laneLabels[k].textContent = text;
    });
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
    const x = (/** @type {number} */ t) => (t / span) * w;
    lanes().forEach((lane, k) => {
      const top = k * lh + 2 + LABEL_STRIP;
      const height = Math.max(4, lh - 6 - LABEL_STRIP);
      ctx.strokeStyle = grid;
      ctx.beginPath();
      ctx.moveTo(0, top + height + 2);
      ctx.lineTo(w, top + height + 2);
      ctx.stroke();
      if (lane.kind === "state") {
        drawStates(ctx, lane, top, height, x, span, fg);
        return;
      }
      const lo = lane.min;
      const hi = lane.max === lane.min ? lane.min + 1 : lane.max;
      const y = (/** @type {number} */ v) => top + height - ((v - lo) / (hi - lo)) * height;
      const laneLo = /** @type {number[]} */ (lane.lo);
      const laneHi = /** @type {number[]} */ (lane.hi);
      const color = COLORS[k % COLORS.length];
      ctx.fillStyle = color + "55";
      ctx.strokeStyle = color;
      ctx.beginPath();
      for (let i = 0; i < lane.t.length; i++) {
        const px = x(lane.t[i]);
        ctx.fillRect(px, y(laneHi[i]), Math.max(1, w / lane.t.length), Math.max(1, y(laneLo[i]) - y(laneHi[i])));
      }
      for (let i = 0; i < lane.t.length; i++) {
        const px = x(lane.t[i]);
        const py = y((laneLo[i] + laneHi[i]) / 2);
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      }
      ctx.stroke();
    });
    drawBands(ctx, w, h, span);
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

  /**
   * Labels and events: translucent stretches over every lane, named at the top.
   * @param {CanvasRenderingContext2D} ctx @param {number} w @param {number} h
   * @param {number} span
   */
  function drawBands(ctx, w, h, span) {
    const bands = /** @type {{start: number, end: number, label: string, kind: string}[]} */ (
      model.get("bands") || []
    );
    for (const b of bands) {
      const a = ((b.start - t0()) / span) * w;
      const z = ((b.end - t0()) / span) * w;
      if (z < 0 || a > w) continue;
      const color = b.kind === "event" ? EVENT_COLOR : hashed(b.label);
      ctx.fillStyle = color + "44";
      ctx.fillRect(a, 0, Math.max(2, z - a), h - 14);
      ctx.fillStyle = color;
      ctx.fillRect(a, 0, Math.max(2, z - a), 3);
      if (b.label && z - a > 24) ctx.fillText(b.label, a + 2, h - 16);
    }
    root.dataset.bands = String(bands.length);
  }

  /**
   * A state lane: one band per run of equal values, named by its choice where it fits.
   * @param {CanvasRenderingContext2D} ctx @param {Lane} lane @param {number} top
   * @param {number} height @param {(t: number) => number} x @param {number} span
   * @param {string} fg
   */
  function drawStates(ctx, lane, top, height, x, span, fg) {
    const values = /** @type {number[]} */ (lane.v);
    const end = lane.end ?? span;
    ctx.textBaseline = "middle";
    for (let i = 0; i < lane.t.length; i++) {
      const a = x(lane.t[i]);
      const b = x(i + 1 < lane.t.length ? lane.t[i + 1] : end);
      const v = values[i];
      const colour = STATE_COLORS[((v % STATE_COLORS.length) + STATE_COLORS.length) % STATE_COLORS.length];
      ctx.fillStyle = colour;
      ctx.fillRect(a, top, Math.max(1, b - a), height);
      const name = (lane.labels || {})[String(v)] ?? String(v);
      const width = ctx.measureText(name).width;
      if (b - a >= width + 4) {
        ctx.fillStyle = fg;
        ctx.fillText(name, a + 2, top + height / 2);
      }
    }
    ctx.textBaseline = "alphabetic";
  }

  /** The cursor's time: the latest heard, from our model or a scrubber we follow. */
  let cursorTs = Number(model.get("timestamp"));
  /** @param {number} ts the clock's time, from our model or a scrubber we follow */
  const onClock = (ts) => {
    cursorTs = ts;
    placeCursor();
  };

  /** Move the cursor (a transform: no repaint of the lanes). */
  function placeCursor() {
    const ts = cursorTs;
    const span = Math.max(1e-9, t1() - t0());
    const w = canvas.clientWidth || 1;
    cursor.style.transform = `translateX(${((ts - t0()) / span) * w - 1}px)`;
    root.dataset.cursor = String(ts);
    const now = performance.now();
    const following = clock.players().some((m) => m.get("playing"));
    if (!following || now - labelAt >= LABEL_EVERY_MS) {
      labelAt = now;
      label.textContent = `t = ${(ts - t0()).toFixed(3)} s  (${ts.toFixed(3)})`;
      updateStateLabels(ts - t0());
    }
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
  /** Show the range being marked over the lanes. */
  function showMark() {
    if (!marking) return;
    const span = Math.max(1e-9, t1() - t0());
    const w = canvas.clientWidth || 1;
    const a = ((Math.min(marking.from, marking.to) - t0()) / span) * w;
    const z = ((Math.max(marking.from, marking.to) - t0()) / span) * w;
    Object.assign(mark.style, { left: `${a}px`, width: `${Math.max(1, z - a)}px`, height: `${canvas.clientHeight}px` });
    mark.hidden = false;
  }
  function askName() {
    if (!marking) return;
    nameBox.value = model.get("label_name") || "";
    nameBox.style.left = mark.style.left;
    nameBox.hidden = false;
    nameBox.focus();
    nameBox.select();
  }
  function endMarking() {
    marking = null;
    mark.hidden = true;
    nameBox.hidden = true;
  }
  const onName = (/** @type {KeyboardEvent} */ e) => {
    e.stopPropagation();
    if (e.key === "Escape") endMarking();
    if (e.key !== "Enter" || !marking) return;
    const text = nameBox.value.trim();
    if (!text) return;
    const start = Math.min(marking.from, marking.to);
    const end = Math.max(marking.from, marking.to);
    model.send({ type: "label", start, end, label: text });
    endMarking();
  };
  const onDown = (/** @type {PointerEvent} */ e) => {
    canvas.setPointerCapture(e.pointerId);
    if (e.shiftKey && model.get("labelling")) {
      const t = tsAt(e);
      marking = { from: t, to: t };
      nameBox.hidden = true;
      showMark();
      return;
    }
    dragging = true;
    send(tsAt(e));
  };
  const onMove = (/** @type {PointerEvent} */ e) => {
    if (marking && nameBox.hidden) {
      marking.to = tsAt(e);
      showMark();
    } else if (dragging) send(tsAt(e));
  };
  const onUp = (/** @type {PointerEvent} */ e) => {
    if (marking && nameBox.hidden) {
      marking.to = tsAt(e);
      if (marking.to === marking.from) endMarking();
      else askName();
      return;
    }
    if (!dragging) return;
    dragging = false;
    send(tsAt(e));
  };
  const onStatus = () => (status.textContent = model.get("status") || "");

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  nameBox.addEventListener("keydown", onName);
  const onLanes = () => {
    buildLabels(); // DOM changes only with the lanes, never per paint
    schedule();
  };
  const stopListening = listen(model, {
    "change:bands": schedule,
    "change:status": onStatus,
    "change:lanes": onLanes,
  });
  const ro = new ResizeObserver(schedule);
  ro.observe(root);
  buildLabels();
  schedule();
  onStatus();

  return () => {
    closed = true;
    ro.disconnect();
    clearTimeout(sendTimer);
    if (raf) cancelAnimationFrame(raf);
    clock.close();
    stopListening();
    root.remove();
  };
}

export default { render };
