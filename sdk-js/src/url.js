/** Query parameters that carry a location and are removed from every URL. */
export const FORBIDDEN_PARAMS = ['lat', 'lng', 'lon', 'latitude', 'longitude', 'll', 'geo', 'coords', 'location'];

/** @param {string} raw */
function paramName(raw) {
  let name = raw.split('=')[0].replace(/\+/g, ' ');
  try { name = decodeURIComponent(name); } catch {}
  return name.split('[')[0].trim().toLowerCase();
}

/**
 * Removes the named query parameters (case-insensitive, `name[]` forms too)
 * from a URL or a bare query string, leaving every other byte as it was.
 * @param {string} url
 * @param {Set<string>} names lower-case parameter names
 * @returns {string}
 */
export function stripParams(url, names) {
  if (typeof url !== 'string') return url;
  const q = url.indexOf('?');
  if (q < 0) return url;
  let h = url.indexOf('#', q);
  if (h < 0) h = url.length;
  const kept = url.slice(q + 1, h).split('&').filter((p) => !names.has(paramName(p)));
  return url.slice(0, q) + (kept.length ? '?' + kept.join('&') : '') + url.slice(h);
}

/**
 * Strips the forbidden parameters from `url`, `search` and `referrer`.
 * @param {Record<string, any>} obj
 * @param {Set<string>} names
 */
export function stripPageFields(obj, names) {
  const out = { ...obj };
  for (const key of ['url', 'search', 'referrer']) {
    if (typeof out[key] === 'string') out[key] = stripParams(out[key], names);
  }
  return out;
}
