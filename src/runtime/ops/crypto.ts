// Crypto ops: randomness from the host's CSPRNG, and crypto.subtle done by Node's
// webcrypto (DESIGN.md decision 3). The prelude has already run WebIDL conversion; here
// every argument is checked again, because the isolate is not trusted, then handed to
// Node, which runs the spec's algorithm normalization and checks. Node's errors cross
// as the same DOMException names; work is bounded so one tenant cannot occupy the host
// (iteration counts, key sizes, lengths, and a few operations at a time per isolate).

import { createHash, randomFillSync, webcrypto, type Hash } from 'node:crypto';
import type { CryptoAlgorithm, CryptoKeyData, CryptoKeyInfo, CryptoKeyPairInfo } from '../../shared/ops.ts';
import { addKey, lookupKey, releaseKey } from '../crypto-keys.ts';
import { domError, OpError, typeError } from '../errors.ts';
import type { OpContext } from './index.ts';

type NodeKey = webcrypto.CryptoKey;
type SubtleMethod = 'digest' | 'generateKey' | 'importKey' | 'exportKey' | 'sign' | 'verify' | 'encrypt' | 'decrypt'
  | 'deriveBits' | 'deriveKey' | 'wrapKey' | 'unwrapKey';
// Typed loosely on purpose: the arguments were checked here, and Node checks them again.
const subtle = webcrypto.subtle as unknown as Record<SubtleMethod, (...args: unknown[]) => Promise<any>>;

/** Largest BufferSource the host accepts for one operation (the isolate's heap is smaller). */
export const MAX_DATA_BYTES = 128 * 1024 * 1024;
/** Largest algorithm member (iv, salt, info, label, ...). */
const MAX_MEMBER_BYTES = 64 * 1024;
/** Workers refuses PBKDF2 above this many iterations; so do we (it is host CPU). */
export const MAX_PBKDF2_ITERATIONS = 100_000;
/** RSA keys: generation is seconds of host CPU above this; import is allowed one step more. */
const MAX_RSA_GENERATE_BITS = 4096;
const MAX_RSA_IMPORT_BITS = 8192;
/** deriveBits output: HKDF's own maximum (255 blocks of SHA-512). */
const MAX_DERIVE_BITS = 255 * 64 * 8;
/** Operations of one isolate running on the host at once; the rest wait their turn. */
const MAX_CONCURRENT = 2;

const FORMATS = new Set(['raw', 'spki', 'pkcs8', 'jwk']);
const USAGES = new Set(['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey']);
const BYTE_MEMBERS = ['iv', 'additionalData', 'counter', 'salt', 'info', 'label', 'publicExponent'] as const;
const NUMBER_MEMBERS = ['tagLength', 'iterations', 'modulusLength', 'saltLength'] as const;
const ALL_MEMBERS = new Set<string>(['name', 'hash', 'public', 'length', 'namedCurve', ...BYTE_MEMBERS, ...NUMBER_MEMBERS]);

// ---- argument checks (the isolate already converted them; these catch a forged call) ----

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function bytes(v: unknown, what: string, max = MAX_DATA_BYTES): Uint8Array {
  if (!(v instanceof Uint8Array)) throw typeError(`${what} is not of type 'ArrayBuffer or ArrayBufferView'.`);
  if (v.byteLength > max) throw domError('OperationError', `${what} is too large (${v.byteLength} bytes; the limit is ${max}).`);
  return v;
}

/** Rebuilds an algorithm from known members only, with keys resolved in `owner`'s table. */
function algorithm(owner: object, a: unknown, depth = 0): Record<string, unknown> {
  if (!isPlainObject(a) || typeof a.name !== 'string' || a.name.length > 64) throw typeError('Algorithm: name: Missing or not a string');
  const out: Record<string, unknown> = { name: a.name };
  for (const key of Object.keys(a)) {
    if (!ALL_MEMBERS.has(key)) throw typeError(`Algorithm: unknown member '${key}'`);
  }
  for (const m of BYTE_MEMBERS) if (a[m] !== undefined) out[m] = bytes(a[m], `Algorithm: ${m}`, MAX_MEMBER_BYTES);
  for (const m of NUMBER_MEMBERS) {
    if (a[m] === undefined) continue;
    if (typeof a[m] !== 'number' || !Number.isFinite(a[m])) throw typeError(`Algorithm: ${m}: not a finite number`);
    out[m] = a[m];
  }
  if (a.length !== undefined) {
    if (a.length !== null && (typeof a.length !== 'number' || !Number.isFinite(a.length))) throw typeError('Algorithm: length: not a finite number');
    out.length = a.length;
  }
  if (a.namedCurve !== undefined) {
    if (typeof a.namedCurve !== 'string') throw typeError('Algorithm: namedCurve: not a string');
    out.namedCurve = a.namedCurve;
  }
  if (a.hash !== undefined) {
    if (depth > 0) throw typeError('Algorithm: hash: nested too deeply');
    out.hash = algorithm(owner, a.hash, depth + 1);
  }
  if (a.public !== undefined) out.public = lookupKey(owner, a.public, 'public key');
  return out;
}

