// A whole distributed atoll as real processes, for the fault tests (faults*.test.ts) and
// the cluster benchmarks: nats-servers from test/helpers/nats.ts, `atoll control` and
// `atoll edge` started as the CLI starts them (bin/atoll.js, one process each, JSON log
// lines on stdout), a REST client with the admin token, edge requests with any Host,
// a steady request load that counts every failure, and a TCP proxy that can cut one
// edge off from NATS. Every process started here is killed when the test process
// exits; close() stops them and removes the temporary directory.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit, startNatsCluster, type NatsCluster } from '../helpers/nats.ts';

const ATOLL = fileURLToPath(new URL('../../bin/atoll.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `atoll control` or `atoll edge` process. */
export interface AtollProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Its JSON log lines (stdout and stderr), parsed, in order. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  running(): boolean;
  /** Resolves with the first line (past or future) for which `match` holds. */
  waitLine(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal and waits for the process to exit. */
  signal(sig: NodeJS.Signals): Promise<void>;
}

function spawnAtoll(name: string, args: string[], env: NodeJS.ProcessEnv): AtollProcess {
  const child = spawn(process.execPath, ['--no-node-snapshot', ATOLL, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let raw = '';
  const onData = (d: Buffer) => {
    raw += d.toString('utf8');
    let i: number;
    while ((i = raw.indexOf('\n')) >= 0) {
      const text = raw.slice(0, i);
      raw = raw.slice(i + 1);
      if (!text.trim()) continue;
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        lines.push({ text });
      }
    }
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let alive = true;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    alive = false;
    for (const w of waiters) w();
    resolve(code);
  }));
  return {
    name, child, pid: child.pid!, lines, exited,
    running: () => alive,
    waitLine(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found) return done(() => resolve(found));
          if (!alive) return done(() => reject(new Error(`${name} exited; its last lines:\n${lines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${name}: no such log line within ${timeoutMs} ms; its last lines:\n${lines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async signal(sig) {
      if (!alive) return;
      child.kill(sig);
      await exited;
    },
  };
}

export interface Edge {
  location: string;
  dataDir: string;
  /** The port it listens on: picked on its first start, kept across restarts. */
  port: number;
  url: string;
  proc: AtollProcess;
  /** The --nats value it runs with. */
  nats: string;
}

export interface Reply {
  status: number;
  text: string;
}

export interface Cluster {
  nats: NatsCluster;
  dir: string;
  token: string;
  controls: AtollProcess[];
  controlUrl: string;
  edges: Edge[];
  /** Starts `atoll control` (another one, or again after a stop) on the first one's port. */
  startControl(): Promise<AtollProcess>;
  /** Starts edge i again, on its data folder and port (after a kill or a stop). */
  restartEdge(i: number): Promise<void>;
  /** Adds an edge; `nats` overrides the NATS URLs it is given (a proxy, say). */
  addEdge(location: string, nats?: string): Promise<Edge>;
  /** A REST call with the admin token; `raw` sends a body as it is. */
  api(method: string, path: string, body?: { json?: unknown; raw?: string; form?: FormData }): Promise<{ status: number; body: any; text: string }>;
  /** Uploads and deploys a one-module worker (PUT /api/v1/workers/:name). */
  deploy(name: string, source: string, bindings?: unknown[]): Promise<{ status: number; body: any; text: string }>;
  /** GET on edge i with this Host. */
  get(i: number, host: string, path?: string): Promise<Reply>;
  /** Waits until every edge listed answers `host` with `body` (60 s at most). */
  waitServing(host: string, body: string, edges?: number[], timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP GET to 127.0.0.1:port with a Host header; rejects on a network error. */
export function httpGet(port: number, host: string, path = '/', timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { host }, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${host}${path} on :${port} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface StartClusterOptions {
  natsServers: 1 | 3;
  /** Locations of the edges to start, one edge each. */
  locations: string[];
  /** NATS URLs for each edge (default: every server of the cluster). */
  edgeNats?: (location: string, nats: NatsCluster) => string;
}

export async function startCluster(opts: StartClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-faults-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ATOLL_SECRETS_KEY: randomBytes(32).toString('base64'),
    ATOLL_CONFIG_DIR: join(dir, 'cli-config'),
  };
  const procs: AtollProcess[] = [];
  let nats: NatsCluster | null = null;
  const cluster = { controls: [] as AtollProcess[], edges: [] as Edge[] } as Cluster;
  try {
    nats = await startNatsCluster({ servers: opts.natsServers });
    let apiPort = 0;
    const startControl = async (): Promise<AtollProcess> => {
      const p = spawnAtoll(`control-${procs.length}`, ['control', '--nats', nats!.url, '--ip', '127.0.0.1', '--api-port', String(apiPort), '--data', join(dir, 'control')], env);
      procs.push(p);
      const ready = await p.waitLine((l) => l.msg === 'atoll control ready', 180_000);
      apiPort = Number(new URL(String(ready.api)).port);
      cluster.controls.push(p);
      return p;
    };
    const first = await startControl();
    const tokenLine = await first.waitLine((l) => typeof l.token === 'string', 1000).catch(() => null);
    if (!tokenLine) throw new Error('the first atoll control printed no admin token');
    Object.assign(cluster, { nats, dir, token: String(tokenLine.token), controlUrl: `http://127.0.0.1:${apiPort}` });

    const launchEdge = async (e: Omit<Edge, 'proc' | 'url'> & { proc?: AtollProcess }): Promise<Edge> => {
      const p = spawnAtoll(`edge-${e.location}`, ['edge', '--nats', e.nats, '--location', e.location, '--ip', '127.0.0.1', '--port', String(e.port), '--data', e.dataDir], env);
      procs.push(p);
      // Generous: a loaded 2-core machine starting several edges at once needs it.
      const ready = await p.waitLine((l) => l.msg === 'atoll edge ready', 180_000);
      const url = String(ready.edge);
      return { ...e, proc: p, url, port: Number(new URL(url).port) };
    };
    cluster.startControl = startControl;
    cluster.addEdge = async (location, natsUrl) => {
      const edge = await launchEdge({ location, dataDir: join(dir, `edge-${location}`), port: 0, nats: natsUrl ?? opts.edgeNats?.(location, nats!) ?? nats!.url });
      cluster.edges.push(edge);
      return edge;
    };
    cluster.restartEdge = async (i) => {
      const old = cluster.edges[i]!;
      await old.proc.signal('SIGTERM');
      cluster.edges[i] = await launchEdge(old);
    };
    cluster.api = async (method, path, body = {}) => {
      const headers: Record<string, string> = { authorization: `Bearer ${cluster.token}` };
      let payload: string | FormData | undefined = body.form ?? body.raw;
      if (body.json !== undefined) {
        payload = JSON.stringify(body.json);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(cluster.controlUrl + path, { method, headers, body: payload, signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      return { status: res.status, text, body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : null };
    };
    cluster.deploy = (name, source, bindings = []) => {
      const form = new FormData();
      form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-01-01', bindings }));
      form.append('index.js', new Blob([source], { type: 'application/javascript+module' }), 'index.js');
      return cluster.api('PUT', `/api/v1/workers/${name}`, { form });
    };
    cluster.get = (i, host, path) => httpGet(cluster.edges[i]!.port, host, path);
    cluster.waitServing = async (host, body, edges, timeoutMs = 60_000) => {
      const which = edges ?? cluster.edges.map((_, i) => i);
      const deadline = Date.now() + timeoutMs;
      for (const i of which) {
        let last = '';
        for (;;) {
          try {
            const r = await cluster.get(i, host);
            if (r.status === 200 && r.text === body) break;
            last = `${r.status} ${r.text.slice(0, 200)}`;
          } catch (err) {
            last = (err as Error).message;
          }
          if (Date.now() > deadline) throw new Error(`edge ${cluster.edges[i]!.location} does not serve ${JSON.stringify(body)} for ${host} within ${timeoutMs} ms; it answers ${last}`);
          await sleep(50);
        }
      }
    };
    cluster.close = async () => {
      await Promise.all([...liveLoads].map((stop) => stop()));
      await Promise.all(procs.map((p) => p.signal('SIGKILL')));
      await nats?.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    // Edges start three at a time: each boots its isolate machinery, which takes seconds
    // of CPU, and ten at once on two cores would each take minutes.
    for (let i = 0; i < opts.locations.length; i += 3) {
      await Promise.all(opts.locations.slice(i, i + 3).map((l) => cluster.addEdge(l)));
    }
    cluster.edges.sort((a, b) => opts.locations.indexOf(a.location) - opts.locations.indexOf(b.location));
    return cluster;
  } catch (err) {
    await Promise.all(procs.map((p) => p.signal('SIGKILL')));
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Sets up a zone `host` routed to worker `name` (created by a first deploy). */
export async function routeHost(c: Cluster, host: string, name: string): Promise<void> {
  const z = await c.api('POST', '/api/v1/zones', { json: { hostname: host, origin: 'http://127.0.0.1:9' } });
  if (z.status !== 201) throw new Error(`zone ${host}: ${z.status} ${z.text}`);
  const r = await c.api('POST', '/api/v1/routes', { json: { pattern: `${host}/*`, worker: name } });
  if (r.status !== 201) throw new Error(`route ${host}/*: ${r.status} ${r.text}`);
}

export interface LoadResult {
  ok: number;
  /** Every request that failed, with what happened ("502 ...", "ECONNREFUSED", "wrong body ..."). */
  failures: string[];
}

/**
 * Keeps `concurrency` requests in flight on each of `targets` until stop() is called;
 * a request counts as ok when it answers 200 with a body `accept` takes.
 */
export function startLoad(targets: { port: number; host: string }[], accept: (body: string) => boolean, concurrency = 4): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { ok: 0, failures: [] };
  let running = true;
  const loops = targets.flatMap((t) => Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const r = await httpGet(t.port, t.host);
        if (r.status === 200 && accept(r.text)) result.ok++;
        else result.failures.push(`:${t.port} ${r.status} ${r.text.slice(0, 120)}`);
      } catch (err) {
        result.failures.push(`:${t.port} ${(err as Error).message}`);
        // A refused connection comes back at once: do not spin on it.
        await sleep(50);
      }
    }
  }));
  const stop = async () => {
    running = false;
    liveLoads.delete(stop);
    await Promise.all(loops);
    return result;
  };
  // A test that fails before it stops its load leaves it to close() (see startCluster).
  liveLoads.add(stop);
  return { stop };
}

const liveLoads = new Set<() => Promise<LoadResult>>();

/**
 * A TCP proxy on a free loopback port to `target` (host:port): cut() closes every
 * connection through it and refuses new ones; restore() lets them through again. It
 * stands for the network between one location and NATS.
 */
export async function startCuttableProxy(target: { host: string; port: number }): Promise<{ url: string; cut(): Promise<void>; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `nats://127.0.0.1:${port}`,
    async cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    async close() {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
