// The per-isolate CryptoKey table. A CryptoKey inside an isolate holds only an integer
// handle into its own isolate's table, so a handle forged, or taken from another isolate,
// names nothing. Tables hang off the WorkerIsolate in a WeakMap: they go when it goes.

import { webcrypto } from 'node:crypto';
import type { CryptoKeyInfo } from '../shared/ops.ts';
import { domError, typeError } from './errors.ts';

type NodeCryptoKey = webcrypto.CryptoKey;

/** Live keys per isolate; the prelude releases a handle when its CryptoKey is collected. */
export const MAX_KEYS_PER_ISOLATE = 10_000;

interface KeyTable {
  keys: Map<number, NodeCryptoKey>;
  next: number;
}

const tables = new WeakMap<object, KeyTable>();

function table(owner: object): KeyTable {
  let t = tables.get(owner);
  if (!t) {
    t = { keys: new Map(), next: 1 };
    tables.set(owner, t);
  }
  return t;
}

/** The key behind `handle` in `owner`'s table, or a TypeError as WebIDL gives for a non-CryptoKey. */
export function lookupKey(owner: object, handle: unknown, what = 'key'): NodeCryptoKey {
  const key = typeof handle === 'number' ? tables.get(owner)?.keys.get(handle) : undefined;
  if (!key) throw typeError(`The provided ${what} is not of type 'CryptoKey'.`);
  return key;
}

/** Stores `key` and describes it for the isolate (a copy: nothing of Node's object crosses). */
export function addKey(owner: object, key: NodeCryptoKey): CryptoKeyInfo {
  const t = table(owner);
  if (t.keys.size >= MAX_KEYS_PER_ISOLATE) {
    throw domError('QuotaExceededError', `This worker holds too many live CryptoKeys (limit ${MAX_KEYS_PER_ISOLATE}).`);
  }
  const handle = t.next++;
  t.keys.set(handle, key);
  return {
    handle,
    type: key.type,
    extractable: key.extractable,
    algorithm: plainAlgorithm(key.algorithm as unknown as Record<string, unknown>),
    usages: [...key.usages],
  };
}

export function releaseKey(owner: object, handle: unknown): void {
  if (typeof handle === 'number') tables.get(owner)?.keys.delete(handle);
}

export function liveKeyCount(owner: object): number {
  return tables.get(owner)?.keys.size ?? 0;
}

// https://w3c.github.io/webcrypto/#dfn-KeyAlgorithm and its subtypes: name, length,
// namedCurve, modulusLength, publicExponent, hash.
function plainAlgorithm(a: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: String(a.name) };
  for (const k of ['length', 'modulusLength'] as const) if (typeof a[k] === 'number') out[k] = a[k];
  if (typeof a.namedCurve === 'string') out.namedCurve = a.namedCurve;
  if (a.publicExponent instanceof Uint8Array) out.publicExponent = new Uint8Array(a.publicExponent);
  const hash = a.hash as { name?: unknown } | undefined;
  if (hash && typeof hash.name === 'string') out.hash = { name: hash.name };
  return out;
}
