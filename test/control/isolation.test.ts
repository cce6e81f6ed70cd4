// Cross-account isolation: with its own admin token, account B can neither read nor
// change anything of account A, resource by resource. A's things answer B as if they
// did not exist (404), and A's records are checked unchanged afterwards.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decryptSecret } from '../../src/control/secrets.ts';
import { assertError, HELLO, secondAccount, startHarness, upload, uploadForm, type Harness } from './harness.ts';

let h: Harness;
let b: string;
let a: { accountId: string; version: string; ns: string; zone: string; route: string; token: string };

before(async () => {
  h = await startHarness();
  const version = (await upload(h, 'app')).body.version.id;
  await upload(h, 'a-only');
  await h.call('PUT', '/api/v1/workers/app/secrets/KEY', { json: { value: 'a-secret' } });
  const ns = (await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'a-data' } })).body.namespace.id;
  await h.call('PUT', `/api/v1/kv/namespaces/${ns}/values/k`, { body: 'a-value' });
  const zone = (await h.call('POST', '/api/v1/zones', { json: { hostname: 'a.test', origin: 'http://127.0.0.1:9' } })).body.zone.id;
  const route = (await h.call('POST', '/api/v1/routes', { json: { pattern: 'a.test/*', worker: 'app' } })).body.route.id;
  const token = (await h.call('POST', '/api/v1/tokens', { json: { name: 'a-ci', scopes: ['workers:read'] } })).body.record.id;
  const accountId = (await h.call('GET', '/api/v1/whoami')).body.account.id;
  a = { accountId, version, ns, zone, route, token };
  b = (await secondAccount(h, 'b')).token;
});
after(async () => { await h.close(); });

const asB = (method: string, path: string, init: { json?: unknown; body?: string | FormData } = {}) => h.call(method, path, { token: b, ...init });

test('Isolation: workers: B lists none of A\'s and gets 404 for each of A\'s worker endpoints', async () => {
  assert.deepEqual((await asB('GET', '/api/v1/workers')).body.workers, []);
  for (const [method, path, json] of [
    ['GET', '/api/v1/workers/app'],
    ['DELETE', '/api/v1/workers/app'],
    ['GET', '/api/v1/workers/app/versions'],
    ['GET', `/api/v1/workers/app/versions/${a.version}`],
    ['GET', '/api/v1/workers/app/deployments'],
    ['POST', '/api/v1/workers/app/deployments', { versions: [{ version_id: a.version }] }],
    ['POST', '/api/v1/workers/app/rollback', { version_id: a.version }],
    ['GET', '/api/v1/workers/app/schedules'],
    ['PUT', '/api/v1/workers/app/schedules', { crons: ['* * * * *'] }],
  ] as const) {
    assertError(await asB(method, path, { json }), 404, 'not_found', 'worker "app"');
  }
  assert.equal((await h.store.getDeployment(a.accountId, 'app'))?.versions[0]?.versionId, a.version);
});

test('Isolation: workers: B uploading the same name gets its own worker; A\'s is untouched', async () => {
  const mine = await upload(h, 'app', { token: b });
  assert.notEqual(mine.body.version.id, a.version);
  assert.deepEqual((await h.call('GET', '/api/v1/workers/app/versions')).body.versions.map((v: { id: string }) => v.id), [a.version]);
  // B cannot deploy A's version onto its own worker of the same name either.
  assertError(await asB('POST', '/api/v1/workers/app/deployments', { json: { versions: [{ version_id: a.version }] } }), 404, 'not_found', a.version);
});

test('Isolation: bindings: B cannot bind A\'s KV namespace or call A\'s worker as a service', async () => {
  const form = (binding: unknown) => uploadForm({ main_module: 'index.js', compatibility_date: '2026-01-01', bindings: [binding] }, [{ name: 'index.js', content: HELLO }]);
  assertError(await asB('PUT', '/api/v1/workers/thief', { body: form({ type: 'kv_namespace', name: 'D', namespace_id: a.ns }) }), 400, 'missing_binding', a.ns);
  assertError(await asB('PUT', '/api/v1/workers/thief', { body: form({ type: 'service', name: 'S', service: 'a-only' }) }), 400, 'missing_binding', '"a-only"');
});

test('Isolation: secrets: B sees none of A\'s, and its writes and deletes touch only its own', async () => {
  assertError(await asB('GET', '/api/v1/workers/a-only/secrets'), 404, 'not_found', 'worker "a-only"');
  assertError(await asB('DELETE', '/api/v1/workers/app/secrets/KEY'), 404, 'not_found');
  // B has its own "app" (uploaded above): its list holds none of A's secrets.
  assert.deepEqual((await asB('GET', '/api/v1/workers/app/secrets')).body.secrets, []);
  assert.equal((await asB('PUT', '/api/v1/workers/app/secrets/KEY', { json: { value: 'b-secret' } })).status, 200);
  const aSecrets = await h.store.getSecrets(a.accountId, 'app');
  assert.equal(aSecrets.length, 1);
  assert.equal(decryptSecret(h.keyring, aSecrets[0]!), 'a-secret');
});

test('Isolation: KV: B cannot list, read, write or delete A\'s namespace or keys', async () => {
  assert.deepEqual((await asB('GET', '/api/v1/kv/namespaces')).body.namespaces, []);
  const base = `/api/v1/kv/namespaces/${a.ns}`;
  for (const [method, path, init] of [
    ['GET', `${base}/keys`, {}],
    ['GET', `${base}/values/k`, {}],
    ['PUT', `${base}/values/k`, { body: 'b-value' }],
    ['DELETE', `${base}/values/k`, {}],
    ['PUT', `${base}/bulk`, { json: [{ key: 'k', value: 'b' }] }],
    ['POST', `${base}/bulk/delete`, { json: ['k'] }],
    ['DELETE', base, {}],
  ] as const) {
    assertError(await asB(method, path, init), 404, 'not_found', `KV namespace "${a.ns}"`);
  }
  assert.equal(new TextDecoder().decode((await h.kv.get(a.ns, 'k'))!.value), 'a-value');
  // The same title is free for B: titles are per account.
  assert.equal((await asB('POST', '/api/v1/kv/namespaces', { json: { title: 'a-data' } })).status, 201);
});

test('Isolation: zones and routes: B cannot see or delete A\'s', async () => {
  assert.deepEqual((await asB('GET', '/api/v1/zones')).body.zones, []);
  assert.deepEqual((await asB('GET', '/api/v1/routes')).body.routes, []);
  assertError(await asB('GET', `/api/v1/zones/${a.zone}`), 404, 'not_found');
  assertError(await asB('DELETE', `/api/v1/zones/${a.zone}`), 404, 'not_found');
  assertError(await asB('DELETE', `/api/v1/routes/${a.route}`), 404, 'not_found');
  assert.equal((await h.store.listRoutes(a.accountId)).length, 1);
  assert.equal((await h.store.listZones(a.accountId)).length, 1);
});

test('Isolation: tokens: B cannot list or revoke A\'s tokens', async () => {
  const list = await asB('GET', '/api/v1/tokens');
  assert.equal(list.body.tokens.some((t: { id: string }) => t.id === a.token), false);
  assertError(await asB('DELETE', `/api/v1/tokens/${a.token}`), 404, 'not_found');
  const aTokens = await h.store.listTokens(a.accountId);
  assert.equal(aTokens.find((t) => t.id === a.token)?.revokedAt, null);
});
