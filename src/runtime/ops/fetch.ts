// Outbound fetch from tenant code: counted against the invocation's sub-request limit,
// the request body pulled from the isolate as the host sends it, the response body
// handed back as a host stream the isolate reads at its own pace.
//
// The arguments come from the isolate, so they are checked here again whatever the
// prelude checked: a tenant that subverts the prelude reaches this point too.

import type { HeaderList, RequestInit_, ResponseHead } from '../../shared/ops.ts';
import { OpError, typeError } from '../errors.ts';
import type { HostStream } from '../host-stream.ts';
import type { OpContext } from './index.ts';

// The response body of fetch `opId` stays abortable after the op completed under this
// key in the invocation's in-flight table (op ids from the prelude are positive).
const bodyKey = (opId: number): number => -opId;

export const fetchSyncOps = {
  op_abort(ctx: OpContext, opId: number): void {
    if (typeof opId !== 'number') throw typeError('op_abort: the op id must be a number');
    ctx.inv?.inflight.get(opId)?.abort();
    ctx.inv?.inflight.get(bodyKey(opId))?.abort();
  },
};

/** A host stream that pulls an isolate stream (an outbound request body). */
function pullFromIsolate(ctx: OpContext, streamId: number): HostStream {
  let done = false;
  return {
    async read() {
      if (done) return null;
      const chunk = await ctx.worker.pull(ctx.inv!, streamId);
      if (chunk === null) done = true;
      else if (!(chunk instanceof Uint8Array)) throw typeError('The request body stream did not return bytes.');
      return chunk;
    },
    cancel(reason) {
      if (!done) ctx.worker.cancelStream(ctx.inv!, streamId, reason ?? 'canceled');
      done = true;
    },
  };
}

/** Counts one sub-request; past the limit, a clear error (as Workers words it). */
export function countSubrequest(ctx: OpContext): void {
  const inv = ctx.inv!;
  inv.subrequests++;
  if (inv.subrequests > inv.subrequestLimit) {
    throw new OpError('Error', `Too many subrequests: this invocation may make at most ${inv.subrequestLimit} (fetch, KV and cache calls count).`);
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]|[^\0-\xff]/;

/** The request as the isolate described it, checked field by field. */
export function validateInit(init: unknown): RequestInit_ {
  const bad = (what: string): never => { throw typeError(`fetch: invalid request from the isolate: ${what}`); };
  if (init === null || typeof init !== 'object') bad('not an object');
  const i = init as Record<string, unknown>;
  if (typeof i.method !== 'string' || !TOKEN.test(i.method)) bad('method');
  if (typeof i.url !== 'string' || i.url.length > 16384) bad('url');
  if (!Array.isArray(i.headers) || i.headers.length > 1000) bad('headers');
  const headers: HeaderList = [];
  for (const pair of i.headers as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) bad('a header is not a [name, value] pair');
    const [name, value] = pair as unknown[];
    if (typeof name !== 'string' || !TOKEN.test(name)) bad('a header name');
    if (typeof value !== 'string' || BAD_VALUE.test(value)) bad(`the value of header ${name as string}`);
    headers.push([(name as string).toLowerCase(), value as string]);
  }
  const body = i.body;
  if (body !== null && !(typeof body === 'object' && (
    ('bytes' in body && (body as { bytes: unknown }).bytes instanceof Uint8Array) ||
    ('stream' in body && Number.isInteger((body as { stream: unknown }).stream))
  ))) bad('body');
  if (i.redirect !== 'follow' && i.redirect !== 'manual' && i.redirect !== 'error') bad('redirect');
  if (i.cache !== null && typeof i.cache !== 'string') bad('cache');
  return { method: i.method as string, url: i.url as string, headers, body: body as RequestInit_['body'], redirect: i.redirect as RequestInit_['redirect'], cf: i.cf ?? null, cache: i.cache as string | null, signal: null };
}

export const fetchAsyncOps = {
  async fetch(ctx: OpContext, rawInit: unknown): Promise<ResponseHead> {
    const init = validateInit(rawInit);
    let url: URL;
    try {
      url = new URL(init.url);
    } catch {
      throw typeError(`Fetch API cannot load: ${init.url}. It is not a valid URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw typeError(`Fetch API cannot load: ${init.url}. Only http: and https: URLs are supported.`);
    }
    countSubrequest(ctx);
    const inv = ctx.inv!;
    let body: HostStream | null = null;
    if (init.body && 'stream' in init.body) body = pullFromIsolate(ctx, init.body.stream);
    else if (init.body) {
      // Also in init.body, where outboundFetch finds it to send it again on a 307/308.
      const bytes = init.body.bytes;
      let sent = false;
      body = { read: async () => (sent ? null : ((sent = true), bytes)), cancel() { sent = true; } };
    }
    // One controller for the whole exchange: the op's signal ends the request, and
    // after the head, op_abort and the end of the invocation close the response body.
    const ac = new AbortController();
    const opSignal = ctx.signal!;
    if (opSignal.aborted) ac.abort();
    else opSignal.addEventListener('abort', () => ac.abort(), { once: true });
    const res = await ctx.worker.services.fetch(ctx, init, body, ac.signal);
    if (!res.body) return { ...res.head, body: null };
    if (ac.signal.aborted) {
      // Aborted while the head was on its way: nobody will read this body.
      res.body.cancel('aborted');
      throw new OpError('DOMException:AbortError', 'The operation was aborted.');
    }
    const key = bodyKey(ctx.opId);
    inv.inflight.set(key, ac);
    const source = res.body;
    let streamId = 0;
    // Closed with its invocation (or by op_abort): the isolate can no longer read it.
    ac.signal.addEventListener('abort', () => {
      if (ctx.worker.hostStreams.get(streamId) === tracked) ctx.worker.hostStreams.delete(streamId);
      source.cancel('aborted');
    }, { once: true });
    const tracked: HostStream = {
      async read() {
        const chunk = await source.read().catch((err: unknown) => { inv.inflight.delete(key); throw err; });
        if (chunk === null) inv.inflight.delete(key);
        return chunk;
      },
      cancel(reason) {
        inv.inflight.delete(key);
        source.cancel(reason);
      },
    };
    streamId = ctx.worker.addHostStream(tracked);
    return { ...res.head, body: { stream: streamId } };
  },
};
