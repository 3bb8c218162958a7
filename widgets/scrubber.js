// Front end of workbench.widgets.VideoScrubber: `render` wires the parts in scrubber/.
//
// Frames arrive as JPEG bytes in the binary buffers of custom messages, whose shapes are
// described once, in workbench/widgets/protocol.py. The parts, one job each:
//   scrubber/request_queue.js  frame requests: one in flight, the latest position wins
//   scrubber/frame_store.js    the view's own frames, bounded by bytes
//   scrubber/prefetch.js       filling the store while the user rests; keyframe lookup
//   scrubber/playback.js       the playback session: pushed frames paced by credits
//   scrubber/navigation.js     steps, seeks, transport actions, keys
//   scrubber/dom.js            the elements, icons and readout
// What they do together is told in widgets/README.md.

import { jpegBlob } from "./shared/dom.js";
import { listen } from "./shared/model.js";
import { buildView, drawInOut, setIcon, writeReadout } from "./scrubber/dom.js";
import { FrameStore } from "./scrubber/frame_store.js";
import { actionForKey, Navigator } from "./scrubber/navigation.js";
import { Playback } from "./scrubber/playback.js";
import { Keyframes, Prefetcher, readInt32 } from "./scrubber/prefetch.js";
import { RequestQueue, Sequence } from "./scrubber/request_queue.js";

/** @typedef {import("./scrubber/request_queue.js").FrameReply} FrameReply */
/** @typedef {import("./shared/model.js").Model} Model */

const DRAG_REST_MS = 150;
/** Frames are sent at the shown width rounded up to a multiple of this (pixels): even,
 * for 4:2:0 scaling; otherwise exact, so the browser never resamples a frame (which
 * costs more than decoding it where it composites in software, and blurs it). */
const VIEW_WIDTH_STEP = 2;
/** A resize is acted on once the size has been still for this long (ms). */
const RESIZE_SETTLE_MS = 150;
/** While playing, `value`/`time` are synced to the kernel at most this often (ms). */
const PLAY_PUBLISH_MS = 250;

/**
 * Paint-time statistics, collected only when debugging is switched on (the `debug`
 * traitlet, or `window.__workbench_debug = true` before the widget renders).
 * Kept in `window.__workbench_stats` for benchmarks and browser tests.
 * @param {Model} model
 */
function statsSink(model) {
  const g = /** @type {any} */ (globalThis);
  const on = Boolean(model.get("debug")) || Boolean(g.__workbench_debug);
  if (!on) return null;
  g.__workbench_stats = g.__workbench_stats || {
    paints: [], inputs: [], latencies: [], requests: [], replies: [],
  };
  return g.__workbench_stats;
}

