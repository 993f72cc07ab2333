import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { backoff } from '../src/transport.js';
import { ENDPOINT, WRITE_KEY, fakeWindow, sentEvents, storedQueue } from './fakes.mjs';

function setup(responses) {
  const f = fakeWindow({ responses });
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT });
  return { ...f, gw };
}

test('network errors and 5xx are retried with growing delays until delivered', async () => {
  const { gw, net, clock, storage } = setup(['network', 500, 502, 503, 200]);
  gw.track('A');
  await gw.flush();
  const delays = [];
  for (let i = 0; i < 4; i++) {
    const [delay] = clock.pending();
    delays.push(delay);
    await clock.advance(delay);
  }
  assert.equal(net.calls.length, 5);
  assert.deepEqual(delays, [750, 1500, 3000, 6000], 'random() = 0.5 with equal jitter');
  assert.equal(new Set(net.calls.map((c) => JSON.parse(c.body).batch[0].messageId)).size, 1, 'same event resent');
  assert.deepEqual(clock.pending(), []);
  assert.deepEqual(storedQueue(storage), []);
  assert.deepEqual(gw.stats(), { sent: 1, retries: 4, dropped: {} });
});

test('a retry waits for its timer: nothing is sent early', async () => {
  const { gw, net, clock } = setup([500]);
  gw.track('A');
  await gw.flush();
  for (let i = 0; i < 25; i++) gw.track(`B${i}`); // passes flushAt during backoff
  await gw.flush();
  assert.equal(net.calls.length, 1);
  await clock.advance(749);
  assert.equal(net.calls.length, 1);
  await clock.advance(1);
  assert.equal(sentEvents(net).length, 1 + 26);
});

test('429 honours Retry-After seconds', async () => {
  const { gw, net, clock } = setup([{ status: 429, headers: { 'Retry-After': '7' } }, { status: 503, headers: { 'Retry-After': '2' } }]);
  gw.track('A');
  await gw.flush();
  assert.deepEqual(clock.pending(), [7000]);
  await clock.advance(6999);
  assert.equal(net.calls.length, 1);
  await clock.advance(1);
  assert.equal(net.calls.length, 2);
  assert.deepEqual(clock.pending(), [2000], 'Retry-After on 503 too');
  await clock.advance(2000);
  assert.equal(net.calls.length, 3);
  assert.deepEqual(clock.pending(), []);
});

test('a Retry-After that is not delta-seconds falls back to backoff', async () => {
  const { gw, clock } = setup([{ status: 429, headers: { 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' } }]);
  gw.track('A');
  await gw.flush();
  assert.deepEqual(clock.pending(), [750]);
});

for (const status of [400, 401, 403, 404, 413, 415]) {
  test(`HTTP ${status} is never retried: the batch is dropped and counted`, async () => {
    const { gw, net, clock, storage } = setup([status]);
    gw.track('A');
    gw.track('B');
    await gw.flush();
    await clock.advance(10 * 60 * 1000);
    assert.equal(net.calls.length, 1);
    assert.deepEqual(clock.pending(), []);
    assert.deepEqual(storedQueue(storage), []);
    assert.deepEqual(gw.stats().dropped, { [`status_${status}`]: 2 });
    gw.track('C'); // the queue is not blocked
    await gw.flush();
    assert.deepEqual(sentEvents(net).at(-1).event, 'C');
  });
}

test('backoff grows exponentially, is jittered, and is capped at 60 s', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoff(n, () => 0)), [500, 1000, 2000, 4000]);
  assert.deepEqual([1, 2, 3, 4].map((n) => backoff(n, () => 1)), [1000, 2000, 4000, 8000]);
  assert.equal(backoff(30, () => 1), 60000);
  assert.equal(backoff(30, () => 0), 30000);
});
