// Front end of workbench.widgets.MapView: GPS tracks in Web Mercator, a marker on the clock.
//
// The points arrive once, as one binary buffer of little-endian float64 (t, x, y, value)
// per point, tracks one after another (`tracks` says where each starts). The map is
// drawn on a canvas (graticule or XYZ tiles, tracks, highlighted stretches, scale bar,
// north arrow) when the data or the view changes; the marker is an overlay moved by a CSS
// transform, so it follows playback frame by frame: while a scrubber listed in `players`
// plays, the marker follows that scrubber's model in the browser, as the Timeline does.
// Drag to pan, wheel to zoom, double-click to fit; a click near a track asks the kernel
// to move the clock to the point's time (a "seek" message, see
// workbench/widgets/protocol.py): a linked scrubber goes to the frame nearest that time,
// and that record is selected.

import { h, widgetRoot } from "./shared/dom.js";
import { followClock, listen } from "./shared/model.js";

const R = 6378137;
const TRACK_COLORS = ["#1976d2", "#d32f2f", "#388e3c", "#f57c00", "#7b1fa2", "#0097a7"];
const VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
const FIELDS = 4; // t, x, y, value
const PICK_PX = 12; // a click this close to a track picks it
const DRAG_PX = 4; // a press that moves farther than this pans instead of clicking

/**
 * @typedef {{record_id: string, offset: number, count: number, fixes: number,
 *            skipped: number, t0: number|null, t1: number|null}} TrackMeta
 * @typedef {{id: string, t: Float64Array, x: Float64Array, y: Float64Array,
 *            v: Float64Array, color: string}} Track
 * @typedef {{cx: number, cy: number, mpp: number, w: number, h: number}} View
 */

/** @param {any} raw  a DataView / ArrayBuffer / typed array from the model */
function floats(raw) {
  if (!raw) return new Float64Array(0);
  const buf = raw.buffer instanceof ArrayBuffer ? raw.buffer : raw;
  const offset = raw.byteOffset || 0;
  const length = raw.byteLength ?? buf.byteLength;
  // copy: a message buffer's offset need not be a multiple of 8
  return new Float64Array(buf.slice(offset, offset + length));
}

/** @param {Float64Array} all @param {TrackMeta[]} metas @returns {Track[]} */
function unpack(all, metas) {
  return metas.map((m, k) => {
    const t = new Float64Array(m.count);
    const x = new Float64Array(m.count);
    const y = new Float64Array(m.count);
    const v = new Float64Array(m.count);
    for (let i = 0; i < m.count; i++) {
      const at = (m.offset + i) * FIELDS;
      t[i] = all[at];
      x[i] = all[at + 1];
      y[i] = all[at + 2];
      v[i] = all[at + 3];
    }
    return { id: m.record_id, t, x, y, v, color: TRACK_COLORS[k % TRACK_COLORS.length] };
  });
}

/** Index of the last element of sorted `a` that is <= `value` (-1 if none). */
function lastAtOrBefore(/** @type {Float64Array} */ a, /** @type {number} */ value) {
  let lo = 0;
  let hi = a.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Position of a track at time `ts`, interpolated between fixes (clamped to the ends). */
function positionAt(/** @type {Track} */ tr, /** @type {number} */ ts) {
  const n = tr.t.length;
  if (!n) return null;
  const i = lastAtOrBefore(tr.t, ts);
  if (i < 0) return [tr.x[0], tr.y[0]];
  if (i >= n - 1) return [tr.x[n - 1], tr.y[n - 1]];
  const f = (ts - tr.t[i]) / Math.max(1e-12, tr.t[i + 1] - tr.t[i]);
  return [tr.x[i] + f * (tr.x[i + 1] - tr.x[i]), tr.y[i] + f * (tr.y[i + 1] - tr.y[i])];
}

/** A colour of the viridis scale for `f` in [0, 1]. */
function viridis(/** @type {number} */ f) {
  const s = Math.min(1, Math.max(0, f)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(s));
  const hex = (/** @type {string} */ c, /** @type {number} */ o) => parseInt(c.slice(o, o + 2), 16);
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  const mix = (/** @type {number} */ o) => Math.round(hex(a, o) + (s - i) * (hex(b, o) - hex(a, o)));
  return `rgb(${mix(1)},${mix(3)},${mix(5)})`;
}

/** A round number (1, 2 or 5 times a power of ten) not below `raw`. */
function niceAbove(/** @type {number} */ raw) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-12))));
  for (const m of [1, 2, 5]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** A round number (1, 2 or 5 times a power of ten) not above `raw`. */
function niceBelow(/** @type {number} */ raw) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-12))));
  for (const m of [5, 2, 1]) if (m * p <= raw) return m * p;
  return p;
}

