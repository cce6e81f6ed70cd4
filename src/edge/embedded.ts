// The embedded platform `atoll up` runs: the control API and one edge location in one
// process, their state in one data folder (SQLite for control state and KV, the secrets
// key beside them). The first start creates the operator's admin token (returned once,
// stored as a hash) and deploys a demo worker on the zone `localhost`.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { embeddedNode } from '../cluster/locations.ts';
import { startControlApi, type ControlApi } from '../control/api/server.ts';
import { bootstrap } from '../control/bootstrap.ts';
import { loadKeyring } from '../control/secrets.ts';
import { UserError } from '../runtime/errors.ts';
import { openSqliteControl, type SqliteControlStore } from '../store/control-sqlite.ts';
import { openSqliteKv, type SqliteKvStore } from '../store/sqlite-kv.ts';
import { controlSource } from './control-source.ts';
import { startEdgeCron, type EdgeCron } from './cron.ts';
import { deployDemo } from './demo.ts';
import { startEdge, type Edge } from './server.ts';
import type { ZonePurge } from '../cache/purge.ts';
import type { EdgeCacheOptions } from './edge-cache.ts';
import { setCodeCacheDir } from '../runtime/code-cache.ts';

export interface EmbeddedOptions {
  dataDir: string;
  ip: string;
  edgePort: number;
  apiPort: number;
  location: string;
  maxIsolates?: number;
  allowPrivateFetch?: boolean;
  /** Cache sizes; the cache's disk tier is `<dataDir>/cache`. */
  cache?: Pick<EdgeCacheOptions, 'maxMemoryBytes' | 'maxDiskBytes' | 'maxEntryBytes'>;
  /** Take client addresses from X-Forwarded-For (a proxy of the operator's is in front). */
  trustForwardedFor?: boolean;
  /** Serve HTTPS too: the port and the folder of NAME.crt / NAME.key files. */
  tls?: { port: number; certDir: string };
  /** The cron scheduler's clock (tests). */
  cronNow?: () => number;
  log(fields: Record<string, unknown>): void;
}

export interface Embedded {
  edge: Edge;
  api: ControlApi;
  /** The cron triggers' scheduler, fed from the control store. */
  cron: EdgeCron;
  dataDir: string;
  /** The admin token, on the first start only. */
  token: string | null;
  close(): Promise<void>;
}

function listenError(err: unknown, what: string, port: number, flag: string): UserError {
  // startEdge words its own error; the listen error underneath says which flag to change.
  const e = ((err as Error).cause ?? err) as NodeJS.ErrnoException;
  const why = e.code === 'EADDRINUSE' ? `port ${port} is in use; pick another with ${flag} (0 picks a free one)`
    : e.code === 'EACCES' ? `port ${port} needs privileges; pick one above 1023 with ${flag}`
      : e.code === 'EADDRNOTAVAIL' ? 'that address is not one of this machine\'s; pick another with --ip'
        : e.message;
  return new UserError(`atoll up: cannot start the ${what}: ${why}.`, 'listen_failed');
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  const dataDir = resolve(opts.dataDir);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => { for (const c of closers.reverse()) await c(); };
  try {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new UserError(`atoll up: cannot use ${dataDir} as the data folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; pick another with --data DIR.`, 'data_dir');
    }
    // Compiled tenant code (V8 code cache) survives restarts here; see src/runtime/code-cache.ts.
    setCodeCacheDir(join(dataDir, 'code-cache'));
    let keyring;
    try {
      keyring = loadKeyring(dataDir);
    } catch (err) {
      throw new UserError(`atoll up: ${(err as Error).message}`, 'secrets_key');
    }
    let store: SqliteControlStore;
    let kv: SqliteKvStore;
    try {
      store = await openSqliteControl(join(dataDir, 'control'), { log: opts.log });
      closers.push(() => store.close());
      kv = await openSqliteKv(join(dataDir, 'kv'));
      closers.push(() => kv.close());
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`atoll up: cannot open the data in ${dataDir}: ${(err as Error).message}; check the folder or pick another with --data DIR.`, 'data_dir');
    }
    // The API reports the one location (the edge starts after it, once the port is known).
    let edge: Edge | null = null;
    const api = await startControlApi({ store, kv, keyring, port: opts.apiPort, host: opts.ip, log: opts.log, locations: () => (edge ? [embeddedNode(edge.serving())] : []),
      purgeCache: async (p: ZonePurge) => (edge ? edge.purgeCache(p) : 0) })
      .catch((err) => { throw listenError(err, 'API', opts.apiPort, '--api-port'); });
    closers.push(() => api.close());
    edge = await startEdge({
      source: controlSource(store, keyring), location: opts.location, port: opts.edgePort, host: opts.ip, kv,
      maxIsolates: opts.maxIsolates, allowPrivateFetch: opts.allowPrivateFetch, trustForwardedFor: opts.trustForwardedFor, tls: opts.tls, log: opts.log,
      cache: { ...opts.cache, dir: join(dataDir, 'cache') },
    }).catch((err) => {
      if (err instanceof UserError && err.code === 'tls_certs') throw new UserError(`atoll up: ${err.message}`, err.code);
      const tlsPort = (err as { port?: number }).port === opts.tls?.port && opts.tls?.port !== opts.edgePort;
      throw tlsPort ? listenError(err, 'edge\'s TLS listener', opts.tls!.port, '--tls-port') : listenError(err, 'edge', opts.edgePort, '--port');
    });
    const started = edge;
    closers.push(() => started.close());
    const cron = await startEdgeCron({ store, edge: started, now: opts.cronNow, log: opts.log });
    closers.push(async () => cron.stop());
    const boot = await bootstrap(store);
    if (boot) await deployDemo(api.url, boot.token);
    return { edge: started, api, cron, dataDir, token: boot?.token ?? null, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
