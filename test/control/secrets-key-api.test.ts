// The secrets key over the API: the operator sees the keys, rotates to a new one (every
// secret re-encrypted, still readable by the worker that binds it), drops a retired one;
// nobody else may, and the key file never shows a dropped key again.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptSecret } from '../../src/control/secrets.ts';
import { assertError, secondAccount, startHarness, upload, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
  await upload(h, 'payments');
  await h.call('PUT', '/api/v1/workers/payments/secrets/STRIPE_KEY', { json: { value: 'sk_one' } });
  await h.call('PUT', '/api/v1/workers/payments/secrets/OTHER', { json: { value: 'sk_two' } });
});
after(async () => { await h.close(); });

const accountId = async () => (await h.call('GET', '/api/v1/whoami')).body.account.id as string;

test('Secrets key API: status names the current key and counts the secrets it encrypts', async () => {
  const r = await h.call('GET', '/api/v1/secrets-key');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.source, 'file');
  assert.deepEqual(r.body.keys, [{ id: r.body.current, current: true, in_keyring: true, secrets: 2 }]);
});

test('Secrets key API: rotate makes a new key current, re-encrypts every secret, keeps the values', async () => {
  const before = (await h.call('GET', '/api/v1/secrets-key')).body.current;
  const r = await h.call('POST', '/api/v1/secrets-key/rotate');
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.body.current, before);
  assert.equal(r.body.reencrypted, 2);
  assert.deepEqual(r.body.keys.map((k: any) => [k.id, k.current, k.secrets]).sort(), [[before, false, 0], [r.body.current, true, 2]].sort());
  const stored = await h.store.getSecrets(await accountId(), 'payments');
  assert.deepEqual(stored.map((s) => [s.name, s.keyId, decryptSecret(h.keyring, s)]).sort(), [['OTHER', r.body.current, 'sk_two'], ['STRIPE_KEY', r.body.current, 'sk_one']]);
  // The key file holds both keys until the old one is dropped.
  const file = JSON.parse(readFileSync(join(h.dir, 'secrets.key'), 'utf8'));
  assert.equal(file.current, r.body.current);
  assert.deepEqual(Object.keys(file.keys).sort(), [before, r.body.current].sort());
  assert.ok(h.logs.some((l) => l.msg === 'secrets key rotated' && l.reencrypted === 2));
});

test('Secrets key API: drop refuses the current key and bad ids, then removes a retired key from the file', async () => {
  const status = (await h.call('GET', '/api/v1/secrets-key')).body;
  const retired = status.keys.find((k: any) => !k.current).id as string;
  assertError(await h.call('DELETE', `/api/v1/secrets-key/keys/${status.current}`), 409, 'key_in_use', 'current key');
  assertError(await h.call('DELETE', '/api/v1/secrets-key/keys/not-a-key'), 400, 'invalid_key_id', '16 hex digits');
  assertError(await h.call('DELETE', '/api/v1/secrets-key/keys/0000000000000000'), 404, 'not_found', 'GET /api/v1/secrets-key');
  const r = await h.call('DELETE', `/api/v1/secrets-key/keys/${retired}`);
  assert.deepEqual(r.body, { dropped: retired });
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(h.dir, 'secrets.key'), 'utf8')).keys), [status.current]);
  assert.deepEqual((await h.call('GET', '/api/v1/secrets-key')).body.keys.map((k: any) => k.id), [status.current]);
});

test('Secrets key API: a key some secret still uses cannot be dropped', async () => {
  const old = (await h.call('GET', '/api/v1/secrets-key')).body.current;
  // A new key, made current without re-encrypting, as a rotation interrupted half-way leaves it.
  const { randomBytes } = await import('node:crypto');
  const { keyId } = await import('../../src/control/secrets.ts');
  const key = randomBytes(32);
  h.keyring.keys.set(keyId(key), key);
  h.keyring.currentId = keyId(key);
  assertError(await h.call('DELETE', `/api/v1/secrets-key/keys/${old}`), 409, 'key_in_use', /2 secret\(s\).*rotate first/);
  assert.equal((await h.call('POST', '/api/v1/secrets-key/rotate')).status, 200);
});

test('Secrets key API: only an admin token of the operator account may see or change it', async () => {
  const other = await secondAccount(h, 'tenant');
  for (const [method, path] of [['GET', '/api/v1/secrets-key'], ['POST', '/api/v1/secrets-key/rotate'], ['DELETE', '/api/v1/secrets-key/keys/0000000000000000']] as const) {
    assertError(await h.call(method, path, { token: other.token }), 403, 'forbidden', 'operator account');
  }
  const reader = await h.call('POST', '/api/v1/tokens', { json: { name: 'read only', scopes: ['workers:read'] } });
  assert.equal(reader.status, 201, reader.text);
  assertError(await h.call('POST', '/api/v1/secrets-key/rotate', { token: reader.body.token }), 403, 'forbidden');
  assertError(await h.call('GET', '/api/v1/secrets-key', { token: null }), 401, 'unauthorized');
});
