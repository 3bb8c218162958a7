// What the scrubber shows: the frame painted on the canvas, the readout, and what the
// kernel has been told of it (the synced `value`/`time`/`timestamp`); with the debug
// statistics of paints and input-to-paint latencies.

import { writeReadout } from "./dom.js";

/** @typedef {import("./request_queue.js").FrameReply} FrameReply */
/** @typedef {import("./frame_store.js").FrameStore} FrameStore */
/** @typedef {import("./dom.js").ViewParts} ViewParts */
/** @typedef {import("../shared/model.js").Model} Model */
/**
 * Debug statistics, kept in `window.__workbench_stats`.
 * @typedef {{
 *   paints: any[], inputs: any[], latencies: any[], requests: any[], replies: any[]
 * }} Stats
 */

/** While playing, `value`/`time` are synced to the kernel at most this often (ms). */
export const PLAY_PUBLISH_MS = 250;

/**
 * Paint-time statistics, collected only when debugging is switched on (the `debug`
 * traitlet, or `window.__workbench_debug = true` before the widget renders).
 * Kept in `window.__workbench_stats` for benchmarks and browser tests.
 * @param {Model} model
 * @returns {Stats | null}
 */
export function statsSink(model) {
  const g = /** @type {any} */ (globalThis);
  const on = Boolean(model.get("debug")) || Boolean(g.__workbench_debug);
  if (!on) return null;
  g.__workbench_stats = g.__workbench_stats || {
    paints: [], inputs: [], latencies: [], requests: [], replies: [],
  };
  return g.__workbench_stats;
}

/** The frame on screen and what the kernel knows of it. */
export class Screen {
  /**
   * @param {{
   *   model: Model,
   *   parts: ViewParts,
   *   store: FrameStore,
   *   stats: Stats | null,
   *   fps: () => number,
   *   frames: () => number,
   *   dragging: () => boolean,
   *   playing: () => boolean,
   *   settle: (index: number) => void,
   * }} deps `settle(index)` asks for the exact frame when a preview was painted at rest.
   */
  constructor(deps) {
    this.deps = deps;
    this.index = -1; // the frame shown (-1: none yet)
    this.exact = false;
    this.time = NaN;
    this.timestamp = NaN;
    this.paintSeq = 0; // seq of the frame painted last: older replies are not painted
    this.publishedAt = 0;
    /** @type {FrameReply | null} the frame on screen not yet published (playing) */
    this.unpublished = null;
    /** @type {{kind: string, t: number, index: number}[]} inputs not painted yet (debug) */
    this.pendingInputs = [];
    // numbers each view's debug statistics (on the page: each widget imports its own
    // copy of this module)
    const g = /** @type {any} */ (globalThis);
    this.viewId = g.__workbench_views = (g.__workbench_views || 0) + 1;
  }

  /**
   * Draw a decoded frame and record what is on screen. An exact frame's bitmap goes to
   * the store afterwards (which closes it when it does not fit); others are closed.
   * @param {FrameReply} msg @param {ImageBitmap} bitmap @param {Record<string, number>} t
   * @param {boolean} [borrowed] the bitmap belongs to the store: neither keep nor close
   */
  paint(msg, bitmap, t, borrowed = false) {
    const { parts, store, stats } = this.deps;
    const { canvas, ctx, badge, slider } = parts;
    const { sentAt, recvAt, decodedAt } = t;
    this.paintSeq = msg.seq;
    if (ctx) ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    if (!borrowed) {
      if (msg.exact && store.budget) store.putExact(msg, bitmap, msg.index);
      else bitmap.close();
    }
    this.index = msg.index;
    this.exact = Boolean(msg.exact);
    this.time = msg.time;
    this.timestamp = msg.timestamp;
    canvas.dataset.index = String(msg.index);
    canvas.dataset.exact = String(this.exact);
    badge.textContent = this.exact ? "" : `preview (keyframe ${msg.keyframe_index})`;
    badge.classList.remove("wb-error");
    const dragging = this.deps.dragging();
    if (!dragging) {
      slider.value = String(msg.index);
      if (this.exact) this.publish(msg);
    }
    this.updateReadout();
    const drawnAt = performance.now();
    if (stats) {
      requestAnimationFrame(() => {
        const paintedAt = performance.now();
        stats.paints.push({
          at: paintedAt, index: msg.index, exact: this.exact, sentAt, recvAt, decodedAt, drawnAt,
          fromStore: borrowed, view: this.viewId,
        });
        if (Number.isFinite(sentAt)) {
          const served = this.pendingInputs.filter((p) => p.t <= sentAt);
          this.pendingInputs = this.pendingInputs.filter((p) => p.t > sentAt);
          for (const p of served) stats.latencies.push({ kind: p.kind, ms: paintedAt - p.t });
        }
      });
    }
    if (!dragging && !this.deps.playing() && !this.exact) this.deps.settle(this.index);
  }

