// KV over the API: namespaces in the control store, keys in the KV engine, with Workers
// KV's limits and wording.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, startHarness, streamRequest, upload, type Harness } from './harness.ts';

let h: Harness;
let ns: string;
before(async () => {
  h = await startHarness();
  ns = (await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'main' } })).body.namespace.id;
});
after(async () => { await h.close(); });

const keyPath = (key: string, query = '') => `/api/v1/kv/namespaces/${ns}/values/${encodeURIComponent(key)}${query}`;

test('KV API: namespaces: create, list, refuse a duplicate title', async () => {
  const list = await h.call('GET', '/api/v1/kv/namespaces');
  assert.deepEqual(list.body.namespaces.map((n: { title: string }) => n.title), ['main']);
  assert.match(ns, /^kvn_/);
  assertError(await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'main' } }), 409, 'namespace_exists', '"main"');
  assertError(await h.call('POST', '/api/v1/kv/namespaces', { json: {} }), 400, 'invalid_field', '"title"');
});

test('KV API: values: put, get with metadata and expiration, delete', async () => {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const put = await h.call('PUT', keyPath('user/1 ü', `?expiration=${exp}&metadata=${encodeURIComponent('{"v":2}')}`), { body: 'hello ü' });
  assert.equal(put.status, 200, put.text);
  const got = await h.call('GET', keyPath('user/1 ü'));
  assert.equal(got.text, 'hello ü');
  assert.equal(got.headers.get('atoll-kv-metadata'), '{"v":2}');
  assert.equal(got.headers.get('atoll-kv-expiration'), String(exp));
  const keys = await h.call('GET', `/api/v1/kv/namespaces/${ns}/keys?prefix=user/`);
  assert.deepEqual(keys.body, { keys: [{ name: 'user/1 ü', expiration: exp, metadata: { v: 2 } }], list_complete: true });
  assert.deepEqual((await h.call('DELETE', keyPath('user/1 ü'))).body, { deleted: 'user/1 ü' });
  assertError(await h.call('GET', keyPath('user/1 ü')), 404, 'not_found', 'user/1 ü');
});

test('KV API: values: binary values round-trip byte for byte', async () => {
  const bytes = new Uint8Array(256).map((_, i) => i);
  await h.call('PUT', keyPath('bin'), { body: bytes });
  const res = await fetch(h.api.url + keyPath('bin'), { headers: { authorization: `Bearer ${h.token}` } });
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
});

test('KV API: keys: pages with limit and cursor', async () => {
  const put = await h.call('PUT', `/api/v1/kv/namespaces/${ns}/bulk`, { json: Array.from({ length: 25 }, (_, i) => ({ key: `page/${String(i).padStart(2, '0')}`, value: String(i) })) });
  assert.deepEqual(put.body, { written: 25 });
  const first = await h.call('GET', `/api/v1/kv/namespaces/${ns}/keys?prefix=page/&limit=10`);
  assert.equal(first.body.keys.length, 10);
  assert.equal(first.body.list_complete, false);
  const seen = first.body.keys.map((k: { name: string }) => k.name);
  let cursor = first.body.cursor;
  while (cursor) {
    const next = await h.call('GET', `/api/v1/kv/namespaces/${ns}/keys?prefix=page/&limit=10&cursor=${cursor}`);
    seen.push(...next.body.keys.map((k: { name: string }) => k.name));
    cursor = next.body.cursor;
  }
  assert.equal(seen.length, 25);
  assert.equal(seen[24], 'page/24');
});

test('KV API: bulk: writes with base64, expiration_ttl and metadata; deletes in bulk', async () => {
  const reply = await h.call('PUT', `/api/v1/kv/namespaces/${ns}/bulk`, {
    json: [
      { key: 'b/1', value: Buffer.from([0, 1, 2]).toString('base64'), base64: true },
      { key: 'b/2', value: 'two', expiration_ttl: 120, metadata: { tag: 'x' } },
    ],
  });
  assert.deepEqual(reply.body, { written: 2 });
  assert.deepEqual([...(await h.kv.get(ns, 'b/1'))!.value], [0, 1, 2]);
  const two = (await h.kv.get(ns, 'b/2'))!;
  assert.equal(two.metadata, '{"tag":"x"}');
  assert.ok(two.expiration! > Date.now() / 1000 + 100);
  assert.deepEqual((await h.call('POST', `/api/v1/kv/namespaces/${ns}/bulk/delete`, { json: ['b/1', 'b/2'] })).body, { deleted: 2 });
  assert.equal(await h.kv.get(ns, 'b/2'), null);
});

