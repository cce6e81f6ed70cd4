// SubtleCrypto: https://w3c.github.io/webcrypto/#subtlecrypto-interface
// Each method does the WebIDL conversions and the spec's "get a copy of the bytes held
// by" steps here, synchronously, so later changes to the caller's buffers have no
// effect. Algorithm normalization (https://w3c.github.io/webcrypto/#algorithm-normalization-normalize-an-algorithm)
// and the operation itself run on the host in Node's webcrypto, which rejects with the
// spec's errors (NotSupportedError, InvalidAccessError, DataError, OperationError, ...).
// Methods are async, so every error, a TypeError from conversion too, is a rejection.

import type { CryptoAlgorithm, CryptoKeyData, CryptoKeyInfo, CryptoKeyPairInfo } from '../shared/ops.ts';
import { hostAsync } from './internal/bridge.ts';
import { TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';
import { createCryptoKey, keyHandle } from './crypto-key.ts';

type Buf = ArrayBuffer | ArrayBufferView;

const BYTE_MEMBERS = ['iv', 'additionalData', 'counter', 'salt', 'info', 'label', 'publicExponent'] as const;
const NUMBER_MEMBERS = ['tagLength', 'iterations', 'modulusLength', 'saltLength'] as const;
// https://w3c.github.io/webcrypto/#JsonWebKey-dictionary (without `oth`: multi-prime RSA is not supported).
const JWK_STRINGS = ['kty', 'use', 'alg', 'crv', 'x', 'y', 'd', 'n', 'e', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

const ArrayBufferIsView = ArrayBuffer.isView;
const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;

let illegal = true;

// WebIDL DOMString conversion: unlike String(), it throws a TypeError for a Symbol.
const domString = (v: unknown): string => `${v as string}`;

function fail(method: string, message: string): TypeError {
  return new TypeErrorCtor(`Failed to execute '${method}' on 'SubtleCrypto': ${message}`);
}

function required(method: string, got: number, n: number): void {
  if (got < n) throw fail(method, `${n} arguments required, but only ${got} present.`);
}

/** A copy of the bytes held by a BufferSource (https://webidl.spec.whatwg.org/#dfn-get-buffer-source-copy). */
export function copyBytes(v: unknown, method: string, what: string): Uint8Array {
  if (ArrayBufferIsView(v)) {
    const view = v as ArrayBufferView;
    return new Uint8ArrayCtor(view.buffer, view.byteOffset, view.byteLength).slice();
  }
  try {
    // Throws for anything but an ArrayBuffer, a Proxy around one included.
    byteLengthOf.call(v);
  } catch {
    throw fail(method, `${what} is not of type 'ArrayBuffer or ArrayBufferView'.`);
  }
  return new Uint8ArrayCtor(v as ArrayBuffer).slice();
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const b = bytes.buffer as ArrayBuffer;
  return bytes.byteOffset === 0 && bytes.byteLength === b.byteLength ? b : (bytes.slice().buffer as ArrayBuffer);
}

// WebIDL conversion of an AlgorithmIdentifier, (object or DOMString): every member any
// algorithm dictionary defines is read and converted; the host keeps what the algorithm uses.
function algorithm(v: unknown, method: string): CryptoAlgorithm {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'function') throw fail(method, 'Algorithm: a function is not an algorithm.');
    return { name: domString(v) };
  }
  const o = v as Record<string, unknown>;
  if (o.name === undefined) throw fail(method, "Algorithm: required member 'name' is undefined.");
  const out: CryptoAlgorithm = { name: domString(o.name) };
  for (const m of BYTE_MEMBERS) {
    const x = o[m];
    if (x !== undefined) out[m] = copyBytes(x, method, `Algorithm: ${m}`);
  }
  for (const m of NUMBER_MEMBERS) {
    const x = o[m];
    if (x === undefined) continue;
    const n = +(x as number);
    if (!Number.isFinite(n)) throw fail(method, `Algorithm: ${m}: value is not a finite number.`);
    out[m] = n;
  }
  if (o.length !== undefined) {
    const n = o.length === null ? null : +(o.length as number);
    if (n !== null && !Number.isFinite(n)) throw fail(method, 'Algorithm: length: value is not a finite number.');
    out.length = n;
  }
  if (o.namedCurve !== undefined) out.namedCurve = domString(o.namedCurve);
  if (o.hash !== undefined) out.hash = { name: algorithm(o.hash, method).name };
  if (o.public !== undefined) out.public = keyHandle(o.public, method, "Algorithm: member 'public'");
  return out;
}

