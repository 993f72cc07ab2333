// The shipped files: size budget, module shape, and no sensor APIs anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET = 6144; // bytes, min+gzip
const read = (rel) => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');

test(`gateway.min.js is at most ${BUDGET} bytes min+gzip`, () => {
  const size = gzipSync(readFileSync(new URL('../dist/gateway.min.js', import.meta.url)), { level: 9 }).length;
  assert.ok(size <= BUDGET, `gateway.min.js is ${size} bytes gzipped, budget ${BUDGET}`);
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
  'snippet.js',
  ...readdirSync(new URL('../src', import.meta.url)).map((f) => `src/${f}`),
];
const FORBIDDEN_APIS = /geolocation|navigator\s*\.\s*contacts|\bcontacts\s*\.\s*select|mediaDevices|getUserMedia|getDisplayMedia/;

for (const file of shipped) {
  test(`${file} never references geolocation, contacts or media APIs`, () => {
    assert.doesNotMatch(read(file), FORBIDDEN_APIS);
  });
}
