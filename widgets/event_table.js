// Front end of workbench.widgets.EventList (the table part of EventTable): one row per
// event or label with a keyframe thumbnail; a click (or the arrow keys) selects a row
// and the kernel moves the player to that moment.

import { h, jpegBlob, widgetRoot } from "./shared/dom.js";
import { listen, onChanges } from "./shared/model.js";

/** @param {number} s  seconds */
function clock(s) {
  if (!Number.isFinite(s)) return "";
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(2).padStart(5, "0")}`;
}

/** @param {any} v */
function cell(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "number" ? String(Math.round(v * 1000) / 1000) : String(v);
}

/** @param {any} raw  a DataView / ArrayBuffer of JPEG bytes (empty: no thumbnail) */
function jpegUrl(raw) {
  const length = raw ? raw.byteLength : 0;
  if (!length) return "";
  const bytes = new Uint8Array(raw.buffer ?? raw, raw.byteOffset ?? 0, length);
  return URL.createObjectURL(jpegBlob(bytes));
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const root = widgetRoot(el, { class: "wb-events", tabindex: "0" });
  const status = h("div", { class: "wb-events-status" });
  const scroller = h("div", { class: "wb-events-scroll" });
  const table = h("table", { class: "wb-events-table" });
  scroller.append(table);
  root.append(status, scroller);
  /** @type {string[]} */
  let urls = [];

  function draw() {
    for (const u of urls) URL.revokeObjectURL(u);
    urls = (model.get("thumbnails") || []).map(jpegUrl);
    const rows = model.get("rows") || [];
    const columns = /** @type {string[]} */ (model.get("columns") || []);
    const head = document.createElement("thead");
    const hr = document.createElement("tr");
    for (const name of ["", "record", "start", "duration", ...columns]) {
      const th = document.createElement("th");
      th.textContent = name;
      hr.append(th);
    }
    head.append(hr);
    const body = document.createElement("tbody");
    /** @type {Map<string, number>} first start per record: times are shown from it */
    const firstStart = new Map();
    for (const r of rows) firstStart.set(r.record_id, Math.min(firstStart.get(r.record_id) ?? Infinity, r.start));
    rows.forEach((/** @type {any} */ r, /** @type {number} */ i) => {
      const tr = document.createElement("tr");
      tr.dataset.row = String(i);
      const thumb = document.createElement("td");
      if (urls[i]) {
        const img = document.createElement("img");
        img.src = urls[i];
        img.alt = `${r.record_id} at ${r.start.toFixed(2)}`;
        thumb.append(img);
      }
      tr.append(thumb);
      const start = document.createElement("td");
      start.textContent = clock(r.start - Math.floor(/** @type {number} */ (firstStart.get(r.record_id)) / 60) * 60);
      start.title = `${r.start.toFixed(3)} s (absolute)`;
      const texts = [r.record_id, null, `${(r.end - r.start).toFixed(2)} s`, ...columns.map((c) => cell(r[c]))];
      texts.forEach((text, k) => {
        if (k === 1) {
          tr.append(start);
          return;
        }
        const td = document.createElement("td");
        td.textContent = String(text);
        tr.append(td);
      });
      body.append(tr);
    });
    table.replaceChildren(head, body);
    status.textContent = model.get("status") || "";
    mark();
  }

  function mark() {
    const selected = Number(model.get("selected"));
    for (const tr of table.querySelectorAll("tbody tr")) {
      const on = Number(/** @type {HTMLElement} */ (tr).dataset.row) === selected;
      tr.classList.toggle("wb-on", on);
      if (on) tr.scrollIntoView({ block: "nearest" });
    }
    root.dataset.selected = String(selected);
  }

  /** @param {number} i */
  function select(i) {
    const n = (model.get("rows") || []).length;
    if (!n) return;
    model.set("selected", Math.max(0, Math.min(n - 1, i)));
    model.save_changes();
  }
  const onClick = (/** @type {MouseEvent} */ e) => {
    const tr = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest("tr[data-row]"));
    if (tr) select(Number(tr.dataset.row));
  };
  const onKey = (/** @type {KeyboardEvent} */ e) => {
    const now = Number(model.get("selected"));
    if (e.key === "ArrowDown") select(now + 1);
    else if (e.key === "ArrowUp") select(now - 1);
    else return;
    e.preventDefault();
  };
  const onStatus = () => (status.textContent = model.get("status") || "");
  root.addEventListener("click", onClick);
  root.addEventListener("keydown", onKey);
  const stopRedrawing = onChanges(model, ["rows", "columns", "thumbnails"], draw);
  const stopListening = listen(model, { "change:selected": mark, "change:status": onStatus });
  draw();
  return () => {
    stopRedrawing();
    stopListening();
    for (const u of urls) URL.revokeObjectURL(u);
    root.remove();
  };
}

export default { render };
