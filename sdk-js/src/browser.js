import { createGateway } from './gateway.js';

/**
 * Calls queued by the loader snippet before this script arrived, each as
 * [method path, arguments, resolve, reject], replayed in order.
 * @param {any} gw
 * @param {any[]} queue
 */
export function replay(gw, queue) {
  for (const [path, args, resolve, reject] of queue.splice(0)) {
    try {
      const [head, tail] = path.split('.');
      const target = tail ? gw[head] : gw;
      Promise.resolve(target[tail || head](...args)).then(resolve, reject);
    } catch (err) {
      reject(err);
    }
  }
}

const win = /** @type {any} */ (window);
const existing = win.consentGateway;
if (!existing || !existing.version) {
  const gw = createGateway(win);
  win.consentGateway = gw;
  if (existing && Array.isArray(existing._q)) replay(gw, existing._q);
}
