// The playback session: the kernel pushes frames as long as it has credit, the view
// decodes them, holds each until its presentation time, and returns credit in batches
// once frames are painted or dropped (see workbench/widgets/playback.py for why).

import { jpegBlob } from "../shared/dom.js";

/** @typedef {import("./request_queue.js").FrameReply} FrameReply */
/** @typedef {import("./request_queue.js").Sequence} Sequence */
/** @typedef {{msg: FrameReply, bitmap: ImageBitmap, t: Record<string, number>}} HeldFrame */

/** Frames the kernel may push ahead of the view's decoding. */
export const PLAY_CREDIT = 6;
/** Credit goes back in batches of this many frames, or after CREDIT_MS. */
export const CREDIT_BATCH = 3;
export const CREDIT_MS = 120;
/** A session that delivers nothing for this long is opened again (ms). */
export const PLAY_STALL_MS = 2000;

/** One playback: its sessions with the kernel, its clock and the frames held for it. */
export class Playback {
  /**
   * @param {{
   *   seqs: Sequence,
   *   send: (message: Record<string, any>) => void,
   *   rate: () => number,
   *   fps: () => number,
   *   shown: () => number,
   *   paint: (msg: FrameReply, bitmap: ImageBitmap, t: Record<string, number>) => void,
   *   tick: () => void,
   * }} deps `rate()` is the playback rate asked for, `shown()` the frame on screen, `paint`
   *   draws a due frame, `tick()` runs once per animation frame while playing.
   */
  constructor(deps) {
    this.deps = deps;
    this.playing = false;
    this.session = 0; // seq of the open playback session (0: none)
    this.sessionRate = 1; // the playback rate the session was opened at
    /** @type {Set<number>} sessions closed: their late frames are ignored */
    this.stale = new Set();
    this.owed = 0; // frames decoded (or skipped) whose credit is not returned yet
    this.creditAt = 0; // when credit was last returned
    this.frameAt = 0; // when the session last delivered a frame
    this.lateFrames = 0; // how late frames are decoded, in frames (moving average)
    /** @type {HeldFrame[]} decoded frames waiting for their presentation time */
    this.held = [];
    this.t0 = 0; // when playback (re)started, and from which frame
    this.i0 = 0;
    this.raf = 0;
  }

  /** Start playing after frame `from` (the frame on screen). @param {number} from */
  start(from) {
    this.playing = true;
    this.t0 = performance.now();
    this.i0 = from;
    this.lateFrames = 0;
    this.open();
    const loop = () => {
      if (!this.playing) return;
      this.deps.tick();
      if (this.playing) this.raf = requestAnimationFrame(loop);
    };
    this.raf = requestAnimationFrame(loop);
  }

  /** Go on from frame `from` now, in a new session (a new rate, or frames stopped
   * coming). @param {number} from */
  restart(from) {
    this.i0 = from;
    this.t0 = performance.now();
    this.open();
  }

  /** Stop playing: close the session and drop the frames held. */
  halt() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.close();
    for (const f of this.held) f.bitmap.close();
    this.held = [];
  }

  /** True when the session stalled: it delivered nothing for PLAY_STALL_MS. */
  stalled() {
    return performance.now() - this.frameAt > PLAY_STALL_MS;
  }

  /** The frame that should be on screen now. */
  target() {
    const seconds = (performance.now() - this.t0) / 1000;
    return this.i0 + Math.floor(seconds * this.deps.fps() * this.sessionRate);
  }

  /** Open a session from the frame after `i0`. */
  open() {
    if (this.session) this.close();
    const seq = this.deps.seqs.next();
    this.session = seq;
    this.owed = 0;
    this.creditAt = this.frameAt = performance.now();
    const r = this.deps.rate();
    this.sessionRate = r;
    const stride = Math.max(1, Math.round(r));
    this.deps.send({ type: "play", seq, first: this.i0 + 1, stride, credit: PLAY_CREDIT });
  }

  /** Close the open session: its late frames will be ignored. */
  close() {
    if (!this.session) return;
    this.deps.send({ type: "stop", seq: this.session });
    this.stale.add(this.session);
    this.session = 0;
  }

  /** True when `seq` is the open session. @param {number} seq */
  owns(seq) {
    return Boolean(this.session) && seq === this.session;
  }

  /** `count` pushed frames were painted, dropped or skipped: their credit is owed.
   * @param {number} count */
  settled(count) {
    if (!this.session) return;
    this.owed += count;
    this.returnCredit(false);
  }

  /**
   * Give the kernel back the credit of decoded frames: in batches (each message to the
   * kernel costs the browser a status round), or whatever is owed after CREDIT_MS.
   * Tells it too where playback stands, so that it skips ahead when frames come late.
   * @param {boolean} flush send whatever is owed if CREDIT_MS has passed
   */
  returnCredit(flush) {
    if (!this.session || !this.owed) return;
    const now = performance.now();
    if (this.owed < CREDIT_BATCH && !(flush && now - this.creditAt >= CREDIT_MS)) return;
    const first = this.target() + 1 + Math.ceil(1.5 * this.lateFrames);
    this.deps.send({ type: "credit", seq: this.session, n: this.owed, first });
    this.owed = 0;
    this.creditAt = now;
  }

  /**
   * Paint the newest held frame that is due; drop the ones it overtakes and any not
   * newer than the frame on screen (decodes can finish out of order).
   */
  showDue() {
    const held = this.held;
    if (!held.length) return;
    const target = this.target();
    const shown = this.deps.shown();
    held.sort((a, b) => a.msg.index - b.msg.index);
    let k = -1;
    while (k + 1 < held.length && held[k + 1].msg.index <= target) k += 1;
    let stale = 0;
    while (stale < held.length && held[stale].msg.index <= shown) stale += 1;
    const gone = Math.max(k + 1, stale);
    if (!gone) return;
    const due = k >= stale ? held[k] : null;
    for (let j = 0; j < gone; j += 1) if (held[j] !== due) held[j].bitmap.close();
    this.held = held.slice(gone);
    this.settled(gone);
    if (due) this.deps.paint(due.msg, due.bitmap, due.t);
  }

  /**
   * A pushed frame arrived: decode it (unless a newer frame is already on screen) and
   * hold it for its presentation time. Its credit goes back only once it is painted or
   * dropped, so the kernel pushes no faster than the browser decodes and shows: where
   * the browser paints in software, decoding, not the kernel, limits the frame rate, and
   * frames sent faster would only queue up, arrive late and be dropped.
   * @param {FrameReply} msg @param {DataView[]} buffers @param {number} recvAt
   */
  async onFrame(msg, buffers, recvAt) {
    const session = this.session;
    this.frameAt = recvAt;
    let kept = false;
    try {
      if (msg.type !== "frame" || !buffers || !buffers.length) return;
      if (msg.index <= this.deps.shown()) return; // could never be shown
      const bitmap = await createImageBitmap(jpegBlob(buffers[0]));
      const decodedAt = performance.now();
      if (!this.playing || session !== this.session) {
        bitmap.close();
        return;
      }
      const late = Math.max(0, this.target() - msg.index);
      this.lateFrames = 0.8 * this.lateFrames + 0.2 * late;
      this.held.push({ msg, bitmap, t: { sentAt: NaN, recvAt, decodedAt } });
      kept = true;
      this.showDue(); // paint now if it is due, else at its presentation time
    } catch (err) {
      // a frame that cannot be decoded is skipped; playback goes on with the next
    } finally {
      if (!kept && session === this.session) this.settled(1);
    }
  }
}