  /**
   * Tell the kernel which exact frame is on screen (value/time are synced traitlets).
   * While playing at most every PLAY_PUBLISH_MS (each publish is a kernel round trip
   * competing with the frames); `publishHeld` publishes the frame playback stopped on.
   * @param {FrameReply} msg
   */
  publish(msg) {
    const model = this.deps.model;
    if (model.get("value") === msg.index) {
      this.showTimeLocally(msg); // back from where a drag showed it: the kernel's own times
      return;
    }
    const now = performance.now();
    if (this.deps.playing() && now - this.publishedAt < PLAY_PUBLISH_MS) {
      this.unpublished = msg;
      this.showTimeLocally(msg); // a Timeline following this playback moves on
      return;
    }
    this.publishedAt = now;
    this.unpublished = null;
    model.set("value", msg.index);
    model.set("time", msg.time);
    model.set("timestamp", msg.timestamp);
    model.save_changes();
  }

  /** Publish the frame on screen if the kernel has not heard of it yet. */
  publishHeld() {
    if (this.unpublished) this.publish(this.unpublished);
  }

  /**
   * Set `time`/`timestamp` in the browser only (no message to the kernel), so that a
   * Timeline following this scrubber moves with a playback or a drag; the kernel hears
   * of the frame when it is published.
   * @param {{time: number, timestamp: number}} t
   */
  showTimeLocally(t) {
    this.deps.model.set("time", t.time);
    this.deps.model.set("timestamp", t.timestamp);
  }

  /**
   * Time and timestamp of frame `i`: exact when the view holds that frame, else from
   * the frame rate (what a drag shows until the kernel answers).
   * @param {number} i
   */
  timesOf(i) {
    const { model, store, fps } = this.deps;
    const hit = store.exact.get(i);
    if (hit) return { time: hit.msg.time, timestamp: hit.msg.timestamp };
    const time = (Number(model.get("start_seconds")) || 0) + i / fps();
    return { time, timestamp: Number(model.get("start_timestamp")) + time };
  }

  /** Write the readout: the slider's frame while dragging, else the frame shown. */
  updateReadout() {
    const { model, parts } = this.deps;
    const dragging = this.deps.dragging();
    const i = dragging ? Number(parts.slider.value) : this.index;
    const t = dragging ? this.timesOf(i) : { time: this.time, timestamp: this.timestamp };
    const t0 = Number(model.get("start_seconds")) || 0;
    writeReadout(parts, i, this.deps.frames() - 1, t, t0, Number(model.get("duration_seconds")));
  }

  /** Record an input for the latency statistics (debug only).
   * @param {string} kind @param {number} index */
  noteInput(kind, index) {
    const stats = this.deps.stats;
    if (stats) {
      const t = performance.now();
      stats.inputs.push({ kind, t, index });
      this.pendingInputs.push({ kind, t, index });
    }
  }
}