function usages(v: unknown, method: string): string[] {
  if (typeof v !== 'object' || v === null || typeof (v as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw fail(method, "keyUsages: The provided value cannot be converted to a sequence.");
  }
  const out: string[] = [];
  for (const u of v as Iterable<unknown>) {
    out.push(domString(u));
    if (out.length > 64) throw fail(method, 'keyUsages: too many usages.');
  }
  return out;
}

function jwk(v: unknown, method: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null) throw fail(method, "The provided value is not of type 'JsonWebKey'.");
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of JWK_STRINGS) if (o[k] !== undefined) out[k] = domString(o[k]);
  if (o.ext !== undefined) out.ext = !!o.ext;
  if (o.key_ops !== undefined) out.key_ops = usages(o.key_ops, method);
  return out;
}

function keyData(fmt: string, v: unknown, method: string): CryptoKeyData {
  return fmt === 'jwk' ? jwk(v, method) : copyBytes(v, method, "parameter 'keyData'");
}

function keyOrPair(info: CryptoKeyInfo | CryptoKeyPairInfo): CryptoKey | CryptoKeyPair {
  if ('publicKey' in info) return { publicKey: createCryptoKey(info.publicKey), privateKey: createCryptoKey(info.privateKey) };
  return createCryptoKey(info);
}

type CryptoKey = ReturnType<typeof createCryptoKey>;
interface CryptoKeyPair { publicKey: CryptoKey; privateKey: CryptoKey }

