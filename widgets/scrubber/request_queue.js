// The scrubber's requests for frames the user asked for: one in flight, latest position
// wins. The message shapes are described once, in workbench/widgets/protocol.py.

/**
 * A frame reply (or an error reply) from the kernel.
 * @typedef {{
 *   type: string, index: number, seq: number, exact: boolean, time: number,
 *   timestamp: number, keyframe_index: number, message?: string, prefetch?: boolean,
 *   count?: number
 * }} FrameReply
 */
/**
 * A position the view wants shown.
 * @typedef {{index: number, preview: boolean, hint: string, offset: number}} Want
 */
/** @typedef {{seq: number, index: number, preview: boolean, sentAt: number}} InFlight */

/** A request the kernel has not answered after this long is given up (ms). */
export const REQUEST_TIMEOUT_MS = 5000;

/**
 * The view's request numbers (`seq`): one counter for frame requests, playback sessions,
 * prefetch batches and paints from the store. It starts at a random point per view:
 * every view of a widget (the output and a "new view for output" copy) receives every
 * reply, and takes only its own.
 */
export class Sequence {
  /** @param {number} [base] first number minus one (random when not given) */
  constructor(base = Math.floor(Math.random() * 2 ** 40)) {
    this.base = base;
    this.last = base;
  }

  /** The next number. */
  next() {
    this.last += 1;
    return this.last;
  }

  /** True when `seq` was handed out by this view. @param {number} seq */
  mine(seq) {
    return seq > this.base && seq <= this.last;
  }
}

/**
 * One frame request in flight, and the latest wanted position waiting behind it: a fast
 * drag never builds a queue in the kernel. A reply (a frame or an error, which gives up
 * on its `seq`) or the timeout frees the slot and the latest wanted position is asked for.
 */
export class RequestQueue {
  /**
   * @param {{
   *   seqs: Sequence,
   *   send: (message: Record<string, any>) => void,
   *   shows: (want: Want) => boolean,
   *   landing: (want: Want) => number,
   *   idle: () => void,
   *   timeoutMs?: number,
   * }} deps
   *   `send` posts a message to the kernel; `shows(want)` is true when the screen already
   *   shows what `want` asks for; `landing(want)` is where it will land (offset requests
   *   are resolved exactly by the kernel); `idle()` is called when nothing is wanted.
   */
  constructor(deps) {
    this.deps = deps;
    /** @type {InFlight | null} the request the kernel has not answered yet */
    this.inflight = null;
    /** @type {Want | null} the latest position wanted, not asked for yet */
    this.want = null;
    this.timer = 0;
    this.closed = false;
  }

  /** Want `want` shown: asked for at once, or when the request in flight is answered.
   * @param {Want} want */
  ask(want) {
    this.want = want;
    this.pump();
  }

  /** Forget the wanted position (the view showed it from its own store). */
  forget() {
    this.want = null;
  }

  /** Where the view is headed: the wanted position, else the one in flight, else null. */
  target() {
    if (this.want) return this.deps.landing(this.want);
    if (this.inflight) return this.inflight.index;
    return null;
  }

  /** True while a request is in flight or a position is wanted. */
  busy() {
    return Boolean(this.inflight || this.want);
  }

  /** Send the wanted position unless a request is in flight. */
  pump() {
    if (this.closed || this.inflight) return;
    const want = this.want;
    if (!want) {
      this.deps.idle();
      return;
    }
    if (this.deps.shows(want)) {
      this.want = null;
      this.deps.idle();
      return;
    }
    const seq = this.deps.seqs.next();
    const index = this.deps.landing(want);
    this.inflight = { seq, index, preview: want.preview, sentAt: performance.now() };
    this.deps.send({
      type: "frame",
      index: want.index,
      seq,
      preview: want.preview,
      hint: want.hint,
      offset_seconds: want.offset,
    });
    this.want = null;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.inflight = null; // the kernel is busy or gone: allow a fresh request
      this.pump();
    }, this.deps.timeoutMs ?? REQUEST_TIMEOUT_MS);
  }

  /**
   * A frame or error reply with `seq` arrived: if it answers the request in flight, free
   * the slot (an error gives up on it). Then ask for the latest wanted position, while
   * this reply is decoded and painted. Returns when the answered request was sent
   * (`NaN` when `seq` was not the one in flight).
   * @param {number} seq
   */
  answered(seq) {
    let sentAt = NaN;
    if (this.inflight && this.inflight.seq === seq) {
      sentAt = this.inflight.sentAt;
      this.inflight = null;
      clearTimeout(this.timer);
    }
    this.pump();
    return sentAt;
  }

  /** Stop: no more requests, no timer left. */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
