// A worker's fetch() to its own zone's origin, through the HTTP cache: the fetch's
// `cf` and `cache` options say how (fetch-options.ts); the cache is keyed by the URL
// the worker asked for, so the edge's own origin proxy and the worker share entries.

import type { RequestInit_ } from '../shared/ops.ts';
import type { HostStream } from '../runtime/host-stream.ts';
import type { OutboundResponse } from '../runtime/ops/index.ts';
import { isWebSocketUpgrade } from '../runtime/web-socket-upgrade.ts';
import { cacheOptions } from './fetch-options.ts';
import type { HttpCache } from './http-cache.ts';

export type SendFetch = (init: RequestInit_, body: HostStream | null, signal: AbortSignal) => Promise<OutboundResponse>;

/**
 * `init` is the request as the worker made it; `target` the same request addressed to
 * the origin (src/edge/origin.ts toOrigin); `ns` the worker's account.
 */
export async function fetchThroughCache(cache: HttpCache, ns: string, init: RequestInit_, target: RequestInit_, body: HostStream | null, signal: AbortSignal, send: SendFetch): Promise<OutboundResponse> {
  const options = cacheOptions(init.cf, init.cache);
  // A WebSocket upgrade is a connection, not a response to store.
  if (isWebSocketUpgrade(init)) return send(target, body, signal);
  const res = await cache.fetch({ ns, method: init.method, url: init.url, headers: init.headers, options }, (method, headers, sig) => {
    // The cache asks for a GET of the full object; any other method goes as it was sent.
    const same = method === init.method;
    return send({ ...target, method, headers: headers.filter(([n]) => n !== 'host'), body: same ? target.body : null }, same ? body : null, sig ?? signal);
  }, signal);
  return { head: { ...res.head, url: res.head.url || target.url }, body: res.body, ...(res.webSocket ? { webSocket: res.webSocket } : {}) };
}
