/**
 * The customer's choices live in the gateway, which knows the visitor by its
 * signed subject token: the `gw_sid` cookie (hence `credentials: 'include'`)
 * and, where the browser withholds that cookie from another site, the same
 * token sent back in the `Gateway-Subject` header.
 * @param {any} win
 * @param {() => string} endpoint
 * @param {() => string | null} subject the last token the gateway issued
 */
export function createConsent(win, endpoint, subject) {
  /**
   * @param {'GET' | 'PUT'} method
   * @param {unknown} [prefs]
   */
  async function request(method, prefs) {
    const put = method === 'PUT';
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (put) headers['Content-Type'] = 'application/json';
    const token = subject();
    if (token) headers['Gateway-Subject'] = token;
    const res = await win.fetch(endpoint() + '/v1/consent', {
      method,
      credentials: 'include',
      cache: 'no-store',
      headers,
      body: put ? JSON.stringify(prefs) : undefined,
    });
    if (!res.ok) {
      throw Object.assign(new Error(`consentGateway: ${method} /v1/consent answered HTTP ${res.status}`), { status: res.status });
    }
    return res.json();
  }

  return {
    consent: {
      /** @returns {Promise<any>} the gateway's record of this visitor's choices */
      get: () => request('GET'),
      /**
       * @param {{purposes?: {analytics?: boolean, advertising?: boolean}, advertising_id?: boolean, vendors?: Record<string, boolean>}} prefs
       * @returns {Promise<any>}
       */
      set: (prefs) => request('PUT', prefs),
    },
    preferences: {
      /**
       * Opens the gateway's preference page in a new tab, or navigates to it
       * when a popup blocker refuses (window.open returns null).
       * @returns {boolean} true when a new tab opened
       */
      open() {
        const url = endpoint() + '/privacy/preferences';
        const tab = win.open(url, '_blank');
        if (tab) {
          try { tab.opener = null; } catch {}
          return true;
        }
        win.location.assign(url);
        return false;
      },
    },
  };
}
