// Listening to a widget's model: handlers on and off together, and the clock (the
// timestamp of the model and of the scrubbers a view follows).

/**
 * The part of an anywidget model the front ends use.
 * @typedef {{
 *   get: (key: string) => any,
 *   set: (key: string, value: any) => void,
 *   save_changes: () => void,
 *   send: (content: any, callbacks?: any, buffers?: any[]) => void,
 *   on: (event: string, handler: (...args: any[]) => void) => void,
 *   off: (event: string, handler: (...args: any[]) => void) => void,
 *   widget_manager: {get_model: (id: string) => Promise<any>},
 * }} Model
 */

/**
 * Listen to `model` events (`"change:value"`, `"msg:custom"`…); returns the function
 * that stops listening to all of them.
 * @param {Model} model
 * @param {Record<string, (...args: any[]) => void>} handlers event name -> handler
 * @returns {() => void}
 */
export function listen(model, handlers) {
  const pairs = Object.entries(handlers);
  for (const [event, handler] of pairs) model.on(event, handler);
  return () => {
    for (const [event, handler] of pairs) model.off(event, handler);
  };
}

/**
 * Call `handler(name)` on the change of each of `names` (`listen` for one handler).
 * @param {Model} model @param {string[]} names @param {() => void} handler
 * @returns {() => void} stops listening
 */
export function onChanges(model, names, handler) {
  return listen(model, Object.fromEntries(names.map((k) => [`change:${k}`, handler])));
}

/**
 * Follow the clock: the `timestamp` of `model` and of the scrubbers whose model ids its
 * `players` traitlet lists (found through `model.widget_manager.get_model`). While one
 * of those plays or is dragged it sets its `timestamp` locally for every painted frame;
 * `onTimestamp` hears each change of any of them, the latest wins. The `players` list is
 * followed as it changes.
 * @param {Model} model the following view's model
 * @param {(timestamp: number) => void} onTimestamp
 * @returns {{players: () => Model[], close: () => void}}
 */
export function followClock(model, onTimestamp) {
  /** @type {Model[]} */
  let players = [];
  /** @type {Map<Model, () => void>} */
  const listeners = new Map();
  let closed = false;

  const fromModel = () => onTimestamp(Number(model.get("timestamp")));
  async function attach() {
    detach();
    const ids = /** @type {string[]} */ (model.get("players") || []);
    const found = await Promise.all(
      ids.map((id) => model.widget_manager.get_model(id).catch(() => null)),
    );
    if (closed) return;
    players = found.filter(Boolean);
    for (const m of players) {
      const listener = () => onTimestamp(Number(m.get("timestamp")));
      listeners.set(m, listener);
      m.on("change:timestamp", listener);
    }
  }
  function detach() {
    for (const [m, listener] of listeners) m.off("change:timestamp", listener);
    listeners.clear();
    players = [];
  }

  const stopListening = listen(model, { "change:timestamp": fromModel, "change:players": attach });
  attach();
  return {
    players: () => players,
    close() {
      closed = true;
      stopListening();
      detach();
    },
  };
}
