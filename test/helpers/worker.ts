// Test harness: runs a worker in a real isolate behind a real HTTP server on
// 127.0.0.1 (an ephemeral port), exactly as `atoll dev` would, and collects its logs.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BindingSpec, WorkerFormat } from '../../src/shared/ops.ts';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerLimits } from '../../src/runtime/worker-isolate.ts';
import { invokeHttp } from '../../src/runtime/http.ts';
import { outboundFetch } from '../../src/runtime/outbound.ts';
import type { Invocation } from '../../src/runtime/invocation.ts';
import type { ModuleSource } from '../../src/runtime/modules.ts';
import type { CacheBackend, HostServices } from '../../src/runtime/ops/index.ts';
import type { KvStore } from '../../src/store/kv.ts';

export interface TestWorkerOptions {
  format?: WorkerFormat;
  bindings?: BindingSpec[];
  limits?: Partial<WorkerLimits>;
  services?: Partial<HostServices>;
  /** The KV store behind `kv_namespace` bindings (e.g. a MemoryKvStore, or openSqliteKv(dir)). */
  kv?: KvStore;
  /** The Cache API backend (e.g. a MemoryCache); without one, caches.* calls fail. */
  cache?: CacheBackend;
  modules?: ModuleSource[];
}

export interface TestWorker {
  url: string;
  worker: () => WorkerIsolate;
  /** Console lines, as "level: message". */
  logs: string[];
  /** Finished invocations, in the order they ended. */
  invocations: Invocation[];
  fetch(path?: string, init?: RequestInit): Promise<Response>;
  /** Waits until `n` invocations have finished (responses reach clients before that). */
  settled(n: number, timeoutMs?: number): Promise<Invocation[]>;
  close(): Promise<void>;
}

/** Starts `code` (the main module) as a worker; a dead isolate is replaced, as in dev. */
export async function startWorker(code: string, opts: TestWorkerOptions = {}): Promise<TestWorker> {
  const logs: string[] = [];
  const invocations: Invocation[] = [];
  const format = opts.format ?? (/\bexport\s+default\b/.test(code) ? 'modules' : 'service-worker');
  const services: HostServices = {
    fetch: (_ctx, init, body, signal) => outboundFetch(init, body, signal),
    log: () => {},
    console: (_w, _inv, level, message) => logs.push(`${level}: ${message}`),
    ...(opts.kv && { kv: opts.kv }),
    ...(opts.cache && { cache: opts.cache }),
    ...opts.services,
  };
  const def = {
    name: 'test',
    versionId: 'v1',
    format,
    mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm' as const, content: code }, ...(opts.modules ?? [])],
    bindings: opts.bindings ?? [],
    compatibilityDate: '2025-01-01',
    compatibilityFlags: [],
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    dev: true,
  };
  let current = await WorkerIsolate.create(def, services);
  let replacing: Promise<WorkerIsolate> | null = null;
  const get = async () => {
    if (!current.dead) return current;
    replacing ??= WorkerIsolate.create(def, services).then((w) => { current = w; replacing = null; return w; });
    return replacing;
  };
  const server: Server = createServer(async (req, res) => {
    const w = await get();
    const inv = await invokeHttp(w, req, res, {
      url: `http://${req.headers.host ?? 'localhost'}${req.url}`,
      cf: { country: 'XX', colo: 'TEST' },
      maxBodyBytes: 100 * 1024 * 1024,
      exposeErrors: true,
    });
    invocations.push(inv);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    worker: () => current,
    logs,
    invocations,
    fetch: (path = '/', init) => fetch(url + path, init),
    async settled(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (invocations.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${invocations.length} of ${n} invocations finished within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return invocations;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      current.dispose();
    },
  };
}

/**
 * Evaluates `body` (the body of an async function) inside a worker isolate and returns
 * what it returns, JSON-encoded across. For Web API tests that want plain values.
 */
export async function runInIsolate<T = unknown>(body: string, opts: TestWorkerOptions = {}): Promise<T> {
  const w = await startWorker(
    `export default { async fetch(request, env, ctx) {
      try {
        const value = await (async () => { ${body} })();
        return new Response(JSON.stringify({ ok: true, value: value === undefined ? null : value }));
      } catch (e) {
        return new Response(JSON.stringify({ ok: false, error: String(e && e.stack || e), name: e && e.name }));
      }
    } }`,
    opts,
  );
  try {
    const res = await w.fetch('/');
    const text = await res.text();
    // The platform answered instead of the code (a limit, say): say which, not a JSON error.
    if (res.headers.get('atoll-error')) throw new Error(`the platform answered ${res.status} ${res.headers.get('atoll-error')}: ${text.slice(0, 300)}`);
    const out = JSON.parse(text) as { ok: boolean; value: T; error: string };
    if (!out.ok) throw new Error(`in isolate: ${out.error}`);
    return out.value;
  } finally {
    await w.close();
  }
}
