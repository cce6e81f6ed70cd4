// The serving path every benchmark drives: WorkerIsolate + invokeHttp behind node:http,
// exactly as test/helpers/worker.ts (and `atoll dev`) embed the runtime, with quiet
// services. One server can hold many workers, routed by the first path segment, so the
// cold-start and memory benchmarks can create workers on demand.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerDefinition, type WorkerLimits } from '../../src/runtime/worker-isolate.ts';
import { invokeHttp } from '../../src/runtime/http.ts';
import { outboundFetch } from '../../src/runtime/outbound.ts';
import type { Invocation } from '../../src/runtime/invocation.ts';
import type { HostServices } from '../../src/runtime/ops/index.ts';

export function workerDef(name: string, code: string, limits: Partial<WorkerLimits> = {}): WorkerDefinition {
  return {
    name,
    versionId: 'v1',
    format: /\bexport\s+default\b/.test(code) ? 'modules' : 'service-worker',
    mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: code }],
    bindings: [],
    compatibilityDate: '2025-01-01',
    compatibilityFlags: [],
    limits: { ...DEFAULT_LIMITS, ...limits },
    dev: false,
  };
}

export interface ConsoleHook {
  (worker: WorkerIsolate, inv: Invocation | null, level: string, message: string): void;
}

export function quietServices(onConsole?: ConsoleHook): HostServices {
  return {
    fetch: (_ctx, init, body, signal) => outboundFetch(init, body, signal),
    log: () => {},
    console: onConsole ?? (() => {}),
  };
}

/** A worker slot that replaces a dead isolate on its next request, as dev does. */
export class WorkerSlot {
  current: WorkerIsolate;
  #replacing: Promise<WorkerIsolate> | null = null;
  readonly def: WorkerDefinition;
  readonly services: HostServices;

  constructor(def: WorkerDefinition, services: HostServices, first: WorkerIsolate) {
    this.def = def;
    this.services = services;
    this.current = first;
  }

  static async create(def: WorkerDefinition, services: HostServices): Promise<WorkerSlot> {
    return new WorkerSlot(def, services, await WorkerIsolate.create(def, services));
  }

  async get(): Promise<WorkerIsolate> {
    if (!this.current.dead) return this.current;
    this.#replacing ??= WorkerIsolate.create(this.def, this.services).then((w) => {
      this.current = w;
      this.#replacing = null;
      return w;
    });
    return this.#replacing;
  }
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Serves one worker through invokeHttp; `onInvocation` sees each finished invocation. */
export function serveSlot(slot: WorkerSlot, req: IncomingMessage, res: ServerResponse, onInvocation?: (inv: Invocation) => void): Promise<void> {
  return slot.get().then(async (w) => {
    const inv = await invokeHttp(w, req, res, {
      url: `http://${req.headers.host ?? 'localhost'}${req.url}`,
      cf: { country: 'XX', colo: 'BENCH' },
      maxBodyBytes: 1024 * 1024 * 1024,
      exposeErrors: false,
    });
    onInvocation?.(inv);
  });
}

export async function listen(handler: Handler, port = 0): Promise<{ server: Server; url: string; port: number }> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`bench server error: ${(err as Error).stack ?? err}\n`);
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const p = (server.address() as AddressInfo).port;
  return { server, url: `http://127.0.0.1:${p}`, port: p };
}

export const HELLO_WORKER = `export default { fetch() { return new Response('Hello World!'); } };`;
