// The core decides from the gateway's settings whether to load the banner
// chunk; init({banner: false}) asks nothing; a choice made for the current
// notice version is not asked again, a new version is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { ENDPOINT, WRITE_KEY, fakeStorage, fakeWindow, settle } from './fakes.mjs';

const settings = (regime, version = 'n1-aaaa') => ({
  status: 200,
  json: { consent: { regime, notice_version: version, purposes: [{ name: 'analytics' }, { name: 'advertising' }], recipients: [{ key: 'ads|US|advertising' }] } },
});

/** A window whose document can insert scripts; returns the scripts inserted and the banners shown. */
function browserLike(opts) {
  const f = fakeWindow(opts);
  const scripts = [];
  const shown = [];
  f.win.document.createElement = () => ({});
  f.win.document.head = { appendChild: (s) => scripts.push(s) };
  const loaded = () => {
    f.win.__cgBanner = (ctx) => shown.push(ctx);
    scripts.at(-1).onload();
  };
  return { ...f, scripts, shown, loaded };
}

async function start(f, options = {}) {
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, ...options });
  await settle();
  await settle();
  return gw;
}

test('an opt-in regime loads the banner chunk from the gateway and shows it', async () => {
  const f = browserLike({ responses: [settings('opt_in')] });
  await start(f, { lang: 'en' });
  assert.equal(f.net.calls[0].url, `${ENDPOINT}/v1/projects/${WRITE_KEY}/settings?lang=en`);
  assert.equal(f.net.calls[0].init.credentials, 'omit');
  assert.equal(f.scripts.length, 1);
  assert.equal(f.scripts[0].src, `${ENDPOINT}/sdk/v1/banner.min.js`);
  f.loaded();
  assert.equal(f.shown.length, 1);
  assert.equal(f.shown[0].settings.regime, 'opt_in');
  assert.equal(f.shown[0].record, null);
});

test('init({banner: false}) fetches no settings and loads no chunk', async () => {
  const f = browserLike({ responses: [settings('opt_in')] });
  await start(f, { banner: false });
  assert.equal(f.net.calls.length, 0);
  assert.equal(f.scripts.length, 0);
});

test('a choice for the current notice version is not asked again; a new version is', async () => {
  const storage = fakeStorage();
  const first = browserLike({ storage, responses: [settings('opt_in'), 200] });
  const gw = await start(first);
  first.loaded();
  await first.shown[0].choose({ analytics: false, advertising: false });

  const again = browserLike({ storage, responses: [settings('opt_in')] });
  await start(again);
  assert.equal(again.scripts.length, 0, 'same notice: no banner');

  const changed = browserLike({ storage, responses: [settings('opt_in', 'n1-bbbb')] });
  const later = await start(changed);
  assert.equal(changed.scripts.length, 1, 'new notice: asked again');
  assert.equal(later.choice.reviewRequired(), true);
  changed.loaded();
  assert.deepEqual(changed.shown[0].record.r, ['ads|US|advertising'], 'what was seen, to mark what is new');
  assert.ok(gw);
});

test('an opt-out notice that was closed does not come back for the same version', async () => {
  const storage = fakeStorage();
  const first = browserLike({ storage, responses: [settings('opt_out')] });
  await start(first);
  first.loaded();
  first.shown[0].dismiss();
  const again = browserLike({ storage, responses: [settings('opt_out')] });
  const gw = await start(again);
  assert.equal(again.scripts.length, 0);
  assert.equal(gw.choice.get(), null, 'closing the notice is not a choice');
});
