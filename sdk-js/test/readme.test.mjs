import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (rel) => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');

test('the README carries the current built snippet', () => {
  const readme = read('README.md');
  const block = readme.slice(readme.indexOf('<!-- snippet:start'), readme.indexOf('<!-- snippet:end'));
  assert.ok(block.includes(read('dist/snippet.min.js').trim()), 'README snippet is stale: paste dist/snippet.min.js');
});

test('the README names every init option and API method', () => {
  const readme = read('README.md');
  for (const name of ['writeKey', 'endpoint', 'flushAt', 'flushInterval', 'sensitiveQueryParams', 'maxQueueSize',
    'page(', 'track(', 'identify(', 'reset(', 'flush(', 'consent.get(', 'consent.set(', 'preferences.open(', 'stats(']) {
    assert.ok(readme.includes(name), name);
  }
});
