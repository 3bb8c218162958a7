// Front end of workbench.widgets.ExportPanel. Settings are synced traitlets; the
// buttons send "export" / "cancel" messages (workbench/widgets/protocol.py describes
// every message); progress/status/result come back
// as traitlets while the kernel exports on a background thread. The kernel validates
// every setting: a refused value is put back and `setting_error` says why. The range
// label (relative to the record start) and its absolute-time tooltip come from the kernel.

import { widgetRoot } from "./shared/dom.js";
import { onChanges } from "./shared/model.js";

/** @param {number} n */
function human(n) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u += 1;
  }
  return `${u === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[u]}`;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const root = widgetRoot(el, { class: "wb-export" });
  root.innerHTML = `
    <div class="wb-export-title">Export</div>
    <div class="wb-export-range"></div>
    <label>frame rate <input data-k="target_frame_rate" type="number" min="0" step="0.5"
      placeholder="every frame" title="frames per second to keep (empty = every frame)"></label>
    <label>resize <input data-k="resize_rate" type="number" min="0.05" step="0.05"
      title="scale factor (1 keeps the size)"></label>
    <label>format <select data-k="format">
      <option value="jpeg">JPEG</option><option value="png">PNG</option>
      <option value="webp">WebP</option><option value="mp4">MP4 clip</option></select></label>
    <label>quality <input data-k="quality" type="number" min="1" max="100" step="1"></label>
    <label class="wb-wide">folder <input data-k="out_dir" type="text"></label>
    <div class="wb-export-estimate"></div>
    <div class="wb-export-buttons">
      <button class="wb-export-go">Export</button>
      <button class="wb-export-cancel">Cancel</button>
    </div>
    <div class="wb-export-invalid" role="alert"></div>
    <progress class="wb-export-progress" max="1" value="0"></progress>
    <div class="wb-export-status"></div>`;
  const q = (/** @type {string} */ s) => /** @type {HTMLElement} */ (root.querySelector(s));
  const inputs = /** @type {HTMLInputElement[]} */ ([...root.querySelectorAll("[data-k]")]);
  const numeric = new Set(["target_frame_rate", "resize_rate", "quality"]);

  function sync() {
    for (const input of inputs) {
      const k = String(input.dataset.k);
      const v = model.get(k);
      if (document.activeElement !== input) input.value = v === null ? "" : String(v);
    }
    const range = q(".wb-export-range");
    range.textContent = String(model.get("range_label"));
    range.title = String(model.get("range_title"));
    q(".wb-export-invalid").textContent = String(model.get("setting_error") || "");
    q(".wb-export-estimate").textContent =
      `≈ ${model.get("estimate_frames")} ${model.get("format") === "mp4" ? "frames in 1 clip" : "files"}, ` +
      `≈ ${human(Number(model.get("estimate_bytes")))}`;
    const status = String(model.get("status"));
    root.dataset.status = status;
    /** @type {HTMLProgressElement} */ (q(".wb-export-progress")).value = Number(model.get("progress"));
    q(".wb-export-status").textContent = `${status}${model.get("message") ? ": " + model.get("message") : ""}`;
    const running = status === "running" || status === "cancelling";
    /** @type {HTMLButtonElement} */ (q(".wb-export-go")).disabled = running;
    /** @type {HTMLButtonElement} */ (q(".wb-export-cancel")).disabled = !running;
  }

  const onChange = (/** @type {Event} */ e) => {
    const input = /** @type {HTMLInputElement} */ (e.target);
    const k = input.dataset && input.dataset.k;
    if (!k) return;
    /** @type {number | string | null} */
    let v = input.value;
    if (numeric.has(k)) {
      // an empty frame rate means every frame; other values go to the kernel as typed,
      // which refuses what is not allowed and says why
      v = input.value.trim() === "" ? (k === "target_frame_rate" ? null : NaN) : Number(input.value);
      if (typeof v === "number" && !Number.isFinite(v)) {
        sync();
        return;
      }
    }
    model.set(k, v);
    model.save_changes();
  };
  const onClick = (/** @type {MouseEvent} */ e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    if (t.closest(".wb-export-go")) model.send({ type: "export" });
    if (t.closest(".wb-export-cancel")) model.send({ type: "cancel" });
  };
  root.addEventListener("change", onChange);
  root.addEventListener("click", onClick);
  const keys = ["in_point", "out_point", "start", "end", "target_frame_rate", "resize_rate",
    "format", "quality", "out_dir", "estimate_frames", "estimate_bytes", "status", "progress",
    "message", "setting_error", "range_label", "range_title"];
  const stopListening = onChanges(model, keys, sync);
  sync();
  return () => {
    stopListening();
    root.remove();
  };
}

export default { render };
