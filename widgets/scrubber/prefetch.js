// Filling the view's frame store while the user rests: decoded frames around the cursor
// (the way the user last moved first), then keyframe previews nearest the cursor; one
// `prefetch` batch in flight, only while nothing the user asked for is outstanding.

import { jpegBlob } from "../shared/dom.js";
import { KEEP_AHEAD, KEEP_BEHIND } from "./frame_store.js";
import { REQUEST_TIMEOUT_MS } from "./request_queue.js";

/** @typedef {import("./frame_store.js").FrameStore} FrameStore */
/** @typedef {import("./request_queue.js").FrameReply} FrameReply */
/** @typedef {import("./request_queue.js").Sequence} Sequence */
/** @typedef {{seq: number, remaining: number, preview: boolean}} PrefetchBatch */

/** Frames per prefetch batch: exact frames, keyframe previews. */
export const EXACT_BATCH = 4;
export const PREVIEW_BATCH = 16;

/**
 * Read `count` little-endian int32 from a message buffer.
 * @param {DataView | undefined} view @param {number} count
 */
export function readInt32(view, count) {
  const out = new Int32Array(view ? Math.min(count, Math.floor(view.byteLength / 4)) : 0);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = /** @type {DataView} */ (view).getInt32(4 * i, true);
  }
  return out;
}

/** The video's keyframe indices (asked for once, at render), ascending. */
export class Keyframes {
  constructor() {
    /** @type {Int32Array | null} null until the kernel's answer arrives */
    this.indices = null;
  }

  /** Position of the keyframe that starts the group of `index` (-1: not known yet).
   * @param {number} index */
  pos(index) {
    const keyframes = this.indices;
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

  /** The keyframe that starts the group of `index`, or -1 when not known yet.
   * @param {number} index */
  of(index) {
    const pos = this.pos(index);
    return pos < 0 ? -1 : /** @type {Int32Array} */ (this.indices)[pos];
  }
}

/** Asks the kernel for batches of frames the store lacks and keeps the replies. */
export class Prefetcher {
  /**
   * @param {{
   *   store: FrameStore,
   *   keyframes: Keyframes,
   *   seqs: Sequence,
   *   send: (message: Record<string, any>) => void,
   *   view: () => {shown: number, cursor: number, frames: number, frameBytes: number,
   *                 dragging: boolean, blocked: boolean},
   * }} deps `view()` says where the view stands: the frame shown (-1: none yet), where
   *   the store should be centred, the video's frame count, the bytes of a decoded frame,
   *   whether the slider is dragged, and whether prefetching must wait (closed, playing,
   *   or a request of the user outstanding).
   */
  constructor(deps) {
    this.deps = deps;
    this.store = deps.store;
    this.keyframes = deps.keyframes;
    /** @type {Map<number, PrefetchBatch>} batches not fully answered */
    this.batches = new Map();
    /** @type {PrefetchBatch | null} the batch in flight (one at a time) */
    this.inflight = null;
    this.timer = 0;
    this.closed = false;
    /** the direction the user last moved in: prefetch that way first */
    this.direction = 1;
  }

  /** Prefetch soon: after the current paint and its frame callback, not in the middle. */
  schedule() {
    if (this.closed || this.timer || this.inflight || !this.store.budget) return;
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.pump();
    }, 0);
  }

  /** Ask for one batch of frames the store lacks, if the view lets it. */
  pump() {
    const view = this.deps.view();
    if (this.closed || this.inflight || view.blocked || view.shown < 0) return;
    let preview = false;
    let indices = view.dragging ? [] : this.exactWanted(view.shown, view);
    if (!indices.length) {
      preview = true;
      indices = this.previewsWanted(view.shown);
    }
    if (!indices.length) return;
    const seq = this.deps.seqs.next();
    const batch = { seq, remaining: indices.length, preview };
    this.inflight = batch;
    this.batches.set(seq, batch);
    this.deps.send({ type: "prefetch", seq, indices, preview });
    setTimeout(() => {
      if (this.inflight !== batch) return;
      this.inflight = null; // the kernel is busy or gone: its late replies are still kept
      this.schedule();
    }, REQUEST_TIMEOUT_MS);
  }

  /** True when `seq` is a prefetch batch still being answered. @param {number} seq */
  owns(seq) {
    return this.batches.has(seq);
  }

  /**
   * Exact frames near `center` the store lacks, nearest first (ahead counts double).
   * @param {number} center @param {{frames: number, frameBytes: number}} view
   */
  exactWanted(center, view) {
    const cap = this.store.exactCapacity(view.frameBytes);
    const ahead = Math.min(KEEP_AHEAD, Math.floor((cap - 1) * 0.65));
    const behind = Math.min(KEEP_BEHIND, cap - 1 - ahead);
    /** @type {[number, number][]} [cost, index] */
    const candidates = [];
    for (let k = 1; k <= ahead; k += 1) candidates.push([k, center + this.direction * k]);
    for (let k = 1; k <= behind; k += 1) candidates.push([2 * k, center - this.direction * k]);
    candidates.sort((a, b) => a[0] - b[0]);
    const out = [];
    for (const [, i] of candidates) {
      if (i < 0 || i >= view.frames || this.store.exact.has(i) || out.length >= EXACT_BATCH) {
        continue;
      }
      out.push(i);
    }
    return out;
  }

  /**
   * Keyframes whose preview the store lacks, among the ones nearest `center` that its
   * preview budget holds, nearest first.
   * @param {number} center
   */
  previewsWanted(center) {
    const keyframes = this.keyframes.indices;
    if (!keyframes || !keyframes.length) return [];
    const budget = Math.min(keyframes.length, this.store.previewCapacity());
    const out = [];
    let lo = this.keyframes.pos(center);
    let hi = lo + 1;
    for (let seen = 0; seen < budget && out.length < PREVIEW_BATCH; seen += 1) {
      const takeLow =
        lo >= 0 && (hi >= keyframes.length || center - keyframes[lo] <= keyframes[hi] - center);
      const k = keyframes[takeLow ? lo : hi];
      if (takeLow) lo -= 1;
      else hi += 1;
      if (!this.store.hasPreview(k)) out.push(k);
    }
    return out;
  }

  /**
   * A reply to a prefetch batch: keep it in the store.
   * @param {FrameReply} msg @param {DataView[]} buffers
   */
  async onReply(msg, buffers) {
    const batch = /** @type {PrefetchBatch} */ (this.batches.get(msg.seq));
    // an error without an index refuses the whole batch: nothing more will come
    batch.remaining = msg.type === "error" && msg.index === undefined ? 0 : batch.remaining - 1;
    if (batch.remaining <= 0) this.batches.delete(msg.seq);
    const store = this.store;
    try {
      if (msg.type !== "frame" || !buffers || !buffers.length || this.closed) return;
      const blob = jpegBlob(buffers[0]);
      if (batch.preview) {
        store.putPreview(msg.keyframe_index, blob, this.deps.view().cursor);
      } else {
        const generation = store.generation;
        const bitmap = await createImageBitmap(blob);
        if (this.closed || generation !== store.generation) bitmap.close();
        else store.putExact(msg, bitmap, this.deps.view().cursor);
      }
    } catch (err) {
      // a frame that cannot be decoded is simply not kept; the user's request shows why
    } finally {
      if (batch.remaining <= 0 && this.inflight === batch) {
        this.inflight = null;
        this.schedule();
      }
    }
  }

  /** Stop: no more batches, no timer left. */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
