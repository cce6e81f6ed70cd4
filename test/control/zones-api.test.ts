// Zones and routes over the API: hostnames and origins checked, patterns checked and
// placed in their zone, overlaps between accounts refused.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute } from '../../src/control/routes.ts';
import { assertError, secondAccount, startHarness, upload, type Harness } from './harness.ts';

let h: Harness;
let zoneId: string;
before(async () => {
  h = await startHarness();
  await upload(h, 'shop');
  await upload(h, 'api');
  const zone = await h.call('POST', '/api/v1/zones', { json: { hostname: 'Example.COM', origin: 'https://origin.example.net/' } });
  assert.equal(zone.status, 201, zone.text);
  zoneId = zone.body.zone.id;
});
after(async () => { await h.close(); });

test('Zones API: POST: stores the hostname lower-cased and the origin without a trailing slash', async () => {
  const got = await h.call('GET', `/api/v1/zones/${zoneId}`);
  assert.equal(got.body.zone.hostname, 'example.com');
  assert.equal(got.body.zone.origin, 'https://origin.example.net');
  assertError(await h.call('POST', '/api/v1/zones', { json: { hostname: 'example.com', origin: 'http://127.0.0.1:1' } }), 409, 'zone_exists', '"example.com"');
});

test('Zones API: POST: refuses bad hostnames and origins with an example', async () => {
  const post = (json: unknown) => h.call('POST', '/api/v1/zones', { json });
  assertError(await post({ hostname: 'https://a.test', origin: 'http://127.0.0.1:1' }), 400, 'invalid_hostname', 'no scheme');
  assertError(await post({ hostname: '*.a.test', origin: 'http://127.0.0.1:1' }), 400, 'invalid_hostname');
  assertError(await post({ hostname: 'a.test:8080', origin: 'http://127.0.0.1:1' }), 400, 'invalid_hostname');
  assertError(await post({ hostname: 'a.test', origin: 'ftp://files.test' }), 400, 'invalid_origin', 'http or https');
  assertError(await post({ hostname: 'a.test', origin: 'not a url' }), 400, 'invalid_origin', 'not a URL');
  assertError(await post({ hostname: 'a.test', origin: 'https://u:p@x.test' }), 400, 'invalid_origin', 'credentials');
  assertError(await post({ hostname: 'a.test' }), 400, 'invalid_field', '"origin"');
  assertError(await post({ hostname: 7, origin: 'http://x.test' }), 400, 'invalid_field', '"hostname" must be a string');
});

test('Routes API: POST: patterns in the zone bind workers; the store list feeds matchRoute', async () => {
  const add = async (pattern: string, worker: string) => {
    const reply = await h.call('POST', '/api/v1/routes', { json: { pattern, worker } });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.body.route.zone_id, zoneId);
    return reply.body.route;
  };
  await add('shop.example.com/*', 'shop');
  await add('shop.example.com/api/*', 'api');
  await add('*.Example.com/*', 'shop');
  const routes = await h.store.listRoutes();
  assert.equal(matchRoute(routes, 'shop.example.com', '/api/cart')?.worker, 'api');
  assert.equal(matchRoute(routes, 'shop.example.com', '/cart')?.worker, 'shop');
  assert.equal(matchRoute(routes, 'blog.example.com', '/')?.pattern, '*.example.com/*');
  const listed = await h.call('GET', '/api/v1/routes');
  assert.deepEqual(listed.body.routes.map((r: { pattern: string }) => r.pattern), ['*.example.com/*', 'shop.example.com/*', 'shop.example.com/api/*']);
  assertError(await h.call('POST', '/api/v1/routes', { json: { pattern: 'shop.example.com/*', worker: 'api' } }), 409, 'route_exists');
});

test('Routes API: POST: refuses bad patterns, patterns outside every zone and unknown workers', async () => {
  const post = (json: unknown) => h.call('POST', '/api/v1/routes', { json });
  assertError(await post({ pattern: 'shop.example.com', worker: 'shop' }), 400, 'invalid_route_pattern', 'no path');
  assertError(await post({ pattern: 'shop.*.example.com/*', worker: 'shop' }), 400, 'invalid_route_pattern', 'inside its host');
  assertError(await post({ pattern: 'example.org/*', worker: 'shop' }), 400, 'no_zone', 'POST /api/v1/zones');
  assertError(await post({ pattern: 'example.com/x/*', worker: 'ghost' }), 404, 'not_found', 'worker "ghost"');
  assertError(await post({ worker: 'shop' }), 400, 'invalid_field', '"pattern"');
});

test('Zones API: another account can neither take a hostname under a zone nor route into it', async () => {
  const other = await secondAccount(h, 'zones-other');
  await upload(h, 'evil', { token: other.token });
  const sub = await h.call('POST', '/api/v1/zones', { token: other.token, json: { hostname: 'pay.example.com', origin: 'http://127.0.0.1:9' } });
  assertError(sub, 409, 'zone_overlaps', 'another account');
  const parent = await h.call('POST', '/api/v1/zones', { token: other.token, json: { hostname: 'com', origin: 'http://127.0.0.1:9' } });
  assertError(parent, 409, 'zone_overlaps');
  assertError(await h.call('POST', '/api/v1/routes', { token: other.token, json: { pattern: 'shop.example.com/evil/*', worker: 'evil' } }), 400, 'no_zone');
});

test('Zones API: DELETE: removes the zone and its routes', async () => {
  const zone = (await h.call('POST', '/api/v1/zones', { json: { hostname: 'gone.test', origin: 'http://127.0.0.1:9' } })).body.zone;
  const route = (await h.call('POST', '/api/v1/routes', { json: { pattern: 'gone.test/*', worker: 'shop' } })).body.route;
  assert.deepEqual((await h.call('DELETE', `/api/v1/zones/${zone.id}`)).body, { deleted: zone.id });
  assertError(await h.call('DELETE', `/api/v1/routes/${route.id}`), 404, 'not_found', 'GET /api/v1/routes');
  assertError(await h.call('GET', `/api/v1/zones/${zone.id}`), 404, 'not_found');
});

test('Zones API: POST: of concurrent creates for one hostname, one wins and the rest get 409', async () => {
  const replies = await Promise.all(Array.from({ length: 6 }, () =>
    h.call('POST', '/api/v1/zones', { json: { hostname: 'race.test', origin: 'http://127.0.0.1:9' } })));
  assert.equal(replies.filter((r) => r.status === 201).length, 1);
  for (const r of replies.filter((x) => x.status !== 201)) {
    assert.equal(r.status, 409, r.text);
    assert.ok(['zone_exists', 'conflict'].includes(r.body.error.code), r.text);
  }
  assert.equal((await h.store.listZones()).filter((z) => z.hostname === 'race.test').length, 1);
});
