// Front end of workbench.widgets.Filmstrip: keyframe thumbnails, click to jump.
// Every thumbnail is shown: they shrink to fit the row (down to a minimum width, see the
// CSS) and wrap onto more rows, never hidden in a scrolled-away overflow; when a tall
// strip scrolls, the highlighted thumbnail is scrolled into the strip's view.
// The thumbnails come once, in a "thumbs" message (workbench/widgets/protocol.py
// describes every message).

import { h, jpegBlob, widgetRoot } from "./shared/dom.js";
import { listen } from "./shared/model.js";

/** @param {number} s */
function clock(s) {
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${(s % 60).toFixed(1).padStart(4, "0")}`;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const root = widgetRoot(el, { class: "wb-filmstrip" });
  /** @type {string[]} */
  let urls = [];
  /** @type {HTMLElement[]} */
  let thumbs = [];

  function build() {
    root.textContent = "";
    thumbs = [];
    const indices = /** @type {number[]} */ (model.get("thumb_indices"));
    const times = /** @type {number[]} */ (model.get("thumb_times"));
    const w = model.get("thumb_width");
    root.style.setProperty("--wb-thumb-width", `${w}px`);
    indices.forEach((index, k) => {
      const fig = h("button", {
        class: "wb-thumb",
        "data-index": String(index),
        title: `frame ${index} · ${clock(times[k] || 0)}`,
      });
      const img = h("img", { alt: `frame ${index}` });
      const cap = h("span", {}, clock(times[k] || 0));
      fig.append(img, cap);
      root.append(fig);
      thumbs.push(fig);
    });
    highlight();
  }

  function highlight() {
    const v = Number(model.get("value"));
    let best = -1;
    thumbs.forEach((t, k) => {
      if (Number(t.dataset.index) <= v) best = k;
    });
    thumbs.forEach((t, k) => t.classList.toggle("wb-current", k === best));
    if (best >= 0) reveal(thumbs[best]);
  }

  /**
   * Scroll the strip (only the strip, never the page) so that `thumb` is in its view.
   * @param {HTMLElement} thumb
   */
  function reveal(thumb) {
    const top = thumb.offsetTop;
    const bottom = top + thumb.offsetHeight;
    if (top < root.scrollTop) root.scrollTop = top;
    else if (bottom > root.scrollTop + root.clientHeight) {
      root.scrollTop = bottom - root.clientHeight;
    }
    const left = thumb.offsetLeft;
    const right = left + thumb.offsetWidth;
    if (left < root.scrollLeft) root.scrollLeft = left;
    else if (right > root.scrollLeft + root.clientWidth) {
      root.scrollLeft = right - root.clientWidth;
    }
  }

  /** @param {any} msg @param {DataView[]} buffers */
  function onMessage(msg, buffers) {
    if (!msg || msg.type !== "thumbs") return;
    urls.forEach((u) => URL.revokeObjectURL(u));
    urls = buffers.map((b) => URL.createObjectURL(jpegBlob(b)));
    thumbs.forEach((t, k) => {
      const img = t.querySelector("img");
      if (img && urls[k]) img.src = urls[k];
    });
    root.dataset.loaded = "true";
  }

  /** @param {MouseEvent} e */
  function onClick(e) {
    const t = /** @type {HTMLElement} */ (e.target).closest(".wb-thumb");
    if (!t) return;
    model.set("value", Number(/** @type {HTMLElement} */ (t).dataset.index));
    model.save_changes();
  }

  root.addEventListener("click", onClick);
  const stopListening = listen(model, {
    "msg:custom": onMessage,
    "change:value": highlight,
    "change:thumb_indices": build,
  });
  build();
  model.send({ type: "thumbs" });

  return () => {
    stopListening();
    urls.forEach((u) => URL.revokeObjectURL(u));
    root.remove();
  };
}

export default { render };
