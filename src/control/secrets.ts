// Secret values at rest: AES-256-GCM under a key kept outside the database, so a copy of
// control.sqlite3 alone reveals nothing. Each record names its key id, so keys rotate
// without downtime: add a key, make it current, re-encrypt (rotateSecrets), drop the old.
// The ciphertext is bound to (account, worker, name) as associated data, so a record
// copied under another worker's name fails to decrypt instead of leaking.
//
// Keys come from ATOLL_SECRETS_KEY (comma-separated base64 32-byte keys, the first is
// current; the rest still decrypt) or else from `<dataDir>/secrets.key` (JSON, mode 0600),
// created on first use.

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlStore, SecretRecord } from '../store/control.ts';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Keyring {
  currentId: string;
  keys: Map<string, Buffer>;
  /** The key file, or null when the keys came from the environment. */
  file: string | null;
}

/** A key's id: the start of its SHA-256, so the same key has the same id wherever it is. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(`${where}: a secrets key must be ${KEY_BYTES} bytes in base64 (make one with: openssl rand -base64 32), got ${key.length} bytes`);
  }
  return key;
}

interface KeyFile {
  current: string;
  keys: Record<string, string>;
}

function writeKeyFile(file: string, ring: Keyring): void {
  const body: KeyFile = { current: ring.currentId, keys: Object.fromEntries([...ring.keys].map(([id, k]) => [id, k.toString('base64')])) };
  // Written beside and renamed, so a crash leaves the old keys or the new, never half.
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The keyring from ATOLL_SECRETS_KEY, or from `<dataDir>/secrets.key` (created when absent). */
export function loadKeyring(dataDir: string, env: NodeJS.ProcessEnv = process.env): Keyring {
  const fromEnv = env.ATOLL_SECRETS_KEY;
  if (fromEnv) {
    const keys = fromEnv.split(',').filter((s) => s.trim()).map((s) => decodeKey(s, 'ATOLL_SECRETS_KEY'));
    if (keys.length === 0) throw new Error('ATOLL_SECRETS_KEY is set but holds no key; unset it or set it to a base64 32-byte key');
    return { currentId: keyId(keys[0]!), keys: new Map(keys.map((k) => [keyId(k), k])), file: null };
  }
  const file = join(dataDir, 'secrets.key');
  if (!existsSync(file)) {
    const key = randomBytes(KEY_BYTES);
    const ring: Keyring = { currentId: keyId(key), keys: new Map([[keyId(key), key]]), file };
    writeKeyFile(file, ring);
    return ring;
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new Error(`${file} can be read by other users; run: chmod 600 ${file}`);
  }
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); restore it from a backup: without it, stored secrets cannot be read`);
  }
  const keys = new Map(Object.entries(parsed.keys ?? {}).map(([id, text]) => [id, decodeKey(text, file)]));
  if (!keys.has(parsed.current)) throw new Error(`${file}: its current key "${parsed.current}" is not among its keys; restore it from a backup`);
  return { currentId: parsed.current, keys, file };
}

function aad(accountId: string, worker: string, name: string): Buffer {
  return Buffer.from(JSON.stringify([accountId, worker, name]), 'utf8');
}

export function encryptSecret(ring: Keyring, accountId: string, worker: string, name: string, value: string, now = Date.now()): SecretRecord {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', ring.keys.get(ring.currentId)!, iv);
  cipher.setAAD(aad(accountId, worker, name));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { accountId, worker, name, keyId: ring.currentId, iv, ciphertext, updatedAt: now };
}

export function decryptSecret(ring: Keyring, record: SecretRecord): string {
  const key = ring.keys.get(record.keyId);
  if (!key) {
    throw new Error(`secret "${record.name}" of worker "${record.worker}" is encrypted with key ${record.keyId}, which the keyring lacks; add that key back (ATOLL_SECRETS_KEY or secrets.key)`);
  }
  const data = Buffer.from(record.ciphertext);
  const decipher = createDecipheriv('aes-256-gcm', key, record.iv);
  decipher.setAAD(aad(record.accountId, record.worker, record.name));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
}

/**
 * Makes a new key current (saved to the key file, the old keys kept so that reads go on
 * working meanwhile) and re-encrypts every secret under it. With keys from the
 * environment, put the new key first in ATOLL_SECRETS_KEY and call this with no new key.
 * Returns how many secrets were re-encrypted.
 */
export async function rotateSecrets(store: ControlStore, ring: Keyring, newKey?: Buffer): Promise<number> {
  if (ring.file) {
    const key = newKey ?? randomBytes(KEY_BYTES);
    ring.keys.set(keyId(key), key);
    ring.currentId = keyId(key);
    writeKeyFile(ring.file, ring);
  }
  let n = 0;
  for (const record of await store.listAllSecrets()) {
    if (record.keyId === ring.currentId) continue;
    const value = decryptSecret(ring, record);
    await store.putSecret(encryptSecret(ring, record.accountId, record.worker, record.name, value, record.updatedAt));
    n++;
  }
  return n;
}

/** How many stored secrets each key of the ring encrypts (keys no secret uses count 0). */
export async function secretsByKey(store: ControlStore, ring: Keyring): Promise<Map<string, number>> {
  const counts = new Map([...ring.keys.keys()].map((id) => [id, 0]));
  for (const record of await store.listAllSecrets()) counts.set(record.keyId, (counts.get(record.keyId) ?? 0) + 1);
  return counts;
}

/**
 * Removes a retired key from the key file. Refused for the current key, for a key some
 * secret still uses (rotate first), and for keys from the environment (edit
 * ATOLL_SECRETS_KEY instead).
 */
export async function dropKey(store: ControlStore, ring: Keyring, id: string): Promise<void> {
  if (!ring.file) throw new Error('the secrets keys come from ATOLL_SECRETS_KEY; remove the key there and restart');
  if (!ring.keys.has(id)) throw new Error(`the keyring has no key "${id}"`);
  if (id === ring.currentId) throw new Error(`key "${id}" is the current key; rotate to a new one first`);
  const users = (await secretsByKey(store, ring)).get(id) ?? 0;
  if (users > 0) throw new Error(`${users} secret(s) are still encrypted with key "${id}"; rotate first, which re-encrypts them under the current key`);
  ring.keys.delete(id);
  writeKeyFile(ring.file, ring);
}
