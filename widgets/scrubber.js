// Front end of workbench.widgets.VideoScrubber (plain ESM, no bundler).
//
// Frames arrive as JPEG bytes in the binary buffers of custom messages. While dragging
// or stepping, the view keeps at most one frame request in flight and always asks for
// the latest wanted position, so a fast drag never builds a queue in the kernel. While
// the slider is dragged the kernel may answer with the keyframe preview; the exact frame
// is asked for on release (or when the hand rests for a moment). Playback opens a
// session in which the kernel pushes upcoming frames, paced by credits the view returns
// in batches as it decodes them (see workbench/widgets/playback.py for why); each frame
// is painted at its presentation time, late ones are dropped.
//
// When idle, the view fills a FrameStore of its own: decoded frames around the cursor
// (so a step paints without a kernel round trip or a JPEG decode) and the JPEG bytes of
// keyframe previews (so a drag paints the preview under the hand at once). It keeps one
// prefetch batch in flight, only while no frame the user asked for is outstanding.
//
// Message protocol (see workbench/widgets/protocol.py):
//   view -> kernel  {type: "frame", index, seq, preview, hint}
//   view -> kernel  {type: "play", seq, first, stride, credit} / {type: "credit", seq, n,
//                   first} / {type: "stop", seq}
//   view -> kernel  {type: "prefetch", seq, indices, preview}
//   view -> kernel  {type: "keyframes", seq}
//   kernel -> view  {type: "frame", index, seq, exact, time, timestamp, keyframe_index,
//                    prefetch} + buffers = [jpeg]
//   kernel -> view  {type: "keyframes", seq, count} + buffers = [int32 LE]
//   kernel -> view  {type: "error", seq, message, index?}  (no index: the whole request
//                   failed, e.g. it was malformed; with index: that frame of a batch)
//
// Icons are drawn (inline SVG), never taken from a font: a font without the glyph
// would show an empty box.

/** @typedef {{index: number, preview: boolean, hint: string, offset: number}} Want */
/** @typedef {{seq: number, index: number, preview: boolean, sentAt: number}} InFlight */
/**
 * @typedef {{
 *   type: string, index: number, seq: number, exact: boolean, time: number,
 *   timestamp: number, keyframe_index: number, message?: string, prefetch?: boolean,
 *   count?: number
 * }} FrameReply
 */
/** @typedef {{seq: number, remaining: number, preview: boolean}} PrefetchBatch */

const SVG_NS = "http://www.w3.org/2000/svg";
/** Button icons: SVG paths in a 16 x 16 box, filled with the button's text colour. */
const ICONS = {
  first: "M3 3h2v10H3zM13 3v10L6 8z",
  last: "M11 3h2v10h-2zM3 3v10l7-5z",
  play: "M4 2.5v11L13.5 8z",
  pause: "M3.5 3h3v10h-3zM9.5 3h3v10h-3z",
};

const REQUEST_TIMEOUT_MS = 5000;
const DRAG_REST_MS = 150;
/** Playback: frames the kernel may push ahead of the view's decoding. */
const PLAY_CREDIT = 6;
/** Playback: credit goes back in batches of this many frames, or after CREDIT_MS. */
const CREDIT_BATCH = 3;
const CREDIT_MS = 120;
/** Playback: a session that delivers nothing for this long is opened again (ms). */
const PLAY_STALL_MS = 2000;
/** Frames are sent at the shown width rounded up to a multiple of this (pixels): even,
 * for 4:2:0 scaling; otherwise exact, so the browser never resamples a frame (which
 * costs more than decoding it where it composites in software, and blurs it). */
const VIEW_WIDTH_STEP = 2;
/** A resize is acted on once the size has been still for this long (ms). */
const RESIZE_SETTLE_MS = 150;
/** While playing, `value`/`time` are synced to the kernel at most this often (ms). */
const PLAY_PUBLISH_MS = 250;
/** Share of the view cache budget given to keyframe preview JPEGs. */
const PREVIEW_SHARE = 0.25;
/** Most decoded frames the view keeps ahead of / behind the cursor. */
const KEEP_AHEAD = 12;
const KEEP_BEHIND = 6;
/** Frames per prefetch batch: exact frames, keyframe previews. */
const EXACT_BATCH = 4;
const PREVIEW_BATCH = 16;
/** Decoded keyframe previews kept for dragging (least recently used dropped). */
const DECODED_PREVIEWS = 8;
/** Assumed size of a preview JPEG before any has arrived (bytes). */
const PREVIEW_GUESS_BYTES = 40_000;

