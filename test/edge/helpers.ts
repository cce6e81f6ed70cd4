// Shared setup for edge tests: the control API (real SQLite in a temp dir) from the
// control tests' harness, an origin that counts its hits, and an edge node fed by the
// control store in the same process.

import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlSource } from '../../src/edge/control-source.ts';
import { startEdge, type Edge, type EdgeOptions } from '../../src/edge/server.ts';
import { startHarness, type Harness } from '../control/harness.ts';

export interface OriginHit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Origin {
  url: string;
  hits: OriginHit[];
  /** Requests to /hold wait until release() is called. */
  release(): void;
  close(): Promise<void>;
}

/** An origin that records each request and echoes it back as JSON. */
export async function startOrigin(): Promise<Origin> {
  const hits: OriginHit[] = [];
  let held: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      hits.push(hit);
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-origin': 'yes', 'set-cookie': ['a=1', 'b=2'] });
        res.end(JSON.stringify({ origin: true, ...hit }));
      };
      if (req.url?.startsWith('/hold')) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    release() {
      for (const f of held) f();
      held = [];
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A request to the edge with any Host header (fetch would not let a test set it). */
export function edgeRequest(edge: Edge, host: string | null, path: string, init: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...init.headers };
    if (host !== null) headers.host = host;
    const req = request({ host: '127.0.0.1', port: edge.port, path, method: init.method ?? 'GET', headers, setHost: false, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`edge request ${path} timed out`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

export interface Platform {
  h: Harness;
  edge: Edge;
  origin: Origin;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startPlatform(options: Partial<EdgeOptions> = {}): Promise<Platform> {
  const h = await startHarness();
  const origin = await startOrigin();
  const logs: Record<string, unknown>[] = [];
  const edge = await startEdge({ source: controlSource(h.store, h.keyring), location: 'TST', port: 0, kv: h.kv, log: (f) => logs.push(f), ...options });
  return {
    h, edge, origin, logs,
    async close() {
      await edge.close();
      await origin.close();
      await h.close();
    },
  };
}

/** Waits until `check` passes (polling), or fails with its last error. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
