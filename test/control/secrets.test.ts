import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptSecret, encryptSecret, keyId, loadKeyring, rotateSecrets } from '../../src/control/secrets.ts';
import { openSqliteControl } from '../../src/store/control-sqlite.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'atoll-secrets-'));

test('secrets: loadKeyring: creates secrets.key with mode 0600 and loads the same key again', () => {
  const dir = tempDir();
  try {
    const ring = loadKeyring(dir, {});
    assert.equal(statSync(join(dir, 'secrets.key')).mode & 0o777, 0o600);
    const again = loadKeyring(dir, {});
    assert.equal(again.currentId, ring.currentId);
    assert.deepEqual(again.keys.get(ring.currentId), ring.keys.get(ring.currentId));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets: loadKeyring: refuses a key file others can read, saying how to fix it', () => {
  const dir = tempDir();
  try {
    loadKeyring(dir, {});
    chmodSync(join(dir, 'secrets.key'), 0o644);
    assert.throws(() => loadKeyring(dir, {}), /chmod 600/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets: loadKeyring: ATOLL_SECRETS_KEY wins over the file; a bad key is refused with the fix', () => {
  const dir = tempDir();
  try {
    const key = randomBytes(32);
    const ring = loadKeyring(dir, { ATOLL_SECRETS_KEY: key.toString('base64') });
    assert.equal(ring.currentId, keyId(key));
    assert.equal(ring.file, null);
    assert.throws(() => loadKeyring(dir, { ATOLL_SECRETS_KEY: 'c2hvcnQ=' }), /32 bytes.*openssl rand -base64 32/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets: encryptSecret: round-trips, hides the value, and is bound to its worker and name', () => {
  const dir = tempDir();
  try {
    const ring = loadKeyring(dir, {});
    const record = encryptSecret(ring, 'acc_1', 'api', 'TOKEN', 'hunter2-very-secret');
    assert.equal(Buffer.from(record.ciphertext).includes('hunter2'), false);
    assert.equal(decryptSecret(ring, record), 'hunter2-very-secret');
    // The same ciphertext filed under another worker does not decrypt.
    assert.throws(() => decryptSecret(ring, { ...record, worker: 'other' }), /unable to authenticate|auth/i);
    assert.throws(() => decryptSecret(ring, { ...record, keyId: 'nope' }), /keyring lacks/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets: rotateSecrets: re-encrypts every record under a new key saved in the key file', async () => {
  const dir = tempDir();
  const store = await openSqliteControl(join(dir, 'control'));
  try {
    await store.createAccount({ id: 'acc_1', name: 'a', operator: true, createdAt: 1 });
    const ring = loadKeyring(dir, {});
    const oldId = ring.currentId;
    await store.putSecret(encryptSecret(ring, 'acc_1', 'api', 'A', 'one'));
    await store.putSecret(encryptSecret(ring, 'acc_1', 'web', 'B', 'two'));
    assert.equal(await rotateSecrets(store, ring), 2);
    assert.notEqual(ring.currentId, oldId);
    const file = JSON.parse(readFileSync(join(dir, 'secrets.key'), 'utf8'));
    assert.equal(file.current, ring.currentId);
    const reloaded = loadKeyring(dir, {});
    const records = await store.listAllSecrets();
    assert.deepEqual(records.map((r) => r.keyId), [ring.currentId, ring.currentId]);
    assert.deepEqual(records.map((r) => decryptSecret(reloaded, r)), ['one', 'two']);
    // With only the new key, the rotated records still decrypt.
    const onlyNew = { ...reloaded, keys: new Map([[ring.currentId, reloaded.keys.get(ring.currentId)!]]) };
    assert.deepEqual(records.map((r) => decryptSecret(onlyNew, r)), ['one', 'two']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets: rotateSecrets: with keys from ATOLL_SECRETS_KEY, re-encrypts under the first and the old key may go', async () => {
  const dir = tempDir();
  const store = await openSqliteControl(join(dir, 'control'));
  try {
    await store.createAccount({ id: 'acc_1', name: 'a', operator: true, createdAt: 1 });
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    await store.putSecret(encryptSecret(loadKeyring(dir, { ATOLL_SECRETS_KEY: oldKey }), 'acc_1', 'api', 'A', 'one'));
    const both = loadKeyring(dir, { ATOLL_SECRETS_KEY: `${newKey},${oldKey}` });
    assert.equal(await rotateSecrets(store, both), 1);
    const onlyNew = loadKeyring(dir, { ATOLL_SECRETS_KEY: newKey });
    const [record] = await store.listAllSecrets();
    assert.equal(decryptSecret(onlyNew, record!), 'one');
    assert.equal(await rotateSecrets(store, onlyNew), 0, 'nothing left to re-encrypt');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
