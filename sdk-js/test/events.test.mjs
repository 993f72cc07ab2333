import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createGateway } from '../src/gateway.js';
import { ENDPOINT, WRITE_KEY, fakeWindow, sentEvents, settle, storedQueue } from './fakes.mjs';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function setup(opts = {}) {
  const f = fakeWindow(opts);
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, ...opts.init });
  return { ...f, gw };
}

test('a track event follows the Segment Spec with the full context', async () => {
  const { gw, net, clock } = setup({ referrer: 'https://search.example/?q=shoes', title: 'Red shoe' });
  gw.track('Product Viewed', { sku: 'A1' });
  await clock.advance(2500);
  const [e] = sentEvents(net);
  assert.equal(e.type, 'track');
  assert.equal(e.event, 'Product Viewed');
  assert.deepEqual(e.properties, { sku: 'A1' });
  assert.match(e.messageId, UUID_V4);
  assert.match(e.anonymousId, UUID_V4);
  assert.equal(e.userId, undefined);
  assert.equal(e.timestamp, '2024-05-01T00:00:00.000Z');
  assert.equal(e.sentAt, '2024-05-01T00:00:01.000Z', 'sentAt is the send time, not the event time');
  assert.deepEqual(e.context, {
    page: {
      path: '/products/1',
      referrer: 'https://search.example/?q=shoes',
      search: '?color=red',
      title: 'Red shoe',
      url: 'https://shop.example.com/products/1?color=red',
    },
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) FakeBrowser/1.0',
    locale: 'ja-JP',
    timezone: 'Asia/Tokyo',
    library: { name: 'consent-gateway-js', version: '0.1.0' },
    consent: { gpc: false },
  });
});

test('library version matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const { gw } = setup();
  assert.equal(gw.version, pkg.version);
});

for (const [gpc, expected] of [[true, true], [false, false], [undefined, false]]) {
  test(`GPC navigator.globalPrivacyControl=${gpc} is reported as context.consent.gpc=${expected}`, async () => {
    const { gw, net } = setup({ gpc });
    gw.track('X');
    await gw.flush();
    assert.equal(sentEvents(net)[0].context.consent.gpc, expected);
  });
}

test('page() records name and the page as properties', async () => {
  const { gw, net } = setup({ title: 'Home' });
  gw.page('Home', { section: 'top' });
  gw.page({ section: 'only-props' });
  await gw.flush();
  const [named, unnamed] = sentEvents(net);
  assert.equal(named.type, 'page');
  assert.equal(named.name, 'Home');
  assert.deepEqual(named.properties, {
    path: '/products/1', referrer: '', search: '?color=red', title: 'Home',
    url: 'https://shop.example.com/products/1?color=red', section: 'top',
  });
  assert.equal('name' in unnamed, false);
  assert.equal(unnamed.properties.section, 'only-props');
});

test('the URL fragment is not collected', async () => {
  const { gw, net } = setup({ href: 'https://app.example.com/cb?x=1#access_token=secret' });
  gw.page();
  await gw.flush();
  const [e] = sentEvents(net);
  assert.equal(e.context.page.url, 'https://app.example.com/cb?x=1');
  assert.equal(e.properties.url, 'https://app.example.com/cb?x=1');
});

test('identify() stores the userId for later events; reset() forgets both ids', async () => {
  const { gw, net, storage } = setup();
  gw.track('Before');
  gw.identify('user-42', { plan: 'pro' });
  gw.track('After');
  await gw.flush();
  const [before, who, after] = sentEvents(net);
  assert.equal(before.userId, undefined);
  assert.equal(who.type, 'identify');
  assert.equal(who.userId, 'user-42');
  assert.deepEqual(who.traits, { plan: 'pro' });
  assert.equal(after.userId, 'user-42');
  assert.equal(storage.getItem('cg_user_id'), 'user-42');
  assert.equal(storage.getItem('cg_anon_id'), before.anonymousId);
  assert.equal(after.anonymousId, before.anonymousId);

  gw.reset();
  assert.equal(storage.getItem('cg_user_id'), null);
  assert.equal(storage.getItem('cg_anon_id'), null);
  gw.track('Reset');
  await gw.flush();
  const last = sentEvents(net).at(-1);
  assert.equal(last.userId, undefined);
  assert.notEqual(last.anonymousId, before.anonymousId);
  assert.match(last.anonymousId, UUID_V4);
});

