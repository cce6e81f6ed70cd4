// A zone's origin, reached two ways: as a plain reverse proxy for requests no route
// claims (GET and HEAD through the cache first: origin-cache.ts) and for
// passThroughOnException, streaming both bodies and keeping headers but the
// hop-by-hop ones; and as the target of a worker's fetch() to its own zone, which goes
// to the origin (through the cache) instead of back into the worker.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RequestInit_ } from '../shared/ops.ts';
import type { EdgeZone } from './config-source.ts';

// Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection, not the message.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

/** The origin URL for a path and query of the zone (`pathAndQuery` starts with "/"). */
export function originUrl(zone: EdgeZone, pathAndQuery: string): URL {
  return new URL(zone.origin + pathAndQuery);
}

/** A worker's fetch to its own zone, sent to the zone's origin instead. */
export function toOrigin(init: RequestInit_, zone: EdgeZone): RequestInit_ {
  const url = new URL(init.url);
  return { ...init, url: originUrl(zone, url.pathname + url.search).href, headers: init.headers.filter(([name]) => name !== 'host') };
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'atoll-error': 'origin' });
  res.end(text);
}

function forwardHeaders(raw: string[], skip: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !skip.has(name)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** The 502 for an origin that did not answer (or answered what cannot be forwarded). */
export function originUnreachable(zone: EdgeZone, res: ServerResponse, err: Error, what?: string): void {
  if (what) plain(res, 502, `The origin of zone "${zone.hostname}" ${what}: ${err.message}\n`);
  else {
    // A socket error carries its code; the outbound fetch's error names it in its message.
    const code = (err as NodeJS.ErrnoException).code ?? /\b(E[A-Z_]{3,})\b/.exec(err.message)?.[1] ?? err.message;
    plain(res, 502, `The origin of zone "${zone.hostname}" (${new URL(zone.origin).origin}) did not answer: ${code}. Check the zone's origin URL.\n`);
  }
}

/**
 * Sends `req` to the zone's origin and the answer back, both bodies streamed. The
 * origin sees its own host in Host and the client's in X-Forwarded-Host. `extra`
 * headers ([name, value, ...]) are added to the response.
 */
export function proxyToOrigin(zone: EdgeZone, req: IncomingMessage, res: ServerResponse, extra: string[] = []): Promise<void> {
  return new Promise<void>((done) => {
    const target = originUrl(zone, req.url ?? '/');
    const headers = [...forwardHeaders(req.rawHeaders, new Set(['host', 'x-forwarded-host'])), 'Host', target.host, 'X-Forwarded-Host', req.headers.host ?? ''];
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const out = send(target, { method: req.method, headers, agent: agents[target.protocol as 'http:' | 'https:'] }, (upstream) => {
      try {
        res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, [...forwardHeaders(upstream.rawHeaders, new Set(extra.filter((_, i) => i % 2 === 0))), ...extra]);
      } catch (err) {
        // Node's parser took the head, but node:http may still refuse to send it on.
        upstream.destroy();
        plain(res, 502, `The origin of zone "${zone.hostname}" sent a response head that cannot be forwarded: ${(err as Error).message}\n`);
        done();
        return;
      }
      upstream.pipe(res);
      upstream.once('end', () => done());
      upstream.once('error', () => { res.destroy(); done(); });
    });
    out.on('error', (err) => {
      originUnreachable(zone, res, err);
      done();
    });
    // A client that goes away takes the origin request with it.
    res.once('close', () => { if (!res.writableFinished) { out.destroy(); done(); } });
    req.pipe(out);
  });
}

/** passThroughOnException: the request goes to the origin, unless its body is already spent. */
export function passThrough(zone: EdgeZone) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.readableDidRead) {
      plain(res, 502, 'The worker threw after calling passThroughOnException(), but it had already read the request body, so the request cannot be passed to the origin.\n');
      return;
    }
    await proxyToOrigin(zone, req, res);
  };
}
