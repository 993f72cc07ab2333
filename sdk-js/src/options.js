/**
 * @typedef {object} Options
 * @property {string} writeKey the source's write key (public, not a secret)
 * @property {string} endpoint the gateway's base URL, e.g. https://gw.example.com
 * @property {number} [flushAt] send as soon as this many events wait (20)
 * @property {number} [flushInterval] otherwise send this many ms after an event (1000)
 * @property {string[]} [sensitiveQueryParams] query parameters to strip, beside the built-in location ones
 * @property {number} [maxQueueSize] undelivered events kept, oldest dropped first (100)
 * @property {boolean} [banner] show the gateway's consent banner when the visitor's regime calls for it (true); false for sites running their own CMP
 * @property {string} [lang] the banner's language, 'ja' or 'en' (default: the browser's)
 */

const DEFAULTS = { flushAt: 20, flushInterval: 1000, maxQueueSize: 100, sensitiveQueryParams: [], banner: true, lang: '' };

/** @type {Record<string, [(v: any) => boolean, string]>} each option's check and what it must be */
const RULES = {
  writeKey: [(v) => typeof v === 'string' && v !== '', 'a non-empty string'],
  endpoint: [(v) => typeof v === 'string' && /^(https?:\/\/[^/]|\/)/.test(v), 'an http(s) URL or a path starting with "/"'],
  flushAt: [(v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'],
  flushInterval: [(v) => typeof v === 'number' && v >= 0 && v < 2 ** 31, 'a number of milliseconds >= 0'],
  maxQueueSize: [(v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'],
  sensitiveQueryParams: [(v) => Array.isArray(v) && v.every((p) => typeof p === 'string'), 'an array of strings'],
  banner: [(v) => typeof v === 'boolean', 'true or false'],
  lang: [(v) => v === '' || v === 'ja' || v === 'en', '"ja" or "en"'],
};

/**
 * Checks every option in one pass and throws one error naming each problem.
 * Unknown keys are errors: a misspelt `sensitiveQueryParams` must not
 * silently leave parameters unstripped.
 * @param {any} options
 * @returns {Required<Options>}
 */
export function resolveOptions(options) {
  const given = Object.entries(options || {}).filter(([, v]) => v !== undefined);
  const o = /** @type {any} */ ({ ...DEFAULTS, ...Object.fromEntries(given) });
  const problems = [...new Set([...Object.keys(RULES), ...Object.keys(o)])].flatMap((key) => {
    const rule = RULES[key];
    if (!rule) return [`unknown option "${key}"`];
    return rule[0](o[key]) ? [] : [`"${key}" must be ${rule[1]}`];
  });
  if (problems.length) throw new TypeError(`consentGateway.init: ${problems.join('; ')}`);
  return { ...o, endpoint: o.endpoint.replace(/\/+$/, '') };
}
