// Origin servers for the fetch end-to-end tests, on 127.0.0.1 ephemeral ports: an echo
// server, redirect chains, a slow server for aborts, and a hit counter on every route.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface Hit {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
  /** ms between the first and the last body chunk the origin received. */
  bodySpreadMs: number;
  /** True when the client closed the connection before the response ended. */
  aborted: boolean;
}

export interface Origin {
  url: string;
  hits: Hit[];
  /** Resolves the held part of a /hold response (see below). */
  release(): void;
  close(): Promise<void>;
}

function route(req: IncomingMessage, res: ServerResponse, hit: Hit, origin: { release: () => void; held: (() => void) | null }, base: string): void {
  const url = new URL(req.url ?? '/', base);
  const p = url.pathname;
  // /redirect/<status>?to=<path>: one redirect; /loop: redirects to itself forever.
  if (p.startsWith('/redirect/')) {
    res.writeHead(Number(p.split('/')[2]), { location: url.searchParams.get('to') ?? '/echo' });
    res.end('moved');
    return;
  }
  if (p === '/loop') {
    res.writeHead(302, { location: '/loop' });
    res.end();
    return;
  }
  if (p === '/to-ftp') {
    res.writeHead(302, { location: 'ftp://127.0.0.1/file' });
    res.end();
    return;
  }
  if (p === '/cookies') {
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT']);
    res.end('cookies');
    return;
  }
  if (p === '/gzip') {
    const body = gzipSync('compressed hello');
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length, 'content-type': 'text/plain' });
    res.end(body);
    return;
  }
  if (p === '/slow') {
    // Answers after 10 s, unless the client goes away first.
    const t = setTimeout(() => res.end('too late'), 10_000);
    res.once('close', () => clearTimeout(t));
    return;
  }
  if (p === '/hold') {
    // Sends a first chunk, then holds the rest until release() (or /release) is called.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first;');
    origin.held = () => res.end('rest');
    return;
  }
  if (p === '/release') {
    origin.release();
    res.end('released');
    return;
  }
  if (p === '/big') {
    const n = Number(url.searchParams.get('bytes'));
    const chunk = Buffer.alloc(64 * 1024, 120);
    let sent = 0;
    res.writeHead(200, { 'content-length': n });
    const pump = (): void => {
      while (sent < n) {
        const c = chunk.subarray(0, Math.min(chunk.length, n - sent));
        sent += c.length;
        if (!res.write(c)) { res.once('drain', pump); return; }
      }
      res.end();
    };
    pump();
    return;
  }
  if (p === '/status') {
    res.writeHead(Number(url.searchParams.get('s')));
    res.end();
    return;
  }
  // /echo and everything else: the request as JSON.
  const json = JSON.stringify({ method: hit.method, path: hit.path, headers: hit.headers, body: hit.body, bodySpreadMs: hit.bodySpreadMs });
  res.writeHead(200, { 'content-type': 'application/json', 'x-origin': 'yes' });
  res.end(json);
}

export async function startOrigin(): Promise<Origin> {
  const hits: Hit[] = [];
  const state = {
    held: null as (() => void) | null,
    release() {
      state.held?.();
      state.held = null;
    },
  };
  let base = '';
  const server: Server = createServer((req, res) => {
    const hit: Hit = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: '', bodySpreadMs: 0, aborted: false };
    hits.push(hit);
    res.once('close', () => { if (!res.writableFinished) hit.aborted = true; });
    const chunks: Buffer[] = [];
    let first = 0;
    req.on('data', (c: Buffer) => {
      if (!first) first = Date.now();
      hit.bodySpreadMs = Date.now() - first;
      chunks.push(c);
    });
    req.on('end', () => {
      hit.body = Buffer.concat(chunks).toString();
      route(req, res, hit, state, base);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    hits,
    release: () => state.release(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