/** @param {{model: Model, el: HTMLElement}} ctx */
function render({ model, el }) {
  const stats = statsSink(model);
  // numbers each view's debug statistics (on the page: each widget imports its own
  // copy of this module)
  const g = /** @type {any} */ (globalThis);
  const viewId = (g.__workbench_views = (g.__workbench_views || 0) + 1);
  const parts = buildView(el, String(model.get("label") || ""));
  const { root, stage, canvas, ctx, badge, slider, playBtn, rate, jump } = parts;

  // ---- what is on screen ----------------------------------------------------------
  let shownIndex = -1;
  let shownExact = false;
  let shownTime = NaN;
  let shownTimestamp = NaN;
  let paintSeq = 0; // seq of the frame painted last: older replies are not painted
  let publishedAt = 0;
  /** @type {FrameReply | null} the frame on screen not yet published (playing) */
  let unpublished = null;
  let dragging = false;
  let restTimer = 0;
  let closed = false;
  /** @type {{kind: string, t: number, index: number}[]} pending inputs (debug only) */
  let pendingInputs = [];

  const n = () => Math.max(1, Number(model.get("num_frames")) || 1);
  const fps = () => Number(model.get("fps")) || 30;
  const cacheBudget = () => Math.max(0, Number(model.get("view_cache_mb")) || 0) * 2 ** 20;
  const clampIndex = (/** @type {number} */ i) => Math.min(n() - 1, Math.max(0, Math.round(i)));

  // ---- the parts --------------------------------------------------------------------
  const seqs = new Sequence();
  const store = new FrameStore(cacheBudget());
  const keyframes = new Keyframes();
  const queue = new RequestQueue({
    seqs,
    send(message) {
      model.send(message);
      const sent = /** @type {import("./scrubber/request_queue.js").InFlight} */ (queue.inflight);
      if (stats) stats.requests.push({ seq: sent.seq, kind: "user", index: sent.index, at: sent.sentAt });
    },
    shows: (want) => !want.offset && want.index === shownIndex && (shownExact || want.preview),
    landing: (want) => clampIndex(want.index + want.offset * fps()),
    idle: () => prefetcher.schedule(),
  });
  const prefetcher = new Prefetcher({
    store,
    keyframes,
    seqs,
    send(message) {
      model.send(message);
      if (stats) {
        stats.requests.push({ seq: message.seq, kind: "prefetch", indices: message.indices, at: performance.now() });
      }
    },
    view: () => ({
      shown: shownIndex,
      cursor: cursor(),
      frames: n(),
      frameBytes: canvas.width * canvas.height * 4,
      dragging,
      blocked: closed || playback.playing || queue.busy(),
    }),
  });
  const playback = new Playback({
    seqs,
    send(message) {
      model.send(message);
      if (stats && message.type !== "stop") {
        stats.requests.push({ seq: message.seq, kind: message.type, index: message.first, at: performance.now() });
      }
    },
    rate: () => Number(model.get("playback_rate")) || 1,
    fps,
    shown: () => shownIndex,
    paint: (msg, bitmap, t) => paint(msg, bitmap, t),
    tick: onTick,
  });
  const nav = new Navigator({
    frames: n,
    fps,
    shown: () => shownIndex,
    target: () => queue.target(),
    playing: () => playback.playing,
    play,
    stop: () => stop(),
    ask,
    moved({ slider: at, direction, kind, index }) {
      if (direction) prefetcher.direction = direction;
      slider.value = String(at);
      noteInput(kind, index);
    },
    asked: updateReadout,
    mark,
  });

  /** Where the store should be centred: the frame shown (or being asked for). */
  function cursor() {
    return queue.want ? queue.want.index : shownIndex < 0 ? 0 : shownIndex;
  }

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
    showInOut();
  }

  function showInOut() {
    drawInOut(parts, Number(model.get("in_point")), Number(model.get("out_point")), n() - 1);
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
    const t = dragging ? timesOf(i) : { time: shownTime, timestamp: shownTimestamp };
    const t0 = Number(model.get("start_seconds")) || 0;
    writeReadout(parts, i, n() - 1, t, t0, Number(model.get("duration_seconds")));
  }

  // ---- asking for frames ----------------------------------------------------------
  /**
   * Show frame `index`: from the store when it holds it (or, while dragging, its
   * keyframe's preview), else through the request queue.
   * @param {number} index @param {boolean} preview @param {string} hint
   * @param {number} [offset] seconds to step from `index` (resolved by the kernel)
   */
  function ask(index, preview, hint, offset = 0) {
    index = clampIndex(index);
    if (!offset && (paintStored(index) || (preview && paintPreview(index)))) {
      queue.forget(); // shown from the view's own store: nothing to ask the kernel
      prefetcher.schedule();
      return;
    }
    queue.ask({ index, preview, hint, offset });
  }

  /** Paint frame `index` from the store; false when the store does not have it.
   * @param {number} index */
  function paintStored(index) {
    const hit = store.exact.get(index);
    if (!hit) return false;
    const now = performance.now();
    paint({ ...hit.msg, seq: seqs.next() }, hit.bitmap, { sentAt: now, recvAt: NaN, decodedAt: now }, true);
    return true;
  }

  /**
   * While dragging: paint the keyframe preview of `index` from the store (decoding its
   * JPEG if needed); false when the store has no picture of that keyframe.
   * @param {number} index
   */
  function paintPreview(index) {
    const k = keyframes.of(index);
    if (k < 0 || !store.hasPreview(k)) return false;
    const mySeq = seqs.next();
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

  // ---- replies from the kernel ----------------------------------------------------
  /** @param {FrameReply} msg @param {DataView[]} buffers */
  async function onMessage(msg, buffers) {
    if (!msg) return;
    if (msg.type === "keyframes") {
      keyframes.indices = readInt32(buffers && buffers[0], Number(msg.count) || 0);
      prefetcher.schedule();
      return;
    }
    if ((msg.type !== "frame" && msg.type !== "error") || !seqs.mine(msg.seq)) return;
    if (stats) stats.replies.push({ seq: msg.seq, index: msg.index, at: performance.now() });
    if (prefetcher.owns(msg.seq)) {
      await prefetcher.onReply(msg, buffers);
      return;
    }
    const recvAt = performance.now();
    if (playback.stale.has(msg.seq)) return; // stopped or replaced: keep what is shown
    if (playback.owns(msg.seq)) {
      await playback.onFrame(msg, buffers, recvAt);
      return;
    }
    if (msg.type === "error") {
      badge.textContent = msg.message || "error";
      badge.classList.add("wb-error");
      queue.answered(msg.seq);
      return;
    }
    const mySeq = msg.seq;
    // frees the request slot and asks for the next wanted position while this one is
    // decoded and painted
    const sentAt = queue.answered(msg.seq);
    if (!buffers || !buffers.length) return;
    let bitmap;
    try {
      bitmap = await createImageBitmap(jpegBlob(buffers[0]));
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
    if (!dragging && !playback.playing && !shownExact) ask(shownIndex, false, "settle");
  }

  /**
   * Tell the kernel which exact frame is on screen (value/time are synced traitlets).
   * While playing at most every PLAY_PUBLISH_MS (each publish is a kernel round trip
   * competing with the frames); stop() publishes the frame playback stopped on.
   * @param {FrameReply} msg
   */
  function publish(msg) {
    if (model.get("value") === msg.index) {
      showTimeLocally(msg); // back from where a drag showed it: the kernel's own times
      return;
    }
    const now = performance.now();
    if (playback.playing && now - publishedAt < PLAY_PUBLISH_MS) {
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

  // ---- playing --------------------------------------------------------------------
  function play() {
    if (playback.playing) return;
    if (nav.current() >= n() - 1) nav.go(0, "step"); // at the end: play from the start
    setIcon(playBtn, "pause");
    playback.start(nav.current());
    if (!model.get("playing")) {
      model.set("playing", true);
      model.save_changes();
    }
  }

  /** Once per animation frame while playing. */
  function onTick() {
    if (closed) return;
    if (playback.target() >= n() - 1) {
      ask(n() - 1, false, "play");
      stop();
      return;
    }
    playback.showDue(); // the slider follows the frames painted: no DOM change between them
    playback.returnCredit(true);
    // frames stopped coming (lost credit, kernel error): go on from the frame on screen
    if (playback.stalled()) playback.restart(Math.max(shownIndex, 0));
  }

  /**
   * Stop playing. Stopped here (a key, a click, the end): tell the kernel `playing` is
   * false first, then which frame playback stopped on, so that scrubbers playing along
   * with this one (a CatalogBrowser's cameras) stop and then follow it. Stopped by the
   * kernel (`fromKernel`): the kernel leads, so show its frame rather than publish ours.
   * @param {boolean} [fromKernel]
   */
  function stop(fromKernel = false) {
    if (!playback.playing) return;
    playback.halt();
    setIcon(playBtn, "play");
    if (fromKernel) {
      unpublished = null;
      const v = Number(model.get("value"));
      if (v !== shownIndex && !dragging) nav.go(v, "kernel");
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
    showInOut();
  }

  // ---- events -----------------------------------------------------------------------
  const onClick = (/** @type {MouseEvent} */ e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    const a = t && t.closest && t.closest("[data-act]");
    if (a) nav.act(String(a.getAttribute("data-act")));
  };
  const onInput = () => {
    if (playback.playing) stop();
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
    // the root stops its propagation: JupyterLab's shortcuts stay away (shared/dom.js)
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
    const a = actionForKey(e);
    if (a) {
      e.preventDefault();
      nav.act(a);
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
    if (!dragging && !playback.playing && v !== shownIndex) nav.go(v, "kernel");
  };
  const onPlaying = () => (model.get("playing") ? play() : stop(true));
  /** The rate changed (here, from the kernel, or from a camera playing along). */
  const onRateModel = () => {
    rate.value = String(model.get("playback_rate"));
    if (playback.playing && Number(model.get("playback_rate")) !== playback.sessionRate) {
      playback.restart(shownIndex); // go on from the frame on screen at the new rate and stride
    }
  };
  const onLabel = () => {
    parts.labels.name.textContent = String(model.get("label") || "");
  };
  const onShape = () => {
    layout();
    updateReadout();
  };
  const onCacheBudget = () => {
    store.clear();
    store.budget = cacheBudget();
    prefetcher.schedule();
  };
  const stopListening = listen(model, {
    "msg:custom": onMessage,
    "change:value": onValue,
    "change:playing": onPlaying,
    "change:playback_rate": onRateModel,
    "change:in_point": showInOut,
    "change:out_point": showInOut,
    "change:num_frames": onShape,
    "change:label": onLabel,
    "change:view_cache_mb": onCacheBudget,
  });

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
  model.send({ type: "keyframes", seq: seqs.next() }); // for dragging over stored previews

  return () => {
    closed = true;
    resizeObserver.disconnect();
    clearTimeout(resizeTimer);
    stop();
    queue.close();
    clearTimeout(restTimer);
    stopListening();
    prefetcher.close();
    store.clear();
    root.remove();
  };
}

export default { render };