export class SubtleCrypto {
  /** @internal Not constructible from tenant code. */
  constructor() {
    if (illegal) throw new TypeErrorCtor('Illegal constructor');
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-digest
  async digest(alg: unknown, data: Buf): Promise<ArrayBuffer> {
    required('digest', arguments.length, 2);
    const a = algorithm(alg, 'digest');
    const bytes = copyBytes(data, 'digest', "parameter 2");
    return toArrayBuffer(await hostAsync('crypto_digest', a, bytes));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-encrypt
  async encrypt(alg: unknown, key: unknown, data: Buf): Promise<ArrayBuffer> {
    required('encrypt', arguments.length, 3);
    const a = algorithm(alg, 'encrypt');
    const k = keyHandle(key, 'encrypt', 'parameter 2');
    return toArrayBuffer(await hostAsync('crypto_encrypt', a, k, copyBytes(data, 'encrypt', 'parameter 3')));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-decrypt
  async decrypt(alg: unknown, key: unknown, data: Buf): Promise<ArrayBuffer> {
    required('decrypt', arguments.length, 3);
    const a = algorithm(alg, 'decrypt');
    const k = keyHandle(key, 'decrypt', 'parameter 2');
    return toArrayBuffer(await hostAsync('crypto_decrypt', a, k, copyBytes(data, 'decrypt', 'parameter 3')));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-sign
  async sign(alg: unknown, key: unknown, data: Buf): Promise<ArrayBuffer> {
    required('sign', arguments.length, 3);
    const a = algorithm(alg, 'sign');
    const k = keyHandle(key, 'sign', 'parameter 2');
    return toArrayBuffer(await hostAsync('crypto_sign', a, k, copyBytes(data, 'sign', 'parameter 3')));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-verify
  async verify(alg: unknown, key: unknown, signature: Buf, data: Buf): Promise<boolean> {
    required('verify', arguments.length, 4);
    const a = algorithm(alg, 'verify');
    const k = keyHandle(key, 'verify', 'parameter 2');
    const sig = copyBytes(signature, 'verify', 'parameter 3');
    return hostAsync('crypto_verify', a, k, sig, copyBytes(data, 'verify', 'parameter 4'));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-generateKey
  async generateKey(alg: unknown, extractable: boolean, keyUsages: Iterable<string>): Promise<CryptoKey | CryptoKeyPair> {
    required('generateKey', arguments.length, 3);
    const a = algorithm(alg, 'generateKey');
    return keyOrPair(await hostAsync('crypto_generate_key', a, !!extractable, usages(keyUsages, 'generateKey')));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-deriveKey
  async deriveKey(alg: unknown, baseKey: unknown, derivedKeyType: unknown, extractable: boolean, keyUsages: Iterable<string>): Promise<CryptoKey> {
    required('deriveKey', arguments.length, 5);
    const a = algorithm(alg, 'deriveKey');
    const k = keyHandle(baseKey, 'deriveKey', 'parameter 2');
    const d = algorithm(derivedKeyType, 'deriveKey');
    const info = await hostAsync('crypto_derive_key', a, k, d, !!extractable, usages(keyUsages, 'deriveKey'));
    return createCryptoKey(info);
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-deriveBits
  // `length` is optional and nullable since the 2024 spec (ECDH/X25519 take the whole secret).
  async deriveBits(alg: unknown, baseKey: unknown, length?: number | null): Promise<ArrayBuffer> {
    required('deriveBits', arguments.length, 2);
    const a = algorithm(alg, 'deriveBits');
    const k = keyHandle(baseKey, 'deriveBits', 'parameter 2');
    let n: number | null = null;
    if (length !== undefined && length !== null) {
      n = +length;
      if (!Number.isFinite(n) || n < 0 || n > 0xffffffff) throw fail('deriveBits', "Value is outside the 'unsigned long' value range.");
      n = Math.trunc(n);
    }
    return toArrayBuffer(await hostAsync('crypto_derive_bits', a, k, n));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-importKey
  async importKey(fmt: string, data: unknown, alg: unknown, extractable: boolean, keyUsages: Iterable<string>): Promise<CryptoKey> {
    required('importKey', arguments.length, 5);
    const f = domString(fmt);
    const material = keyData(f, data, 'importKey');
    const a = algorithm(alg, 'importKey');
    return createCryptoKey(await hostAsync('crypto_import_key', f, material, a, !!extractable, usages(keyUsages, 'importKey')));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-exportKey
  async exportKey(fmt: string, key: unknown): Promise<ArrayBuffer | Record<string, unknown>> {
    required('exportKey', arguments.length, 2);
    const f = domString(fmt);
    const result = await hostAsync('crypto_export_key', f, keyHandle(key, 'exportKey', 'parameter 2'));
    return result instanceof Uint8ArrayCtor ? toArrayBuffer(result) : result;
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-wrapKey
  async wrapKey(fmt: string, key: unknown, wrappingKey: unknown, wrapAlgorithm: unknown): Promise<ArrayBuffer> {
    required('wrapKey', arguments.length, 4);
    const f = domString(fmt);
    const k = keyHandle(key, 'wrapKey', 'parameter 2');
    const w = keyHandle(wrappingKey, 'wrapKey', 'parameter 3');
    return toArrayBuffer(await hostAsync('crypto_wrap_key', f, k, w, algorithm(wrapAlgorithm, 'wrapKey')));
  }

  // https://w3c.github.io/webcrypto/#SubtleCrypto-method-unwrapKey
  async unwrapKey(
    fmt: string, wrappedKey: Buf, unwrappingKey: unknown, unwrapAlgorithm: unknown,
    unwrappedKeyAlgorithm: unknown, extractable: boolean, keyUsages: Iterable<string>,
  ): Promise<CryptoKey> {
    required('unwrapKey', arguments.length, 7);
    const f = domString(fmt);
    const wrapped = copyBytes(wrappedKey, 'unwrapKey', 'parameter 2');
    const k = keyHandle(unwrappingKey, 'unwrapKey', 'parameter 3');
    const ua = algorithm(unwrapAlgorithm, 'unwrapKey');
    const ka = algorithm(unwrappedKeyAlgorithm, 'unwrapKey');
    const info = await hostAsync('crypto_unwrap_key', f, wrapped, k, ua, ka, !!extractable, usages(keyUsages, 'unwrapKey'));
    return createCryptoKey(info);
  }

  // Workers' extension: https://developers.cloudflare.com/workers/runtime-apis/web-crypto/#timingsafeequal
  // Runs in time that depends only on the length, so comparing secrets leaks nothing.
  timingSafeEqual(a: Buf, b: Buf): boolean {
    const x = copyBytes(a, 'timingSafeEqual', 'parameter 1');
    const y = copyBytes(b, 'timingSafeEqual', 'parameter 2');
    if (x.byteLength !== y.byteLength) throw fail('timingSafeEqual', 'Input buffers must have the same byte length.');
    let diff = 0;
    for (let i = 0; i < x.byteLength; i++) diff |= x[i] ^ y[i];
    return diff === 0;
  }

  get [Symbol.toStringTag](): string { return 'SubtleCrypto'; }
}

illegal = false;
export const subtle = new SubtleCrypto();
illegal = true;