/**
 * The view's own frame cache, bounded by bytes.
 *
 * - decoded exact frames (ImageBitmap) around the cursor: a step to one of them paints
 *   at once, without a kernel round trip or a JPEG decode;
 * - JPEG bytes of keyframe previews, decoded on demand into a small LRU: a drag paints
 *   the preview under the hand without asking the kernel.
 *
 * When full, the entries farthest from the cursor go first. Bitmaps it drops are
 * closed; a bitmap handed out stays valid until the store drops it.
 */
class FrameStore {
  /** @param {number} budget bytes (0 turns the store off) */
  constructor(budget) {
    this.budget = budget;
    this.generation = 0;
    /** @type {Map<number, {msg: FrameReply, bitmap: ImageBitmap}>} */
    this.exact = new Map();
    /** @type {Map<number, Blob>} keyframe index -> preview JPEG */
    this.previews = new Map();
    this.previewBytes = 0;
    /** @type {Map<number, ImageBitmap>} decoded previews, least recently used first */
    this.decoded = new Map();
  }

  /**
   * How many decoded frames of `frameBytes` each it keeps: the window around the
   * cursor, or fewer when the budget is smaller. @param {number} frameBytes
   */
  exactCapacity(frameBytes) {
    if (frameBytes <= 0) return 0;
    const fit = Math.floor((this.budget * (1 - PREVIEW_SHARE)) / frameBytes);
    return Math.min(KEEP_AHEAD + KEEP_BEHIND + 1, fit);
  }

  /** How many preview JPEGs fit (by the average size seen so far). */
  previewCapacity() {
    const avg = this.previews.size ? this.previewBytes / this.previews.size : PREVIEW_GUESS_BYTES;
    return Math.floor((this.budget * PREVIEW_SHARE) / Math.max(1, avg));
  }

  /**
   * Keep a decoded exact frame (or close it when it does not fit).
   * @param {FrameReply} msg @param {ImageBitmap} bitmap @param {number} cursor
   */
  putExact(msg, bitmap, cursor) {
    const old = this.exact.get(msg.index);
    if (old && old.bitmap !== bitmap) old.bitmap.close();
    this.exact.set(msg.index, { msg, bitmap });
    const cap = this.exactCapacity(bitmap.width * bitmap.height * 4);
    while (this.exact.size > cap) {
      const far = farthest(this.exact.keys(), cursor);
      /** @type {any} */ (this.exact.get(far)).bitmap.close();
      this.exact.delete(far);
    }
  }

  /**
   * Keep the JPEG of a keyframe preview.
   * @param {number} keyframe @param {Blob} blob @param {number} cursor
   */
  putPreview(keyframe, blob, cursor) {
    const old = this.previews.get(keyframe);
    if (old) this.previewBytes -= old.size;
    this.previews.set(keyframe, blob);
    this.previewBytes += blob.size;
    while (this.previews.size && this.previewBytes > this.budget * PREVIEW_SHARE) {
      const far = farthest(this.previews.keys(), cursor);
      this.previewBytes -= /** @type {Blob} */ (this.previews.get(far)).size;
      this.previews.delete(far);
    }
  }

  /** True when keyframe `k` can be shown without asking the kernel. @param {number} k */
  hasPreview(k) {
    return this.exact.has(k) || this.previews.has(k);
  }

  /**
   * The decoded picture of keyframe `k` (its exact frame, else its preview), or null.
   * @param {number} k
   * @returns {ImageBitmap | null | Promise<ImageBitmap | null>} at once when decoded
   */
  previewBitmap(k) {
    const exact = this.exact.get(k);
    if (exact) return exact.bitmap;
    const done = this.decoded.get(k);
    if (done) {
      this.decoded.delete(k);
      this.decoded.set(k, done); // most recently used
      return done;
    }
    const blob = this.previews.get(k);
    if (!blob) return null;
    const generation = this.generation;
    return createImageBitmap(blob).then(
      (bitmap) => {
        if (generation !== this.generation) {
          bitmap.close();
          return null;
        }
        this.decoded.get(k)?.close();
        this.decoded.set(k, bitmap);
        while (this.decoded.size > DECODED_PREVIEWS) {
          const [oldest, old] = this.decoded.entries().next().value;
          old.close();
          this.decoded.delete(oldest);
        }
        return bitmap;
      },
      () => null,
    );
  }

