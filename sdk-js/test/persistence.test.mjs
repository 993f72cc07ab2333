import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { ENDPOINT, WRITE_KEY, fakeStorage, fakeWindow, sentEvents, storedQueue } from './fakes.mjs';

function load(opts = {}) {
  const f = fakeWindow(opts);
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, ...opts.init });
  return { ...f, gw };
}

test('undelivered events are stored and resent on the next page load', async () => {
  const first = load({ responses: ['network'] });
  first.gw.track('A');
  first.gw.track('B');
  await first.gw.flush();
  const stored = storedQueue(first.storage);
  assert.deepEqual(stored.map((e) => e.event), ['A', 'B']);

  const second = load({ storage: first.storage });
  assert.equal(second.net.calls.length, 0);
  await second.clock.advance(1000);
  assert.deepEqual(sentEvents(second.net).map((e) => e.event), ['A', 'B']);
  assert.deepEqual(
    sentEvents(second.net).map((e) => e.messageId),
    stored.map((e) => e.messageId),
    'same messageIds, so the gateway can de-duplicate',
  );
  assert.deepEqual(storedQueue(second.storage), []);
});

test('delivered events leave storage', async () => {
  const { gw, storage } = load();
  gw.track('A');
  assert.equal(storedQueue(storage).length, 1);
  await gw.flush();
  assert.deepEqual(storedQueue(storage), []);
});

test('the stored queue is bounded by maxQueueSize: oldest dropped and counted', async () => {
  const { gw, storage } = load({ responses: ['network'], init: { maxQueueSize: 3, flushAt: 100 } });
  for (const e of ['A', 'B', 'C', 'D', 'E']) gw.track(e);
  assert.deepEqual(storedQueue(storage).map((e) => e.event), ['C', 'D', 'E']);
  assert.deepEqual(gw.stats().dropped, { queue_full: 2 });
});

test('maxQueueSize defaults to 100', async () => {
  const { gw, storage } = load({ responses: ['network'], init: { flushAt: 1000 } });
  for (let i = 0; i < 130; i++) gw.track(`E${i}`);
  const stored = storedQueue(storage);
  assert.equal(stored.length, 100);
  assert.equal(stored[0].event, 'E30');
  assert.deepEqual(gw.stats().dropped, { queue_full: 30 });
});

test('two tabs sharing storage keep each other\'s events', async () => {
  const shared = fakeStorage();
  const a = load({ storage: shared, responses: ['network'] });
  const b = load({ storage: shared, responses: ['network'] });
  a.gw.track('A1');
  b.gw.track('B1');
  a.gw.track('A2');
  assert.deepEqual(storedQueue(shared).map((e) => e.event), ['A1', 'B1', 'A2']);
  await b.gw.flush(); // fails: network
  b.net.script.push(200);
  await b.clock.advance(10000);
  assert.deepEqual(storedQueue(shared).map((e) => e.event), ['A1', 'A2'], 'B removed only its own delivered event');
});

for (const mode of ['throws', 'null']) {
  test(`storage disabled (localStorage ${mode}): the SDK works from memory`, async () => {
    const { gw, net } = load({ storage: mode });
    gw.identify('u1');
    gw.track('A');
    gw.track('B');
    await gw.flush();
    const events = sentEvents(net);
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.userId === 'u1'));
    assert.equal(new Set(events.map((e) => e.anonymousId)).size, 1, 'anonymousId is stable in memory');
    gw.reset();
    gw.track('C');
    await gw.flush();
    const last = sentEvents(net).at(-1);
    assert.equal(last.userId, undefined);
    assert.notEqual(last.anonymousId, events[0].anonymousId);
  });
}

test('a storage whose every call throws (privacy mode) falls back to memory', async () => {
  const broken = {
    getItem() { throw new Error('denied'); },
    setItem() { throw new Error('denied'); },
    removeItem() { throw new Error('denied'); },
  };
  const { gw, net, clock } = load({ storage: broken, responses: ['network'] });
  gw.identify('u1');
  gw.track('A');
  await gw.flush();
  await clock.advance(750);
  const [first, , again] = sentEvents(net);
  assert.equal(net.calls.length, 2, 'failed once, then retried from the in-memory queue');
  assert.equal(again.messageId, first.messageId);
  assert.equal(again.userId, 'u1');
  assert.deepEqual(gw.stats(), { sent: 2, retries: 1, dropped: {} });
});

test('a full storage keeps the newest queue in memory instead of a stale copy', async () => {
  const store = fakeStorage();
  const { gw, net, clock } = load({ storage: store, responses: ['network'] });
  gw.track('A');
  store.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); };
  gw.track('B');
  assert.equal(store.getItem('cg_queue'), null, 'the stale stored copy was removed');
  net.script.push(200);
  await gw.flush();
  await clock.advance(60000);
  assert.deepEqual(sentEvents(net).map((e) => e.event).slice(-2), ['A', 'B']);
});

test('corrupt stored data is ignored', async () => {
  const store = fakeStorage();
  store.setItem('cg_queue', '{not json');
  const { gw, net } = load({ storage: store });
  gw.track('A');
  await gw.flush();
  assert.deepEqual(sentEvents(net).map((e) => e.event), ['A']);
});
