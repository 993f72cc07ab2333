import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { ENDPOINT, WRITE_KEY, fakeWindow } from './fakes.mjs';

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
