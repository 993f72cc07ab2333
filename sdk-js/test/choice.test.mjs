// A banner choice: mirrored on the next events, recorded in the gateway once a
// subject token exists, passed to Google Consent Mode and to on('consent').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { ENDPOINT, WRITE_KEY, fakeWindow, sentEvents } from './fakes.mjs';

function setup(opts = {}) {
  const f = fakeWindow(opts);
  const gtag = [];
  f.win.gtag = (...args) => gtag.push(args);
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, flushAt: 1 });
  return { ...f, gw, gtag };
}

test('a choice is announced, recorded with the subject token and carried by the next events', async () => {
  const subject = { status: 200, headers: { 'Gateway-Subject': 'v1.tok.sig' } };
  const { gw, net, gtag } = setup({ responses: [subject, { status: 200, json: { purposes: {} } }] });
  const heard = [];
  gw.on('consent', (p) => heard.push(p));
  gw.page('Home');
  const chosen = await gw.choice.choose({ analytics: true, advertising: false });
  assert.deepEqual(chosen, { analytics: true, advertising: false });
  assert.deepEqual(heard, [{ analytics: true, advertising: false }]);
  assert.deepEqual(gtag, [['consent', 'update', {
    analytics_storage: 'granted', ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied',
  }]]);
  const put = net.calls.find((c) => c.init.method === 'PUT');
  assert.ok(put, 'the choice was recorded in the gateway');
  assert.equal(put.init.headers['Gateway-Subject'], 'v1.tok.sig');
  assert.deepEqual(JSON.parse(put.body), { purposes: { analytics: true, advertising: false } });
  assert.equal(sentEvents(net)[0].context.consent.categoryPreferences, undefined, 'before the choice: no grant');

  gw.track('Clicked');
  await gw.flush();
  const last = sentEvents(net).at(-1);
  assert.deepEqual(last.context.consent.categoryPreferences, { analytics: true, advertising: false });
  assert.deepEqual(gw.choice.get(), { analytics: true, advertising: false });
});

test('without a subject token the choice waits, and is recorded after the next delivered batch', async () => {
  const { gw, net } = setup({ responses: [{ status: 200, headers: { 'Gateway-Subject': 'v1.t.s' } }] });
  await gw.choice.choose({ analytics: false, advertising: false });
  assert.equal(net.calls.filter((c) => c.init.method === 'PUT').length, 0);
  gw.track('Clicked');
  await gw.flush();
  await new Promise((r) => setImmediate(r));
  const puts = net.calls.filter((c) => c.init.method === 'PUT');
  assert.equal(puts.length, 1);
  assert.deepEqual(JSON.parse(puts[0].body), { purposes: { analytics: false, advertising: false } });
});

test('with Global Privacy Control on, advertising is refused whatever was ticked', async () => {
  const { gw } = setup({ gpc: true });
  assert.deepEqual(await gw.choice.choose({ analytics: true, advertising: true }), { analytics: true, advertising: false });
});

test('init rejects a bad banner or lang option', () => {
  const { win, clock } = fakeWindow();
  const gw = createGateway(win, clock);
  assert.throws(() => gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, banner: 'no', lang: 'fr' }),
    /"banner" must be true or false; "lang" must be "ja" or "en"/);
});

test('the device the preference page created (cookie cg_anon_id) is adopted; reset() lets it go', async () => {
  const { win, clock, net } = fakeWindow();
  win.document.cookie = 'other=1; cg_anon_id=0b5e6f3a-6a0f-4b5e-9a55-5d1f8b7c2e11';
  const gw = createGateway(win, clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, flushAt: 1 });
  gw.track('First');
  await gw.flush();
  assert.equal(sentEvents(net)[0].anonymousId, '0b5e6f3a-6a0f-4b5e-9a55-5d1f8b7c2e11');
  gw.reset();
  gw.track('After reset');
  await gw.flush();
  assert.notEqual(sentEvents(net)[1].anonymousId, '0b5e6f3a-6a0f-4b5e-9a55-5d1f8b7c2e11');
});

test('a choice the gateway refuses for good (403) is not sent again after every batch', async () => {
  const subject = { status: 200, headers: { 'Gateway-Subject': 'v1.tok.sig' } };
  const { gw, net } = setup({ responses: [subject, 403, subject, subject] });
  gw.page('Home');
  await gw.choice.choose({ analytics: true, advertising: true });
  gw.track('Later');
  await gw.flush();
  gw.track('Later still');
  await gw.flush();
  assert.equal(net.calls.filter((c) => c.init.method === 'PUT').length, 1);
  assert.deepEqual(sentEvents(net).at(-1).context.consent.categoryPreferences, { analytics: true, advertising: true });
});
