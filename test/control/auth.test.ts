// Tokens over the API: every call needs one; revoked and expired ones are refused with a
// 401 that says why; scopes limit what a token may do; only hashes are stored.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrap } from '../../src/control/bootstrap.ts';
import { hashToken } from '../../src/control/tokens.ts';
import { assertError, startHarness, upload, type Harness } from './harness.ts';

let h: Harness;
let clock = Date.now();
before(async () => { h = await startHarness({ now: () => clock }); });
after(async () => { await h.close(); });

const createToken = async (json: unknown) => {
  const reply = await h.call('POST', '/api/v1/tokens', { json });
  assert.equal(reply.status, 201, reply.text);
  return reply.body as { token: string; record: { id: string; scopes: string[]; expires_at: string | null } };
};

test('bootstrap: makes the operator account and one admin token, once', async () => {
  assert.match(h.token, /^atoll_[A-Za-z0-9_-]{43}$/);
  assert.equal(await bootstrap(h.store), null);
  const who = await h.call('GET', '/api/v1/whoami');
  assert.equal(who.body.account.operator, true);
  assert.deepEqual(who.body.token.scopes, ['admin']);
});

test('Tokens: only the SHA-256 of a token is stored', async () => {
  const { token } = await createToken({ name: 'ci', scopes: ['workers:read'] });
  const db = readFileSync(join(h.dir, 'control', 'control.sqlite3'));
  const wal = readFileSync(join(h.dir, 'control', 'control.sqlite3-wal'));
  for (const file of [db, wal]) assert.equal(file.includes(token), false, 'the token itself is on disk');
  assert.equal(wal.includes(hashToken(token)) || db.includes(hashToken(token)), true);
  const list = await h.call('GET', '/api/v1/tokens');
  assert.equal(list.text.includes(token), false);
  assert.equal(list.text.includes(hashToken(token)), false);
});

