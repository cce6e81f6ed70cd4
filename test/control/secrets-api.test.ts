// Secrets over the API: write-only, names only in lists, never in logs or on disk in
// the clear.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertError, startHarness, upload, type Harness } from './harness.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const VALUE = 'sk_live_0123456789abcdef-never-show-me';

test('Secrets API: PUT then GET list: shows names and times, never values', async () => {
  await upload(h, 'payments');
  const put = await h.call('PUT', '/api/v1/workers/payments/secrets/STRIPE_KEY', { json: { value: VALUE } });
  assert.deepEqual(put.body, { name: 'STRIPE_KEY', worker: 'payments' });
  const list = await h.call('GET', '/api/v1/workers/payments/secrets');
  assert.deepEqual(list.body.secrets.map((s: { name: string }) => s.name), ['STRIPE_KEY']);
  assert.equal(list.text.includes(VALUE), false);
  for (const path of ['/api/v1/workers/payments', '/api/v1/workers/payments/versions', '/api/v1/workers/payments/deployments']) {
    assert.equal((await h.call('GET', path)).text.includes(VALUE), false, path);
  }
});

test('Secrets API: values are not in the logs nor in the database files', async () => {
  await h.call('PUT', '/api/v1/workers/payments/secrets/OTHER', { json: { value: VALUE } });
  assert.equal(JSON.stringify(h.logs).includes(VALUE), false);
  assert.ok(h.logs.some((l) => l.msg === 'secret set' && l.secret === 'OTHER'), 'the write itself is logged');
  const dir = join(h.dir, 'control');
  for (const file of readdirSync(dir)) assert.equal(readFileSync(join(dir, file)).includes(VALUE), false, file);
});

test('Secrets API: a secret may be set before the worker\'s first upload, which can then bind it', async () => {
  assert.equal((await h.call('PUT', '/api/v1/workers/fresh/secrets/TOKEN', { json: { value: 'x' } })).status, 200);
  await upload(h, 'fresh', { metadata: { bindings: [{ type: 'secret_text', name: 'TOKEN' }] } });
});

test('Secrets API: DELETE: removes the secret; a second delete is a 404', async () => {
  await h.call('PUT', '/api/v1/workers/payments/secrets/GONE', { json: { value: 'v' } });
  assert.deepEqual((await h.call('DELETE', '/api/v1/workers/payments/secrets/GONE')).body, { deleted: 'GONE' });
  assertError(await h.call('DELETE', '/api/v1/workers/payments/secrets/GONE'), 404, 'not_found', 'GET /api/v1/workers/payments/secrets');
});

test('Secrets API: PUT: refuses bad names, non-string values and oversized values', async () => {
  assertError(await h.call('PUT', '/api/v1/workers/payments/secrets/not-valid', { json: { value: 'v' } }), 400, 'invalid_secret_name', 'API_KEY');
  assertError(await h.call('PUT', '/api/v1/workers/payments/secrets/OK', { json: { value: 42 } }), 400, 'invalid_field', '"value"');
  assertError(await h.call('PUT', '/api/v1/workers/payments/secrets/OK', { json: {} }), 400, 'invalid_field', '"value"');
  assertError(await h.call('PUT', '/api/v1/workers/payments/secrets/OK', { json: { value: 'x'.repeat(6000) } }), 400, 'secret_too_large', 'KV');
});
