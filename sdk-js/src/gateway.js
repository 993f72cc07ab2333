import { buildContext, pageInfo } from './context.js';
import { createChoice } from './choice.js';
import { createConsent } from './consent.js';
import { createQueue } from './queue.js';
import { resolveOptions } from './options.js';
import { createStore } from './storage.js';
import { FORBIDDEN_PARAMS, stripPageFields } from './url.js';
import { MAX_EVENT_BYTES, backoff, batchBody, byteLength, chunk, post, retryable } from './transport.js';
import { uuid } from './uuid.js';
import { LIBRARY } from './version.js';

const ANON_KEY = 'cg_anon_id';
const USER_KEY = 'cg_user_id';
const SUBJECT_KEY = 'cg_subject';
/** The device identity the gateway's preference page creates for a first-time visitor (shared cookie). */
const ANON_COOKIE = /(?:^|;\s*)cg_anon_id=([\w-]{8,64})/;

/** A shallow copy of `x` if it is a plain object, else `{}`. */
const obj = (/** @type {any} */ x) => (x && typeof x === 'object' && !Array.isArray(x) ? { ...x } : {});

/**
 * @typedef {object} Clock
 * @property {() => number} now
 * @property {() => number} random
 */

/**
 * Builds a gateway client bound to `win` (the browser's window, or a test fake
 * with the same members). Nothing is read or sent before init().
 * @param {any} win
 * @param {Clock} [clock]
 */
