// startControlApi: the REST API on a node:http server. `atoll up` and `atoll control`
// call it with their stores; tests call it on an ephemeral port.

import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { LocationsProvider } from '../../cluster/locations.ts';
import type { Rollouts } from '../../cluster/rollout.ts';
import type { ControlStore } from '../../store/control.ts';
import type { KvStore } from '../../store/kv.ts';
import type { ZonePurge } from '../../cache/purge.ts';
import type { Keyring } from '../secrets.ts';
import { DEFAULT_BUNDLE_LIMIT } from '../upload.ts';
import { createControlApp } from './app.ts';
import type { Log } from './context.ts';

export interface ControlApiOptions {
  store: ControlStore;
  kv: KvStore;
  /** From loadKeyring(dataDir). */
  keyring: Keyring;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  bundleLimit?: number;
  /** Structured log lines; defaults to JSON on stderr. */
  log?: Log;
  now?: () => number;
  /** Where cache purges go (ApiDeps.purgeCache). */
  purgeCache?: (purge: ZonePurge) => Promise<number | null>;
  /** Edge nodes' reports (`atoll up`: its one edge; `atoll control`: heartbeats). */
  locations?: LocationsProvider;
  /** Gradual rollouts by location (`atoll control` only). */
  rollouts?: Rollouts;
}

export interface ControlApi {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const stderrLog: Log = (fields) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);

export async function startControlApi(options: ControlApiOptions): Promise<ControlApi> {
  const app = createControlApp({
    store: options.store, kv: options.kv, keyring: options.keyring, bundleLimit: options.bundleLimit ?? DEFAULT_BUNDLE_LIMIT,
    purgeCache: options.purgeCache,
    log: options.log ?? stderrLog, now: options.now ?? Date.now, locations: options.locations, rollouts: options.rollouts,
  });
  const host = options.host ?? '127.0.0.1';
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`, host, port,
    close: () => new Promise((resolve, reject) => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
