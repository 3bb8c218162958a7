// What every front end needs to build its DOM and to live inside JupyterLab.

/**
 * A new element with attributes and text.
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, text = "") {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text) el.textContent = text;
  return el;
}

/**
 * The root element of a widget's view, appended to `el`. It carries
 * `data-lm-suppress-shortcuts` and stops the propagation of `keydown`, so JupyterLab's
 * command-mode shortcuts (`a`, `b`, `dd`, `ii`, `o`, space…) do not fire while the widget
 * has focus; the view's own key handlers on the root still run. Removing the root
 * removes the listener with it.
 * @param {HTMLElement} el the element anywidget renders into
 * @param {Record<string, string>} attrs `class` and any other attributes of the root
 * @returns {HTMLElement}
 */
export function widgetRoot(el, attrs) {
  const root = h("div", { ...attrs, "data-lm-suppress-shortcuts": "true" });
  root.addEventListener("keydown", stopPropagation);
  el.append(root);
  return root;
}

/** @param {Event} e */
export function stopPropagation(e) {
  e.stopPropagation();
}

/**
 * The JPEG bytes of a message buffer as a Blob.
 * @param {DataView | ArrayBuffer | Uint8Array} raw a message buffer
 * @returns {Blob}
 */
export function jpegBlob(raw) {
  return new Blob([/** @type {BlobPart} */ (raw)], { type: "image/jpeg" });
}