  /** Drop everything (e.g. the frame size changed). */
  clear() {
    this.generation += 1;
    for (const { bitmap } of this.exact.values()) bitmap.close();
    for (const bitmap of this.decoded.values()) bitmap.close();
    this.exact.clear();
    this.decoded.clear();
    this.previews.clear();
    this.previewBytes = 0;
  }
}

/** The key farthest from `cursor`. @param {Iterable<number>} keys @param {number} cursor */
function farthest(keys, cursor) {
  let best = NaN;
  let dist = -1;
  for (const k of keys) {
    const d = Math.abs(k - cursor);
    if (d > dist) {
      best = k;
      dist = d;
    }
  }
  return best;
}

/**
 * Paint-time statistics, collected only when debugging is switched on (the `debug`
 * traitlet, or `window.__workbench_debug = true` before the widget renders).
 * Kept in `window.__workbench_stats` for benchmarks and browser tests.
 */
function statsSink(model) {
  const on = Boolean(model.get("debug")) || Boolean(globalThis.__workbench_debug);
  if (!on) return null;
  const g = /** @type {any} */ (globalThis);
  g.__workbench_stats = g.__workbench_stats || {
    paints: [], inputs: [], latencies: [], requests: [], replies: [],
  };
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
 * Read `count` little-endian int32 from a message buffer.
 * @param {DataView | undefined} view @param {number} count
 */
function readInt32(view, count) {
  const out = new Int32Array(view ? Math.min(count, Math.floor(view.byteLength / 4)) : 0);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = /** @type {DataView} */ (view).getInt32(4 * i, true);
  }
  return out;
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

/**
 * Show icon `name` (a key of ICONS) in `button`, replacing what it showed.
 * @param {HTMLElement} button @param {keyof typeof ICONS} name
 */
function setIcon(button, name) {
  let svg = button.querySelector("svg");
  if (!svg) {
    svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "wb-icon");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("aria-hidden", "true");
    svg.append(document.createElementNS(SVG_NS, "path"));
    button.replaceChildren(svg);
  }
  /** @type {SVGPathElement} */ (svg.firstChild).setAttribute("d", ICONS[name]);
  button.dataset.icon = name;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const stats = statsSink(model);
  // numbers each view's debug statistics (on the page: each widget imports its own
  // copy of this module)
  const g = /** @type {any} */ (globalThis);
  const viewId = (g.__workbench_views = (g.__workbench_views || 0) + 1);
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
  // the in/out band runs under the slider's track, where its fill cannot cover it
  const band = h("div", { class: "wb-inout" });
  const slider = /** @type {HTMLInputElement} */ (
    h("input", { class: "wb-slider", type: "range", min: "0", step: "1" })
  );
  track.append(slider, band);

  const controls = h("div", { class: "wb-controls" });
  /**
   * @param {string} label text, or the name of an icon in ICONS
   * @param {string} title @param {string} act
   */
  const button = (label, title, act) => {
    const b = h("button", { class: "wb-btn", title, "aria-label": title, "data-act": act });
    if (label in ICONS) setIcon(b, /** @type {keyof typeof ICONS} */ (label));
    else b.textContent = label;
    controls.append(b);
    return b;
  };
  button("first", "first frame (Home)", "home");
  button("−1s", "back 1 s (Shift+←)", "back-second");
  button("−1", "previous frame (←)", "back-frame");
  const playBtn = button("play", "play / pause (Space)", "play");
  button("+1", "next frame (→)", "fwd-frame");
  button("+1s", "forward 1 s (Shift+→)", "fwd-second");
  button("last", "last frame (End)", "end");
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
  // Request numbers start at a random point per view: every view of this widget (the
  // output and a "new view for output" copy) receives every reply, and takes only its own.
  const seqBase = Math.floor(Math.random() * 2 ** 40);
  let seq = seqBase;
  const mine = (/** @type {number} */ s) => s > seqBase && s <= seq;
  /** @type {InFlight | null} */
  let inflight = null;
  /** @type {Want | null} */
  let want = null;
  let shownIndex = -1;
  let shownExact = false;
  let shownTime = NaN;
  let shownTimestamp = NaN;
  let paintSeq = 0;
  let playSession = 0; // seq of the open playback session (0: none)
  let playRate = 1; // the playback rate the session was opened at
  /** @type {Set<number>} playback sessions closed: their late frames are ignored */
  const playStale = new Set();
  let playOwed = 0; // frames decoded (or skipped) whose credit is not returned yet
  let creditAt = 0; // when credit was last returned
  let playFrameAt = 0; // when the session last delivered a frame
  let lateFrames = 0; // how late frames are decoded, in frames (moving average)
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
  const store = new FrameStore(cacheBudget());
  /** @type {Int32Array | null} keyframe indices, ascending (asked for at render) */
  let keyframes = null;
  /** @type {Map<number, PrefetchBatch>} prefetch batches not fully answered */
  const batches = new Map();
  /** @type {PrefetchBatch | null} the batch in flight (one at a time) */
  let prefetching = null;
  let prefetchTimer = 0;
  let stepDir = 1; // the direction the user last moved in: prefetch that way first

  const n = () => Math.max(1, Number(model.get("num_frames")) || 1);
  function cacheBudget() {
    return Math.max(0, Number(model.get("view_cache_mb")) || 0) * 2 ** 20;
  }
  const fps = () => Number(model.get("fps")) || 30;
  const clampIndex = (/** @type {number} */ i) => Math.min(n() - 1, Math.max(0, Math.round(i)));

  /**
   * Width the kernel should send frames at: the device pixels shown (rounded up to an
   * even number), never wider than the video. Fewer pixels are less to decode, encode,
   * send and, above all, for the browser to decode; the exact size spares the browser a
   * resampling of every frame. A new size empties both caches, so resizes are acted on
   * only once they settle (RESIZE_SETTLE_MS).
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
      store.clear(); // frames of the old size
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

  /** Place the in/out band under the slider positions of the in and out points (the
   * thumb's centre runs from half a thumb in from either end: --wb-thumb in the CSS). */
  function drawInOut() {
    const last = Math.max(1, n() - 1);
    const a = Number(model.get("in_point"));
    const b = Number(model.get("out_point"));
    const at = (/** @type {number} */ i) => `(100% - var(--wb-thumb)) * ${i / last}`;
    band.style.left = `calc(var(--wb-thumb) / 2 + ${at(a)})`;
    band.style.width = `calc(${at(Math.max(0, b - a))})`;
    inoutLabel.textContent = `in ${a} · out ${b}`;
  }

  /**
   * Time and timestamp of frame `i`: exact when the view holds that frame, else from
   * the frame rate (what a drag shows until the kernel answers).
   * @param {number} i
   */
  function timesOf(i) {
    const hit = store.exact.get(i);
    if (hit) return { time: hit.msg.time, timestamp: hit.msg.timestamp };
    const time = (Number(model.get("start_seconds")) || 0) + i / fps();
    return { time, timestamp: Number(model.get("start_timestamp")) + time };
  }

  /**
   * Set `time`/`timestamp` in the browser only (no message to the kernel), so that a
   * Timeline following this scrubber moves with a playback or a drag; the kernel hears
   * of the frame when it is published.
   * @param {{time: number, timestamp: number}} t
   */
  function showTimeLocally(t) {
    model.set("time", t.time);
    model.set("timestamp", t.timestamp);
  }

  function updateReadout() {
    const i = dragging ? Number(slider.value) : shownIndex;
    frameLabel.textContent = `frame ${i < 0 ? "–" : i} / ${n() - 1}`;
    const dur = Number(model.get("duration_seconds"));
    const t0 = Number(model.get("start_seconds")) || 0;
    const t = dragging ? timesOf(i) : { time: shownTime, timestamp: shownTimestamp };
    relLabel.textContent = `${clock(t.time - t0)} / ${clock(dur)}`;
    absLabel.textContent = absolute(t.timestamp);
  }

  // ---- requests: one in flight, latest wins ------------------------------------------
  /**
   * @param {number} index @param {boolean} preview @param {string} hint
   * @param {number} [offset] seconds to step from `index` (resolved by the kernel)
   */
  function ask(index, preview, hint, offset = 0) {
    index = clampIndex(index);
    if (!offset && (paintStored(index) || (preview && paintPreview(index)))) {
      want = null; // shown from the view's own cache: nothing to ask the kernel
      schedulePrefetch();
      return;
    }
    want = { index, preview, hint, offset };
    pump();
  }

  /** Paint frame `index` from the store; false when the store does not have it. */
  function paintStored(/** @type {number} */ index) {
    const hit = store.exact.get(index);
    if (!hit) return false;
    seq += 1;
    const now = performance.now();
    paint({ ...hit.msg, seq }, hit.bitmap, { sentAt: now, recvAt: NaN, decodedAt: now }, true);
    return true;
  }

  /**
   * While dragging: paint the keyframe preview of `index` from the store (decoding its
   * JPEG if needed); false when the store has no picture of that keyframe.
   */
  function paintPreview(/** @type {number} */ index) {
    const k = keyframeOf(index);
    if (k < 0 || !store.hasPreview(k)) return false;
    seq += 1;
    const mySeq = seq;
    const sentAt = performance.now();
    /** @type {FrameReply} */
    const msg = {
      type: "frame", index, seq: mySeq, exact: false, keyframe_index: k, ...timesOf(index),
    };
    const draw = (/** @type {ImageBitmap | null} */ bitmap) => {
      if (!bitmap || !bitmap.width || closed || mySeq < paintSeq) return;
      paint(msg, bitmap, { sentAt, recvAt: NaN, decodedAt: performance.now() }, true);
    };
    const got = store.previewBitmap(k);
    if (got instanceof Promise) got.then(draw);
    else draw(got);
    return true;
  }

  /** Position in `keyframes` of the keyframe that starts the group of `index`. */
  function keyframePos(/** @type {number} */ index) {
    if (!keyframes || !keyframes.length) return -1;
    let lo = 0;
    let hi = keyframes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (keyframes[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The keyframe that starts the group of `index`, or -1 when not known yet. */
  function keyframeOf(/** @type {number} */ index) {
    const pos = keyframePos(index);
    return pos < 0 ? -1 : /** @type {Int32Array} */ (keyframes)[pos];
  }

  function pump() {
    if (closed || inflight) return;
    if (!want) {
      schedulePrefetch();
      return;
    }
    if (!want.offset && want.index === shownIndex && (shownExact || want.preview)) {
      want = null;
      schedulePrefetch();
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
    if (stats) stats.requests.push({ seq, kind: "user", index: guess, at: inflight.sentAt });
    want = null;
    clearTimeout(timeoutId);
    timeoutId = window.setTimeout(() => {
      inflight = null; // the kernel is busy or gone: allow a fresh request
      pump();
    }, REQUEST_TIMEOUT_MS);
  }

  /** @param {FrameReply} msg @param {DataView[]} buffers */
  async function onMessage(msg, buffers) {
    if (!msg) return;
    if (msg.type === "keyframes") {
      keyframes = readInt32(buffers && buffers[0], Number(msg.count) || 0);
      schedulePrefetch();
      return;
    }
    if ((msg.type !== "frame" && msg.type !== "error") || !mine(msg.seq)) return;
    if (stats) stats.replies.push({ seq: msg.seq, index: msg.index, at: performance.now() });
    if (batches.has(msg.seq)) {
      await onPrefetched(msg, buffers);
      return;
    }
    const recvAt = performance.now();
    if (playStale.has(msg.seq)) return; // stopped or replaced: keep what is shown
    if (playSession && msg.seq === playSession) {
      await onPlayed(msg, buffers, recvAt);
      return;
    }
    const sentAt = inflight && inflight.seq === msg.seq ? inflight.sentAt : NaN;
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
      // overtaken by a newer frame; an exact one is still worth keeping nearby
      if (!closed && msg.exact && store.budget) store.putExact(msg, bitmap, cursor());
      else bitmap.close();
      return;
    }
    paint(msg, bitmap, { sentAt, recvAt, decodedAt });
  }

  /**
   * A pushed playback frame arrived: decode it (unless a newer frame is already on
   * screen) and hold it for its presentation time. Its credit goes back only once it is
   * painted or dropped, so the kernel pushes no faster than the browser decodes and
   * shows: where the browser paints in software, decoding, not the kernel, limits the
   * frame rate, and frames sent faster would only queue up, arrive late and be dropped.
   * @param {FrameReply} msg @param {DataView[]} buffers @param {number} recvAt
   */
  async function onPlayed(msg, buffers, recvAt) {
    const session = playSession;
    playFrameAt = recvAt;
    let kept = false;
    try {
      if (msg.type !== "frame" || !buffers || !buffers.length) return;
      if (msg.index <= shownIndex) return; // could never be shown
      const bitmap = await createImageBitmap(new Blob([buffers[0]], { type: "image/jpeg" }));
      const decodedAt = performance.now();
      if (!playing || closed || session !== playSession) {
        bitmap.close();
        return;
      }
      const late = Math.max(0, playTarget() - msg.index);
      lateFrames = 0.8 * lateFrames + 0.2 * late;
      held.push({ msg, bitmap, t: { sentAt: NaN, recvAt, decodedAt } });
      kept = true;
      showDue(); // paint now if it is due, else at its presentation time (see play())
    } catch (err) {
      // a frame that cannot be decoded is skipped; playback goes on with the next
    } finally {
      if (!kept && session === playSession) settled(1);
    }
  }

  /**
   * Draw a decoded frame and record what is on screen. An exact frame's bitmap goes to
   * the store afterwards (which closes it when it does not fit); others are closed.
   * @param {FrameReply} msg @param {ImageBitmap} bitmap @param {Record<string, number>} t
   * @param {boolean} [borrowed] the bitmap belongs to the store: neither keep nor close
   */
  function paint(msg, bitmap, t, borrowed = false) {
    const { sentAt, recvAt, decodedAt } = t;
    paintSeq = msg.seq;
    if (ctx) ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    if (!borrowed) {
      if (msg.exact && store.budget) store.putExact(msg, bitmap, msg.index);
      else bitmap.close();
    }
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
          fromStore: borrowed, view: viewId,
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

  // ---- the view's own prefetching ---------------------------------------------------
  /** Where the store should be centred: the frame shown (or being asked for). */
  function cursor() {
    return want ? want.index : shownIndex < 0 ? 0 : shownIndex;
  }

  function schedulePrefetch() {
    if (closed || prefetchTimer || prefetching || !store.budget) return;
    // after the current paint and its frame callback, not in the middle of them
    prefetchTimer = window.setTimeout(() => {
      prefetchTimer = 0;
      pumpPrefetch();
    }, 0);
  }

  /**
   * Ask for one batch of frames the store lacks: first decoded frames around the cursor
   * (the way the user last moved first), then keyframe previews nearest the cursor.
   * Only when nothing the user asked for is outstanding, and never while playing (the
   * playback pipeline asks for its own frames).
   */
  function pumpPrefetch() {
    if (closed || playing || prefetching || inflight || want || shownIndex < 0) return;
    let preview = false;
    let indices = dragging ? [] : exactWanted(shownIndex);
    if (!indices.length) {
      preview = true;
      indices = previewsWanted(shownIndex);
    }
    if (!indices.length) return;
    seq += 1;
    prefetching = { seq, remaining: indices.length, preview };
    batches.set(seq, prefetching);
    model.send({ type: "prefetch", seq, indices, preview });
    if (stats) stats.requests.push({ seq, kind: "prefetch", indices, at: performance.now() });
    const mine = prefetching;
    window.setTimeout(() => {
      if (prefetching !== mine) return;
      prefetching = null; // the kernel is busy or gone: its late replies are still kept
      schedulePrefetch();
    }, REQUEST_TIMEOUT_MS);
  }

  /** Exact frames near `center` the store lacks, nearest first (ahead counts double). */
  function exactWanted(/** @type {number} */ center) {
    const cap = store.exactCapacity(canvas.width * canvas.height * 4);
    const ahead = Math.min(KEEP_AHEAD, Math.floor((cap - 1) * 0.65));
    const behind = Math.min(KEEP_BEHIND, cap - 1 - ahead);
    /** @type {[number, number][]} [cost, index] */
    const candidates = [];
    for (let k = 1; k <= ahead; k += 1) candidates.push([k, center + stepDir * k]);
    for (let k = 1; k <= behind; k += 1) candidates.push([2 * k, center - stepDir * k]);
    candidates.sort((a, b) => a[0] - b[0]);
    const out = [];
    for (const [, i] of candidates) {
      if (i < 0 || i >= n() || store.exact.has(i) || out.length >= EXACT_BATCH) continue;
      out.push(i);
    }
    return out;
  }

  /**
   * Keyframes whose preview the store lacks, among the ones nearest `center` that its
   * preview budget holds, nearest first.
   */
  function previewsWanted(/** @type {number} */ center) {
    if (!keyframes || !keyframes.length) return [];
    const budget = Math.min(keyframes.length, store.previewCapacity());
    const out = [];
    let lo = keyframePos(center);
    let hi = lo + 1;
    for (let seen = 0; seen < budget && out.length < PREVIEW_BATCH; seen += 1) {
      const takeLow =
        lo >= 0 && (hi >= keyframes.length || center - keyframes[lo] <= keyframes[hi] - center);
      const k = keyframes[takeLow ? lo : hi];
      if (takeLow) lo -= 1;
      else hi += 1;
      if (!store.hasPreview(k)) out.push(k);
    }
    return out;
  }

  /**
   * A reply to a prefetch batch: keep it in the store.
   * @param {FrameReply} msg @param {DataView[]} buffers
   */
  async function onPrefetched(msg, buffers) {
    const batch = /** @type {PrefetchBatch} */ (batches.get(msg.seq));
    // an error without an index refuses the whole batch: nothing more will come
    batch.remaining = msg.type === "error" && msg.index === undefined ? 0 : batch.remaining - 1;
    if (batch.remaining <= 0) batches.delete(msg.seq);
    try {
      if (msg.type !== "frame" || !buffers || !buffers.length || closed) return;
      const blob = new Blob([buffers[0]], { type: "image/jpeg" });
      if (batch.preview) {
        store.putPreview(msg.keyframe_index, blob, cursor());
      } else {
        const generation = store.generation;
        const bitmap = await createImageBitmap(blob);
        if (closed || generation !== store.generation) bitmap.close();
        else store.putExact(msg, bitmap, cursor());
      }
    } catch (err) {
      // a frame that cannot be decoded is simply not kept; the user's request shows why
    } finally {
      if (batch.remaining <= 0 && prefetching === batch) {
        prefetching = null;
        schedulePrefetch();
      }
    }
  }

  /**
   * While playing: paint the newest held frame that is due; drop the ones it overtakes
   * and any not newer than the frame on screen (decodes can finish out of order).
   */
  function showDue() {
    if (!held.length) return;
    const target = playTarget();
    held.sort((a, b) => a.msg.index - b.msg.index);
    let k = -1;
    while (k + 1 < held.length && held[k + 1].msg.index <= target) k += 1;
    let stale = 0;
    while (stale < held.length && held[stale].msg.index <= shownIndex) stale += 1;
    const gone = Math.max(k + 1, stale);
    if (!gone) return;
    const due = k >= stale ? held[k] : null;
    for (let j = 0; j < gone; j += 1) if (held[j] !== due) held[j].bitmap.close();
    held = held.slice(gone);
    settled(gone);
    if (due) paint(due.msg, due.bitmap, due.t);
  }

  /** Open a playback session from the frame after the one shown. */
  function openSession() {
    if (playSession) closeSession();
    seq += 1;
    playSession = seq;
    playOwed = 0;
    creditAt = playFrameAt = performance.now();
    const r = Number(model.get("playback_rate")) || 1;
    playRate = r;
    const first = playI0 + 1;
    const stride = Math.max(1, Math.round(r));
    model.send({ type: "play", seq, first, stride, credit: PLAY_CREDIT });
    if (stats) stats.requests.push({ seq, kind: "play", index: first, at: creditAt });
  }

  /** `count` pushed frames were painted, dropped or skipped: their credit is owed. */
  function settled(/** @type {number} */ count) {
    if (!playSession) return;
    playOwed += count;
    returnCredit(false);
  }

  function closeSession() {
    if (!playSession) return;
    model.send({ type: "stop", seq: playSession });
    playStale.add(playSession);
    playSession = 0;
  }

  /**
   * Give the kernel back the credit of decoded frames: in batches (each message to the
   * kernel costs the browser a status round), or whatever is owed after CREDIT_MS.
   * Tells it too where playback stands, so that it skips ahead when frames come late.
   * @param {boolean} flush send whatever is owed if CREDIT_MS has passed
   */
  function returnCredit(flush) {
    if (!playSession || !playOwed) return;
    const now = performance.now();
    if (playOwed < CREDIT_BATCH && !(flush && now - creditAt >= CREDIT_MS)) return;
    const first = playTarget() + 1 + Math.ceil(1.5 * lateFrames);
    model.send({ type: "credit", seq: playSession, n: playOwed, first });
    if (stats) stats.requests.push({ seq: playSession, kind: "credit", index: first, at: now });
    playOwed = 0;
    creditAt = now;
  }

  /**
   * Tell the kernel which exact frame is on screen (value/time are synced traitlets).
   * While playing at most every PLAY_PUBLISH_MS (each publish is a kernel round trip
   * competing with the frames); stop() publishes the frame playback stopped on.
   */
  function publish(/** @type {FrameReply} */ msg) {
    if (model.get("value") === msg.index) {
      showTimeLocally(msg); // back from where a drag showed it: the kernel's own times
      return;
    }
    const now = performance.now();
    if (playing && now - publishedAt < PLAY_PUBLISH_MS) {
      unpublished = msg;
      showTimeLocally(msg); // a Timeline following this playback moves on
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
    if (index !== current()) stepDir = index > current() ? 1 : -1;
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
    stepDir = s > 0 ? 1 : -1;
    slider.value = String(clampIndex(i + s * fps()));
    noteInput("step", i);
    ask(i, false, "step", s);
    updateReadout();
  }

  function play() {
    if (playing) return;
    if (current() >= n() - 1) go(0, "step"); // at the end: play from the start
    playing = true;
    setIcon(playBtn, "pause");
    playT0 = performance.now();
    playI0 = current();
    lateFrames = 0;
    openSession();
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
      showDue(); // the slider follows the frames painted: no DOM change between them
      returnCredit(true);
      if (performance.now() - playFrameAt > PLAY_STALL_MS) {
        playI0 = Math.max(shownIndex, 0); // frames stopped coming (lost credit, kernel
        playT0 = performance.now(); //       error): go on from the frame on screen
        openSession();
      }
      rafId = requestAnimationFrame(tick);
    };
    rafId = requestAnimationFrame(tick);
  }

  /** The frame that should be on screen now while playing. */
  function playTarget() {
    return playI0 + Math.floor(((performance.now() - playT0) / 1000) * fps() * playRate);
  }

  /**
   * Stop playing. Stopped here (a key, a click, the end): tell the kernel `playing` is
   * false first, then which frame playback stopped on, so that scrubbers playing along
   * with this one (a CatalogBrowser's cameras) stop and then follow it. Stopped by the
   * kernel (`fromKernel`): the kernel leads, so show its frame rather than publish ours.
   * @param {boolean} [fromKernel]
   */
  function stop(fromKernel = false) {
    if (!playing) return;
    playing = false;
    cancelAnimationFrame(rafId);
    closeSession();
    for (const f of held) f.bitmap.close();
    held = [];
    setIcon(playBtn, "play");
    if (fromKernel) {
      unpublished = null;
      const v = Number(model.get("value"));
      if (v !== shownIndex && !dragging) go(v, "kernel");
      return;
    }
    if (shownIndex >= 0 && !dragging) slider.value = String(shownIndex);
    if (model.get("playing")) {
      model.set("playing", false);
      model.save_changes();
    }
    if (unpublished) publish(unpublished);
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
    showTimeLocally(timesOf(i)); // a Timeline following this scrubber moves with the hand
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
    model.set("playback_rate", Number(rate.value)); // onRateModel follows
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
  const onPlaying = () => (model.get("playing") ? play() : stop(true));
  /** The rate changed (here, from the kernel, or from a camera playing along). */
  const onRateModel = () => {
    rate.value = String(model.get("playback_rate"));
    if (playing && Number(model.get("playback_rate")) !== playRate) {
      playI0 = shownIndex; // go on from the frame on screen at the new rate and stride
      playT0 = performance.now();
      openSession();
    }
  };
  const onLabel = () => {
    nameLabel.textContent = String(model.get("label") || "");
  };
  const onShape = () => {
    layout();
    updateReadout();
  };
  const onCacheBudget = () => {
    store.clear();
    store.budget = cacheBudget();
    schedulePrefetch();
  };
  model.on("msg:custom", onMessage);
  model.on("change:value", onValue);
  model.on("change:playing", onPlaying);
  model.on("change:playback_rate", onRateModel);
  model.on("change:in_point", drawInOut);
  model.on("change:out_point", drawInOut);
  model.on("change:num_frames", onShape);
  model.on("change:label", onLabel);
  model.on("change:view_cache_mb", onCacheBudget);

  let resizeTimer = 0;
  let measured = false; // laid out at a real size yet?
  const resizeObserver = new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    if (!measured) {
      measured = stage.clientWidth > 0;
      layout(); // the first real size at once
    } else {
      resizeTimer = window.setTimeout(layout, RESIZE_SETTLE_MS);
    }
  });
  resizeObserver.observe(stage);
  layout();
  onRateModel();
  slider.value = String(model.get("value"));
  updateReadout();
  ask(Number(model.get("value")), false, "open");
  seq += 1;
  model.send({ type: "keyframes", seq }); // for dragging over stored keyframe previews

  return () => {
    closed = true;
    resizeObserver.disconnect();
    clearTimeout(resizeTimer);
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
    model.off("change:view_cache_mb", onCacheBudget);
    clearTimeout(prefetchTimer);
    store.clear();
    root.remove();
  };
}

export default { render };
