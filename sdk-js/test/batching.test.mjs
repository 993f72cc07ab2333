import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { ENDPOINT, WRITE_KEY, fakeWindow, sentEvents, settle } from './fakes.mjs';

function setup(opts = {}) {
  const f = fakeWindow(opts);
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, ...opts.init });
  return { ...f, gw };
}

test('flushAt: the 20th event sends one batch of 20 at once', async () => {
  const { gw, net } = setup();
  for (let i = 0; i < 19; i++) gw.track(`E${i}`);
  await settle();
  assert.equal(net.calls.length, 0);
  gw.track('E19');
  await settle();
  assert.equal(net.calls.length, 1);
  assert.deepEqual(sentEvents(net).map((e) => e.event), Array.from({ length: 20 }, (_, i) => `E${i}`));
});

test('flushAt is configurable', async () => {
  const { gw, net } = setup({ init: { flushAt: 2 } });
  gw.track('A');
  await settle();
  assert.equal(net.calls.length, 0);
  gw.track('B');
  await settle();
  assert.equal(net.calls.length, 1);
});

test('flushInterval: a lone event goes out flushInterval ms after it was queued', async () => {
  const { gw, net, clock } = setup({ init: { flushInterval: 5000 } });
  gw.track('A');
  await clock.advance(4999);
  assert.equal(net.calls.length, 0);
  gw.track('B'); // does not push the deadline back
  await clock.advance(1);
  assert.equal(net.calls.length, 1);
  assert.deepEqual(sentEvents(net).map((e) => e.event), ['A', 'B']);
  await clock.advance(60000);
  assert.equal(net.calls.length, 1, 'nothing left to send');
});

test('the batch request: POST text/plain, keepalive, writeKey and sentAt in the body', async () => {
  const { gw, net, clock } = setup();
  gw.track('A');
  await clock.advance(1000);
  const [call] = net.calls;
  assert.equal(call.url, 'https://gw.example.test/v1/batch');
  assert.equal(call.init.method, 'POST');
  assert.equal(call.init.keepalive, true);
  assert.deepEqual(call.init.headers, { 'Content-Type': 'text/plain' });
  assert.equal(call.init.credentials, 'include', 'like sendBeacon, so the gateway can set its subject cookie');
  const body = JSON.parse(call.body);
  assert.deepEqual(Object.keys(body).sort(), ['batch', 'sentAt', 'writeKey']);
  assert.equal(body.writeKey, WRITE_KEY);
  assert.equal(body.sentAt, '2024-05-01T00:00:01.000Z');
  assert.equal(body.batch[0].sentAt, body.sentAt);
});

test('flush() sends everything now and resolves when delivered', async () => {
  const { gw, net, clock } = setup();
  gw.track('A');
  gw.page();
  await gw.flush();
  assert.equal(net.calls.length, 1);
  assert.equal(sentEvents(net).length, 2);
  assert.deepEqual(gw.stats(), { sent: 2, retries: 0, dropped: {} });
  assert.deepEqual(clock.pending(), [], 'the interval timer was cancelled');
});

test('a backlog larger than 64 KB goes out as several requests, each under 64 KB', async () => {
  const { gw, net } = setup({ init: { flushAt: 1000, maxQueueSize: 1000 } });
  for (let i = 0; i < 30; i++) gw.track(`E${i}`, { text: 'y'.repeat(8000) });
  await gw.flush();
  assert.ok(net.calls.length >= 4, `${net.calls.length} requests`);
  for (const c of net.calls) assert.ok(Buffer.byteLength(c.body) < 65536, `body of ${Buffer.byteLength(c.body)} bytes`);
  assert.deepEqual(sentEvents(net).map((e) => e.event), Array.from({ length: 30 }, (_, i) => `E${i}`));
});

test('events queued while a request is in flight follow it', async () => {
  const { gw, net } = setup();
  gw.track('A');
  const first = gw.flush();
  gw.track('B');
  const second = gw.flush();
  await Promise.all([first, second]);
  assert.deepEqual(net.calls.map((c) => JSON.parse(c.body).batch.map((e) => e.event)), [['A'], ['B']]);
});
