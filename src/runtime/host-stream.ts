// Host-side byte sources that an isolate reads by id (`stream_read`): incoming request
// bodies and fetch response bodies. Each is pulled one chunk at a time, so a slow
// reader in the isolate slows the socket (backpressure), and nothing is buffered whole.

import type { Readable } from 'node:stream';

export interface HostStream {
  /** The next chunk, or null at the end. */
  read(): Promise<Uint8Array | null>;
  cancel(reason?: string): void;
}

/** Chunks larger than this are split, so one crossing stays small. */
export const MAX_CHUNK = 64 * 1024;

/** Wraps a Node readable; `limit` bytes at most (a clear error past it). */
export function hostStreamFromReadable(readable: Readable, limit = Infinity, what = 'body'): HostStream {
  const iterator = readable[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let total = 0;
  let rest: Uint8Array | null = null;
  return {
    async read() {
      if (rest) {
        const out: Uint8Array = rest.subarray(0, MAX_CHUNK);
        rest = rest.length > MAX_CHUNK ? rest.subarray(MAX_CHUNK) : null;
        return out;
      }
      const { done, value } = await iterator.next();
      if (done) return null;
      const chunk = typeof value === 'string' ? Buffer.from(value) : value;
      total += chunk.length;
      if (total > limit) {
        readable.destroy();
        throw new Error(`${what} is larger than the limit of ${limit} bytes`);
      }
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (bytes.length <= MAX_CHUNK) return bytes;
      rest = bytes.subarray(MAX_CHUNK);
      return bytes.subarray(0, MAX_CHUNK);
    },
    cancel() {
      readable.destroy();
    },
  };
}

/** Wraps a web ReadableStream of bytes (undici's fetch bodies). */
export function hostStreamFromWeb(stream: ReadableStream<Uint8Array>): HostStream {
  const reader = stream.getReader();
  let rest: Uint8Array | null = null;
  return {
    async read() {
      if (rest) {
        const out: Uint8Array = rest.subarray(0, MAX_CHUNK);
        rest = rest.length > MAX_CHUNK ? rest.subarray(MAX_CHUNK) : null;
        return out;
      }
      const { done, value } = await reader.read();
      if (done) return null;
      if (value.length <= MAX_CHUNK) return value;
      rest = value.subarray(MAX_CHUNK);
      return value.subarray(0, MAX_CHUNK);
    },
    cancel(reason) {
      reader.cancel(reason).catch(() => {});
    },
  };
}
