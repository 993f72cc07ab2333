// Sends Segment-Spec events with @segment/analytics-node, configured as a Segment user
// would switch to the gateway: default settings except `host` and `path`.
// In: GATEWAY_URL, WRITE_KEY, USER_ID. Out (stdout, one JSON line): every HTTP request the
// client made (events per request, status) and every error it emitted.
import { Analytics } from '@segment/analytics-node';

const { GATEWAY_URL, WRITE_KEY, USER_ID } = process.env;
const analytics = new Analytics({ writeKey: WRITE_KEY, host: GATEWAY_URL, path: '/v1/batch' });

const requests = [];
const errors = [];
analytics.on('http_request', (r) => {
  requests.push({
    url: r.url,
    auth: String(r.headers.Authorization || '').split(' ')[0],
    contentType: r.headers['Content-Type'],
    events: JSON.parse(r.body).batch.length,
  });
});
analytics.on('http_response', (r) => {
  requests.find((q) => q.status === undefined).status = r.status;
});
analytics.on('error', (e) => errors.push(`${e.code}: ${e.reason}`));

const userId = USER_ID;
analytics.identify({
  userId,
  traits: { name: 'Taro Yamada', plan: 'pro', email: 'taro@example.jp', contacts: ['Hanako 090-0000-0000'] },
});
analytics.track({
  userId,
  event: 'Store Searched',
  properties: { query: 'cafe', latitude: 35.68, longitude: 139.76, photo: 'data:image/png;base64,iVBORw0KGgo=' },
});
analytics.page({ userId, name: 'Pricing', properties: { path: '/pricing', url: 'https://shop.example.com/pricing' } });
// 15 more: the default flushAt (15) sends the first 15 as one batch on its own; flush()
// sends the rest.
for (let n = 1; n <= 15; n++) analytics.track({ userId, event: 'Batch Item', properties: { n } });
await analytics.flush();
await analytics.closeAndFlush();
console.log(JSON.stringify({ requests, errors }));
