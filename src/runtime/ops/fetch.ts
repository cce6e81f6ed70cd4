// Outbound fetch from tenant code: counted against the invocation's sub-request limit,
// the request body pulled from the isolate as the host sends it, the response body
// handed back as a host stream the isolate reads at its own pace.
//
// The arguments come from the isolate, so they are checked here again whatever the
// prelude checked: a tenant that subverts the prelude reaches this point too.

import type { HeaderList, RequestInit_, ResponseHead } from '../../shared/ops.ts';
import { OpError, typeError } from '../errors.ts';
import { takeHostStream, type HostStream } from '../host-stream.ts';
import type { OpContext, OutboundResponse } from './index.ts';

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
export function pullFromIsolate(ctx: OpContext, streamId: number): HostStream {
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
    throw new OpError('Error', `Too many subrequests: this invocation may make at most ${inv.subrequestLimit} (fetch, KV, cache and service-binding calls count).`);
  }
}

/** https://fetch.spec.whatwg.org/#http-redirect-fetch step 5: at most 20 redirects. */
export const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Headers that describe a body: dropped when a redirect turns the request into a GET (step 12).
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']);
// Credentials do not follow a redirect to another origin (step 13; cookies too, as undici does).
const CREDENTIALS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/**
 * The request to send after `head`, or null when `head` is the answer
 * (https://fetch.spec.whatwg.org/#http-redirect-fetch). `hops` redirects were followed so far.
 */
export function redirectHop(req: RequestInit_, head: OutboundResponse['head'], hops: number): RequestInit_ | null {
  const location = head.headers.find(([n]) => n === 'location')?.[1];
  if (!REDIRECTS.has(head.status) || location === undefined || req.redirect === 'manual') return null;
  const { status } = head;
  if (req.redirect === 'error') throw typeError(`Fetch to ${req.url} was redirected (${status}), and the request's redirect mode is "error".`);
  if (hops + 1 > MAX_REDIRECTS) throw typeError(`Fetch to ${req.url} was redirected more than ${MAX_REDIRECTS} times.`);
  const from = new URL(req.url);
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw typeError(`Fetch to ${req.url} was redirected to an invalid Location "${location}".`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw typeError(`Fetch to ${req.url} was redirected to ${next.href}: only http: and https: URLs are supported.`);
  }
  // Step 11: a stream body was sent once and cannot be sent again.
  if ((status === 307 || status === 308) && req.body && 'stream' in req.body) {
    throw typeError(`Fetch to ${req.url} was redirected (${status}) and its body is a stream, which cannot be sent twice: buffer the body to follow this redirect.`);
  }
  let { method, headers, body } = req;
  // Step 12: 303 (unless GET or HEAD), and 301/302 after a POST, continue as a GET without a body.
  if ((status === 303 && method !== 'GET' && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
    method = 'GET';
    body = null;
    headers = headers.filter(([n]) => !BODY_HEADERS.has(n));
  }
  if (next.origin !== from.origin) headers = headers.filter(([n]) => !CREDENTIALS.has(n));
  return { ...req, method, url: next.href, headers, body };
}

/** A host stream that yields `bytes` once (a byte body, sent again on every hop). */
export function bytesSource(bytes: Uint8Array): HostStream {
  let sent = false;
  return { read: async () => (sent ? null : ((sent = true), bytes)), cancel() { sent = true; } };
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
    let body: HostStream | null = null;
    if (init.body && 'stream' in init.body) {
      // A positive id is a host stream passed through whole (a request body forwarded).
      body = init.body.stream > 0 ? takeHostStream(ctx.worker.hostStreams, init.body.stream) : pullFromIsolate(ctx, init.body.stream);
    }
    else if (init.body) body = bytesSource(init.body.bytes);
    // One controller for the whole exchange: the op's signal ends the request, and
    // after the head, op_abort and the end of the invocation close the response body.
    const ac = new AbortController();
    const opSignal = ctx.signal!;
    if (opSignal.aborted) ac.abort();
    else opSignal.addEventListener('abort', () => ac.abort(), { once: true });
    let hop = init;
    let res: OutboundResponse;
    for (let hops = 0; ; hops++) {
      res = await ctx.worker.services.fetch(ctx, hop, body, ac.signal);
      let next: RequestInit_ | null;
      try {
        next = redirectHop(hop, res.head, hops);
      } catch (err) {
        res.body?.cancel('redirect refused');
        throw err;
      }
      if (next === null) {
        if (hops > 0) res = { ...res, head: { ...res.head, redirected: true } };
        break;
      }
      res.body?.cancel('redirected');
      // Each hop of a redirect chain is a sub-request of its own, as on Workers.
      countSubrequest(ctx);
      hop = next;
      body = next.body && 'bytes' in next.body ? bytesSource(next.body.bytes) : null;
    }
    return handOverResponse(ctx, ac, res);
  },
};

/**
 * The head of an outbound response for the isolate, its body registered as a host
 * stream the isolate reads by id. `ac` is the exchange's controller: op_abort and the
 * end of the invocation close the body through it (fetch, service bindings).
 */
export function handOverResponse(ctx: OpContext, ac: AbortController, res: OutboundResponse): ResponseHead {
  const inv = ctx.inv!;
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
}