test('the anonymousId survives a page load', async () => {
  const first = setup();
  first.gw.track('A');
  await first.gw.flush();
  const second = setup({ storage: first.storage });
  second.gw.track('B');
  await second.gw.flush();
  assert.equal(sentEvents(second.net)[0].anonymousId, sentEvents(first.net)[0].anonymousId);
});

test('messageId falls back to getRandomValues, then Math.random, as UUID v4', async () => {
  for (const crypto of [{ getRandomValues: (b) => globalThis.crypto.getRandomValues(b) }, undefined]) {
    const { gw, net } = setup({ crypto });
    gw.track('A');
    gw.track('B');
    await gw.flush();
    const [a, b] = sentEvents(net);
    assert.match(a.messageId, UUID_V4);
    assert.notEqual(a.messageId, b.messageId);
  }
});

test('calls made before init() are replayed by init()', async () => {
  const f = fakeWindow();
  const gw = createGateway(f.win, f.clock);
  gw.track('Early');
  gw.identify('u1');
  await gw.flush();
  assert.equal(f.net.calls.length, 0, 'nothing is sent before init');
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT + '/' });
  await gw.flush();
  const events = sentEvents(f.net);
  assert.deepEqual(events.map((e) => e.type), ['track', 'identify']);
  assert.equal(f.net.calls[0].url, ENDPOINT + '/v1/batch', 'a trailing slash on endpoint is trimmed');
});

test('init() reports every bad option at once, unknown keys included', () => {
  const { win, clock } = fakeWindow();
  const init = (o) => () => createGateway(win, clock).init(o);
  assert.throws(init(undefined), /"writeKey" must be a non-empty string; "endpoint" must be an http\(s\) URL/);
  assert.throws(init({ writeKey: 'k', endpoint: 'gw.example.test' }), /^TypeError: consentGateway.init: "endpoint" must be an http\(s\) URL or a path starting with "\/"$/);
  assert.throws(
    init({ writeKey: 'k', endpoint: ENDPOINT, sensitiveQueryParam: ['email'], flushAt: 0, flushInterval: -1, maxQueueSize: 1.5 }),
    (err) => {
      assert.equal(err.message, 'consentGateway.init: "flushAt" must be an integer >= 1; "flushInterval" must be a number of milliseconds >= 0; '
        + '"maxQueueSize" must be an integer >= 1; unknown option "sensitiveQueryParam"');
      return true;
    },
  );
  assert.throws(init({ writeKey: 'k', endpoint: ENDPOINT, sensitiveQueryParams: 'email' }), /"sensitiveQueryParams" must be an array of strings/);
});

test('init() treats undefined options as absent and accepts a same-origin path', async () => {
  const f = fakeWindow();
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: 'k', endpoint: '/gw/', flushAt: undefined });
  for (let i = 0; i < 20; i++) gw.track('E');
  await settle();
  assert.equal(f.net.calls.length, 1, 'default flushAt of 20 applies');
  assert.equal(f.net.calls[0].url, '/gw/v1/batch');
});

test('invalid events are dropped and counted, never thrown into the page', async () => {
  const { gw, storage } = setup();
  const circular = {};
  circular.self = circular;
  gw.track('');
  gw.track('Circular', circular);
  gw.track('Huge', { blob: 'x'.repeat(40000) });
  assert.deepEqual(gw.stats().dropped, { invalid: 2, oversize: 1 });
  assert.deepEqual(storedQueue(storage), []);
});
