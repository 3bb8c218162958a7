// Moving the scrubber: frame and second steps, first/last, play/pause, in/out points,
// from the buttons (their `data-act`) and the keyboard.

/**
 * The action of a key pressed on the scrubber (a `data-act` name), or null.
 * @param {KeyboardEvent} e
 * @returns {string | null}
 */
export function actionForKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
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
  return keys[e.key] || null;
}

/**
 * Frame `i` rounded and clamped into a video of `frames` frames.
 * @param {number} i @param {number} frames
 */
export function clampIndex(i, frames) {
  return Math.min(frames - 1, Math.max(0, Math.round(i)));
}

/** Steps, seeks and the transport actions of one scrubber view. */
export class Navigator {
  /**
   * @param {{
   *   frames: () => number,
   *   fps: () => number,
   *   shown: () => number,
   *   target: () => number | null,
   *   playing: () => boolean,
   *   play: () => void,
   *   stop: () => void,
   *   ask: (index: number, preview: boolean, hint: string, offset?: number) => void,
   *   moved: (move: {slider: number, direction: number, kind: string, index: number}) => void,
   *   asked: () => void,
   *   mark: (which: "in" | "out") => void,
   * }} deps `shown()` is the frame on screen (-1: none yet), `target()` where the
   *   request queue is headed (null: nowhere); `moved` is told of every step or seek
   *   before it is asked for (the slider position, the direction of the move, 0 when
   *   none, the kind of input and the index it started from), `asked` after.
   */
  constructor(deps) {
    this.deps = deps;
  }

  /** @param {number} i a frame index, rounded and clamped into the video */
  clamp(i) {
    return clampIndex(i, this.deps.frames());
  }

  /** The frame the view is on or headed to. */
  current() {
    const target = this.deps.target();
    if (target !== null) return target;
    const shown = this.deps.shown();
    return shown < 0 ? 0 : shown;
  }

  /** Go to frame `index`. @param {number} index @param {string} kind why (an input kind) */
  go(index, kind) {
    const d = this.deps;
    if (d.playing() && kind !== "play") d.stop();
    index = this.clamp(index);
    const from = this.current();
    const direction = index === from ? 0 : index > from ? 1 : -1;
    d.moved({ slider: index, direction, kind, index });
    d.ask(index, false, kind);
    d.asked();
  }

  /** Step by whole seconds; the kernel picks the frame on screen at that time.
   * @param {number} s */
  stepSeconds(s) {
    const d = this.deps;
    if (d.playing()) d.stop();
    const i = this.current();
    const slider = this.clamp(i + s * d.fps());
    d.moved({ slider, direction: s > 0 ? 1 : -1, kind: "step", index: i });
    d.ask(i, false, "step", s);
    d.asked();
  }

  /** Run a button's or key's action. @param {string} act */
  act(act) {
    const i = this.current();
    const d = this.deps;
    switch (act) {
      case "home": return this.go(0, "step");
      case "end": return this.go(d.frames() - 1, "step");
      case "back-frame": return this.go(i - 1, "step");
      case "fwd-frame": return this.go(i + 1, "step");
      case "back-second": return this.stepSeconds(-1);
      case "fwd-second": return this.stepSeconds(1);
      case "play": return d.playing() ? d.stop() : d.play();
      case "in": return d.mark("in");
      case "out": return d.mark("out");
    }
  }
}
