// The view's own frame store: decoded exact frames around the cursor and keyframe
// preview JPEGs, bounded by bytes (widgets/README.md, "The view's frame store").

/** @typedef {import("./request_queue.js").FrameReply} FrameReply */

/** Share of the view cache budget given to keyframe preview JPEGs. */
export const PREVIEW_SHARE = 0.25;
/** Most decoded frames the view keeps ahead of / behind the cursor. */
export const KEEP_AHEAD = 12;
export const KEEP_BEHIND = 6;
/** Decoded keyframe previews kept for dragging (least recently used dropped). */
export const DECODED_PREVIEWS = 8;
/** Assumed size of a preview JPEG before any has arrived (bytes). */
export const PREVIEW_GUESS_BYTES = 40_000;

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
export class FrameStore {
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
          const [oldest, old] = /** @type {[number, ImageBitmap]} */ (
            this.decoded.entries().next().value
          );
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
export function farthest(keys, cursor) {
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
