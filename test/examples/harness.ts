// What the example tests share: an example project (examples/NAME, with its wrangler.toml
// and src/index.{js,ts}) running on atoll in this process, as `atoll dev` runs it (the
// same dev server: esbuild bundle, [vars], KV, --origin, --trust-forwarded-for), with its
// bindings overridden per test; and fake third parties on 127.0.0.1 that record every
// request they receive.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.ts';
import { startDevServer } from '../../src/dev/server.ts';
import { openSqliteKv } from '../../src/store/sqlite-kv.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EXAMPLES = join(ROOT, 'examples');

/** Generous for a loaded shared 2-core machine; every wait in these tests is bounded by it. */
export const WAIT_MS = 30_000;

export interface ExampleOptions {
  /** Plain-text bindings on top of the example's [vars] (as `--var KEY:VALUE`): fake services' URLs, secrets. */
  vars?: Record<string, string>;
  /** The zone's origin (`--origin`): where the worker's fetch() to its own host goes. */
  origin?: string | URL;
  /** `--trust-forwarded-for`; on by default, so a test can set the client address with X-Forwarded-For. */
  trustForwardedFor?: boolean;
  /** KV contents before the worker starts: binding name -> key -> value. */
  kv?: Record<string, Record<string, string | Uint8Array>>;
  /**
   * CPU limit per request in ms. 1,000 by default rather than the worker's 50: these tests
   * check behaviour, and a cold isolate on a loaded machine may spend more compiling.
   */
  cpuMs?: number;
  /** request.cf.colo (`--location`). */
  location?: string;
}

export interface RunningExample {
  /** Base URL of the worker, such as `http://127.0.0.1:40123` (no trailing slash). */
  url: string;
  /** Every line the dev server logged (request lines, console output, exceptions), as JSON objects. */
  logs: Record<string, any>[];
  /** fetch() relative to `url`, with a timeout unless `init.signal` is given. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Resolves once every request made with fetch() above has finished on the worker's
   * side, its ctx.waitUntil work included (the dev server logs a request only then).
   */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts examples/`name` on atoll; call close() (in a finally or after()) to stop it. */
export async function runExample(name: string, options: ExampleOptions = {}): Promise<RunningExample> {
  const cwd = join(EXAMPLES, name);
  const persistTo = mkdtempSync(join(tmpdir(), `atoll-example-${name}-`));
  const logs: Record<string, any>[] = [];
  const collect = (line: string) => { for (const l of line.split('\n')) if (l) logs.push(JSON.parse(l)); };
  try {
    if (options.kv) await seedKv(cwd, persistTo, options.kv);
    const server = await startDevServer({
      cwd,
      entry: null,
      config: null,
      env: null,
      ip: '127.0.0.1',
      port: 0,
      vars: Object.entries(options.vars ?? {}),
      origin: options.origin === undefined ? null : new URL(options.origin),
      cpuMs: options.cpuMs ?? 1000,
      memoryMb: null,
      trustForwardedFor: options.trustForwardedFor ?? true,
      location: options.location ?? 'DEV',
      persistTo,
      logFormat: 'json',
      logSinks: { stdout: collect, stderr: collect },
    });
    let sent = 0;
    return {
      url: server.url,
      logs,
      fetch: (path, init = {}) => {
        sent++;
        return fetch(server.url + path, { signal: AbortSignal.timeout(WAIT_MS), ...init });
      },
      async idle(timeoutMs = WAIT_MS) {
        const deadline = Date.now() + timeoutMs;
        while (logs.filter((l) => l.event === 'request').length < sent) {
          if (Date.now() > deadline) throw new Error(`examples/${name}: ${sent} requests made, ${logs.filter((l) => l.event === 'request').length} finished within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      async close() {
        try {
          await server.close();
        } finally {
          rmSync(persistTo, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(persistTo, { recursive: true, force: true });
    throw err;
  }
}

/** Writes `kv` where the dev server will find it (the namespace ids dev uses for the config's bindings). */
async function seedKv(cwd: string, persistTo: string, kv: NonNullable<ExampleOptions['kv']>): Promise<void> {
  const config = loadConfig(cwd, null);
  const store = await openSqliteKv(join(persistTo, 'kv'));
  try {
    for (const [binding, entries] of Object.entries(kv)) {
      const ns = config.kvNamespaces.find((k) => k.binding === binding);
      if (!ns) throw new Error(`examples/${config.name}: no KV binding "${binding}" in its config`);
      for (const [key, value] of Object.entries(entries)) {
        await store.put(ns.id, key, typeof value === 'string' ? new TextEncoder().encode(value) : value.slice());
      }
    }
  } finally {
    await store.close();
  }
}

/** One request a fake third party received, with its whole body. */
export interface Recorded {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
  /** performance.now() when its head arrived. */
  at: number;
}

/** Answers one request; `req` is already recorded (body read). Throwing answers 500. */
export type FakeHandler = (req: Recorded, res: ServerResponse) => void | Promise<void>;

export interface FakeService {
  /** Base URL, such as `http://127.0.0.1:40124` (no trailing slash). */
  url: string;
  /** Every request received so far, in arrival order. */
  requests: Recorded[];
  /** Resolves once `n` requests have arrived (for calls made in waitUntil); rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<Recorded[]>;
  close(): Promise<void>;
}

/**
 * A stand-in for a third party (origin, API, storage) on 127.0.0.1 on a free port. The
 * default handler answers 200 with an empty body.
 */
export async function startFake(handler: FakeHandler = (_req, res) => { res.end(); }): Promise<FakeService> {
  const requests: Recorded[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const at = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, text: body.toString('utf8'), at };
      requests.push(rec);
      for (const w of waiters) w();
      Promise.resolve().then(() => handler(rec, res)).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake service failed: ${err.stack ?? err}`);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    waitFor(n, timeoutMs = WAIT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(requests.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake service ${url} got ${requests.length} requests, not ${n}, within ${timeoutMs} ms: ${requests.map((r) => `${r.method} ${r.url}`).join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Reads a response body chunk by chunk, noting when each arrived (performance.now()). */
export async function readTimed(res: Response): Promise<{ text: string; chunks: { at: number; text: string }[] }> {
  const chunks: { at: number; text: string }[] = [];
  const decoder = new TextDecoder();
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push({ at: performance.now(), text: decoder.decode(c, { stream: true }) });
  return { text: chunks.map((c) => c.text).join('') + decoder.decode(), chunks };
}

/** A promise and its resolve, for a fake that holds its answer until the test says so. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}