function usages(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > USAGES.size) throw typeError('keyUsages: not a sequence of KeyUsage');
  for (const u of v) {
    if (typeof u !== 'string' || !USAGES.has(u)) throw typeError(`keyUsages: '${String(u)}' is not a valid enum value of type KeyUsage.`);
  }
  return v as string[];
}

function format(v: unknown): string {
  if (typeof v !== 'string' || !FORMATS.has(v)) throw typeError(`The provided value '${String(v)}' is not a valid enum value of type KeyFormat.`);
  return v;
}

function boolean(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw typeError(`${what} is not a boolean`);
  return v;
}

const upper = (a: Record<string, unknown>) => String(a.name).toUpperCase();

// Costs that would otherwise be paid in host CPU, on the thread pool every isolate shares.
function checkCost(op: string, a: Record<string, unknown>, lengthBits?: number | null): void {
  if (upper(a) === 'PBKDF2' && typeof a.iterations === 'number' && a.iterations > MAX_PBKDF2_ITERATIONS) {
    throw domError('NotSupportedError', `Pbkdf2 failed: iteration counts above ${MAX_PBKDF2_ITERATIONS} are not supported (requested ${a.iterations}).`);
  }
  if (typeof lengthBits === 'number' && lengthBits > MAX_DERIVE_BITS) {
    throw domError('OperationError', `deriveBits: length ${lengthBits} is above the limit of ${MAX_DERIVE_BITS} bits.`);
  }
  if (op === 'generateKey' && typeof a.modulusLength === 'number') {
    if (a.modulusLength > MAX_RSA_GENERATE_BITS) {
      throw domError('NotSupportedError', `RSA keys longer than ${MAX_RSA_GENERATE_BITS} bits are not supported by generateKey (requested ${a.modulusLength}).`);
    }
    // As browsers do: any other exponent is slow or unsafe.
    const e = a.publicExponent as Uint8Array | undefined;
    const hex = e ? Buffer.from(e).toString('hex').replace(/^0+/, '') : '';
    if (hex !== '10001' && hex !== '3') throw domError('OperationError', 'The RSA public exponent must be 3 or 65537.');
  }
}

function checkImported(key: NodeKey): NodeKey {
  const bits = (key.algorithm as { modulusLength?: number }).modulusLength;
  if (typeof bits === 'number' && bits > MAX_RSA_IMPORT_BITS) {
    throw domError('NotSupportedError', `RSA keys longer than ${MAX_RSA_IMPORT_BITS} bits are not supported (this one has ${bits}).`);
  }
  return key;
}

// ---- errors: Node's webcrypto throws DOMExceptions and TypeErrors; keep their names ----

function cryptoError(err: unknown): unknown {
  if (err instanceof OpError) return err;
  if (err instanceof DOMException) return domError(err.name, err.message);
  if (err instanceof TypeError) return typeError(err.message);
  if (err instanceof RangeError) return new OpError('RangeError', err.message);
  // OpenSSL failures surface as plain errors with ERR_* / ERR_OSSL_* codes: a failed operation.
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('ERR_')) return domError('OperationError', (err as Error).message);
  return err;
}

// ---- per-isolate concurrency ----

const running = new WeakMap<object, { active: number; waiting: (() => void)[] }>();

async function limited<T>(ctx: OpContext, work: () => Promise<T>): Promise<T> {
  let slot = running.get(ctx.worker);
  if (!slot) running.set(ctx.worker, (slot = { active: 0, waiting: [] }));
  const s = slot;
  while (s.active >= MAX_CONCURRENT) await new Promise<void>((r) => s.waiting.push(r));
  s.active++;
  try {
    if (ctx.signal?.aborted) throw domError('AbortError', 'The operation was aborted.');
    return await work();
  } catch (err) {
    throw cryptoError(err);
  } finally {
    s.active--;
    s.waiting.shift()?.();
  }
}

/** Runs `prepare` (synchronous checks) first, so bad input fails even while others run. */
function op<T>(ctx: OpContext, prepare: () => () => Promise<T>): Promise<T> {
  let work: () => Promise<T>;
  try {
    work = prepare();
  } catch (err) {
    return Promise.reject(cryptoError(err));
  }
  return limited(ctx, work);
}

const out = (buf: ArrayBuffer) => new Uint8Array(buf);