test('Auth: missing, malformed and unknown tokens get 401 saying what to send', async () => {
  assertError(await h.call('GET', '/api/v1/workers', { token: null }), 401, 'unauthorized', 'Authorization: Bearer');
  assertError(await h.call('GET', '/api/v1/workers', { token: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'unauthorized', '"Bearer <token>"');
  assertError(await h.call('GET', '/api/v1/workers', { token: 'not-a-token' }), 401, 'unauthorized', 'copied whole');
  assertError(await h.call('GET', '/api/v1/workers', { token: `atoll_${'A'.repeat(43)}` }), 401, 'unauthorized', 'not known');
  // Unknown endpoints are hidden behind auth as well.
  assertError(await h.call('GET', '/api/v1/nothing-here', { token: null }), 401, 'unauthorized');
});

test('Auth: a revoked token is refused at once with 401 naming it', async () => {
  const { token, record } = await createToken({ name: 'laptop', scopes: ['workers:read'] });
  assert.equal((await h.call('GET', '/api/v1/workers', { token })).status, 200);
  assert.deepEqual((await h.call('DELETE', `/api/v1/tokens/${record.id}`)).body, { revoked: record.id });
  assertError(await h.call('GET', '/api/v1/workers', { token }), 401, 'unauthorized', `${record.id} ("laptop") was revoked`);
  assertError(await h.call('DELETE', '/api/v1/tokens/tok_nope'), 404, 'not_found', 'GET /api/v1/tokens');
});

test('Auth: an expired token is refused with 401 saying when it expired', async () => {
  const expires = new Date(clock + 60_000).toISOString();
  const { token, record } = await createToken({ name: 'short', scopes: ['kv:read'], expires_at: expires });
  assert.equal(record.expires_at, expires);
  assert.equal((await h.call('GET', '/api/v1/kv/namespaces', { token })).status, 200);
  clock += 61_000;
  assertError(await h.call('GET', '/api/v1/kv/namespaces', { token }), 401, 'unauthorized', `expired at ${expires}`);
});

test('Auth: scopes: each token may do only what its scopes allow; admin may do all', async () => {
  const read = (await createToken({ name: 'r', scopes: ['workers:read'] })).token;
  const kvOnly = (await createToken({ name: 'kv', scopes: ['kv:read', 'kv:write'] })).token;
  const logs = (await createToken({ name: 'logs', scopes: ['logs:read'] })).token;
  await upload(h, 'scoped');
  assert.equal((await h.call('GET', '/api/v1/workers/scoped', { token: read })).status, 200);
  assertError(await h.call('DELETE', '/api/v1/workers/scoped', { token: read }), 403, 'forbidden', '"workers:write"');
  assertError(await h.call('POST', '/api/v1/workers/scoped/rollback', { token: read, json: {} }), 403, 'forbidden');
  assertError(await h.call('PUT', '/api/v1/workers/scoped/secrets/X', { token: read, json: { value: 'v' } }), 403, 'forbidden');
  assertError(await h.call('GET', '/api/v1/workers', { token: kvOnly }), 403, 'forbidden', '"workers:read"');
  assert.equal((await h.call('POST', '/api/v1/kv/namespaces', { token: kvOnly, json: { title: 'scoped-ns' } })).status, 201);
  assertError(await h.call('POST', '/api/v1/kv/namespaces', { token: read, json: { title: 'nope' } }), 403, 'forbidden', '"kv:write"');
  assertError(await h.call('GET', '/api/v1/kv/namespaces', { token: logs }), 403, 'forbidden', '"kv:read"');
  assertError(await h.call('POST', '/api/v1/zones', { token: kvOnly, json: { hostname: 'a.test', origin: 'http://127.0.0.1:9' } }), 403, 'forbidden');
  assertError(await h.call('GET', '/api/v1/tokens', { token: read }), 403, 'forbidden', '"admin"');
  assertError(await h.call('POST', '/api/v1/tokens', { token: kvOnly, json: { name: 'x', scopes: ['admin'] } }), 403, 'forbidden', '"admin"');
  const who = await h.call('GET', '/api/v1/whoami', { token: logs });
  assert.deepEqual(who.body.token.scopes, ['logs:read']);
});

test('Tokens: POST: refuses unknown scopes, a past expiry and a missing name', async () => {
  assertError(await h.call('POST', '/api/v1/tokens', { json: { name: 'x', scopes: ['root'] } }), 400, 'invalid_scopes', 'workers:read');
  assertError(await h.call('POST', '/api/v1/tokens', { json: { name: 'x', scopes: [] } }), 400, 'invalid_scopes');
  assertError(await h.call('POST', '/api/v1/tokens', { json: { name: 'x', scopes: 'admin' } }), 400, 'invalid_scopes');
  assertError(await h.call('POST', '/api/v1/tokens', { json: { name: 'x', scopes: ['admin'], expires_at: '2001-01-01T00:00:00Z' } }), 400, 'invalid_field', 'past');
  assertError(await h.call('POST', '/api/v1/tokens', { json: { name: 'x', scopes: ['admin'], expires_at: 'tomorrow' } }), 400, 'invalid_field', 'ISO 8601');
  assertError(await h.call('POST', '/api/v1/tokens', { json: { scopes: ['admin'] } }), 400, 'invalid_field', '"name"');
});

test('Accounts: POST: only the operator account creates accounts; the new admin token works', async () => {
  const created = await h.call('POST', '/api/v1/accounts', { json: { name: 'team-b' } });
  assert.equal(created.status, 201, created.text);
  const who = await h.call('GET', '/api/v1/whoami', { token: created.body.token });
  assert.equal(who.body.account.name, 'team-b');
  assert.equal(who.body.account.operator, false);
  assertError(await h.call('POST', '/api/v1/accounts', { token: created.body.token, json: { name: 'team-c' } }), 403, 'forbidden', 'operator');
});
