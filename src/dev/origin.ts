// The zone's origin in dev (--origin). As on the edge, a worker's fetch() to the host it
// was addressed as goes to the origin rather than back into the worker, and
// passThroughOnException forwards the request there. Without an origin both are
// refused with a clear message (a fetch to itself would loop through the worker).

import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RequestInit_ } from '../shared/ops.ts';
import { OpError } from '../runtime/errors.ts';

/** Hosts (`host:port`, lower case) the dev server has been addressed as. */
export class ZoneHosts {
  readonly #hosts = new Set<string>();

  add(host: string | undefined): void {
    // Bounded: Host is client input, and a zone has few names.
    if (host && this.#hosts.size < 64) this.#hosts.add(host.toLowerCase());
  }

  has(url: URL): boolean {
    return this.#hosts.has(url.host.toLowerCase());
  }
}

/** The request to send instead of `init` when it targets the zone itself; else `init`. */
export function toOrigin(init: RequestInit_, zone: ZoneHosts, origin: URL | null): RequestInit_ {
  const url = new URL(init.url);
  if (!zone.has(url)) return init;
  if (origin === null) {
    throw new OpError('TypeError', `fetch to ${url.origin} reaches this worker itself: start atoll dev with --origin URL to name the origin that requests to the worker's own host go to.`);
  }
  const target = new URL(url.pathname + url.search, origin.origin);
  return { ...init, url: target.href, headers: init.headers.filter(([name]) => name !== 'host') };
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** passThroughOnException: sends `req` to the origin and its answer to the client. */
export function passThrough(origin: URL | null): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return (req, res) => new Promise<void>((done) => {
    if (origin === null) {
      plain(res, 502, 'The worker threw after calling passThroughOnException(), and atoll dev has no origin to pass the request to: start it with --origin URL.\n');
      done();
      return;
    }
    if (req.readableDidRead) {
      plain(res, 502, 'The worker threw after calling passThroughOnException(), but it had already read the request body, so the request cannot be passed to the origin.\n');
      done();
      return;
    }
    const headers = { ...req.headers, host: origin.host };
    const send = origin.protocol === 'https:' ? httpsRequest : httpRequest;
    const out = send(new URL(req.url ?? '/', origin.origin), { method: req.method, headers }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, upstream.rawHeaders);
      upstream.pipe(res);
      upstream.on('end', done);
      upstream.on('error', () => { res.destroy(); done(); });
    });
    out.on('error', (err) => {
      plain(res, 502, `The worker threw after calling passThroughOnException(), and the origin ${origin.origin} did not answer: ${(err as NodeJS.ErrnoException).code ?? err.message}.\n`);
      done();
    });
    req.pipe(out);
  });
}
