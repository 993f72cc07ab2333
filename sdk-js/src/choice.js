/**
 * The visitor's banner choice, kept in first-party storage and mirrored on
 * every event (`context.consent.categoryPreferences`), recorded in the
 * gateway through PUT /v1/consent once the gateway has issued a subject
 * token, announced to Google Consent Mode (`gtag`) and to `on('consent')`
 * listeners. The banner itself is a separate chunk loaded only when the
 * gateway's settings call for it.
 */
const KEY = 'cg_consent';
const GRANT = (/** @type {any} */ on) => (on ? 'granted' : 'denied');

/**
 * @param {any} win
 * @param {import('./storage.js').Store} store
 * @param {{endpoint: () => string, writeKey: () => string, lang: () => string,
 *   flush: () => Promise<void>, subject: () => string | null, set: (p: any) => Promise<any>}} gw
 */
export function createChoice(win, store, gw) {
  /** @type {Array<(p: Record<string, boolean>) => void>} */
  const listeners = [];
  /** @type {any} */
  let settings = null;
  /** @type {Promise<void> | null} */
  let syncing = null;
  const gpc = () => !!(win.navigator && win.navigator.globalPrivacyControl === true);

  /** @returns {any} the stored record: {v: notice version, p?: purposes chosen, q: purposes seen, r: recipients seen, s?: not yet recorded} */
  function read() {
    try {
      return JSON.parse(store.get(KEY) || 'null');
    } catch {
      return null;
    }
  }

  /** @param {any} record */
  function write(record) {
    const s = settings || {};
    const seen = { v: s.notice_version, q: (s.purposes || []).map((/** @type {any} */ x) => x.name), r: (s.recipients || []).map((/** @type {any} */ x) => x.key) };
    store.set(KEY, JSON.stringify({ ...seen, ...record }));
  }

  /** @param {Record<string, boolean>} p */
  function announce(p) {
    if (typeof win.gtag === 'function') {
      try {
        win.gtag('consent', 'update', {
          analytics_storage: GRANT(p.analytics),
          ad_storage: GRANT(p.advertising),
          ad_user_data: GRANT(p.advertising),
          ad_personalization: GRANT(p.advertising),
        });
      } catch {}
    }
    listeners.forEach((fn) => {
      try { fn({ ...p }); } catch {}
    });
  }

  /**
   * Records a choice: `purposes` names each purpose true/false (omitted ones
   * keep their defaults). With Global Privacy Control on, advertising is
   * refused whatever was ticked.
   * @param {Record<string, boolean>} purposes
   */
  async function choose(purposes) {
    const p = { ...purposes };
    if (gpc() && 'advertising' in p) p.advertising = false;
    write({ p, s: 1 });
    announce(p);
    await gw.flush();
    await sync();
    return p;
  }

  /** The notice was read and closed without a choice: not consent to anything new. */
  function dismiss() {
    const r = read();
    write(r && r.p ? { p: r.p, s: r.s } : {});
  }

  /** Sends a choice not yet recorded, when the gateway has issued a subject token. */
  function sync() {
    const r = read();
    if (syncing) return syncing;
    if (!r || !r.s || !r.p || !gw.subject()) return Promise.resolve();
    const done = () => write({ p: r.p, v: r.v, q: r.q, r: r.r });
    syncing = gw.set({ purposes: r.p }).then(done, (/** @type {any} */ err) => {
      // A refusal that will not change (403, 400) is not retried; the choice still travels
      // with every event. A missing token (401) or a network error is tried again later.
      if (err && err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 429) done();
    }).finally(() => (syncing = null));
    return syncing;
  }

  /** @returns {Record<string, any>} what the next event says about consent */
  function context() {
    const r = read();
    return r && r.p ? { categoryPreferences: { ...r.p } } : {};
  }

  /** True when the visitor should see the banner (again): never chosen or acknowledged, or the notice changed. */
  function needed() {
    const r = read();
    if (!settings) return false;
    if (!r || r.v !== settings.notice_version) return true;
    return settings.regime === 'opt_in' && !r.p;
  }

  /** Fetches the gateway's banner settings and shows the banner when they call for it. */
  async function start() {
    const lang = gw.lang();
    const url = `${gw.endpoint()}/v1/projects/${encodeURIComponent(gw.writeKey())}/settings${lang ? `?lang=${lang}` : ''}`;
    try {
      const res = await win.fetch(url, { credentials: 'omit', cache: 'no-store' });
      if (!res.ok) return;
      settings = (await res.json()).consent || null;
    } catch {
      return;
    }
    if (needed()) show();
  }

  function show() {
    const doc = win.document;
    const open = () => win.__cgBanner({ win, settings, record: read(), gpc: gpc(), base: gw.endpoint(), choose, dismiss });
    if (win.__cgBanner) return open();
    const script = doc.createElement('script');
    script.src = gw.endpoint() + '/sdk/v1/banner.min.js';
    script.async = true;
    script.onload = open;
    (doc.head || doc.documentElement).appendChild(script);
  }

  return {
    context,
    start,
    sync,
    api: {
      /** @param {string} type @param {(p: Record<string, boolean>) => void} fn */
      on(type, fn) {
        if (type === 'consent' && typeof fn === 'function') listeners.push(fn);
      },
      choice: {
        choose,
        /** @returns {Record<string, boolean> | null} the purposes the visitor chose on this browser */
        get: () => { const r = read(); return r && r.p ? { ...r.p } : null; },
        /** True when the notice changed since the visitor last chose (issue: re-asking). */
        reviewRequired: needed,
        /** Shows the banner again (a "privacy choices" link on the site). */
        show: () => settings && show(),
      },
    },
  };
}
