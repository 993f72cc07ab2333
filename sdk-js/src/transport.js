/** Browsers cap a beacon (and all keepalive bodies in flight) at 64 KiB. */
export const MAX_BODY_BYTES = 64000;
/** The gateway's default per-event limit (32 KiB), less room for `sentAt`. */
export const MAX_EVENT_BYTES = 32000;
const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 60000;
const MAX_RETRY_AFTER_S = 3600;

/** @param {string} s */
export const byteLength = (s) => new TextEncoder().encode(s).length;

/**
 * Groups events, in order, into batches whose request body stays under
 * MAX_BODY_BYTES. An event is never split (each is below MAX_EVENT_BYTES).
 * @param {any[]} events
 * @param {number} overhead bytes of the envelope around the events
 * @returns {any[][]}
 */
export function chunk(events, overhead) {
  /** @type {any[][]} */
  const out = [];
  let cur = [];
  let size = overhead;
  for (const e of events) {
    const n = byteLength(JSON.stringify(e)) + 1;
    if (cur.length && size + n > MAX_BODY_BYTES) {
      out.push(cur);
      cur = [];
      size = overhead;
    }
    cur.push(e);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * The write key travels in the body: sendBeacon cannot set headers.
 * @param {any[]} batch
 * @param {string} sentAt
 * @param {string} writeKey
 */
export const batchBody = (batch, sentAt, writeKey) => JSON.stringify({ batch, sentAt, writeKey });

/**
 * POSTs a batch as text/plain (a CORS-safelisted type: no preflight), with
 * credentials like sendBeacon, so the gateway can set its subject cookie.
 * Resolves to the HTTP status (0 for a network error), Retry-After seconds and
 * the subject token the gateway issued, if it exposed one.
 * @param {any} win
 * @param {string} url
 * @param {string} body
 * @returns {Promise<{status: number, retryAfter?: number, subject?: string}>}
 */
export async function post(win, url, body) {
  try {
    const res = await win.fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body,
      credentials: 'include',
      keepalive: true,
    });
    const header = (/** @type {string} */ name) => (res.headers && res.headers.get(name)) || undefined;
    return { status: res.status, retryAfter: retryAfter(header('Retry-After')), subject: header('Gateway-Subject') };
  } catch {
    return { status: 0 };
  }
}

/**
 * Retry-After in delta-seconds (what the gateway sends); an HTTP date or junk
 * is ignored and ordinary backoff applies.
 * @param {string | null | undefined} value
 */
function retryAfter(value) {
  const s = value == null || value.trim() === '' ? NaN : Number(value);
  return s >= 0 ? Math.min(s, MAX_RETRY_AFTER_S) : undefined;
}

/**
 * Network errors, 429 and 5xx may succeed later; any other answer will not,
 * so those events are dropped rather than resent forever.
 * @param {number} status
 */
export const retryable = (status) => status === 0 || status === 429 || status >= 500;

/**
 * Exponential backoff with "equal jitter": attempt n waits between half and
 * all of min(1s * 2^(n-1), 60s), so no wait is shorter than the one before
 * until the cap is reached.
 * @param {number} attempt 1 for the first retry
 * @param {() => number} random
 */
export function backoff(attempt, random) {
  const d = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** (attempt - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}
