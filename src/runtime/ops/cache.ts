// Cache API ops (caches.default, caches.open), served by the embedder's CacheBackend
// (src/runtime/memory-cache.ts in dev). Every argument comes from tenant code and is
// checked here again, with workerd's wording, whatever the prelude already checked.

import { OpError, typeError } from '../errors.ts';
import type { HostStream } from '../host-stream.ts';
import type { CacheBackend, OpContext } from './index.ts';
import type { BodyRef, CacheMatchResult, HeaderList, ResponseHead } from '../../shared/ops.ts';
import { countSubrequest } from './fetch.ts';
import { header } from '../cache-policy.ts';
import { releaseWrite, reserveWrite } from './write-budget.ts';

const MAX_CACHE_NAME_LENGTH = 1024;
// Bounds on what a key may carry across: generous for real requests, small enough
// that a hostile worker cannot make the host hold much.
const MAX_URL_LENGTH = 16 * 1024;
const MAX_HEADERS = 256;
const MAX_HEADER_BYTES = 128 * 1024;

function backend(ctx: OpContext): CacheBackend {
  const c = ctx.worker.services.cache;
  if (!c) throw new OpError('Error', 'The Cache API is not available in this runtime: no cache is configured.');
  countSubrequest(ctx);
  return c;
}

function checkName(name: unknown): string | null {
  if (name === null) return null;
  if (typeof name !== 'string') throw typeError('Cache name must be a string.');
  if (name.length >= MAX_CACHE_NAME_LENGTH) throw typeError('Cache name is too long.');
  return name;
}

function checkUrl(url: unknown): string {
  let parsed: URL | null = null;
  if (typeof url === 'string' && url.length <= MAX_URL_LENGTH) {
    try { parsed = new URL(url); } catch { parsed = null; }
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw typeError('Invalid URL. Cache API keys must be fully-qualified, valid URLs.');
  }
  return parsed.href;
}

function checkHeaders(list: unknown, what: string): HeaderList {
  if (!Array.isArray(list) || list.length > MAX_HEADERS) throw typeError(`${what} must be a list of at most ${MAX_HEADERS} headers.`);
  let bytes = 0;
  for (const pair of list) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw typeError(`${what} must be [name, value] pairs of strings.`);
    }
    bytes += pair[0].length + pair[1].length;
  }
  if (bytes > MAX_HEADER_BYTES) throw typeError(`${what} exceed ${MAX_HEADER_BYTES} bytes.`);
  return (list as HeaderList).map(([n, v]) => [n.toLowerCase(), v]);
}

function isGet(method: unknown, ignoreMethod: unknown): boolean {
  if (typeof method !== 'string') throw typeError('The request method must be a string.');
  return method === 'GET' || ignoreMethod === true;
}

/** Thrown into a backend's read when the worker's write budget is spent. */
class OverBudget extends Error {}

/**
 * Charges what a backend reads to the worker's write budget (write-budget.ts); past it
 * the read throws OverBudget, and the put stores nothing, as Workers' cache may decline
 * any put. `release` gives the bytes back once the backend is done.
 */
function budgeted(ctx: OpContext, body: HostStream): HostStream & { release(): void } {
  let held = 0;
  return {
    async read() {
      const chunk = await body.read();
      if (chunk === null) return null;
      if (!reserveWrite(ctx.worker, chunk.byteLength)) {
        body.cancel('write budget spent');
        throw new OverBudget();
      }
      held += chunk.byteLength;
      return chunk;
    },
    cancel: (reason) => body.cancel(reason),
    release() {
      releaseWrite(ctx.worker, held);
      held = 0;
    },
  };
}

/** The body of a response to store, as a host stream (pulled from the isolate if need be). */
function bodyStream(ctx: OpContext, body: BodyRef): HostStream {
  if (body === null) return { read: async () => null, cancel() {} };
  if (typeof body === 'object' && 'bytes' in body && body.bytes instanceof Uint8Array) {
    let bytes: Uint8Array | null = body.bytes;
    return { read: async () => { const b = bytes; bytes = null; return b; }, cancel() { bytes = null; } };
  }
  if (typeof body === 'object' && 'stream' in body && Number.isInteger(body.stream)) {
    const id = body.stream;
    let done = false;
    return {
      async read() {
        if (done) return null;
        let chunk: Uint8Array | null;
        try {
          chunk = await ctx.worker.pull(ctx.inv!, id);
        } catch (err) {
          // The tenant's own stream failed: its message goes back to it as it was.
          throw new OpError('Error', (err as Error).message);
        }
        if (chunk === null) done = true;
        else if (!(chunk instanceof Uint8Array)) throw typeError('This ReadableStream did not return bytes.');
        return chunk;
      },
      cancel(reason) {
        if (!done) ctx.worker.cancelStream(ctx.inv!, id, reason ?? 'canceled');
        done = true;
      },
    };
  }
  throw typeError('The response body must be bytes or a stream.');
}

export const cacheOps = {
  async cache_match(ctx: OpContext, cacheName: string | null, url: string, method: string, headers: HeaderList, ignoreMethod: boolean): Promise<CacheMatchResult> {
    const name = checkName(cacheName);
    const key = checkUrl(url);
    const reqHeaders = checkHeaders(headers, 'Request headers');
    if (!isGet(method, ignoreMethod)) return { head: null };
    const hit = await backend(ctx).match(name, key, reqHeaders);
    if (!hit) return { head: null };
    const streamId = hit.body ? ctx.worker.addHostStream(hit.body) : null;
    return { head: { ...hit.head, body: streamId === null ? null : { stream: streamId } } };
  },

  async cache_put(ctx: OpContext, cacheName: string | null, url: string, method: string, reqHeaders: HeaderList, head: ResponseHead): Promise<void> {
    const name = checkName(cacheName);
    const key = checkUrl(url);
    const req = checkHeaders(reqHeaders, 'Request headers');
    if (method !== 'GET') throw typeError('Cannot cache response to non-GET request.');
    if (head === null || typeof head !== 'object') throw typeError("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
    const { status, statusText } = head;
    if (!Number.isInteger(status) || status < 200 || status > 599) throw typeError(`Cannot cache a response with status ${String(status)}.`);
    if (typeof statusText !== 'string' || statusText.length > 1024) throw typeError('The response status text must be a string of at most 1024 characters.');
    const headers = checkHeaders(head.headers, 'Response headers');
    if (status === 206) throw typeError('Cannot cache response to a range request (206 Partial Content).');
    if (header(headers, 'vary')?.includes('*')) throw typeError("Cannot cache response with 'Vary: *' header.");
    const body = bodyStream(ctx, head.body);
    if (status === 304) {
      body.cancel('304 responses are not cached');
      return;
    }
    let store: CacheBackend;
    try {
      store = backend(ctx);
    } catch (err) {
      // The body the isolate handed over is released, not left waiting for a pull.
      body.cancel('not stored');
      throw err;
    }
    const charged = budgeted(ctx, body);
    try {
      await store.put(name, key, req, { status, statusText, headers, url: '', redirected: false }, charged);
    } catch (err) {
      if (!(err instanceof OverBudget)) throw err;
    } finally {
      charged.release();
    }
  },

  async cache_delete(ctx: OpContext, cacheName: string | null, url: string, method: string, ignoreMethod: boolean): Promise<boolean> {
    const name = checkName(cacheName);
    const key = checkUrl(url);
    if (!isGet(method, ignoreMethod)) return false;
    return backend(ctx).delete(name, key);
  },
};
