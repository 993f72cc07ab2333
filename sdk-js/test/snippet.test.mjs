// The built artifacts as a page runs them: the loader snippet first, then
// the classic script, both in a vm context whose global is a fake window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { ENDPOINT, WRITE_KEY, fakeWindow, sentEvents } from './fakes.mjs';

const dist = (name) => readFileSync(new URL(`../dist/${name}`, import.meta.url), 'utf8');

function page() {
  const f = fakeWindow();
  const inserted = [];
  const existing = { parentNode: { insertBefore: (el, before) => inserted.push([el, before]) } };
  Object.assign(f.win.document, {
    createElement: (tag) => ({ tagName: tag.toUpperCase() }),
    getElementsByTagName: (tag) => (tag === 'script' ? [existing] : []),
  });
  f.win.window = f.win;
  f.win.TextEncoder = TextEncoder;
  const ctx = vm.createContext(f.win);
  const run = (name) => vm.runInContext(dist(name), ctx, { filename: name });
  return { ...f, inserted, run, existing };
}

test('the snippet defines a queueing stub and inserts the async script', () => {
  const { win, inserted, run, existing, net } = page();
  run('snippet.min.js');
  const [[script, before]] = inserted;
  assert.equal(script.tagName, 'SCRIPT');
  assert.equal(script.async, true);
  assert.equal(script.src, 'https://GATEWAY/sdk/v1/gateway.min.js');
  assert.equal(before, existing);
  const cg = win.consentGateway;
  for (const m of ['init', 'page', 'track', 'identify', 'reset', 'flush']) assert.equal(typeof cg[m], 'function', m);
  assert.equal(typeof cg.consent.get, 'function');
  assert.equal(typeof cg.consent.set, 'function');
  assert.equal(typeof cg.preferences.open, 'function');
  cg.track('Queued');
  assert.equal(cg._q.length, 1);
  assert.equal(net.calls.length, 0);
});

test('the library replays calls queued before it loaded, in order, resolving their promises', async () => {
  const { win, run, net } = page();
  run('snippet.min.js');
  const stub = win.consentGateway;
  stub.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT });
  stub.page('Home');
  stub.identify('u-7', { plan: 'free' });
  stub.track('Clicked', { id: 1 });
  const consent = stub.consent.get();
  net.script.push({ status: 200, json: { purposes: { advertising: false } } }); // consent.get is the first request

  run('gateway.min.js');
  const gw = win.consentGateway;
  assert.notEqual(gw, stub);
  assert.equal(gw.version, '0.1.0');
  assert.equal(stub._q.length, 0, 'queue drained');
  assert.deepEqual(await consent, { purposes: { advertising: false } });
  await gw.flush();
  const events = sentEvents(net);
  assert.deepEqual(events.map((e) => e.type), ['page', 'identify', 'track']);
  assert.equal(events[2].userId, 'u-7');
  assert.equal(JSON.parse(net.calls.find((c) => c.url.endsWith('/v1/batch')).body).writeKey, WRITE_KEY);
});

test('a queued call that fails rejects its promise; the rest still replay', async () => {
  const { win, run } = page();
  run('snippet.min.js');
  const badInit = win.consentGateway.init({ endpoint: ENDPOINT });
  const early = win.consentGateway.consent.get();
  run('gateway.min.js');
  await assert.rejects(badInit, /"writeKey" must be a non-empty string/);
  await assert.rejects(early, /call init\(\) first/);
});

test('the snippet and the library each install only once', () => {
  const { win, run, inserted } = page();
  run('snippet.min.js');
  run('snippet.min.js');
  assert.equal(inserted.length, 1);
  run('gateway.min.js');
  const first = win.consentGateway;
  run('gateway.min.js');
  assert.equal(win.consentGateway, first);
});

test('the classic script works without the snippet', async () => {
  const { win, run, net } = page();
  run('gateway.min.js');
  win.consentGateway.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT });
  win.consentGateway.track('Direct');
  await win.consentGateway.flush();
  assert.deepEqual(sentEvents(net).map((e) => e.event), ['Direct']);
});
