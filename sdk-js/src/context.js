import { LIBRARY } from './version.js';
import { stripPageFields } from './url.js';

/**
 * The page as Segment's analytics.js reports it: the URL without its fragment
 * (fragments often hold tokens and never reach a server anyway).
 * @param {any} win
 * @param {Set<string>} names sensitive query parameters to strip
 */
export function pageInfo(win, names) {
  const loc = win.location || {};
  const doc = win.document || {};
  const href = String(loc.href || '');
  return stripPageFields({
    path: loc.pathname || '',
    referrer: doc.referrer || '',
    search: loc.search || '',
    title: doc.title || '',
    url: href.split('#')[0],
  }, names);
}

/** @param {any} win */
function timezone(win) {
  try {
    return win.Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * `context` for every event. Reads only the page, the user agent, language,
 * time zone and the Global Privacy Control flag; no device sensors, ever.
 * @param {any} win
 * @param {Set<string>} names
 */
export function buildContext(win, names) {
  const nav = win.navigator || {};
  return {
    page: pageInfo(win, names),
    userAgent: nav.userAgent,
    locale: nav.language,
    timezone: timezone(win),
    library: { ...LIBRARY },
    consent: { gpc: nav.globalPrivacyControl === true },
  };
}
