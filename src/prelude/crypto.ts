// Crypto: https://w3c.github.io/webcrypto/#crypto-interface
// Random bytes come from the host's CSPRNG (`random_bytes`); crypto.subtle is in
// subtle-crypto.ts.

import { hostSync } from './internal/bridge.ts';
import { TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';
import { DOMException } from './dom-exception.ts';
import { subtle, SubtleCrypto } from './subtle-crypto.ts';
import { DigestStream } from './digest-stream.ts';

// The %TypedArray%.prototype[@@toStringTag] getter names the kind of a real typed array
// (undefined for anything else), whatever the object's own prototype chain says.
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;
const INTEGER_ARRAYS = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'BigInt64Array', 'BigUint64Array',
]);
const ArrayBufferIsView = ArrayBuffer.isView;
const MAX_RANDOM_BYTES = 65536;

// randomUUID draws from a small pool, so a UUID costs no host call most of the time.
const POOL_BYTES = 1024;
let pool: Uint8Array = new Uint8ArrayCtor(0);
let poolAt = 0;
const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? '0' : '') + i.toString(16));

let illegal = true;

export class Crypto {
  /** @internal Not constructible from tenant code. */
  constructor() {
    if (illegal) throw new TypeErrorCtor('Illegal constructor');
  }

  get subtle(): SubtleCrypto { return subtle; }
  // Workers' extension: `new crypto.DigestStream('SHA-256')`.
  get DigestStream(): typeof DigestStream { return DigestStream; }

  // https://w3c.github.io/webcrypto/#Crypto-method-getRandomValues
  getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (arguments.length < 1) throw new TypeErrorCtor("Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present.");
    if (!ArrayBufferIsView(array)) {
      throw new TypeErrorCtor("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'.");
    }
    const view = array as ArrayBufferView;
    // Step 1: only integer typed arrays.
    const tag = typedArrayTag.call(view) as string | undefined;
    if (tag === undefined || !INTEGER_ARRAYS.has(tag)) {
      throw new DOMException(`Failed to execute 'getRandomValues' on 'Crypto': The provided ArrayBufferView is of type '${tag ?? 'DataView'}', which is not an integer array type.`, 'TypeMismatchError');
    }
    // Step 2.
    if (view.byteLength > MAX_RANDOM_BYTES) {
      throw new DOMException(`Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (${view.byteLength}) exceeds the number of bytes of entropy available via this API (${MAX_RANDOM_BYTES}).`, 'QuotaExceededError');
    }
    // Step 3.
    if (view.byteLength > 0) {
      new Uint8ArrayCtor(view.buffer, view.byteOffset, view.byteLength).set(hostSync('random_bytes', view.byteLength));
    }
    return array;
  }

  // https://w3c.github.io/webcrypto/#Crypto-method-randomUUID (a version 4 UUID, RFC 9562 section 5.4)
  randomUUID(): string {
    if (poolAt + 16 > pool.length) {
      pool = hostSync('random_bytes', POOL_BYTES);
      poolAt = 0;
    }
    const b = pool.subarray(poolAt, poolAt + 16);
    poolAt += 16;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let s = '';
    for (let i = 0; i < 16; i++) {
      s += HEX[b[i]];
      if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
    }
    // Used bytes are wiped, so the pool never holds a UUID already handed out.
    b.fill(0);
    return s;
  }

  get [Symbol.toStringTag](): string { return 'Crypto'; }
}

illegal = false;
export const crypto = new Crypto();
illegal = true;
