// Test harness: real nats-server processes (one, or a cluster of three) on free
// loopback ports, each with JetStream on its own data directory, for tests and benches
// of the distributed mode. Every server started here is killed when the test process
// exits, even on failure; temporary directories made here are removed.
//
//   const nats = await startNatsCluster({ servers: 3 });
//   t.after(() => nats.stop());
//   await connect({ servers: nats.urls });
//   await nats.kill(0);          // SIGKILL one server
//   await nats.restart(0);       // same ports, same data; waits until it is back in
//   await nats.stopAll();        // "NATS entirely down"
//   await nats.startAll();

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { writeNatsConfigs } from '../../src/cluster/nats-config-files.ts';
import { natsClusterSpecs } from '../../src/cluster/nats-server-config.ts';

export interface NatsCluster {
  /** Client URL of each server, `nats://127.0.0.1:PORT`. */
  urls: string[];
  /** The client URLs comma-joined, as `atoll control --nats` and `atoll edge --nats` take them. */
  url: string;
  /** Monitoring URL of each server (`/healthz`, `/jsz`, `/varz`). */
  httpUrls: string[];
  /** Config files and data live under here. */
  dir: string;
  /** Log file of server i. */
  logFile(i: number): string;
  /** Whether server i is running. */
  running(i: number): boolean;
  /** Process id of server i, while it runs. */
  pid(i: number): number | undefined;
  /** Index of the server leading this JetStream stream (`KV_<bucket>`, `OBJ_<bucket>`). */
  streamLeader(stream: string): Promise<number>;
  /** Index of the JetStream meta leader (clusters only). */
  metaLeader(): Promise<number>;
  /** SIGKILL server i and wait for it to exit: no shutdown, no flush. */
  kill(i: number): Promise<void>;
  /** Start server i again (stopping it first if it runs) on its ports and data; waits until it is ready. */
  restart(i: number): Promise<void>;
  /** Stop every server (SIGTERM, a clean shutdown) and wait for them to exit. */
  stopAll(): Promise<void>;
  /** Start every stopped server and wait until JetStream is ready again. */
  startAll(): Promise<void>;
  /** Stop every server and remove the directory if the harness made it. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartNatsOptions {
  servers: 1 | 3;
  /** Where configs and data go; a new temporary directory (removed by stop()) unless given. */
  dir?: string;
  /** How long to wait for JetStream to be ready, in ms (default 30 s). */
  readyTimeoutMs?: number;
}

/** The nats-server binary: $ATOLL_NATS_SERVER, else `nats-server` on PATH or in /usr/sbin. */
export function natsServerBinary(): string {
  if (process.env.ATOLL_NATS_SERVER) return process.env.ATOLL_NATS_SERVER;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, 'nats-server');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  throw new Error('nats-server not found on PATH or in /usr/sbin: install it (apt-get install nats-server) or set ATOLL_NATS_SERVER');
}

// Everything alive, for the exit-time sweep.
const liveChildren = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
let sweepInstalled = false;

function sweep(): void {
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const d of ownedDirs) rmSync(d, { recursive: true, force: true });
  ownedDirs.clear();
}

