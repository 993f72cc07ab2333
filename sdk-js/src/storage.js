/**
 * @typedef {object} Store
 * @property {(key: string) => string | null} get
 * @property {(key: string, value: string) => void} set
 * @property {(key: string) => void} remove
 */

/**
 * First-party storage that never throws: localStorage when the browser allows
 * it, memory otherwise. Touching `window.localStorage` itself throws a
 * SecurityError when cookies are blocked, and setItem throws when the quota is
 * full, so every access is guarded and memory keeps the last value written.
 * @param {any} win
 * @returns {Store}
 */
export function createStore(win) {
  /** @type {Record<string, string>} */
  const mem = {};
  let ls = null;
  try {
    ls = win.localStorage;
  } catch {}
  return {
    get(key) {
      try {
        const value = ls && ls.getItem(key);
        if (value != null) return value;
      } catch {}
      return key in mem ? mem[key] : null;
    },
    set(key, value) {
      mem[key] = value;
      try {
        ls && ls.setItem(key, value);
      } catch {
        // Quota full: a stale stored copy must not shadow the value in memory.
        try { ls.removeItem(key); } catch {}
      }
    },
    remove(key) {
      delete mem[key];
      try { ls && ls.removeItem(key); } catch {}
    },
  };
}
