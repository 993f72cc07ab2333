import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway.js';
import { FORBIDDEN_PARAMS, stripParams } from '../src/url.js';
import { ENDPOINT, WRITE_KEY, fakeWindow, sentEvents } from './fakes.mjs';

const names = new Set([...FORBIDDEN_PARAMS, 'email', 'token']);

const cases = [
  ['https://a.example/p?lat=35.6&lng=139.7&q=ramen', 'https://a.example/p?q=ramen'],
  ['https://a.example/p?q=ramen&lat=35.6', 'https://a.example/p?q=ramen'],
  ['https://a.example/p?lat=35.6&lon=139.7', 'https://a.example/p'],
  ['https://a.example/p?a=1&latitude=1&b=2&longitude=2&c=3', 'https://a.example/p?a=1&b=2&c=3'],
  ['https://a.example/p?ll=35.6,139.7&geo=1&coords=1,2&location=tokyo&z=9', 'https://a.example/p?z=9'],
  ['https://a.example/p?LAT=1&Lng=2&keep=Lat', 'https://a.example/p?keep=Lat'],
  ['https://a.example/p?l%61t=1&x=%20y+z&empty=&flag', 'https://a.example/p?x=%20y+z&empty=&flag'],
  ['https://a.example/p?location[lat]=1&location%5Blng%5D=2&plat=1', 'https://a.example/p?plat=1'],
  ['https://a.example/p?email=a%40b.jp&utm_source=news#section', 'https://a.example/p?utm_source=news#section'],
  ['https://a.example/p?token=abc#frag?lat=1', 'https://a.example/p#frag?lat=1'],
  ['https://a.example/p?x=1&&y=2', 'https://a.example/p?x=1&&y=2'],
  ['https://a.example/p', 'https://a.example/p'],
  ['?lat=1&q=2', '?q=2'],
  ['?lat=1', ''],
  ['', ''],
];

for (const [input, expected] of cases) {
  test(`stripParams(${JSON.stringify(input)})`, () => {
    assert.equal(stripParams(input, names), expected);
  });
}

test('page context, page properties and referrer are stripped before sending', async () => {
  const f = fakeWindow({
    href: 'https://shop.example.com/store?lat=35.68&lng=139.76&q=cafe&email=a%40b.jp#map',
    referrer: 'https://maps.example/?ll=35.68,139.76&z=12',
  });
  const gw = createGateway(f.win, f.clock);
  gw.init({ writeKey: WRITE_KEY, endpoint: ENDPOINT, sensitiveQueryParams: ['Email'] });
  gw.page('Store', { url: 'https://shop.example.com/other?geo=1&a=b', referrer: 'https://x.example/?coords=1', extra: 'kept?lat=1' });
  gw.track('Viewed');
  await gw.flush();
  const [page, track] = sentEvents(f.net);
  const expectedPage = {
    path: '/store',
    referrer: 'https://maps.example/?z=12',
    search: '?q=cafe',
    title: 'Shop',
    url: 'https://shop.example.com/store?q=cafe',
  };
  assert.deepEqual(page.context.page, expectedPage);
  assert.deepEqual(track.context.page, expectedPage);
  assert.deepEqual(page.properties, {
    ...expectedPage,
    url: 'https://shop.example.com/other?a=b',
    referrer: 'https://x.example/',
    extra: 'kept?lat=1',
  });
  assert.doesNotMatch(JSON.stringify(f.net.calls), /35\.68|139\.76|a%40b/);
});
