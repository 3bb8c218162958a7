// Front end of workbench.widgets.VideoScrubber (plain ESM, no bundler).
//
// Frames arrive as JPEG bytes in the binary buffers of custom messages. While dragging
// or stepping, the view keeps at most one frame request in flight and always asks for
// the latest wanted position, so a fast drag never builds a queue in the kernel. While
// the slider is dragged the kernel may answer with the keyframe preview; the exact frame
// is asked for on release (or when the hand rests for a moment). Playback pipelines up
// to PLAY_AHEAD requests for upcoming frames and paints each at its presentation time.
//
// Message protocol (see workbench/widgets/protocol.py):
//   view -> kernel  {type: "frame", index, seq, preview, hint}
//   kernel -> view  {type: "frame", index, seq, exact, time, timestamp, keyframe_index}
//                   + buffers = [jpeg]
//   kernel -> view  {type: "error", seq, message}

/** @typedef {{index: number, preview: boolean, hint: string, offset: number}} Want */
/** @typedef {{seq: number, index: number, preview: boolean, sentAt: number}} InFlight */
/**
 * @typedef {{
 *   type: string, index: number, seq: number, exact: boolean, time: number,
 *   timestamp: number, keyframe_index: number, message?: string
 * }} FrameReply
 */

const REQUEST_TIMEOUT_MS = 5000;
const DRAG_REST_MS = 150;
/** Playback requests kept in flight at once (dragging and stepping keep one). */
const PLAY_AHEAD = 3;
/** Frames are sent at the shown width rounded up to a multiple of this (pixels). */
const VIEW_WIDTH_STEP = 160;
/** While playing, `value`/`time` are synced to the kernel at most this often (ms). */
const PLAY_PUBLISH_MS = 250;

/**
 * Paint-time statistics, collected only when debugging is switched on (the `debug`
 * traitlet, or `window.__workbench_debug = true` before the widget renders).
 * Kept in `window.__workbench_stats` for benchmarks and browser tests.
 */
function statsSink(model) {
  const on = Boolean(model.get("debug")) || Boolean(globalThis.__workbench_debug);
  if (!on) return null;
  const g = /** @type {any} */ (globalThis);
  g.__workbench_stats = g.__workbench_stats || { paints: [], inputs: [], latencies: [] };
  return g.__workbench_stats;
}

/**
 * Format seconds as [h:]mm:ss.mmm.
 * @param {number} s
 */
function clock(s) {
  if (!Number.isFinite(s)) return "--:--.---";
  const sign = s < 0 ? "-" : "";
  s = Math.abs(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, "0");
  const ss = sec.toFixed(3).padStart(6, "0");
  return h > 0 ? `${sign}${h}:${mm}:${ss}` : `${sign}${mm}:${ss}`;
}

/**
 * Format an absolute timestamp (seconds since the epoch) as UTC date-time.
 * @param {number} ts
 */
