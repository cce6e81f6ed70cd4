// A request no route claims: to the zone's origin through the location's HTTP cache
// (src/cache/http-cache.ts), compressed for clients that accept it (cached-encoding.ts).
// GET and HEAD are looked up and stored; other methods
// stream through to the origin as before (origin.ts), answered DYNAMIC, and a
// successful one invalidates what is stored for its URL.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderList } from '../shared/ops.ts';
import type { CachedRequest, HttpCache } from '../cache/http-cache.ts';
import { DEFAULT_CACHE_OPTIONS } from '../cache/fetch-options.ts';
import { urlPurgeKey } from '../cache/purge.ts';
import type { SendFetch } from '../cache/worker-fetch.ts';
import type { EdgeZone } from './config-source.ts';
import { encodeForClient } from './cached-encoding.ts';
import { originUnreachable, originUrl, proxyToOrigin } from './origin.ts';

// Hop-by-hop headers (RFC 9110 section 7.6.1), and Host, which the origin URL decides.
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'x-forwarded-host']);

function requestHeaders(req: IncomingMessage): HeaderList {
  const out: HeaderList = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!NOT_FORWARDED.has(name)) out.push([name, raw[i + 1]!]);
  }
  return out;
}

/** Serves `req` from the zone's origin through the cache; resolves with the cf-cache-status. */
export async function serveFromOrigin(cache: HttpCache, send: SendFetch, zone: EdgeZone, url: URL, req: IncomingMessage, res: ServerResponse): Promise<string> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    await proxyToOrigin(zone, req, res, ['cf-cache-status', 'DYNAMIC']);
    if (res.statusCode < 400) cache.invalidate(zone.accountId, url.href);
    return 'DYNAMIC';
  }
  // A GET's body, if a client sent one, is not forwarded.
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) req.resume();
  // Made only when the origin is asked (a HIT never is): aborts that request when the client goes.
  let clientGone: AbortSignal | null = null;
  const onClientGone = (): AbortSignal => {
    if (clientGone) return clientGone;
    const ac = new AbortController();
    res.once('close', () => { if (!res.writableFinished) ac.abort(); });
    if (res.destroyed) ac.abort();
    return (clientGone = ac.signal);
  };
  const headers = requestHeaders(req);
  headers.push(['x-forwarded-host', req.headers.host ?? '']);
  const urlKey = urlPurgeKey(url);
  const request: CachedRequest = { ns: zone.accountId, method, url: url.href, urlKey, headers, options: DEFAULT_CACHE_OPTIONS };
  let answer = cache.hit(request);
  if (!answer) {
    try {
      answer = await cache.fetch(request, (m, h, signal) => send({
        method: m, url: originUrl(zone, req.url ?? '/').href, headers: h, body: null, redirect: 'manual', cf: null, cache: null, signal: null,
      }, null, signal ?? onClientGone()), null);
    } catch (err) {
      originUnreachable(zone, res, err as Error);
      return 'ERROR';
    }
  }
  if (method === 'GET') {
    const encoded = encodeForClient(answer, req.headers['accept-encoding']);
    answer = encoded instanceof Promise ? await encoded : encoded;
  }
  const flat: string[] = [];
  for (const [n, v] of answer.head.headers) flat.push(n, v);
  try {
    res.writeHead(answer.head.status, answer.head.statusText, flat);
  } catch (err) {
    answer.body?.cancel('head refused');
    originUnreachable(zone, res, err as Error, 'sent a response head that cannot be forwarded');
    return answer.cacheStatus;
  }
  if (answer.bytes) {
    res.end(answer.bytes);
    return answer.cacheStatus;
  }
  const body = answer.body;
  try {
    for (let chunk = await body?.read(); chunk; chunk = await body!.read()) {
      if (res.destroyed) break;
      if (!res.write(chunk)) await new Promise<void>((r) => { res.once('drain', r); res.once('close', r); });
    }
    res.end();
  } catch {
    // The origin broke off mid-body: the client sees the connection end early.
    res.destroy();
  } finally {
    if (res.destroyed) body?.cancel('client gone');
  }
  return answer.cacheStatus;
}