function keyInfo(ctx: OpContext, key: webcrypto.CryptoKey | webcrypto.CryptoKeyPair): CryptoKeyInfo | CryptoKeyPairInfo {
  if ('publicKey' in key) {
    return { publicKey: addKey(ctx.worker, key.publicKey), privateKey: addKey(ctx.worker, key.privateKey) };
  }
  return addKey(ctx.worker, key);
}

// ---- DigestStream: incremental hashes, by handle, per isolate ----

const HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', MD5: 'md5' };
/** Open DigestStreams per isolate; the prelude frees a stream's hash when it is collected. */
export const MAX_HASHES_PER_ISOLATE = 1000;
const hashTables = new WeakMap<object, { hashes: Map<number, Hash>; next: number }>();

function hashOf(owner: object, handle: unknown): Hash {
  const h = typeof handle === 'number' ? hashTables.get(owner)?.hashes.get(handle) : undefined;
  if (!h) throw typeError('The DigestStream is closed or was never opened.');
  return h;
}

export const cryptoSyncOps = {
  random_bytes(_ctx: OpContext, n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > 65536) {
      throw domError('QuotaExceededError', `Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (${n}) exceeds the number of bytes of entropy available via this API (65536).`);
    }
    return randomFillSync(new Uint8Array(n));
  },
  crypto_key_release(ctx: OpContext, handle: number): void {
    releaseKey(ctx.worker, handle);
  },
  crypto_hash_create(ctx: OpContext, algorithm: string): number {
    const name = typeof algorithm === 'string' ? HASHES[algorithm.toUpperCase()] : undefined;
    if (!name) throw domError('NotSupportedError', `Unrecognized algorithm name: ${String(algorithm).slice(0, 64)}`);
    let t = hashTables.get(ctx.worker);
    if (!t) hashTables.set(ctx.worker, (t = { hashes: new Map(), next: 1 }));
    if (t.hashes.size >= MAX_HASHES_PER_ISOLATE) {
      throw domError('QuotaExceededError', `This worker has too many open DigestStreams (limit ${MAX_HASHES_PER_ISOLATE}).`);
    }
    const handle = t.next++;
    t.hashes.set(handle, createHash(name));
    return handle;
  },
  crypto_hash_update(ctx: OpContext, handle: number, chunk: Uint8Array): void {
    hashOf(ctx.worker, handle).update(bytes(chunk, 'chunk'));
  },
  crypto_hash_digest(ctx: OpContext, handle: number): Uint8Array {
    const digest = hashOf(ctx.worker, handle).digest();
    hashTables.get(ctx.worker)!.hashes.delete(handle);
    return new Uint8Array(digest);
  },
  crypto_hash_free(ctx: OpContext, handle: number): void {
    if (typeof handle === 'number') hashTables.get(ctx.worker)?.hashes.delete(handle);
  },
};

