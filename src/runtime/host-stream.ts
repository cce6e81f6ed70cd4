// Host-side byte sources that an isolate reads by id (`stream_read`): incoming request
// bodies and fetch response bodies. Each is pulled one chunk at a time, so a slow
// reader in the isolate slows the socket (backpressure), and nothing is buffered whole.

import type { Readable } from 'node:stream';
import { OpError } from './errors.ts';

export interface HostStream {
  /** The next chunk, or null at the end. */
  read(): Promise<Uint8Array | null>;
  cancel(reason?: string): void;
}

/** Chunks larger than this are split, so one crossing stays small. */
export const MAX_CHUNK = 64 * 1024;

/** Thrown when a body passes its byte limit; http.ts turns it into a 413. */
export class BodyTooLargeError extends OpError {
  readonly limit: number;
  constructor(what: string, limit: number) {
    super('TypeError', `${what} is larger than the limit of ${limit} bytes.`);
    this.limit = limit;
  }
}

/**
 * Wraps a Node readable; `limit` bytes at most (a clear error past it). `what` names
 * the body in errors the tenant sees ("the request body", "the response body from ...").
 * With `drainOnCancel`, canceling discards the rest instead of destroying the source:
 * an incoming request body shares its socket with the response still to be sent.
 */
export function hostStreamFromReadable(readable: Readable, limit = Infinity, what = 'the body', onLimit?: () => void, drainOnCancel = false): HostStream {
  const iterator = readable.iterator({ destroyOnReturn: !drainOnCancel }) as AsyncIterator<Buffer | string>;
  let total = 0;
  let rest: Uint8Array | null = null;
  let canceled = false;
  let overLimit: BodyTooLargeError | null = null;
  return {
    async read() {
      if (overLimit) throw overLimit;
      if (rest) {
        const out: Uint8Array = rest.subarray(0, MAX_CHUNK);
        rest = rest.length > MAX_CHUNK ? rest.subarray(MAX_CHUNK) : null;
        return out;
      }
      let result: IteratorResult<Buffer | string>;
      try {
        result = await iterator.next();
      } catch (err) {
        // The peer went away mid-body (a client disconnect, a reset origin, an abort).
        const e = err as NodeJS.ErrnoException;
        const why = canceled ? 'it was canceled' : e.code === 'ECONNRESET' || e.message === 'aborted' ? 'the connection closed before it was complete' : (e.code ?? e.message);
        throw new OpError('TypeError', `Reading ${what} failed: ${why}.`);
      }
      if (result.done) return null;
      const value = result.value;
      const chunk = typeof value === 'string' ? Buffer.from(value) : value;
      total += chunk.length;
      if (total > limit) {
        overLimit = new BodyTooLargeError(what.charAt(0).toUpperCase() + what.slice(1), limit);
        // With onLimit the owner answers (a 413 needs the socket); otherwise stop the source.
        if (onLimit) onLimit();
        else readable.destroy();
        throw overLimit;
      }
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (bytes.length <= MAX_CHUNK) return bytes;
      rest = bytes.subarray(MAX_CHUNK);
      return bytes.subarray(0, MAX_CHUNK);
    },
    cancel() {
      if (canceled) return;
      canceled = true;
      if (!drainOnCancel) {
        readable.destroy();
        return;
      }
      // The iterator lets go of the source once any read in flight is done; then the
      // rest flows into nothing.
      iterator.return?.().then(() => readable.resume(), () => readable.resume());
    },
  };
}

/**
 * Takes a host stream the isolate handed back whole (a passthrough body, a positive id
 * in a BodyRef): whoever reads it now owns it, and the isolate can no longer read it.
 */
export function takeHostStream(streams: Map<number, HostStream>, id: number): HostStream {
  const s = streams.get(id);
  if (!s) throw new OpError('TypeError', 'This body stream was already read or closed.');
  streams.delete(id);
  return s;
}
