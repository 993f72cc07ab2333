// Minimal, deterministic stand-ins for the browser members the SDK touches.
import { webcrypto } from 'node:crypto';

export const ENDPOINT = 'https://gw.example.test';
export const WRITE_KEY = 'wk_test';

/** A Storage-like object over a Map; `shared` lets two "page loads" share it. */
export function fakeStorage(shared = new Map()) {
  return {
    map: shared,
    getItem: (k) => (shared.has(k) ? shared.get(k) : null),
    setItem: (k, v) => void shared.set(k, String(v)),
    removeItem: (k) => void shared.delete(k),
  };
}

/** Timers that only run when the test advances the clock. */
export function fakeClock(start = Date.parse('2024-05-01T00:00:00.000Z')) {
  let now = start;
  let seq = 0;
  const timers = new Map();
  return {
    timers,
    now: () => now,
    random: () => 0.5,
    setTimeout: (fn, ms) => (timers.set(++seq, { fn, ms, at: now + ms }), seq),
    clearTimeout: (id) => void timers.delete(id),
    /** delays (ms) of the timers now pending, in creation order */
    pending: () => [...timers.values()].map((t) => t.ms),
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        await settle();
      }
      now = until;
      await settle();
    },
  };
}

/** Lets pending promise callbacks (fake fetch answers) run. */
export const settle = () => new Promise((r) => setImmediate(r));

/**
 * A fake fetch answering from a script: each entry is a status number,
 * {status, headers, json}, or 'network' (rejects like a failed connection).
 * After the script runs out it answers 200.
 */
export function fakeFetch(script = []) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    calls.push({ url, init, body: init.body });
    const next = script.length ? script.shift() : 200;
    if (next === 'network') throw new TypeError('Failed to fetch');
    const r = typeof next === 'number' ? { status: next } : next;
    const headers = new Map(Object.entries(r.headers || {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: r.status,
      ok: r.status >= 200 && r.status < 300,
      headers: { get: (k) => (headers.has(k.toLowerCase()) ? headers.get(k.toLowerCase()) : null) },
      json: async () => r.json ?? { success: true },
    };
  };
  return { fetch, calls, script };
}

/** A minimal EventTarget. */
function target() {
  const listeners = {};
  return {
    addEventListener: (type, fn) => (listeners[type] ||= []).push(fn),
    dispatch: (type) => (listeners[type] || []).forEach((fn) => fn({ type })),
  };
}

/**
 * A fake window. Options: href, referrer, title, gpc, storage ('ok' |
 * 'throws' | 'null' | a fakeStorage), fetch script, beacon (true | false |
 * 'missing'), crypto (defaults to node's webcrypto).
 */
export function fakeWindow(opts = {}) {
  const clock = opts.clock || fakeClock();
  const net = fakeFetch(opts.responses);
  const beacons = [];
  const url = new URL(opts.href || 'https://shop.example.com/products/1?color=red');
  const storage = opts.storage && typeof opts.storage === 'object' ? opts.storage : fakeStorage();
  const doc = { ...target(), referrer: opts.referrer ?? '', title: opts.title ?? 'Shop', visibilityState: 'visible' };
  const opened = [];
  const assigned = [];
  const win = {
    ...target(),
    document: doc,
    location: {
      href: url.href, pathname: url.pathname, search: url.search, hash: url.hash,
      assign: (u) => void assigned.push(u),
    },
    navigator: {
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) FakeBrowser/1.0',
      language: 'ja-JP',
      ...(opts.gpc === undefined ? {} : { globalPrivacyControl: opts.gpc }),
      ...(opts.beacon === 'missing' ? {} : {
        sendBeacon: (u, blob) => (beacons.push({ url: u, blob }), opts.beacon ?? true),
      }),
    },
    crypto: 'crypto' in opts ? opts.crypto : webcrypto,
    Intl: { DateTimeFormat: () => ({ resolvedOptions: () => ({ timeZone: 'Asia/Tokyo' }) }) },
    Blob,
    fetch: net.fetch,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    open: (u, name) => (opened.push([u, name]), opts.popupBlocked ? null : { opener: 'parent' }),
  };
  Object.defineProperty(win, 'localStorage', {
    get() {
      if (opts.storage === 'throws') throw new DOMException('The operation is insecure.', 'SecurityError');
      return opts.storage === 'null' ? null : storage;
    },
  });
  return { win, clock, net, beacons, storage, opened, assigned };
}

/** The events of every batch request sent so far, flattened. */
export const sentEvents = (net) => net.calls.filter((c) => c.url.endsWith('/v1/batch')).flatMap((c) => JSON.parse(c.body).batch);

/** Stored undelivered events. */
export const storedQueue = (storage) => JSON.parse(storage.getItem('cg_queue') || '[]');
