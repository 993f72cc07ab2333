import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { ENDPOINT, WRITE_KEY, fakeWindow, storedQueue } from './fakes.mjs';

function setup(opts = {}) {
  const f = fakeWindow(opts);
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, ...opts.init });
  return { ...f, gw };
}

const bodies = (beacons) => Promise.all(beacons.map(async (b) => JSON.parse(await b.blob.text())));

test('pagehide hands waiting events to sendBeacon as text/plain with the writeKey in the body', async () => {
  const { gw, win, beacons, net, storage } = setup();
  gw.track('A');
  gw.page('Checkout');
  win.dispatch('pagehide');
  assert.equal(beacons.length, 1);
  assert.equal(beacons[0].url, 'https://gw.example.test/v1/batch');
  assert.equal(beacons[0].blob.type, 'text/plain');
  const [body] = await bodies(beacons);
  assert.equal(body.writeKey, WRITE_KEY);
  assert.equal(body.sentAt, '2024-05-01T00:00:00.000Z');
  assert.deepEqual(body.batch.map((e) => e.type), ['track', 'page']);
  assert.deepEqual(storedQueue(storage), [], 'accepted by the browser, so no longer stored');
  assert.equal(net.calls.length, 0);
  await gw.flush();
  assert.equal(net.calls.length, 0, 'not sent twice');
});

test('visibilitychange to hidden beacons; to visible does not', () => {
  const { gw, win, beacons } = setup();
  gw.track('A');
  win.document.visibilityState = 'visible';
  win.document.dispatch('visibilitychange');
  assert.equal(beacons.length, 0);
  win.document.visibilityState = 'hidden';
  win.document.dispatch('visibilitychange');
  assert.equal(beacons.length, 1);
});

test('nothing waiting, no beacon', () => {
  const { win, beacons } = setup();
  win.dispatch('pagehide');
  assert.equal(beacons.length, 0);
});

test('beacon bodies are split to stay under 64 KB, every event sent once', async () => {
  const { gw, win, beacons } = setup({ init: { flushAt: 1000, maxQueueSize: 1000 } });
  for (let i = 0; i < 40; i++) gw.track(`E${i}`, { text: 'ü'.repeat(5000) }); // 10 KB of UTF-8 each
  win.dispatch('pagehide');
  assert.ok(beacons.length >= 7, `${beacons.length} beacons`);
  for (const b of beacons) assert.ok(b.blob.size < 65536, `beacon of ${b.blob.size} bytes`);
  const events = (await bodies(beacons)).flatMap((b) => b.batch.map((e) => e.event));
  assert.deepEqual(events, Array.from({ length: 40 }, (_, i) => `E${i}`));
});

test('events the browser refuses to beacon stay stored for the next load', async () => {
  const { gw, win, beacons, storage } = setup({ beacon: false });
  gw.track('A');
  win.dispatch('pagehide');
  assert.equal(beacons.length, 1);
  assert.deepEqual(storedQueue(storage).map((e) => e.event), ['A']);
});

test('events already in flight by fetch are not beaconed again', async () => {
  const { gw, win, beacons } = setup();
  gw.track('InFlight');
  const sending = gw.flush();
  gw.track('Waiting');
  win.dispatch('pagehide');
  await sending;
  const [body] = await bodies(beacons);
  assert.deepEqual(body.batch.map((e) => e.event), ['Waiting']);
});

test('without sendBeacon, pagehide flushes with fetch keepalive', async () => {
  const { gw, win, net } = setup({ beacon: 'missing' });
  gw.track('A');
  win.dispatch('pagehide');
  await gw.flush();
  assert.equal(net.calls.length, 1);
  assert.equal(net.calls[0].init.keepalive, true);
});
