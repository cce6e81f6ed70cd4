// The whole `atoll up` platform in this process (src/edge/embedded.ts: control API + one
// edge, SQLite in a temp folder), and the REST calls the platform benchmarks make
// (deploy-latency.ts, routing.ts): uploads, zones, routes, and edge requests with any Host.

import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded, type Embedded } from '../../src/edge/embedded.ts';

export interface Platform {
  up: Embedded;
  token: string;
  /** Every log line of the platform, with the performance.now() it arrived at. */
  onLog: ((fields: Record<string, unknown>, at: number) => void) | null;
  call(method: string, path: string, init?: { json?: unknown; body?: FormData }): Promise<{ status: number; body: any; text: string; ms: number }>;
  upload(name: string, source: string): Promise<{ status: number; body: any; text: string; ms: number }>;
  edgeGet(host: string, path?: string): Promise<{ status: number; text: string; ms: number }>;
  close(): Promise<void>;
}

export async function startPlatform(opts: { maxIsolates?: number } = {}): Promise<Platform> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-up-'));
  const p: Partial<Platform> & { onLog: Platform['onLog'] } = { onLog: null };
  const up = await startEmbedded({
    dataDir: dir, ip: '127.0.0.1', edgePort: 0, apiPort: 0, location: 'BEN', maxIsolates: opts.maxIsolates,
    log: (f) => { if (p.onLog) p.onLog(f, performance.now()); },
  });
  if (!up.token) throw new Error('no admin token from the first start');
  const token = up.token;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const call: Platform['call'] = async (method, path, init = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let body: string | FormData | undefined = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    }
    const t0 = performance.now();
    const res = await fetch(up.api.url + path, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    const ms = performance.now() - t0;
    return { status: res.status, text, ms, body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : null };
  };
  const upload: Platform['upload'] = (name, source) => {
    const form = new FormData();
    form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-01-01' }));
    form.append('index.js', new Blob([source], { type: 'application/javascript+module' }), 'index.js');
    return call('PUT', `/api/v1/workers/${name}`, { body: form });
  };
  const edgeGet: Platform['edgeGet'] = (host, path = '/') => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port: up.edge.port, path, agent, headers: { host }, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`edge GET ${host}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
  Object.assign(p, {
    up, token, call, upload, edgeGet,
    async close() {
      agent.destroy();
      await up.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  return p as Platform;
}

/** Throws unless the reply has this status. */
export function expectStatus(r: { status: number; text: string }, status: number, what: string): void {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
}

/** Runs `fn` over 0..n-1 with at most `concurrency` at once. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) await fn(next++);
  }));
}
