// CryptoKey: https://w3c.github.io/webcrypto/#cryptokey-interface
// The key material never enters the isolate: a CryptoKey holds its [[type]],
// [[extractable]], [[algorithm]] and [[usages]] slots, and an integer handle into this
// isolate's key table on the host, where Node's webcrypto keeps the key itself.

import type { CryptoKeyInfo } from '../shared/ops.ts';
import { hostSync } from './internal/bridge.ts';
import { TypeErrorCtor, WeakMapCtor } from './internal/primordials.ts';

interface Slots {
  handle: number;
  type: CryptoKeyInfo['type'];
  extractable: boolean;
  algorithm: Record<string, unknown>;
  usages: string[];
}

const slots = new WeakMapCtor<object, Slots>();
let constructing = false;
// Created on first use: the prelude's top level runs into a V8 snapshot.
let registry: FinalizationRegistry<number> | null = null;

function slotsOf(key: unknown): Slots {
  const s = typeof key === 'object' && key !== null ? slots.get(key) : undefined;
  if (!s) throw new TypeErrorCtor('Illegal invocation');
  return s;
}

export class CryptoKey {
  /** @internal Not constructible from tenant code, as in browsers and Workers. */
  constructor() {
    if (!constructing) throw new TypeErrorCtor('Illegal constructor');
  }

  get type(): string { return slotsOf(this).type; }
  get extractable(): boolean { return slotsOf(this).extractable; }
  // The spec caches one object for each of these, so `key.algorithm === key.algorithm`.
  get algorithm(): object { return slotsOf(this).algorithm; }
  get usages(): string[] { return slotsOf(this).usages; }
  get [Symbol.toStringTag](): string { return 'CryptoKey'; }
}

/** Makes the isolate's CryptoKey for a key the host has stored. */
export function createCryptoKey(info: CryptoKeyInfo): CryptoKey {
  constructing = true;
  let key: CryptoKey;
  try {
    key = new CryptoKey();
  } finally {
    constructing = false;
  }
  slots.set(key, { handle: info.handle, type: info.type, extractable: info.extractable, algorithm: info.algorithm, usages: info.usages });
  registry ??= new FinalizationRegistry((handle) => {
    try {
      hostSync('crypto_key_release', handle);
    } catch {
      // The isolate is going away; its whole table goes with it.
    }
  });
  registry.register(key, info.handle);
  return key;
}

/** The host handle of `key`, or the TypeError WebIDL gives when it is not a CryptoKey. */
export function keyHandle(key: unknown, method: string, what: string): number {
  const s = typeof key === 'object' && key !== null ? slots.get(key) : undefined;
  if (!s) throw new TypeErrorCtor(`Failed to execute '${method}' on 'SubtleCrypto': ${what} is not of type 'CryptoKey'.`);
  return s.handle;
}