function absolute(ts) {
  if (!Number.isFinite(ts)) return "";
  if (ts < 1e8) return `t=${ts.toFixed(3)} s`;
  const d = new Date(ts * 1000);
  return `${d.toISOString().replace("T", " ").replace("Z", "")} UTC (${ts.toFixed(3)})`;
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 */
function h(tag, attrs = {}, text = "") {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text) el.textContent = text;
  return el;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const stats = statsSink(model);
  const root = h("div", {
    class: "wb-scrubber",
    tabindex: "0",
    "data-lm-suppress-shortcuts": "true",
    "aria-label": "video scrubber",
  });
  const stage = h("div", { class: "wb-stage" });
  const canvas = /** @type {HTMLCanvasElement} */ (h("canvas", { class: "wb-frame" }));
  const badge = h("div", { class: "wb-badge" }, "");
  // one context for the widget's life; opaque (JPEG has no alpha), so no blending
  const ctx = canvas.getContext("2d", { alpha: false });
  stage.append(canvas, badge);

  const track = h("div", { class: "wb-track" });
  const band = h("div", { class: "wb-inout" });
  const slider = /** @type {HTMLInputElement} */ (
    h("input", { class: "wb-slider", type: "range", min: "0", step: "1" })
  );
  track.append(band, slider);

  const controls = h("div", { class: "wb-controls" });
  /** @param {string} label @param {string} title @param {string} act */
  const button = (label, title, act) => {
    const b = h("button", { class: "wb-btn", title, "data-act": act }, label);
    controls.append(b);
    return b;
  };
  button("|◀", "first frame (Home)", "home");
  button("−1s", "back 1 s (Shift+←)", "back-second");
  button("−1", "previous frame (←)", "back-frame");
  const playBtn = button("▶", "play / pause (Space)", "play");
  button("+1", "next frame (→)", "fwd-frame");
  button("+1s", "forward 1 s (Shift+→)", "fwd-second");
  button("▶|", "last frame (End)", "end");
  const rate = /** @type {HTMLSelectElement} */ (h("select", { class: "wb-rate", title: "rate" }));
  for (const r of [0.25, 0.5, 1, 2, 4]) {
    rate.append(h("option", { value: String(r) }, `${r}×`));
  }
  controls.append(rate);
  button("I", "set in point (I)", "in");
  button("O", "set out point (O)", "out");
  const jump = /** @type {HTMLInputElement} */ (
    h("input", { class: "wb-jump", type: "text", placeholder: "go to s", title: "jump to time (s)" })
  );
  controls.append(jump);

  const readout = h("div", { class: "wb-readout" });
  const nameLabel = h("span", { class: "wb-label" }, String(model.get("label") || ""));
  const frameLabel = h("span", { class: "wb-index" });
  const relLabel = h("span", { class: "wb-rel" });
  const absLabel = h("span", { class: "wb-abs" });
  const inoutLabel = h("span", { class: "wb-inout-label" });
  readout.append(nameLabel, frameLabel, relLabel, absLabel, inoutLabel);

  root.append(stage, track, controls, readout);
  el.append(root);

  // ---- state -------------------------------------------------------------------
  let seq = 0;
  /** @type {InFlight | null} */
  let inflight = null;
  /** @type {Want | null} */
  let want = null;
  let shownIndex = -1;
  let shownExact = false;
  let shownTime = NaN;
  let shownTimestamp = NaN;
  let paintSeq = 0;
  /** @type {Map<number, InFlight>} playback requests in flight (pipelined) */
  const playFlight = new Map();
  /** @type {Set<number>} playback requests given up on (stopped or timed out) */
  const playStale = new Set();
  let playNext = 0; // next frame index playback will ask for
  let playLatency = 80; // ms from asking to a decoded frame (moving average)
  /** @type {{msg: FrameReply, bitmap: ImageBitmap, t: Record<string, number>}[]} */
  let held = []; // decoded playback frames waiting for their presentation time
  let publishedAt = 0;
  /** @type {FrameReply | null} the frame on screen not yet published (playing) */
  let unpublished = null;
  let dragging = false;
  let restTimer = 0;
  let playing = false;
  let playT0 = 0;
  let playI0 = 0;
  let rafId = 0;
  let timeoutId = 0;
  let closed = false;
  /** @type {{t: number, index: number}[]} pending slider inputs (debug only) */
  let pendingInputs = [];

  const n = () => Math.max(1, Number(model.get("num_frames")) || 1);
  const fps = () => Number(model.get("fps")) || 30;
  const clampIndex = (/** @type {number} */ i) => Math.min(n() - 1, Math.max(0, Math.round(i)));

  /**
   * Width the kernel should send frames at: the device pixels shown, rounded up to a
   * multiple of VIEW_WIDTH_STEP (so a resize by a few pixels does not empty the kernel's
   * cache), never wider than the video. Fewer pixels are less to decode, encode, send
   * and, above all, for the browser to decode (the largest cost per frame when painting
   * in software).
   */
  function viewWidth() {
    const native = Number(model.get("width")) || 16;
    const shown = stage.clientWidth * (window.devicePixelRatio || 1);
    if (!shown) return native;
    const w = Math.ceil(shown / VIEW_WIDTH_STEP) * VIEW_WIDTH_STEP;
    return Math.round(Math.min(native, Math.max(VIEW_WIDTH_STEP, w)));
  }

  function layout() {
    slider.max = String(n() - 1);
    const w = Number(model.get("width")) || 16;
    const hgt = Number(model.get("height")) || 9;
    const vw = viewWidth();
    const backing = [vw, Math.max(1, Math.round((vw * hgt) / w))];
    if (canvas.width !== backing[0] || canvas.height !== backing[1]) {
      canvas.width = backing[0];
      canvas.height = backing[1];
      canvas.style.aspectRatio = `${w} / ${hgt}`;
      shownExact = false; // repaint at the new size
      if (shownIndex >= 0) ask(shownIndex, false, "settle");
    }
    const wanted = vw >= w ? 0 : vw;
    if (Number(model.get("view_width")) !== wanted) {
      model.set("view_width", wanted);
      model.save_changes();
    }
    drawInOut();
  }

  function drawInOut() {
    const last = Math.max(1, n() - 1);
    const a = Number(model.get("in_point"));
    const b = Number(model.get("out_point"));
    band.style.left = `${(100 * a) / last}%`;
    band.style.width = `${(100 * Math.max(0, b - a)) / last}%`;
    inoutLabel.textContent = `in ${a} · out ${b}`;
  }

  function updateReadout() {
    const i = dragging ? Number(slider.value) : shownIndex;
    frameLabel.textContent = `frame ${i < 0 ? "–" : i} / ${n() - 1}`;
    const dur = Number(model.get("duration_seconds"));
    const t0 = Number(model.get("start_seconds")) || 0;
    const t = dragging ? t0 + i / fps() : shownTime;
    relLabel.textContent = `${clock(t - t0)} / ${clock(dur)}`;
    const ts = dragging ? Number(model.get("start_timestamp")) + t : shownTimestamp;
    absLabel.textContent = absolute(ts);
  }

  // ---- requests: one in flight, latest wins ------------------------------------------
  /**
   * @param {number} index @param {boolean} preview @param {string} hint
   * @param {number} [offset] seconds to step from `index` (resolved by the kernel)
   */
  function ask(index, preview, hint, offset = 0) {
    want = { index: clampIndex(index), preview, hint, offset };
    pump();
  }

  function pump() {
    if (closed || inflight || !want) return;
    if (!want.offset && want.index === shownIndex && (shownExact || want.preview)) {
      want = null;
      return;
    }
    seq += 1;
    // where the request will land (offset requests are resolved exactly by the kernel)
    const guess = clampIndex(want.index + want.offset * fps());
    inflight = { seq, index: guess, preview: want.preview, sentAt: performance.now() };
    model.send({
      type: "frame",
      index: want.index,
      seq,
      preview: want.preview,
      hint: want.hint,
      offset_seconds: want.offset,
    });
    want = null;
    clearTimeout(timeoutId);
    timeoutId = window.setTimeout(() => {
      inflight = null; // the kernel is busy or gone: allow a fresh request
      pump();
    }, REQUEST_TIMEOUT_MS);
  }

  /** @param {FrameReply} msg @param {DataView[]} buffers */
  async function onMessage(msg, buffers) {
    if (!msg || (msg.type !== "frame" && msg.type !== "error")) return;
    const recvAt = performance.now();
    if (playStale.delete(msg.seq)) return; // stopped or timed out: keep what is shown
    const played = playFlight.get(msg.seq);
    if (played) {
      playFlight.delete(msg.seq);
      if (!playing) return; // stopped meanwhile: keep the frame the user stopped on
    }
    let sentAt = inflight && inflight.seq === msg.seq ? inflight.sentAt : NaN;
    if (played) sentAt = played.sentAt;
    if (inflight && inflight.seq === msg.seq) {
      inflight = null;
      clearTimeout(timeoutId);
    }
    if (msg.type === "error") {
      badge.textContent = msg.message || "error";
      badge.classList.add("wb-error");
      pump();
      return;
    }
    const mySeq = msg.seq;
    if (played) pumpPlay();
    pump(); // ask for the next wanted position while this one is decoded and painted
    if (!buffers || !buffers.length) return;
    const blob = new Blob([buffers[0]], { type: "image/jpeg" });
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch (err) {
      badge.textContent = `cannot decode frame ${msg.index}`;
      return;
    }
    const decodedAt = performance.now();
    if (closed || mySeq < paintSeq) {
      bitmap.close();
      return;
    }
    if (played) {
      playLatency = 0.8 * playLatency + 0.2 * (decodedAt - played.sentAt);
      if (!playing) {
        bitmap.close();
        return;
      }
      held.push({ msg, bitmap, t: { sentAt, recvAt, decodedAt } });
      showDue(); // paint now if it is due, else at its presentation time (see play())
      return;
    }
    paint(msg, bitmap, { sentAt, recvAt, decodedAt });
  }

  /**
   * Draw a decoded frame and record what is on screen.
   * @param {FrameReply} msg @param {ImageBitmap} bitmap @param {Record<string, number>} t
   */
  function paint(msg, bitmap, t) {
    const { sentAt, recvAt, decodedAt } = t;
    paintSeq = msg.seq;
    if (ctx) ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    shownIndex = msg.index;
    shownExact = Boolean(msg.exact);
    shownTime = msg.time;
    shownTimestamp = msg.timestamp;
    canvas.dataset.index = String(msg.index);
    canvas.dataset.exact = String(shownExact);
    badge.textContent = shownExact ? "" : `preview (keyframe ${msg.keyframe_index})`;
    badge.classList.remove("wb-error");
    if (!dragging) {
      slider.value = String(msg.index);
      if (shownExact) publish(msg);
    }
    updateReadout();
    const drawnAt = performance.now();
    if (stats) {
      requestAnimationFrame(() => {
        const paintedAt = performance.now();
        stats.paints.push({
          at: paintedAt, index: msg.index, exact: shownExact, sentAt, recvAt, decodedAt, drawnAt,
        });
        if (Number.isFinite(sentAt)) {
          const served = pendingInputs.filter((p) => p.t <= sentAt);
          pendingInputs = pendingInputs.filter((p) => p.t > sentAt);
          for (const p of served) stats.latencies.push({ kind: p.kind, ms: paintedAt - p.t });
        }
      });
    }
    if (!dragging && !playing && !shownExact) ask(shownIndex, false, "settle");
  }

  /** While playing: paint the newest held frame that is due, drop the late ones. */
  function showDue() {
    if (!held.length) return;
    const target = playTarget();
    held.sort((a, b) => a.msg.index - b.msg.index);
    let k = -1;
    while (k + 1 < held.length && held[k + 1].msg.index <= target) k += 1;
    if (k < 0) return;
    for (let j = 0; j < k; j += 1) held[j].bitmap.close();
    const due = held[k];
    held = held.slice(k + 1);
    if (due.msg.seq < paintSeq) due.bitmap.close();
    else paint(due.msg, due.bitmap, due.t);
  }

  /**
   * Playback pipelines: up to PLAY_AHEAD requests for upcoming frames are in flight,
   * each asked early enough (by the measured latency) to arrive before it is due.
   * Dragging and stepping keep the strict one-in-flight rule (see pump()).
   */
  function pumpPlay() {
    if (!playing || closed) return;
    const now = performance.now();
    for (const [s, f] of playFlight) {
      if (now - f.sentAt > REQUEST_TIMEOUT_MS) {
        playFlight.delete(s); // lost: ask again
        playStale.add(s);
      }
    }
    const r = Number(model.get("playback_rate")) || 1;
    const stride = Math.max(1, Math.round(r));
    const lead = Math.ceil(((playLatency * 1.2) / 1000) * fps() * r);
    const last = n() - 1;
    playNext = Math.max(playNext, playTarget() + lead);
    while (playFlight.size < PLAY_AHEAD && playNext < last) {
      seq += 1;
      playFlight.set(seq, { seq, index: playNext, preview: false, sentAt: now });
      model.send({ type: "frame", index: playNext, seq, preview: false, hint: "play" });
      playNext += stride;
    }
  }

  /**
   * Tell the kernel which exact frame is on screen (value/time are synced traitlets).
   * While playing at most every PLAY_PUBLISH_MS (each publish is a kernel round trip
   * competing with the frames); stop() publishes the frame playback stopped on.
   */
  function publish(/** @type {FrameReply} */ msg) {
    if (model.get("value") === msg.index) return;
    const now = performance.now();
    if (playing && now - publishedAt < PLAY_PUBLISH_MS) {
      unpublished = msg;
      return;
    }
    publishedAt = now;
    unpublished = null;
    model.set("value", msg.index);
    model.set("time", msg.time);
    model.set("timestamp", msg.timestamp);
    model.save_changes();
  }

  /** @param {string} kind @param {number} index */
  function noteInput(kind, index) {
    if (stats) {
      const t = performance.now();
      stats.inputs.push({ kind, t, index });
      pendingInputs.push({ kind, t, index });
    }
  }

  // ---- navigation -------------------------------------------------------------------
  /** @param {number} index @param {string} kind */
  function go(index, kind) {
    if (playing && kind !== "play") stop();
    index = clampIndex(index);
    slider.value = String(index);
    noteInput(kind, index);
    ask(index, false, kind);
    updateReadout();
  }
  const current = () => {
    if (want) return clampIndex(want.index + want.offset * fps());
    if (inflight) return inflight.index;
    return shownIndex < 0 ? 0 : shownIndex;
  };

  /** Step by whole seconds; the kernel picks the frame on screen at that time. */
  function stepSeconds(/** @type {number} */ s) {
    if (playing) stop();
    const i = current();
    slider.value = String(clampIndex(i + s * fps()));
    noteInput("step", i);
    ask(i, false, "step", s);
    updateReadout();
  }

  function play() {
    if (playing) return;
    if (shownIndex >= n() - 1) go(0, "step");
    playing = true;
    playBtn.textContent = "⏸";
    playT0 = performance.now();
    playI0 = current();
    playNext = playI0 + 1;
    if (!model.get("playing")) {
      model.set("playing", true);
      model.save_changes();
    }
    const tick = () => {
      if (!playing || closed) return;
      const target = playTarget();
      if (target >= n() - 1) {
        ask(n() - 1, false, "play");
        stop();
        return;
      }
      showDue();
      pumpPlay();
      slider.value = String(target);
      rafId = requestAnimationFrame(tick);
    };
    rafId = requestAnimationFrame(tick);
  }

  /** The frame that should be on screen now while playing. */
  function playTarget() {
    const r = Number(model.get("playback_rate")) || 1;
    return playI0 + Math.floor(((performance.now() - playT0) / 1000) * fps() * r);
  }

  function stop() {
    if (!playing) return;
    playing = false;
    cancelAnimationFrame(rafId);
    for (const s of playFlight.keys()) playStale.add(s);
    playFlight.clear();
    for (const f of held) f.bitmap.close();
    held = [];
    if (shownIndex >= 0 && !dragging) slider.value = String(shownIndex);
    if (unpublished) publish(unpublished);
    playBtn.textContent = "▶";
    if (model.get("playing")) {
      model.set("playing", false);
      model.save_changes();
    }
  }

  /** @param {"in" | "out"} which */
  function mark(which) {
    const i = shownIndex < 0 ? 0 : shownIndex;
    let a = Number(model.get("in_point"));
    let b = Number(model.get("out_point"));
    if (which === "in") {
      a = i;
      if (b < a) b = n() - 1;
    } else {
      b = i;
      if (a > b) a = 0;
    }
    model.set("in_point", a);
    model.set("out_point", b);
    model.save_changes();
    drawInOut();
  }

  /** @param {string} act */
  function act(act) {
    const i = current();
    switch (act) {
      case "home": return go(0, "step");
      case "end": return go(n() - 1, "step");
      case "back-frame": return go(i - 1, "step");
      case "fwd-frame": return go(i + 1, "step");
      case "back-second": return stepSeconds(-1);
      case "fwd-second": return stepSeconds(1);
      case "play": return playing ? stop() : play();
      case "in": return mark("in");
      case "out": return mark("out");
    }
  }

  // ---- events -----------------------------------------------------------------------
  const onClick = (/** @type {MouseEvent} */ e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    const a = t && t.closest && t.closest("[data-act]");
    if (a) act(String(a.getAttribute("data-act")));
  };
  const onInput = () => {
    if (playing) stop();
    dragging = true;
    const i = Number(slider.value);
    noteInput("drag", i);
    ask(i, true, "drag");
    updateReadout();
    clearTimeout(restTimer);
    restTimer = window.setTimeout(() => ask(Number(slider.value), false, "rest"), DRAG_REST_MS);
  };
  const onRelease = () => {
    if (!dragging) return;
    dragging = false;
    clearTimeout(restTimer);
    ask(Number(slider.value), false, "release");
  };
  const onKey = (/** @type {KeyboardEvent} */ e) => {
    // Keep JupyterLab's command shortcuts (a, b, dd, i i, o, space ...) away while focused.
    e.stopPropagation();
    if (e.target === jump) {
      if (e.key === "Enter") {
        const dur = Number(model.get("duration_seconds"));
        const t0 = Number(model.get("start_seconds")) || 0;
        const s = Math.min(t0 + dur - 1e-3, Math.max(t0, Number(jump.value)));
        if (jump.value.trim() !== "" && Number.isFinite(s)) {
          stop();
          model.set("time", s);
          model.save_changes();
        }
        root.focus();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    /** @type {Record<string, string>} */
    const keys = {
      ArrowLeft: e.shiftKey ? "back-second" : "back-frame",
      ArrowRight: e.shiftKey ? "fwd-second" : "fwd-frame",
      " ": "play",
      Home: "home",
      End: "end",
      i: "in",
      I: "in",
      o: "out",
      O: "out",
    };
    const a = keys[e.key];
    if (a) {
      e.preventDefault();
      act(a);
    }
  };
  const onKeyUp = (/** @type {KeyboardEvent} */ e) => e.stopPropagation();
  const onRate = () => {
    if (playing) {
      playI0 = shownIndex;
      playT0 = performance.now();
      playNext = playI0 + 1;
    }
    model.set("playback_rate", Number(rate.value));
    model.save_changes();
  };
  const onStageClick = () => root.focus();

  root.addEventListener("click", onClick);
  root.addEventListener("keydown", onKey);
  root.addEventListener("keyup", onKeyUp);
  slider.addEventListener("input", onInput);
  slider.addEventListener("change", onRelease);
  slider.addEventListener("pointerup", onRelease);
  rate.addEventListener("change", onRate);
  stage.addEventListener("click", onStageClick);

  // ---- model changes from the kernel -------------------------------------------------
  const onValue = () => {
    const v = Number(model.get("value"));
    if (!dragging && !playing && v !== shownIndex) go(v, "kernel");
  };
  const onPlaying = () => (model.get("playing") ? play() : stop());
  const onRateModel = () => {
    rate.value = String(model.get("playback_rate"));
  };
  const onLabel = () => {
    nameLabel.textContent = String(model.get("label") || "");
  };
  const onShape = () => {
    layout();
    updateReadout();
  };
  model.on("msg:custom", onMessage);
  model.on("change:value", onValue);
  model.on("change:playing", onPlaying);
  model.on("change:playback_rate", onRateModel);
  model.on("change:in_point", drawInOut);
  model.on("change:out_point", drawInOut);
  model.on("change:num_frames", onShape);
  model.on("change:label", onLabel);

  const resizeObserver = new ResizeObserver(() => layout());
  resizeObserver.observe(stage);
  layout();
  onRateModel();
  slider.value = String(model.get("value"));
  updateReadout();
  ask(Number(model.get("value")), false, "open");

  return () => {
    closed = true;
    resizeObserver.disconnect();
    stop();
    clearTimeout(timeoutId);
    clearTimeout(restTimer);
    model.off("msg:custom", onMessage);
    model.off("change:value", onValue);
    model.off("change:playing", onPlaying);
    model.off("change:playback_rate", onRateModel);
    model.off("change:in_point", drawInOut);
    model.off("change:out_point", drawInOut);
    model.off("change:num_frames", onShape);
    model.off("change:label", onLabel);
    root.remove();
  };
}

export default { render };
