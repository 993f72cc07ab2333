/**
 * The customer's choices live in the gateway, tied to its first-party subject
 * cookie, hence `credentials: 'include'` (the gateway must answer with
 * Access-Control-Allow-Credentials for the site's origin).
 * @param {any} win
 * @param {() => string} endpoint
 */
export function createConsent(win, endpoint) {
  /**
   * @param {'GET' | 'PUT'} method
   * @param {unknown} [prefs]
   */
  async function request(method, prefs) {
    const put = method === 'PUT';
    const res = await win.fetch(endpoint() + '/v1/consent', {
      method,
      credentials: 'include',
      cache: 'no-store',
      headers: put ? { Accept: 'application/json', 'Content-Type': 'application/json' } : { Accept: 'application/json' },
      body: put ? JSON.stringify(prefs) : undefined,
    });
    if (!res.ok) throw new Error(`consentGateway: ${method} /v1/consent answered HTTP ${res.status}`);
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
