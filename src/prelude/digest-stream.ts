// crypto.DigestStream, Workers' extension: a WritableStream whose `digest` promise gives
// the hash of everything written (https://developers.cloudflare.com/workers/runtime-apis/web-crypto/#constructors).
// Chunks are hashed on the host as they arrive (`crypto_hash_*`), so a large body is
// never held whole in the isolate.

import { hostSync } from './internal/bridge.ts';
import { PromiseCtor, TypeErrorCtor } from './internal/primordials.ts';
import { WritableStream } from './streams.ts';
import { copyBytes } from './subtle-crypto.ts';

// Frees the host hash of a stream dropped before it closed. Created on first use: the
// prelude's top level runs into a V8 snapshot.
let registry: FinalizationRegistry<number> | null = null;

function algorithmName(v: unknown): string {
  if (typeof v === 'object' && v !== null) {
    const name = (v as { name?: unknown }).name;
    if (name === undefined) throw new TypeErrorCtor("Failed to construct 'DigestStream': Algorithm: required member 'name' is undefined.");
    return `${name as string}`;
  }
  return `${v as string}`;
}

export class DigestStream extends WritableStream<ArrayBuffer | ArrayBufferView> {
  readonly #digest: Promise<ArrayBuffer>;

  constructor(algorithm: unknown) {
    if (arguments.length < 1) throw new TypeErrorCtor("Failed to construct 'DigestStream': 1 argument required, but only 0 present.");
    const handle = hostSync('crypto_hash_create', algorithmName(algorithm));
    let resolve!: (b: ArrayBuffer) => void;
    let reject!: (e: unknown) => void;
    const digest = new PromiseCtor<ArrayBuffer>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const token = {};
    super({
      write(chunk) {
        let bytes: Uint8Array;
        try {
          bytes = copyBytes(chunk, 'write', 'chunk');
        } catch {
          throw new TypeErrorCtor('DigestStream: a chunk must be an ArrayBuffer or ArrayBufferView.');
        }
        hostSync('crypto_hash_update', handle, bytes);
      },
      close() {
        registry?.unregister(token);
        const bytes = hostSync('crypto_hash_digest', handle);
        resolve(bytes.buffer as ArrayBuffer);
      },
      abort(reason) {
        registry?.unregister(token);
        hostSync('crypto_hash_free', handle);
        reject(reason);
      },
    });
    // Nobody may be waiting on `digest` when a write fails; that is not an unhandled rejection.
    digest.catch(() => {});
    this.#digest = digest;
    registry ??= new FinalizationRegistry((h) => {
      try {
        hostSync('crypto_hash_free', h);
      } catch {
        // The isolate is going away; its hashes go with it.
      }
    });
    registry.register(this, handle, token);
  }

  get digest(): Promise<ArrayBuffer> {
    return this.#digest;
  }
}