test('KV API: bulk: one bad pair writes nothing', async () => {
  const reply = await h.call('PUT', `/api/v1/kv/namespaces/${ns}/bulk`, { json: [{ key: 'ok/1', value: 'a' }, { key: '', value: 'b' }] });
  assertError(reply, 400, 'kv_limit', 'Key name cannot be empty');
  assert.equal(await h.kv.get(ns, 'ok/1'), null);
  assertError(await h.call('PUT', `/api/v1/kv/namespaces/${ns}/bulk`, { json: [{ key: 'k', value: 5 }] }), 400, 'invalid_field', 'base64');
  assertError(await h.call('PUT', `/api/v1/kv/namespaces/${ns}/bulk`, { json: { key: 'k' } }), 400, 'invalid_json', 'array');
  assertError(await h.call('PUT', `/api/v1/kv/namespaces/${ns}/bulk`, { json: Array.from({ length: 10_001 }, (_, i) => ({ key: `k${i}`, value: '' })) }), 400, 'too_many_keys', '10000');
});

test('KV API: limits: key, metadata, expiration and list limit errors in Workers KV wording', async () => {
  assertError(await h.call('PUT', keyPath('k'.repeat(513)), { body: 'v' }), 414, 'kv_limit', 'KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512');
  assertError(await h.call('PUT', keyPath('k', `?metadata=${encodeURIComponent(JSON.stringify({ a: 'x'.repeat(1100) }))}`), { body: 'v' }), 413, 'kv_limit', 'exceeds limit of 1024');
  assertError(await h.call('PUT', keyPath('k', '?metadata=%7Bnope'), { body: 'v' }), 400, 'kv_limit', 'not valid JSON');
  assertError(await h.call('PUT', keyPath('k', '?expiration_ttl=10'), { body: 'v' }), 400, 'kv_limit', 'at least 60');
  assertError(await h.call('GET', `/api/v1/kv/namespaces/${ns}/keys?limit=5000`), 400, 'kv_limit', 'key_count_limit');
  // URLs fold ".." away before they are sent, so this reaches the check through bulk.
  assertError(await h.call('POST', `/api/v1/kv/namespaces/${ns}/bulk/delete`, { json: ['..'] }), 400, 'kv_limit', 'not allowed');
});

test('KV API: values: a value over 25 MiB is refused with 413', async () => {
  const big = new Uint8Array(25 * 1024 * 1024 + 1);
  const reply = await streamRequest(h, 'PUT', keyPath('huge'), [big], { 'content-length': String(big.byteLength) });
  assert.equal(reply.status, 413);
  assert.equal(reply.body.error.code, 'payload_too_large');
  assert.match(reply.body.error.message, /limit of 26214400 bytes/);
  assert.equal(await h.kv.get(ns, 'huge'), null);
});

test('KV API: invalid percent-encoding or UTF-8 in a key name is a 400', async () => {
  assertError(await h.call('GET', `/api/v1/kv/namespaces/${ns}/values/%FF%FE`), 400, 'invalid_utf8', 'encodeURIComponent');
  assertError(await h.call('PUT', `/api/v1/kv/namespaces/${ns}/values/%E0%A4%A`, { body: 'v' }), 400, 'invalid_utf8');
});

test('KV API: namespaces: delete refuses while a deployed worker binds it, then removes its keys', async () => {
  const id = (await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'bound' } })).body.namespace.id;
  await h.kv.put(id, 'k', new TextEncoder().encode('v'));
  await upload(h, 'uses-kv', { metadata: { bindings: [{ type: 'kv_namespace', name: 'DATA', namespace_id: id }] } });
  assertError(await h.call('DELETE', `/api/v1/kv/namespaces/${id}`), 409, 'namespace_in_use', '"uses-kv"');
  await upload(h, 'uses-kv');
  assert.deepEqual((await h.call('DELETE', `/api/v1/kv/namespaces/${id}`)).body, { deleted: id });
  assert.equal(await h.kv.get(id, 'k'), null);
  assertError(await h.call('GET', `/api/v1/kv/namespaces/${id}/keys`), 404, 'not_found', 'GET /api/v1/kv/namespaces');
});
