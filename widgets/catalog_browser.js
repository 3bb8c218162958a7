// Front end of workbench.widgets.CatalogList (the list part of CatalogBrowser):
// tag chips with counts (click to filter), the matching records (click to open).

import { h, widgetRoot } from "./shared/dom.js";
import { onChanges } from "./shared/model.js";

/** @param {number | null} s */
function duration(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "";
  return `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, "0")}`;
}
/** @param {number | null} ts */
function when(ts) {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return "";
  return ts > 1e8 ? new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) : ts.toFixed(1);
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const root = widgetRoot(el, { class: "wb-catalog" });
  const tagsEl = h("div", { class: "wb-catalog-tags" });
  const status = h("div", { class: "wb-catalog-status" });
  const table = h("table", { class: "wb-catalog-records" });
  root.append(tagsEl, status, table);

  function draw() {
    const selected = new Set(/** @type {string[]} */ (model.get("selected_tags")));
    tagsEl.textContent = "";
    for (const { tag, count } of model.get("tags")) {
      const chip = document.createElement("button");
      chip.className = "wb-chip" + (selected.has(tag) ? " wb-on" : "");
      chip.dataset.tag = tag;
      chip.textContent = `${tag} ${count}`;
      tagsEl.append(chip);
    }
    status.textContent = model.get("status");
    const opened = model.get("opened");
    table.innerHTML = "<thead><tr><th>record</th><th>start (UTC)</th><th>length</th><th>streams</th></tr></thead>";
    const body = document.createElement("tbody");
    for (const r of model.get("records")) {
      const tr = document.createElement("tr");
      tr.dataset.record = r.record_id;
      if (r.record_id === opened) tr.className = "wb-on";
      for (const text of [r.record_id, when(r.start), duration(r.duration), r.streams.join(", ")]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      body.append(tr);
    }
    table.append(body);
  }

  const onClick = (/** @type {MouseEvent} */ e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    const chip = /** @type {HTMLElement | null} */ (t.closest(".wb-chip"));
    if (chip) {
      const tag = String(chip.dataset.tag);
      const sel = /** @type {string[]} */ (model.get("selected_tags"));
      model.set("selected_tags", sel.includes(tag) ? sel.filter((x) => x !== tag) : [...sel, tag]);
      model.save_changes();
      return;
    }
    const row = /** @type {HTMLElement | null} */ (t.closest("tr[data-record]"));
    if (row) {
      model.set("opened", String(row.dataset.record));
      model.save_changes();
    }
  };
  root.addEventListener("click", onClick);
  const stopListening = onChanges(model, ["tags", "selected_tags", "records", "opened", "status"], draw);
  draw();
  return () => {
    stopListening();
    root.remove();
  };
}

export default { render };
