const KEY = 'cg_queue';

/**
 * Undelivered events, kept in memory and mirrored to storage so that a closed
 * tab's events are resent on the next page load. Storage is read-modified-
 * written on every change so that several tabs do not overwrite each other's
 * events. Both copies hold at most `max` events; the oldest go first.
 * @param {import('./storage.js').Store} store
 * @param {number} max
 * @param {(n: number) => void} onDrop called with the number of events pushed out
 */
export function createQueue(store, max, onDrop) {
  const load = () => {
    try {
      const list = JSON.parse(store.get(KEY) || '[]');
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  };
  /** @param {any[]} list */
  const save = (list) => store.set(KEY, JSON.stringify(list.slice(-max)));
  /** @type {any[]} */
  let items = load().slice(-max);

  return {
    get items() {
      return items;
    },
    /** @param {any} event */
    add(event) {
      save([...load(), event]);
      items.push(event);
      if (items.length > max) onDrop(items.splice(0, items.length - max).length);
    },
    /** @param {any[]} events */
    remove(events) {
      const gone = new Set(events.map((e) => e.messageId));
      const keep = (/** @type {any} */ e) => !gone.has(e.messageId);
      save(load().filter(keep));
      items = items.filter(keep);
    },
  };
}