export const cryptoAsyncOps = {
  crypto_digest(ctx: OpContext, alg: CryptoAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    return op(ctx, () => {
      const a = algorithm(ctx.worker, alg);
      const d = bytes(data, 'data');
      // MD5 is not Web Crypto, but Workers offers it in digest(); Node's webcrypto does not.
      if (upper(a) === 'MD5') return async () => new Uint8Array(createHash('md5').update(d).digest());
      return async () => out(await subtle.digest(a, d));
    });
  },

  crypto_generate_key(ctx: OpContext, alg: CryptoAlgorithm, extractable: boolean, keyUsages: string[]) {
    return op(ctx, () => {
      const a = algorithm(ctx.worker, alg);
      const ext = boolean(extractable, 'extractable');
      const u = usages(keyUsages);
      checkCost('generateKey', a);
      return async () => keyInfo(ctx, await subtle.generateKey(a, ext, u));
    });
  },

  crypto_import_key(ctx: OpContext, fmt: string, keyData: CryptoKeyData, alg: CryptoAlgorithm, extractable: boolean, keyUsages: string[]) {
    return op(ctx, () => {
      const f = format(fmt);
      const a = algorithm(ctx.worker, alg);
      const ext = boolean(extractable, 'extractable');
      const u = usages(keyUsages);
      let material: Uint8Array | webcrypto.JsonWebKey;
      if (f === 'jwk') {
        if (!isPlainObject(keyData)) throw typeError("Failed to execute 'importKey' on 'SubtleCrypto': The provided value is not of type 'JsonWebKey'.");
        material = keyData as webcrypto.JsonWebKey;
      } else {
        material = bytes(keyData, 'keyData', MAX_MEMBER_BYTES);
      }
      return async () => {
        const key = await subtle.importKey(f, material, a, ext, u);
        return addKey(ctx.worker, checkImported(key));
      };
    });
  },

  crypto_export_key(ctx: OpContext, fmt: string, handle: number) {
    return op(ctx, () => {
      const f = format(fmt);
      const key = lookupKey(ctx.worker, handle);
      return async (): Promise<CryptoKeyData> => {
        const result = await subtle.exportKey(f, key);
        return result instanceof ArrayBuffer ? out(result) : JSON.parse(JSON.stringify(result));
      };
    });
  },

  crypto_sign(ctx: OpContext, alg: CryptoAlgorithm, handle: number, data: Uint8Array) {
    return op(ctx, () => {
      const a = algorithm(ctx.worker, alg);
      const key = lookupKey(ctx.worker, handle);
      const d = bytes(data, 'data');
      return async () => out(await subtle.sign(a, key, d));
    });
  },

  crypto_verify(ctx: OpContext, alg: CryptoAlgorithm, handle: number, signature: Uint8Array, data: Uint8Array) {
    return op(ctx, () => {
      const a = algorithm(ctx.worker, alg);
      const key = lookupKey(ctx.worker, handle);
      const sig = bytes(signature, 'signature');
      const d = bytes(data, 'data');
      return async () => subtle.verify(a, key, sig, d);
    });
  },

  crypto_encrypt(ctx: OpContext, alg: CryptoAlgorithm, handle: number, data: Uint8Array) {
    return op(ctx, () => {
      const a = algorithm(ctx.worker, alg);
      const key = lookupKey(ctx.worker, handle);
      const d = bytes(data, 'data');
      return async () => out(await subtle.encrypt(a, key, d));
    });
  },

  crypto_decrypt(ctx: OpContext, alg: CryptoAlgorithm, handle: number, data: Uint8Array) {
    return op(ctx, () => {
      const a = algorithm(ctx.worker, alg);
      const key = lookupKey(ctx.worker, handle);
      const d = bytes(data, 'data');
      return async () => out(await subtle.decrypt(a, key, d));
    });
  },

  crypto_derive_bits(ctx: OpContext, alg: CryptoAlgorithm, handle: number, length: number | null) {
    return op(ctx, () => {
      const a = algorithm(ctx.worker, alg);
      const key = lookupKey(ctx.worker, handle);
      if (length !== null && (typeof length !== 'number' || !Number.isInteger(length) || length < 0)) {
        throw typeError("Failed to execute 'deriveBits' on 'SubtleCrypto': length is not a non-negative integer.");
      }
      checkCost('deriveBits', a, length);
      return async () => out(await subtle.deriveBits(a, key, length as number));
    });
  },

  crypto_derive_key(ctx: OpContext, alg: CryptoAlgorithm, handle: number, derived: CryptoAlgorithm, extractable: boolean, keyUsages: string[]) {
    return op(ctx, () => {
      const a = algorithm(ctx.worker, alg);
      const key = lookupKey(ctx.worker, handle);
      const d = algorithm(ctx.worker, derived);
      const ext = boolean(extractable, 'extractable');
      const u = usages(keyUsages);
      checkCost('deriveKey', a, typeof d.length === 'number' ? d.length : null);
      return async () => {
        const k = await subtle.deriveKey(a, key, d, ext, u);
        return addKey(ctx.worker, k);
      };
    });
  },

  crypto_wrap_key(ctx: OpContext, fmt: string, handle: number, wrappingHandle: number, alg: CryptoAlgorithm) {
    return op(ctx, () => {
      const f = format(fmt);
      const key = lookupKey(ctx.worker, handle);
      const wrapping = lookupKey(ctx.worker, wrappingHandle, 'wrapping key');
      const a = algorithm(ctx.worker, alg);
      return async () => out(await subtle.wrapKey(f, key, wrapping, a));
    });
  },

  crypto_unwrap_key(ctx: OpContext, fmt: string, wrapped: Uint8Array, unwrappingHandle: number, unwrapAlg: CryptoAlgorithm, keyAlg: CryptoAlgorithm, extractable: boolean, keyUsages: string[]) {
    return op(ctx, () => {
      const f = format(fmt);
      const w = bytes(wrapped, 'wrappedKey', MAX_MEMBER_BYTES);
      const unwrapping = lookupKey(ctx.worker, unwrappingHandle, 'unwrapping key');
      const ua = algorithm(ctx.worker, unwrapAlg);
      const ka = algorithm(ctx.worker, keyAlg);
      const ext = boolean(extractable, 'extractable');
      const u = usages(keyUsages);
      return async () => {
        const key = await subtle.unwrapKey(f, w, unwrapping, ua, ka, ext, u);
        return addKey(ctx.worker, checkImported(key));
      };
    });
  },
};
