// The scrubber's elements: stage (canvas, badge), slider with the in/out band, transport
// buttons, rate, jump-to-time, readout. Icons are drawn (inline SVG), never taken from a
// font: a font without the glyph would show an empty box.

import { h, widgetRoot } from "../shared/dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";
/** Button icons: SVG paths in a 16 x 16 box, filled with the button's text colour. */
export const ICONS = {
  first: "M3 3h2v10H3zM13 3v10L6 8z",
  last: "M11 3h2v10h-2zM3 3v10l7-5z",
  play: "M4 2.5v11L13.5 8z",
  pause: "M3.5 3h3v10h-3zM9.5 3h3v10h-3z",
};
/** The playback rates offered (the kernel's PLAYBACK_RATES). */
const RATES = [0.25, 0.5, 1, 2, 4];

/**
 * Show icon `name` (a key of ICONS) in `button`, replacing what it showed.
 * @param {HTMLElement} button @param {keyof typeof ICONS} name
 */
export function setIcon(button, name) {
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

/**
 * Format seconds as [h:]mm:ss.mmm.
 * @param {number} s
 */
export function clock(s) {
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
export function absolute(ts) {
  if (!Number.isFinite(ts)) return "";
  if (ts < 1e8) return `t=${ts.toFixed(3)} s`;
  const d = new Date(ts * 1000);
  return `${d.toISOString().replace("T", " ").replace("Z", "")} UTC (${ts.toFixed(3)})`;
}

/**
 * Build the scrubber's elements inside `el`.
 * @param {HTMLElement} el @param {string} label the video's label
 */
export function buildView(el, label) {
  const root = widgetRoot(el, {
    class: "wb-scrubber",
    tabindex: "0",
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
  for (const r of RATES) rate.append(h("option", { value: String(r) }, `${r}×`));
  controls.append(rate);
  button("I", "set in point (I)", "in");
  button("O", "set out point (O)", "out");
  const jump = /** @type {HTMLInputElement} */ (
    h("input", {
      class: "wb-jump", type: "text", placeholder: "go to s", title: "jump to time (s)",
    })
  );
  controls.append(jump);

  const readout = h("div", { class: "wb-readout" });
  const labels = {
    name: h("span", { class: "wb-label" }, label),
    frame: h("span", { class: "wb-index" }),
    rel: h("span", { class: "wb-rel" }),
    abs: h("span", { class: "wb-abs" }),
    inout: h("span", { class: "wb-inout-label" }),
  };
  readout.append(labels.name, labels.frame, labels.rel, labels.abs, labels.inout);

  root.append(stage, track, controls, readout);
  return { root, stage, canvas, ctx, badge, band, slider, playBtn, rate, jump, labels };
}

/** @typedef {ReturnType<typeof buildView>} ViewParts */

/**
 * Place the in/out band under the slider positions of the in and out points (the
 * thumb's centre runs from half a thumb in from either end: --wb-thumb in the CSS).
 * @param {ViewParts} parts @param {number} a in point @param {number} b out point
 * @param {number} last the last frame's index
 */
export function drawInOut(parts, a, b, last) {
  last = Math.max(1, last);
  const at = (/** @type {number} */ i) => `(100% - var(--wb-thumb)) * ${i / last}`;
  parts.band.style.left = `calc(var(--wb-thumb) / 2 + ${at(a)})`;
  parts.band.style.width = `calc(${at(Math.max(0, b - a))})`;
  parts.labels.inout.textContent = `in ${a} · out ${b}`;
}

/**
 * Write the readout: frame index, time from the start, absolute time.
 * @param {ViewParts} parts @param {number} index (-1: none yet) @param {number} last
 * @param {{time: number, timestamp: number}} t @param {number} t0 start time (s)
 * @param {number} duration (s)
 */
export function writeReadout(parts, index, last, t, t0, duration) {
  parts.labels.frame.textContent = `frame ${index < 0 ? "–" : index} / ${last}`;
  parts.labels.rel.textContent = `${clock(t.time - t0)} / ${clock(duration)}`;
  parts.labels.abs.textContent = absolute(t.timestamp);
}
