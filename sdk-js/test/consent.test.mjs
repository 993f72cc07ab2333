import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { ENDPOINT, WRITE_KEY, fakeWindow, storedQueue } from './fakes.mjs';

function setup(opts = {}) {
  const f = fakeWindow(opts);
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT });
  return { ...f, gw };
}

test('consent.get() GETs /v1/consent with credentials and returns the JSON', async () => {
  const record = { purposes: { analytics: true, advertising: false }, gpc: true };
  const { gw, net } = setup({ responses: [{ status: 200, json: record }] });
  assert.deepEqual(await gw.consent.get(), record);
  const [call] = net.calls;
  assert.equal(call.url, 'https://gw.example.test/v1/consent');
  assert.equal(call.init.method, 'GET');
  assert.equal(call.init.credentials, 'include');
  assert.equal(call.init.body, undefined);
  assert.deepEqual(call.init.headers, { Accept: 'application/json' }, 'no token yet, no Gateway-Subject header');
});

test('consent.set() PUTs the JSON body with credentials', async () => {
  const { gw, net } = setup({ responses: [{ status: 200, json: { ok: 1 } }] });
  const prefs = { purposes: { advertising: false }, advertising_id: false, vendors: { 'ads-vendor': false } };
  assert.deepEqual(await gw.consent.set(prefs), { ok: 1 });
  const [call] = net.calls;
  assert.equal(call.url, 'https://gw.example.test/v1/consent');
  assert.equal(call.init.method, 'PUT');
  assert.equal(call.init.credentials, 'include');
  assert.equal(call.init.headers['Content-Type'], 'application/json');
  assert.deepEqual(JSON.parse(call.body), prefs);
});

test('a consent call the gateway refuses rejects with the status', async () => {
  const { gw } = setup({ responses: [403, 'network'] });
  await assert.rejects(gw.consent.set({ purposes: { analytics: false } }), /PUT \/v1\/consent answered HTTP 403/);
  await assert.rejects(gw.consent.get(), TypeError);
});

test('consent calls before init() reject', async () => {
  const f = fakeWindow();
  await assert.rejects(createGateway(f.win, f.clock).consent.get(), /call init\(\) first/);
});

test('preferences.open() opens the preference page in a new tab', () => {
  const { gw, opened, assigned } = setup();
  assert.equal(gw.preferences.open(), true);
  assert.deepEqual(opened, [['https://gw.example.test/privacy/preferences', '_blank']]);
  assert.deepEqual(assigned, []);
});

test('preferences.open() navigates when popups are blocked', () => {
  const { gw, assigned } = setup({ popupBlocked: true });
  assert.equal(gw.preferences.open(), false);
  assert.deepEqual(assigned, ['https://gw.example.test/privacy/preferences']);
});

test('the subject token from a batch answer is sent back on consent calls; reset() forgets it', async () => {
  const { gw, net, storage } = setup({ responses: [{ status: 200, headers: { 'Gateway-Subject': 'v1.abc.sig' } }, 200, 200, 200] });
  gw.track('A');
  await gw.flush();
  assert.equal(storage.getItem('cg_subject'), 'v1.abc.sig');
  assert.deepEqual(storedQueue(storage), []);
  await gw.consent.get();
  await gw.consent.set({ purposes: { analytics: false } });
  const [, get, put] = net.calls;
  assert.equal(get.init.headers['Gateway-Subject'], 'v1.abc.sig');
  assert.equal(put.init.headers['Gateway-Subject'], 'v1.abc.sig');
  gw.reset();
  assert.equal(storage.getItem('cg_subject'), null);
  await gw.consent.get();
  assert.equal(net.calls.at(-1).init.headers['Gateway-Subject'], undefined);
});

test('a refused batch does not replace the subject token', async () => {
  const { gw, storage } = setup({ responses: [{ status: 200, headers: { 'Gateway-Subject': 'good' } }, { status: 500, headers: {} }] });
  gw.track('A');
  await gw.flush();
  gw.track('B');
  await gw.flush();
  assert.equal(storage.getItem('cg_subject'), 'good');
});
