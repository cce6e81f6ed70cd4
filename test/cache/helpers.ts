// Shared setup for the cache tests: an origin on 127.0.0.1 that counts its hits per
// path and answers as each test scripts it, and an edge (control plane on SQLite in a
// temp folder) with one zone in front of that origin.

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { controlSource } from '../../src/edge/control-source.ts';
import { startEdge, type Edge, type EdgeOptions } from '../../src/edge/server.ts';
import { startHarness, type Harness } from '../control/harness.ts';
import { edgeRequest, type Reply } from '../edge/helpers.ts';

export interface ScriptedReply {
  status?: number;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
}

/** Answers the n-th request (1-based) for a path; it may write the response itself and return null. */
export type Script = (req: IncomingMessage, n: number, res: ServerResponse) => ScriptedReply | null | Promise<ScriptedReply | null>;

export interface CountingOrigin {
  url: string;
  /** Requests seen per path (with query). */
  hits(path: string): number;
  /** Request headers of the last request for a path. */
  last(path: string): IncomingHttpHeaders | undefined;
  on(path: string, script: Script): void;
  close(): Promise<void>;
}

export async function startCountingOrigin(): Promise<CountingOrigin> {
  const counts = new Map<string, number>();
  const lastHeaders = new Map<string, IncomingHttpHeaders>();
  const scripts = new Map<string, Script>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    lastHeaders.set(path, req.headers);
    req.resume();
    req.on('end', async () => {
      const script: Script = scripts.get(path.split('?')[0]!) ?? (() => ({ body: `origin ${path} #${n}` }));
      const r = await script(req, n, res);
      if (r === null) return;
      res.writeHead(r.status ?? 200, r.headers ?? {});
      res.end(req.method === 'HEAD' ? undefined : r.body ?? `origin ${path} #${n}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: (path) => counts.get(path) ?? 0,
    last: (path) => lastHeaders.get(path),
    on: (path, script) => { scripts.set(path, script); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface CacheSetup {
  h: Harness;
  edge: Edge;
  origin: CountingOrigin;
  zoneId: string;
  logs: Record<string, unknown>[];
  get(path: string, headers?: Record<string, string>, method?: string): Promise<Reply>;
  close(): Promise<void>;
}

export const HOST = 'cache.test';

export async function startCacheSetup(options: Partial<EdgeOptions> = {}): Promise<CacheSetup> {
  const h = await startHarness();
  const origin = await startCountingOrigin();
  const logs: Record<string, unknown>[] = [];
  let edge: Edge | null = null;
  try {
    const z = await h.call('POST', '/api/v1/zones', { json: { hostname: HOST, origin: origin.url } });
    assert.equal(z.status, 201, z.text);
    edge = await startEdge({ source: controlSource(h.store, h.keyring), location: 'TST', port: 0, kv: h.kv, log: (f) => logs.push(f), ...options });
    const e = edge;
    return {
      h, edge: e, origin, zoneId: z.body.zone.id, logs,
      get: (path, headers = {}, method = 'GET') => edgeRequest(e, HOST, path, { headers, method }),
      async close() {
        await e.close();
        await origin.close();
        await h.close();
      },
    };
  } catch (err) {
    await edge?.close();
    await origin.close();
    await h.close();
    throw err;
  }
}
