// The shipped files: size budget, module shape, and no sensor APIs anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET = 6144; // bytes, min+gzip: the core every page loads
const BANNER_BUDGET = 8192; // bytes, min+gzip: the banner chunk, loaded only when shown
const read = (rel) => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');
const gzipped = (rel) => gzipSync(readFileSync(new URL(`../${rel}`, import.meta.url)), { level: 9 }).length;

test(`gateway.min.js is at most ${BUDGET} bytes min+gzip`, () => {
  const size = gzipped('dist/gateway.min.js');
  assert.ok(size <= BUDGET, `gateway.min.js is ${size} bytes gzipped, budget ${BUDGET}`);
});

test(`banner.min.js is at most ${BANNER_BUDGET} bytes min+gzip`, () => {
  const size = gzipped('dist/banner.min.js');
  assert.ok(size <= BANNER_BUDGET, `banner.min.js is ${size} bytes gzipped, budget ${BANNER_BUDGET}`);
});

test('the banner is a separate chunk: the core does not contain it', () => {
  assert.doesNotMatch(read('dist/gateway.min.js'), /attachShadow|aria-modal/);
  assert.match(read('dist/gateway.min.js'), /\/sdk\/v1\/banner\.min\.js/);
  assert.match(read('dist/banner.min.js'), /__cgBanner/);
});

test('gateway.esm.js exports createGateway', async () => {
  const mod = await import('../dist/gateway.esm.js');
  assert.equal(typeof mod.createGateway, 'function');
  assert.equal(mod.LIBRARY.name, 'consent-gateway-js');
});

const shipped = [
  'dist/gateway.min.js',
  'dist/gateway.esm.js',
  'dist/snippet.min.js',
  'dist/banner.min.js',
  'snippet.js',
  ...readdirSync(new URL('../src', import.meta.url), { recursive: true })
    .filter((f) => f.endsWith('.js'))
    .map((f) => `src/${f}`),
];
const FORBIDDEN_APIS = /geolocation|navigator\s*\.\s*contacts|\bcontacts\s*\.\s*select|mediaDevices|getUserMedia|getDisplayMedia/;

for (const file of shipped) {
  test(`${file} never references geolocation, contacts or media APIs`, () => {
    assert.doesNotMatch(read(file), FORBIDDEN_APIS);
  });
}