const latOf = (/** @type {number} */ y) => (2 * Math.atan(Math.exp(y / R)) - Math.PI / 2) * (180 / Math.PI);
const yOfLat = (/** @type {number} */ lat) => R * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
const lonOf = (/** @type {number} */ x) => (x / R) * (180 / Math.PI);

/**
 * Timing for benchmarks/bench_widgets.py, kept only with `window.__workbench_debug`:
 * each draw (ms since the view was made, ms drawing) and how often the marker moved.
 * @returns {{draws: {sinceRender: number, drawMs: number}[], markerMoves: number} | null}
 */
function debugStats() {
  const w = /** @type {any} */ (window);
  if (!w.__workbench_debug) return null;
  w.__workbench_map_stats ??= { draws: [], markerMoves: 0 };
  return w.__workbench_map_stats;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const bornAt = performance.now();
  const stats = debugStats();
  const root = widgetRoot(el, { class: "wb-map", tabindex: "0" });
  const stage = h("div", { class: "wb-map-stage" });
  const canvas = /** @type {HTMLCanvasElement} */ (h("canvas", { class: "wb-map-canvas" }));
  const marker = h("div", { class: "wb-map-marker" });
  const legend = h("div", { class: "wb-map-legend" });
  const status = h("div", { class: "wb-map-status" });
  stage.append(canvas, marker, legend);
  root.append(stage, status);

  /** @type {Track[]} */
  let tracks = [];
  /** @type {View} */
  let view = { cx: 0, cy: 0, mpp: 1, w: 1, h: 1 };
  let fitted = false;
  let raf = 0;
  let closed = false;
  let cursorTs = Number(model.get("timestamp"));
  /** @type {Map<string, HTMLImageElement>} */
  const tileCache = new Map();

  /** @returns {[number, number]} */
  const toScreen = (/** @type {number} */ x, /** @type {number} */ y) => [
    (x - view.cx) / view.mpp + view.w / 2,
    view.h / 2 - (y - view.cy) / view.mpp,
  ];
  const toWorld = (/** @type {number} */ px, /** @type {number} */ py) => [
    view.cx + (px - view.w / 2) * view.mpp,
    view.cy - (py - view.h / 2) * view.mpp,
  ];

  function loadData() {
    tracks = unpack(floats(model.get("points")), model.get("tracks") || []);
    fitted = false;
    status.textContent = model.get("status") || "";
    drawLegend();
    schedule();
  }

  /** Fit every track in the view with a margin. */
  function fit() {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const tr of tracks) {
      for (let i = 0; i < tr.x.length; i++) {
        x0 = Math.min(x0, tr.x[i]);
        x1 = Math.max(x1, tr.x[i]);
        y0 = Math.min(y0, tr.y[i]);
        y1 = Math.max(y1, tr.y[i]);
      }
    }
    if (!Number.isFinite(x0)) return;
    view.cx = (x0 + x1) / 2;
    view.cy = (y0 + y1) / 2;
    const span = Math.max((x1 - x0) / (view.w * 0.9), (y1 - y0) / (view.h * 0.9));
    view.mpp = Math.max(span, 0.05);
    fitted = true;
  }

  function size() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(120, stage.clientWidth || 480);
    const h = Math.max(80, Number(model.get("height")) || 320);
    canvas.style.height = `${h}px`;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    view.w = w;
    view.h = h;
    return dpr;
  }

  function draw() {
    raf = 0;
    if (closed) return;
    const drawStart = performance.now();
    const dpr = size();
    if (!fitted) fit();
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const style = getComputedStyle(root);
    const fg = style.getPropertyValue("--jp-ui-font-color2").trim() || "#555";
    const bg = style.getPropertyValue("--jp-layout-color1").trim() || "#fff";
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, view.w, view.h);
    ctx.font = "10px sans-serif";
    if (model.get("tiles")) drawTiles(ctx);
    else drawGraticule(ctx, fg);
    drawTracks(ctx);
    drawHighlights(ctx);
    drawScaleBar(ctx, fg);
    drawNorth(ctx, fg);
    root.dataset.view = JSON.stringify(view);
    placeMarker();
    const done = performance.now();
    stats?.draws.push({ sinceRender: done - bornAt, drawMs: done - drawStart });
  }

  function drawGraticule(/** @type {CanvasRenderingContext2D} */ ctx, /** @type {string} */ fg) {
    const [wx0, wy1] = toWorld(0, 0);
    const [wx1, wy0] = toWorld(view.w, view.h);
    const lon0 = lonOf(wx0), lon1 = lonOf(wx1), lat0 = latOf(wy0), lat1 = latOf(wy1);
    // labels at least this far apart (px): ~70 across, ~40 down
    const lonStep = niceAbove(((lon1 - lon0) * 70) / view.w);
    const latStep = niceAbove(((lat1 - lat0) * 40) / view.h);
    const digits = (/** @type {number} */ step) => Math.max(0, -Math.floor(Math.log10(step)));
    ctx.strokeStyle = "rgba(128,128,128,0.25)";
    ctx.fillStyle = fg;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let k = Math.ceil(lon0 / lonStep); k * lonStep <= lon1; k++) {
      const lon = k * lonStep;
      const [px] = toScreen((lon * Math.PI * R) / 180, 0);
      ctx.moveTo(px, 0);
      ctx.lineTo(px, view.h);
      ctx.fillText(`${lon.toFixed(digits(lonStep))}°`, px + 2, view.h - 4);
    }
    for (let k = Math.ceil(lat0 / latStep); k * latStep <= lat1; k++) {
      const lat = k * latStep;
      const [, py] = toScreen(0, yOfLat(lat));
      ctx.moveTo(0, py);
      ctx.lineTo(view.w, py);
      ctx.fillText(`${lat.toFixed(digits(latStep))}°`, 2, py - 2);
    }
    ctx.stroke();
  }

  function drawTiles(/** @type {CanvasRenderingContext2D} */ ctx) {
    const template = String(model.get("tiles"));
    const world = 2 * Math.PI * R;
    const z = Math.max(0, Math.min(19, Math.round(Math.log2(world / (256 * view.mpp)))));
    const n = 2 ** z;
    const tileM = world / n;
    const [wx0, wy1] = toWorld(0, 0);
    const [wx1, wy0] = toWorld(view.w, view.h);
    const tx0 = Math.floor((wx0 + world / 2) / tileM), tx1 = Math.floor((wx1 + world / 2) / tileM);
    const ty0 = Math.floor((world / 2 - wy1) / tileM), ty1 = Math.floor((world / 2 - wy0) / tileM);
    for (let ty = Math.max(0, ty0); ty <= Math.min(n - 1, ty1); ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const wrapped = ((tx % n) + n) % n;
        const url = template.replace("{z}", String(z)).replace("{x}", String(wrapped)).replace("{y}", String(ty));
        let img = tileCache.get(url);
        if (!img) {
          img = new Image();
          img.onload = schedule;
          img.src = url;
          tileCache.set(url, img);
          if (tileCache.size > 256) tileCache.delete(/** @type {string} */ (tileCache.keys().next().value));
        }
        if (!img.complete || !img.naturalWidth) continue;
        const [px, py] = toScreen(tx * tileM - world / 2, world / 2 - ty * tileM);
        ctx.drawImage(img, px, py, tileM / view.mpp + 0.5, tileM / view.mpp + 0.5);
      }
    }
  }

  function drawTracks(/** @type {CanvasRenderingContext2D} */ ctx) {
    const colorBy = model.get("color_by");
    const [vmin, vmax] = model.get("color_range") || [0, 1];
    const selected = model.get("selected_record");
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    for (const tr of tracks) {
      const chosen = !selected || selected === tr.id;
      ctx.globalAlpha = chosen ? 1 : 0.45;
      ctx.lineWidth = chosen && tracks.length > 1 ? 4 : 3;
      if (!colorBy) {
        ctx.strokeStyle = tr.color;
        ctx.beginPath();
        for (let i = 0; i < tr.x.length; i++) {
          const [px, py] = toScreen(tr.x[i], tr.y[i]);
          if (i === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        }
        ctx.stroke();
        continue;
      }
      for (let i = 1; i < tr.x.length; i++) {
        const value = tr.v[i - 1];
        ctx.strokeStyle = Number.isFinite(value) ? viridis((value - vmin) / Math.max(1e-12, vmax - vmin)) : "#999";
        const [ax, ay] = toScreen(tr.x[i - 1], tr.y[i - 1]);
        const [bx, by] = toScreen(tr.x[i], tr.y[i]);
        ctx.beginPath();
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
  }

  function drawHighlights(/** @type {CanvasRenderingContext2D} */ ctx) {
    const highlights = model.get("highlights") || [];
    ctx.strokeStyle = "rgba(255,112,0,0.85)";
    ctx.lineWidth = 8;
    for (const hl of highlights) {
      const tr = tracks.find((t) => t.id === hl.record_id) || (tracks.length === 1 ? tracks[0] : null);
      if (!tr || !tr.t.length) continue;
      const a = positionAt(tr, hl.start);
      const b = positionAt(tr, hl.end);
      if (!a || !b) continue;
      ctx.beginPath();
      ctx.moveTo(...toScreen(a[0], a[1]));
      for (let i = lastAtOrBefore(tr.t, hl.start) + 1; i < tr.t.length && tr.t[i] < hl.end; i++) {
        ctx.lineTo(...toScreen(tr.x[i], tr.y[i]));
      }
      ctx.lineTo(...toScreen(b[0], b[1]));
      ctx.stroke();
      if (hl.label) {
        ctx.fillStyle = "rgba(200,80,0,1)";
        const [px, py] = toScreen(a[0], a[1]);
        ctx.fillText(String(hl.label), px + 6, py - 6);
      }
    }
  }

  function drawScaleBar(/** @type {CanvasRenderingContext2D} */ ctx, /** @type {string} */ fg) {
    // ground metres per pixel at the centre: Mercator stretches by 1 / cos(latitude)
    const ground = view.mpp * Math.cos((latOf(view.cy) * Math.PI) / 180);
    const metres = niceBelow(ground * 120);
    const px = metres / ground;
    const x = view.w - px - 12;
    const y = view.h - 14;
    ctx.strokeStyle = fg;
    ctx.fillStyle = fg;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y - 4);
    ctx.lineTo(x, y);
    ctx.lineTo(x + px, y);
    ctx.lineTo(x + px, y - 4);
    ctx.stroke();
    const text = metres >= 1000 ? `${metres / 1000} km` : `${metres} m`;
    ctx.fillText(text, x + px / 2 - ctx.measureText(text).width / 2, y - 6);
    root.dataset.scaleMetres = String(metres);
  }

  function drawNorth(/** @type {CanvasRenderingContext2D} */ ctx, /** @type {string} */ fg) {
    const x = view.w - 16;
    ctx.fillStyle = fg;
    ctx.beginPath();
    ctx.moveTo(x, 8);
    ctx.lineTo(x - 6, 24);
    ctx.lineTo(x, 20);
    ctx.lineTo(x + 6, 24);
    ctx.closePath();
    ctx.fill();
    ctx.fillText("N", x - 3, 36);
  }

  function drawLegend() {
    const colorBy = model.get("color_by");
    legend.hidden = !colorBy;
    if (!colorBy) return;
    const [vmin, vmax] = model.get("color_range") || [0, 1];
    const stops = VIRIDIS.map((c, i) => `${c} ${(i / (VIRIDIS.length - 1)) * 100}%`).join(", ");
    const fmt = (/** @type {number} */ v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
    legend.replaceChildren();
    const name = document.createElement("span");
    name.textContent = colorBy;
    const bar = document.createElement("span");
    bar.className = "wb-map-legend-bar";
    bar.style.background = `linear-gradient(to right, ${stops})`;
    const lo = document.createElement("span");
    lo.textContent = fmt(vmin);
    const hi = document.createElement("span");
    hi.textContent = fmt(vmax);
    legend.append(name, lo, bar, hi);
  }

  /** The track the marker is on: the selected one, else the one whose time holds `ts`. */
  function markerTrack(/** @type {number} */ ts) {
    const selected = model.get("selected_record");
    const chosen = tracks.find((t) => t.id === selected && t.t.length);
    if (chosen) return chosen;
    let best = null;
    let gap = Infinity;
    for (const tr of tracks) {
      if (!tr.t.length) continue;
      const d = Math.max(0, tr.t[0] - ts, ts - tr.t[tr.t.length - 1]);
      if (d < gap) {
        gap = d;
        best = tr;
      }
    }
    return best;
  }

  /** Move the marker to the clock's time (a transform: no repaint of the map). */
  function placeMarker() {
    const tr = markerTrack(cursorTs);
    const pos = tr ? positionAt(tr, cursorTs) : null;
    marker.hidden = !pos;
    if (!pos) return;
    const [px, py] = toScreen(pos[0], pos[1]);
    marker.style.transform = `translate(${px}px, ${py}px)`;
    if (stats) stats.markerMoves += 1;
    root.dataset.markerX = px.toFixed(2);
    root.dataset.markerY = py.toFixed(2);
    root.dataset.cursor = String(cursorTs);
  }

  /** @param {number} ts the clock's time, from our model or a scrubber we follow */
  const onClock = (ts) => {
    cursorTs = ts;
    placeMarker();
  };

  /** The fix nearest a screen point, within PICK_PX: {track, t} or null. */
  function pick(/** @type {number} */ px, /** @type {number} */ py) {
    let best = null;
    let bestD = PICK_PX * PICK_PX;
    for (const tr of tracks) {
      for (let i = 0; i < tr.x.length; i++) {
        const [sx, sy] = toScreen(tr.x[i], tr.y[i]);
        const d = (sx - px) ** 2 + (sy - py) ** 2;
        if (d <= bestD) {
          bestD = d;
          best = { track: tr, t: tr.t[i] };
        }
        // between two fixes: the nearest point of the segment, at its interpolated time
        if (i > 0) {
          const [ax, ay] = toScreen(tr.x[i - 1], tr.y[i - 1]);
          const len2 = (sx - ax) ** 2 + (sy - ay) ** 2;
          if (len2 > 0) {
            const f = Math.min(1, Math.max(0, ((px - ax) * (sx - ax) + (py - ay) * (sy - ay)) / len2));
            const dd = (ax + f * (sx - ax) - px) ** 2 + (ay + f * (sy - ay) - py) ** 2;
            if (dd < bestD) {
              bestD = dd;
              best = { track: tr, t: tr.t[i - 1] + f * (tr.t[i] - tr.t[i - 1]) };
            }
          }
        }
      }
    }
    return best;
  }

  /** A click on a track: the kernel moves the clock to the frame nearest that time. */
  function seek(/** @type {number} */ ts, /** @type {string} */ record) {
    cursorTs = ts;
    placeMarker();
    model.send({ type: "seek", timestamp: ts, record_id: record });
  }

  /** @type {{x: number, y: number, cx: number, cy: number, moved: boolean} | null} */
  let press = null;
  const local = (/** @type {MouseEvent} */ e) => {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const onDown = (/** @type {PointerEvent} */ e) => {
    const [x, y] = local(e);
    press = { x, y, cx: view.cx, cy: view.cy, moved: false };
    canvas.setPointerCapture(e.pointerId);
  };
  const onMove = (/** @type {PointerEvent} */ e) => {
    if (!press) return;
    const [x, y] = local(e);
    if (!press.moved && Math.hypot(x - press.x, y - press.y) < DRAG_PX) return;
    press.moved = true;
    view.cx = press.cx - (x - press.x) * view.mpp;
    view.cy = press.cy + (y - press.y) * view.mpp;
    schedule();
  };
  const onUp = (/** @type {PointerEvent} */ e) => {
    if (!press) return;
    const wasDrag = press.moved;
    press = null;
    if (wasDrag) return;
    const [x, y] = local(e);
    const hit = pick(x, y);
    if (hit) seek(hit.t, hit.track.id);
  };
  const onWheel = (/** @type {WheelEvent} */ e) => {
    e.preventDefault();
    const [x, y] = local(e);
    const [wx, wy] = toWorld(x, y);
    view.mpp *= Math.exp(Math.sign(e.deltaY) * Math.min(0.5, Math.abs(e.deltaY) / 300));
    view.cx = wx - (x - view.w / 2) * view.mpp;
    view.cy = wy + (y - view.h / 2) * view.mpp;
    schedule();
  };
  const onDblClick = () => {
    fitted = false;
    schedule();
  };
  const schedule = () => {
    if (!raf && !closed) raf = requestAnimationFrame(draw);
  };
  const onStatus = () => (status.textContent = model.get("status") || "");

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("wheel", onWheel, { passive: false });
  canvas.addEventListener("dblclick", onDblClick);
  const stopListening = listen(model, {
    "change:points": loadData,
    "change:tracks": loadData,
    "change:selected_record": schedule,
    "change:highlights": schedule,
    "change:tiles": schedule,
    "change:height": schedule,
    "change:status": onStatus,
  });
  const ro = new ResizeObserver(() => {
    fitted = false;
    schedule();
  });
  ro.observe(stage);
  loadData();
  const clock = followClock(model, onClock);

  return () => {
    closed = true;
    ro.disconnect();
    if (raf) cancelAnimationFrame(raf);
    clock.close();
    stopListening();
    root.remove();
  };
}

export default { render };
