// `atoll control`: a stateless control process. Its state is the cluster's (JetStream
// buckets), so several can run behind any load balancer; each serves the same /api/v1
// REST API as `atoll up`, hears every edge's heartbeat (GET .../locations) and
// invocation events (tail, /metrics), and sweeps expired KV entries.

import type { NatsConnection } from '@nats-io/transport-node';
import { startControlApi, type ControlApi } from '../control/api/server.ts';
import { bootstrap } from '../control/bootstrap.ts';
import type { Keyring } from '../control/secrets.ts';
import { processTelemetry } from '../observe/telemetry.ts';
import { redactNatsUrl } from './nats-auth.ts';
import { connectNats, openBuckets, type Log } from './connection.ts';
import { receiveEvents } from './events.ts';
import { NodeBook, parseNodeReport } from './locations.ts';
import { openNatsControl, type NatsControlStore } from './nats-control-store.ts';
import { NatsKvStore, openValueStore } from './nats-kv.ts';
import { natsPurgeChannel, type PurgeChannel } from './purge.ts';
import { RolloutController } from './rollout.ts';
import { FORGET_AFTER_MS, HEALTHY_WITHIN_MS, HEARTBEAT_SUBJECT } from './subjects.ts';

const SWEEP_INTERVAL_MS = 60_000;

export interface ClusterControlOptions {
  nats: string[];
  ip: string;
  apiPort: number;
  keyring: Keyring;
  log: Log;
  /** How long a rollout whose deployment never appears waits before it is marked rolled back (tests shorten it). */
  rolloutUnstartedMs?: number;
}

export interface ClusterControl {
  api: ControlApi;
  store: NatsControlStore;
  nodes: NodeBook;
  purges: PurgeChannel;
  /** The admin token, when this process made the operator account (the cluster's first start). */
  token: string | null;
  close(): Promise<void>;
}

export async function startClusterControl(opts: ClusterControlOptions): Promise<ClusterControl> {
  let nc: NatsConnection;
  try {
    nc = await connectNats({ servers: opts.nats, name: 'atoll-control', log: opts.log });
  } catch (err) {
    throw new Error(`cannot reach NATS at ${opts.nats.map(redactNatsUrl).join(',')}: ${(err as Error).message}; start nats-server (scripts/cluster-up) or fix --nats`);
  }
  const closers: (() => Promise<void>)[] = [async () => { await nc.close(); }];
  const closeAll = async () => { for (const c of closers.reverse()) await c().catch(() => {}); };
  try {
    const buckets = await openBuckets(nc, opts.log);
    const store = await openNatsControl(buckets, opts.log);
    closers.push(() => store.close());
    const kv = new NatsKvStore(buckets.data, await openValueStore(nc, buckets.replicas));
    const nodes = new NodeBook(HEALTHY_WITHIN_MS, FORGET_AFTER_MS);
    const hb = nc.subscribe(HEARTBEAT_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        try {
          nodes.heard(parseNodeReport(msg.data));
        } catch (e) {
          opts.log({ level: 'warn', msg: 'heartbeat skipped', subject: HEARTBEAT_SUBJECT, error: (e as Error).message });
        }
      },
    });
    closers.push(async () => hb.unsubscribe());
    const stopEvents = receiveEvents(nc, processTelemetry, opts.log);
    closers.push(async () => stopEvents());
    const purges = natsPurgeChannel(nc, opts.log);
    const sweep = setInterval(() => {
      kv.sweep().catch((err) => opts.log({ level: 'error', msg: 'KV sweep failed', error: (err as Error).message }));
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
    closers.push(async () => clearInterval(sweep));
    const boot = await bootstrap(store);
    const rollouts = new RolloutController({ kv: buckets.control, store, telemetry: processTelemetry, log: opts.log, unstartedMs: opts.rolloutUnstartedMs });
    closers.push(async () => rollouts.stop());
    const api = await startControlApi({ store, kv, keyring: opts.keyring, port: opts.apiPort, host: opts.ip, log: opts.log, locations: () => nodes.list(), rollouts,
      // Every edge of every location hears it; how many entries each dropped is not collected.
      purgeCache: async (purge) => { purges.publish(purge); return null; },
    });
    closers.push(() => api.close());
    return { api, store, nodes, purges, token: boot?.token ?? null, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
