// Front end of workbench.widgets.VideoScrubber: `render` wires the parts in scrubber/.
//
// Frames arrive as JPEG bytes in the binary buffers of custom messages, whose shapes are
// described once, in workbench/widgets/protocol.py. The parts, one job each:
//   scrubber/request_queue.js  frame requests: one in flight, the latest position wins
//   scrubber/frame_store.js    the view's own frames, bounded by bytes
//   scrubber/prefetch.js       filling the store while the user rests; keyframe lookup
//   scrubber/playback.js       the playback session: pushed frames paced by credits
//   scrubber/navigation.js     steps, seeks, transport actions, keys
//   scrubber/screen.js         the frame shown, the readout, what the kernel is told
//   scrubber/dom.js            the elements, icons and readout
// What they do together is told in widgets/README.md.

import { jpegBlob } from "./shared/dom.js";
import { listen } from "./shared/model.js";
import { buildView, drawInOut, setIcon } from "./scrubber/dom.js";
import { FrameStore } from "./scrubber/frame_store.js";
import { actionForKey, clampIndex, Navigator } from "./scrubber/navigation.js";
import { Playback } from "./scrubber/playback.js";
import { Keyframes, Prefetcher, readInt32 } from "./scrubber/prefetch.js";
import { RequestQueue, Sequence } from "./scrubber/request_queue.js";
import { Screen, statsSink } from "./scrubber/screen.js";

/** @typedef {import("./scrubber/request_queue.js").FrameReply} FrameReply */
/** @typedef {import("./scrubber/request_queue.js").InFlight} InFlight */
/** @typedef {import("./shared/model.js").Model} Model */

const DRAG_REST_MS = 150;
/** Frames are sent at the shown width rounded up to a multiple of this (pixels): even,
 * for 4:2:0 scaling; otherwise exact, so the browser never resamples a frame (which
 * costs more than decoding it where it composites in software, and blurs it). */