export function createGateway(win, clock = { now: () => Date.now(), random: Math.random }) {
  const store = createStore(win);
  const stats = { sent: 0, retries: 0, /** @type {Record<string, number>} */ dropped: {} };
  const drop = (/** @type {string} */ reason, n = 1) => {
    stats.dropped[reason] = (stats.dropped[reason] || 0) + n;
  };
  /** @type {Required<import('./options.js').Options> | undefined} */
  let cfg;
  /** @type {Set<string>} */
  let sensitive = new Set();
  /** @type {ReturnType<typeof createQueue>} */
  let queue;
  /** @type {Array<[string, any[]]>} calls made before init() */
  const early = [];
  const inflight = new Set();
  /** @type {any} */
  let flushTimer = null;
  /** @type {any} */
  let retryTimer = null;
  let attempt = 0;
  /** @type {Promise<void> | null} */
  let sending = null;

  const iso = () => new Date(clock.now()).toISOString();
  const cookieId = () => {
    try {
      const m = ANON_COOKIE.exec(win.document.cookie);
      return m && m[1];
    } catch {
      return null;
    }
  };
  const anonymousId = () => store.get(ANON_KEY) || remember(ANON_KEY, cookieId() || uuid(win.crypto));
  const remember = (/** @type {string} */ key, /** @type {string} */ value) => (store.set(key, value), value);

  /** @param {import('./options.js').Options} options */
  function init(options) {
    if (cfg) return;
    cfg = resolveOptions(options);
    sensitive = new Set([...FORBIDDEN_PARAMS, ...cfg.sensitiveQueryParams].map((p) => p.toLowerCase()));
    queue = createQueue(store, cfg.maxQueueSize, (n) => drop('queue_full', n));
    win.addEventListener && win.addEventListener('pagehide', beacon);
    const doc = win.document;
    doc && doc.addEventListener && doc.addEventListener('visibilitychange', () => {
      if (doc.visibilityState === 'hidden') beacon();
    });
    if (queue.items.length) schedule();
    early.splice(0).forEach(([method, args]) => api[method](...args));
    // After the calls queued before init, so the page's own first requests go first.
    if (cfg.banner && doc && doc.createElement) Promise.resolve().then(choice.start);
  }

  /**
   * @param {string} type
   * @param {Record<string, any>} fields
   */
  function enqueue(type, fields) {
    const userId = store.get(USER_KEY);
    const event = {
      type,
      messageId: uuid(win.crypto),
      anonymousId: anonymousId(),
      ...(userId ? { userId } : {}),
      ...fields,
      timestamp: iso(),
      context: buildContext(win, sensitive),
    };
    Object.assign(event.context.consent, choice.context());
    let size;
    try {
      size = byteLength(JSON.stringify(event));
    } catch {
      return drop('invalid'); // circular or BigInt properties
    }
    if (size > MAX_EVENT_BYTES) return drop('oversize');
    queue.add(event);
    if (queue.items.length - inflight.size >= cfg.flushAt) flush();
    else schedule();
  }

  function schedule() {
    flushTimer = flushTimer || win.setTimeout(() => {
      flushTimer = null;
      flush();
    }, cfg.flushInterval);
  }

  /**
   * Sends every waiting event; resolves when each was delivered, dropped, or
   * left waiting for a retry.
   * @returns {Promise<void>}
   */
  function flush() {
    if (!cfg) return Promise.resolve();
    if (sending) return sending.then(flush);
    win.clearTimeout(flushTimer);
    flushTimer = null;
    return (sending = drain().finally(() => (sending = null)));
  }

  /** The events not already in flight, stamped with `sentAt` and grouped into bodies under the size cap. */
  function waiting() {
    const sentAt = iso();
    const events = queue.items.filter((e) => !inflight.has(e.messageId));
    events.forEach((e) => (e.sentAt = sentAt));
    const body = (/** @type {any[]} */ batch) => batchBody(batch, sentAt, cfg.writeKey);
    return { batches: chunk(events, byteLength(body([]))), body };
  }

  async function drain() {
    while (!retryTimer) {
      const { batches: [batch], body } = waiting();
      if (!batch) return;
      batch.forEach((e) => inflight.add(e.messageId));
      const { status, retryAfter, subject } = await post(win, cfg.endpoint + '/v1/batch', body(batch));
      batch.forEach((e) => inflight.delete(e.messageId));
      if (subject) {
        store.set(SUBJECT_KEY, subject);
        choice.sync();
      }
      if (retryable(status)) return retry(retryAfter);
      attempt = 0;
      queue.remove(batch);
      if (status >= 200 && status < 300) stats.sent += batch.length;
      else drop(`status_${status}`, batch.length);
    }
  }

  /** @param {number} [retryAfter] seconds the gateway asked us to wait */
  function retry(retryAfter) {
    stats.retries++;
    const delay = retryAfter === undefined ? backoff(++attempt, clock.random) : retryAfter * 1000;
    retryTimer = win.setTimeout(() => {
      retryTimer = null;
      flush();
    }, delay);
  }

  /**
   * Last chance before the page goes away: hand every waiting event to
   * sendBeacon, which survives unload, in bodies under the 64 KiB cap. Events
   * the browser refuses stay in storage for the next page load.
   */
  function beacon() {
    const nav = win.navigator;
    if (!nav || typeof nav.sendBeacon !== 'function') return void flush();
    const { batches, body } = waiting();
    for (const batch of batches) {
      const blob = new win.Blob([body(batch)], { type: 'text/plain' });
      if (!nav.sendBeacon(cfg.endpoint + '/v1/batch', blob)) return;
      queue.remove(batch);
      stats.sent += batch.length;
    }
  }

  /**
   * Runs `fn` now if init() ran, else remembers the call for init().
   * @param {string} method
   * @param {(...args: any[]) => any} fn
   */
  const ready = (method, fn) => (/** @type {any[]} */ ...args) => (cfg ? fn(...args) : void early.push([method, args]));

  const endpoint = () => {
    if (!cfg) throw new Error('consentGateway: call init() first');
    return cfg.endpoint;
  };
  const subject = () => store.get(SUBJECT_KEY);
  const consent = createConsent(win, endpoint, subject);
  const choice = createChoice(win, store, {
    endpoint,
    subject,
    writeKey: () => cfg.writeKey,
    lang: () => cfg.lang,
    flush: () => flush(),
    set: (p) => consent.consent.set(p),
  });

  const api = {
    version: LIBRARY.version,
    init,
    /**
     * @param {string | Record<string, any>} [name]
     * @param {Record<string, any>} [properties]
     */
    page: ready('page', (name, properties) => {
      if (name && typeof name === 'object') [name, properties] = [undefined, name];
      const props = stripPageFields({ ...pageInfo(win, sensitive), ...obj(properties) }, sensitive);
      enqueue('page', { ...(name != null ? { name: String(name) } : {}), properties: props });
    }),
    /**
     * @param {string} event
     * @param {Record<string, any>} [properties]
     */
    track: ready('track', (event, properties) => {
      if (typeof event !== 'string' || !event) return drop('invalid');
      enqueue('track', { event, properties: obj(properties) });
    }),
    /**
     * @param {string | number} userId
     * @param {Record<string, any>} [traits]
     */
    identify: ready('identify', (userId, traits) => {
      if (userId && typeof userId === 'object') [userId, traits] = [undefined, userId];
      if (userId != null && userId !== '') remember(USER_KEY, String(userId));
      enqueue('identify', { traits: obj(traits) });
    }),
    /** Forgets the user: clears userId and the subject token, starts a new anonymousId. */
    reset() {
      [USER_KEY, ANON_KEY, SUBJECT_KEY].forEach(store.remove);
      try {
        win.document.cookie = 'cg_anon_id=; Path=/; Max-Age=0'; // else the next id would be the old one
      } catch {}
    },
    flush,
    /** Counters for debugging: events sent, retries, and drops by reason. */
    stats: () => JSON.parse(JSON.stringify(stats)),
    ...consent,
    ...choice.api,
  };
  return api;
}