function installSweep(): void {
  if (sweepInstalled) return;
  sweepInstalled = true;
  process.on('exit', sweep);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      sweep();
      process.removeListener(sig, onSignal);
      // Die of the same signal, as the process would have without this handler.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/**
 * Kills `child` (SIGKILL) if it is still running when this process exits, as the harness
 * does for its nats-servers; for the atoll processes that cluster tests start.
 */
export function killOnExit(child: ChildProcess): void {
  installSweep();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** n distinct ports that were free a moment ago on 127.0.0.1. */
export async function freePorts(n: number): Promise<number[]> {
  // Hold all n open at once so they differ, then release them together.
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<Server>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: res.status, body };
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface Member {
  conf: string;
  log: string;
  http: string;
  child: ChildProcess | null;
  exited: Promise<void> | null;
}

export async function startNatsCluster(options: StartNatsOptions): Promise<NatsCluster> {
  if (options.servers !== 1 && options.servers !== 3) {
    throw new Error(`startNatsCluster: servers must be 1 or 3, got ${String(options.servers)}`);
  }
  const binary = natsServerBinary();
  installSweep();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'atoll-nats-'));
  if (ownDir) ownedDirs.add(dir);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const n = options.servers;

  let members: Member[] = [];
  let urls: string[] = [];
  let specNames: string[] = [];

  function startMember(m: Member): void {
    const fd = openSync(m.log, 'a');
    const child = spawn(binary, ['-c', m.conf], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    liveChildren.add(child);
    m.child = child;
    m.exited = new Promise((resolve) => {
      child.once('exit', () => {
        liveChildren.delete(child);
        if (m.child === child) m.child = null;
        resolve();
      });
    });
  }

  async function signalAndWait(m: Member, sig: NodeJS.Signals): Promise<void> {
    if (!m.child) return;
    m.child.kill(sig);
    await m.exited;
  }

  /** Ready: each of `which` answers /healthz ok, and in a cluster all agree on a meta leader. */
  async function waitReady(which: number[]): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const dead = which.find((i) => !members[i]!.child);
      if (dead !== undefined) {
        throw new Error(`nats-server ${dead} exited while starting; its log ends:\n${tail(members[dead]!.log)}`);
      }
      try {
        const leaders = new Set<string>();
        let ok = true;
        for (const i of which) {
          const h = await getJson(`${members[i]!.http}/healthz`);
          if (h.status !== 200) {
            ok = false;
            last = `server ${i} /healthz: ${JSON.stringify(h.body)}`;
            break;
          }
          if (n > 1) {
            const jsz = (await getJson(`${members[i]!.http}/jsz`)).body as { meta_cluster?: { leader?: string } };
            const leader = jsz.meta_cluster?.leader ?? '';
            if (!leader) {
              ok = false;
              last = `server ${i} knows no JetStream meta leader yet`;
              break;
            }
            leaders.add(leader);
          }
        }
        if (ok && leaders.size <= 1) return;
        if (ok) last = `servers disagree on the meta leader: ${[...leaders].join(', ')}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(50);
    }
    throw new Error(`nats-server not ready within ${readyTimeoutMs} ms (${last}); log of server ${which[0]}:\n${tail(members[which[0]!]!.log)}`);
  }

  // A port picked free can be taken by another process before nats-server binds it;
  // then that server exits at once, and the whole set starts again on new ports.
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts(n * 3);
    const plan = Array.from({ length: n }, (_, i) => ({
      clientPort: ports[i * 3]!,
      clusterPort: ports[i * 3 + 1]!,
      httpPort: ports[i * 3 + 2]!,
      storeDir: join(dir, `data-${attempt}-${i + 1}`),
    }));
    const specs = natsClusterSpecs({ name: 'atoll-test', servers: plan });
    const confs = await writeNatsConfigs(join(dir, `conf-${attempt}`), specs);
    members = specs.map((s, i) => ({
      conf: confs[i]!,
      log: join(dir, `${s.name}.log`),
      http: `http://127.0.0.1:${plan[i]!.httpPort}`,
      child: null,
      exited: null,
    }));
    urls = plan.map((p) => `nats://127.0.0.1:${p.clientPort}`);
    specNames = specs.map((s) => s.name);
    for (const m of members) startMember(m);
    try {
      await waitReady(members.map((_, i) => i));
      break;
    } catch (err) {
      await Promise.all(members.map((m) => signalAndWait(m, 'SIGKILL')));
      const inUse = members.some((m) => /address already in use/i.test(tail(m.log, 40)));
      if (!inUse || attempt >= 3) {
        if (ownDir) {
          rmSync(dir, { recursive: true, force: true });
          ownedDirs.delete(dir);
        }
        throw err;
      }
    }
  }

  const check = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`no nats-server ${i}: this cluster has servers 0..${n - 1}`);
    return members[i]!;
  };
  const liveIndexes = () => members.flatMap((m, i) => (m.child ? [i] : []));

  const indexOfName = (name: string | undefined, what: string): number => {
    const i = specNames.indexOf(name ?? '');
    if (i < 0) throw new Error(`no server leads ${what} (the cluster answered ${JSON.stringify(name ?? null)})`);
    return i;
  };
  const jsz = async (query: string): Promise<any> => {
    const live = liveIndexes();
    if (live.length === 0) throw new Error('no nats-server is running');
    return (await getJson(`${members[live[0]!]!.http}/jsz${query}`)).body;
  };

  return {
    urls,
    url: urls.join(','),
    async streamLeader(stream) {
      const body = await jsz('?accounts=true&streams=true');
      for (const account of body.account_details ?? []) {
        for (const st of account.stream_detail ?? []) {
          if (st.name === stream) return indexOfName(st.cluster?.leader ?? (n === 1 ? specNames[0] : undefined), `stream ${stream}`);
        }
      }
      throw new Error(`no stream ${stream} in the cluster`);
    },
    async metaLeader() {
      return indexOfName((await jsz('')).meta_cluster?.leader, 'the JetStream meta group');
    },
    httpUrls: members.map((m) => m.http),
    dir,
    logFile: (i) => check(i).log,
    running: (i) => check(i).child !== null,
    pid: (i) => check(i).child?.pid,
    async kill(i) {
      await signalAndWait(check(i), 'SIGKILL');
    },
    async restart(i) {
      const m = check(i);
      await signalAndWait(m, 'SIGTERM');
      startMember(m);
      const live = liveIndexes();
      // Without a majority no meta leader can exist: then "ready" is only "answering".
      if (n === 1 || live.length * 2 > n) await waitReady(live);
      else await waitAnswering(m);
    },
    async stopAll() {
      await Promise.all(members.map((m) => signalAndWait(m, 'SIGTERM')));
    },
    async startAll() {
      for (const m of members) if (!m.child) startMember(m);
      await waitReady(members.map((_, i) => i));
    },
    async stop() {
      await Promise.all(members.map((m) => signalAndWait(m, 'SIGKILL')));
      if (ownDir) {
        rmSync(dir, { recursive: true, force: true });
        ownedDirs.delete(dir);
      }
    },
  };

  async function waitAnswering(m: Member): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (!m.child) throw new Error(`nats-server exited while starting; its log ends:\n${tail(m.log)}`);
      try {
        if ((await getJson(`${m.http}/varz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`nats-server did not answer within ${readyTimeoutMs} ms; its log ends:\n${tail(m.log)}`);
  }
}