const VIEW_WIDTH_STEP = 2;
/** A resize is acted on once the size has been still for this long (ms). */
const RESIZE_SETTLE_MS = 150;
/** @param {{model: Model, el: HTMLElement}} ctx */
function render({ model, el }) {
  const stats = statsSink(model);
  const parts = buildView(el, String(model.get("label") || ""));
  const { root, stage, canvas, badge, slider, playBtn, rate, jump } = parts;
  let dragging = false;
  let restTimer = 0;
  let closed = false;

  const n = () => Math.max(1, Number(model.get("num_frames")) || 1);
  const fps = () => Number(model.get("fps")) || 30;
  const cacheBudget = () => Math.max(0, Number(model.get("view_cache_mb")) || 0) * 2 ** 20;
  const clamp = (/** @type {number} */ i) => clampIndex(i, n());

  // ---- the parts --------------------------------------------------------------------
  const seqs = new Sequence();
  const store = new FrameStore(cacheBudget());
  const keyframes = new Keyframes();
  /** @type {Screen} */
  const screen = new Screen({
    model,
    parts,
    store,
    stats,
    fps,
    frames: n,
    dragging: () => dragging,
    playing: () => playback.playing,
    settle: (index) => ask(index, false, "settle"),
  });
  const queue = new RequestQueue({
    seqs,
    send(message) {
      model.send(message);
      const sent = /** @type {InFlight} */ (queue.inflight);
      if (stats) {
        stats.requests.push({ seq: sent.seq, kind: "user", index: sent.index, at: sent.sentAt });
      }
    },
    shows: (want) => !want.offset && want.index === screen.index && (screen.exact || want.preview),
    landing: (want) => clamp(want.index + want.offset * fps()),
    idle: () => prefetcher.schedule(),
  });
  const prefetcher = new Prefetcher({
    store,
    keyframes,
    seqs,
    send(message) {
      model.send(message);
      if (stats) {
        const { seq, indices } = message;
        stats.requests.push({ seq, kind: "prefetch", indices, at: performance.now() });
      }
    },
    view: () => ({
      shown: screen.index,
      cursor: cursor(),
      frames: n(),
      frameBytes: canvas.width * canvas.height * 4,
      dragging,
      blocked: closed || playback.playing || queue.busy(),
    }),
  });
  /** @type {Playback} */
  const playback = new Playback({
    seqs,
    send(message) {
      model.send(message);
      if (stats && message.type !== "stop") {
        const { seq, type, first } = message;
        stats.requests.push({ seq, kind: type, index: first, at: performance.now() });
      }
    },
    rate: () => Number(model.get("playback_rate")) || 1,
    fps,
    shown: () => screen.index,
    paint: (msg, bitmap, t) => screen.paint(msg, bitmap, t),
    tick: onTick,
  });
  const nav = new Navigator({
    frames: n,
    fps,
    shown: () => screen.index,
    target: () => queue.target(),
    playing: () => playback.playing,
    play,
    stop: () => stop(),
    ask,
    moved({ slider: at, direction, kind, index }) {
      if (direction) prefetcher.direction = direction;
      slider.value = String(at);
      screen.noteInput(kind, index);
    },
    asked: () => screen.updateReadout(),
    mark,
  });

  /** Where the store should be centred: the frame shown (or being asked for). */
  function cursor() {
    return queue.want ? queue.want.index : screen.index < 0 ? 0 : screen.index;
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
      screen.exact = false; // repaint at the new size
      if (screen.index >= 0) ask(screen.index, false, "settle");
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

  // ---- asking for frames ----------------------------------------------------------
  /**
   * Show frame `index`: from the store when it holds it (or, while dragging, its
   * keyframe's preview), else through the request queue.
   * @param {number} index @param {boolean} preview @param {string} hint
   * @param {number} [offset] seconds to step from `index` (resolved by the kernel)
   */
  function ask(index, preview, hint, offset = 0) {
    index = clamp(index);
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
    const msg = { ...hit.msg, seq: seqs.next() };
    screen.paint(msg, hit.bitmap, { sentAt: now, recvAt: NaN, decodedAt: now }, true);
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
      type: "frame", index, seq: mySeq, exact: false, keyframe_index: k, ...screen.timesOf(index),
    };
    const draw = (/** @type {ImageBitmap | null} */ bitmap) => {
      if (!bitmap || !bitmap.width || closed || mySeq < screen.paintSeq) return;
      screen.paint(msg, bitmap, { sentAt, recvAt: NaN, decodedAt: performance.now() }, true);
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
    if (closed || mySeq < screen.paintSeq) {
      // overtaken by a newer frame; an exact one is still worth keeping nearby
      if (!closed && msg.exact && store.budget) store.putExact(msg, bitmap, cursor());
      else bitmap.close();
      return;
    }
    screen.paint(msg, bitmap, { sentAt, recvAt, decodedAt });
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
    if (playback.stalled()) playback.restart(Math.max(screen.index, 0));
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
      screen.unpublished = null;
      const v = Number(model.get("value"));
      if (v !== screen.index && !dragging) nav.go(v, "kernel");
      return;
    }
    if (screen.index >= 0 && !dragging) slider.value = String(screen.index);
    if (model.get("playing")) {
      model.set("playing", false);
      model.save_changes();
    }
    screen.publishHeld();
  }

  /** @param {"in" | "out"} which */
  function mark(which) {
    const i = screen.index < 0 ? 0 : screen.index;
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
    screen.noteInput("drag", i);
    ask(i, true, "drag");
    screen.showTimeLocally(screen.timesOf(i)); // a Timeline following it moves with the hand
    screen.updateReadout();
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
    if (!dragging && !playback.playing && v !== screen.index) nav.go(v, "kernel");
  };
  const onPlaying = () => (model.get("playing") ? play() : stop(true));
  /** The rate changed (here, from the kernel, or from a camera playing along). */
  const onRateModel = () => {
    rate.value = String(model.get("playback_rate"));
    if (playback.playing && Number(model.get("playback_rate")) !== playback.sessionRate) {
      playback.restart(screen.index); // go on from the frame on screen at the new rate and stride
    }
  };
  const onLabel = () => {
    parts.labels.name.textContent = String(model.get("label") || "");
  };
  const onShape = () => {
    layout();
    screen.updateReadout();
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
  screen.updateReadout();
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
