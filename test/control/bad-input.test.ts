// Bad input on every JSON endpoint: malformed JSON, invalid UTF-8, wrong types and
// oversized bodies each get a 400/413 error body naming the problem, and nothing changes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, startHarness, streamRequest, upload, type Harness } from './harness.ts';

let h: Harness;
let ns: string;
let version: string;
before(async () => {
  h = await startHarness();
  version = (await upload(h, 'app')).body.version.id;
  ns = (await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'bad-input' } })).body.namespace.id;
});
after(async () => { await h.close(); });

const endpoints = (): [string, string, 'object' | 'array'][] => [
  ['POST', '/api/v1/tokens', 'object'],
  ['POST', '/api/v1/accounts', 'object'],
  ['POST', '/api/v1/workers/app/deployments', 'object'],
  ['POST', '/api/v1/workers/app/rollback', 'object'],
  ['PUT', '/api/v1/workers/app/secrets/KEY', 'object'],
  ['PUT', '/api/v1/workers/app/schedules', 'object'],
  ['POST', '/api/v1/kv/namespaces', 'object'],
  ['PUT', `/api/v1/kv/namespaces/${ns}/bulk`, 'array'],
  ['POST', `/api/v1/kv/namespaces/${ns}/bulk/delete`, 'array'],
  ['POST', '/api/v1/zones', 'object'],
  ['POST', '/api/v1/routes', 'object'],
];

const raw = (method: string, path: string, body: string | Uint8Array) =>
  h.call(method, path, { body: body as string | Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/json' } });

test('API: every JSON endpoint: malformed JSON is a 400 invalid_json', async () => {
  for (const [method, path, shape] of endpoints()) {
    assertError(await raw(method, path, '{"name": '), 400, 'invalid_json', `send a JSON ${shape}`);
    assertError(await raw(method, path, ''), 400, 'invalid_json');
  }
});

test('API: every JSON endpoint: invalid UTF-8 is a 400 invalid_utf8', async () => {
  for (const [method, path] of endpoints()) {
    assertError(await raw(method, path, new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])), 400, 'invalid_utf8', 'UTF-8');
  }
});

test('API: every JSON endpoint: the wrong JSON type is a 400 naming the expected one', async () => {
  for (const [method, path, shape] of endpoints()) {
    const wrong = shape === 'object' ? '[1,2]' : '{"a":1}';
    assertError(await raw(method, path, wrong), 400, 'invalid_json', `must be a JSON ${shape}`);
    assertError(await raw(method, path, '"text"'), 400, 'invalid_json', `must be a JSON ${shape}`);
    assertError(await raw(method, path, 'null'), 400, 'invalid_json');
  }
});

test('API: JSON endpoints: fields of the wrong type are 400s naming the field', async () => {
  assertError(await h.call('POST', '/api/v1/tokens', { json: { name: 1, scopes: ['admin'] } }), 400, 'invalid_field', '"name" must be a string');
  assertError(await h.call('POST', '/api/v1/workers/app/deployments', { json: { versions: [{ version_id: 5 }] } }), 400, 'invalid_deployment', 'version_id');
  assertError(await h.call('POST', '/api/v1/workers/app/deployments', { json: { versions: [{ version_id: version }], message: ['x'] } }), 400, 'invalid_field', '"message"');
  assertError(await h.call('POST', '/api/v1/workers/app/rollback', { json: { version_id: {} } }), 400, 'invalid_field', '"version_id"');
  assertError(await h.call('POST', '/api/v1/kv/namespaces', { json: { title: true } }), 400, 'invalid_field', '"title"');
  assertError(await h.call('POST', `/api/v1/kv/namespaces/${ns}/bulk/delete`, { json: [1] }), 400, 'kv_limit', 'must be a string');
  assertError(await h.call('POST', '/api/v1/routes', { json: { pattern: ['a.test/*'], worker: 'app' } }), 400, 'invalid_field', '"pattern"');
  assertError(await h.call('POST', '/api/v1/accounts', { json: { name: null } }), 400, 'invalid_field', '"name"');
});

test('API: JSON endpoints: a body over 1 MiB is a 413, with or without Content-Length', async () => {
  const huge = new TextEncoder().encode(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), scopes: ['admin'] }));
  const declared = await streamRequest(h, 'POST', '/api/v1/tokens', [huge], { 'content-type': 'application/json', 'content-length': String(huge.byteLength) });
  assert.equal(declared.status, 413);
  assert.equal(declared.body.error.code, 'payload_too_large');
  assert.match(declared.body.error.message, /1048576 bytes/);
  const chunked = await streamRequest(h, 'POST', '/api/v1/tokens', Array.from({ length: 3 }, () => new Uint8Array(512 * 1024).fill(0x20)), { 'transfer-encoding': 'chunked' });
  assert.equal(chunked.status, 413);
  assert.equal(chunked.body.error.code, 'payload_too_large');
  assert.equal((await h.store.listTokens((await h.call('GET', '/api/v1/whoami')).body.account.id)).length, 1, 'no token was made');
});

test('API: unknown endpoints and methods answer a JSON 404 pointing at the docs', async () => {
  assertError(await h.call('GET', '/api/v1/nothing'), 404, 'not_found', 'docs/api.md');
  assertError(await h.call('PATCH', '/api/v1/workers/app'), 404, 'not_found', 'PATCH /api/v1/workers/app');
});

test('API: every request is logged as one structured line without bodies', async () => {
  await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'logged-title-xyz' } });
  const line = h.logs.findLast((l) => l.msg === 'api request' && l.path === '/api/v1/kv/namespaces');
  assert.ok(line);
  assert.equal(line.method, 'POST');
  assert.equal(line.status, 201);
  assert.equal(typeof line.ms, 'number');
  assert.match(String(line.token), /^tok_/);
  assert.equal(JSON.stringify(h.logs).includes('logged-title-xyz'), false);
});
