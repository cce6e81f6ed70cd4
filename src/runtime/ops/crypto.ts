// Crypto ops: randomness from the host's CSPRNG, and Web Crypto work done by Node's
// implementation. CPU spent here is the host's, bounded by the sizes checked below.

import { createHash, randomFillSync } from 'node:crypto';
import { OpError, rangeError } from '../errors.ts';
import type { OpContext } from './index.ts';

const DIGESTS: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', MD5: 'md5' };

export const cryptoSyncOps = {
  random_bytes(_ctx: OpContext, n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > 65536) {
      throw new OpError('DOMException:QuotaExceededError', `Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (${n}) exceeds the number of bytes of entropy available via this API (65536).`);
    }
    return randomFillSync(new Uint8Array(n));
  },
  crypto_digest(_ctx: OpContext, algorithm: string, data: Uint8Array): Uint8Array {
    const name = DIGESTS[String(algorithm).toUpperCase()];
    if (!name) throw new OpError('DOMException:NotSupportedError', `Unrecognized algorithm name: ${algorithm}`);
    if (!(data instanceof Uint8Array)) throw rangeError('digest data must be bytes');
    return new Uint8Array(createHash(name).update(data).digest());
  },
};

export const cryptoAsyncOps = {
  async crypto_call(): Promise<unknown> {
    throw new OpError('DOMException:NotSupportedError', 'crypto.subtle operation not available');
  },
};
