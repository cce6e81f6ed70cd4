// `atoll edge`: one edge node of one location in distributed mode. It serves from its
// local copy at once (so it starts, and keeps serving, without NATS or the control
// plane), connects to NATS in the background and keeps trying until it does, then
// follows the control and KV buckets, sends its invocation events and a heartbeat
// (which versions it serves, its problems) and hears cache purges. The one node holding
// the cron lease runs the cron triggers (a trigger fires once, not once per location).

import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Keyring } from '../control/secrets.ts';
import { startEdgeCron, type EdgeCron } from '../edge/cron.ts';
import { startEdge, type Edge } from '../edge/server.ts';
import { processTelemetry } from '../observe/telemetry.ts';
import { openSqliteKv } from '../store/sqlite-kv.ts';
import { redactNatsUrl } from './nats-auth.ts';
import { connectNats, openBuckets, type Log } from './connection.ts';
import { EdgeKv } from './edge-kv.ts';
import { EdgeMirror } from './edge-mirror.ts';
import { setCodeCacheDir } from '../runtime/code-cache.ts';
import { Lease } from './lease.ts';
import { publishEvents } from './events.ts';
import type { NodeReport } from './locations.ts';
import { NatsEdgeSource } from './nats-edge-source.ts';
import { NatsKvStore, openValueStore } from './nats-kv.ts';
import { localPurgeChannel, natsPurgeChannel, type PurgeChannel, type PurgeMessage } from './purge.ts';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_SUBJECT } from './subjects.ts';

export interface ClusterEdgeOptions {
  nats: string[];
  location: string;
  /** This node's id within its location; kept in `<dataDir>/node-id` when not given. */
  node?: string;
  dataDir: string;
  ip: string;
  port: number;
  keyring: Keyring;
  maxIsolates?: number;
  allowPrivateFetch?: boolean;
  /** Believe X-Forwarded-For (behind a proxy the operator runs). */
  trustForwardedFor?: boolean;
  /** HTTPS beside HTTP, certificates from a folder (src/edge/tls-certs.ts). */
  tls?: { port: number; certDir: string };
  heartbeatMs?: number;
  /** The cron lease's term (tests shorten it). */
  cronLeaseMs?: number;
  /** How long after a version or deployment change unneeded bundles are deleted (tests shorten it). */
  bundlePruneDelayMs?: number;
  log: Log;
}

export interface ClusterEdge {
  edge: Edge;
  source: NatsEdgeSource;
  node: string;
  /** Cache purges from every location (this node's own included). */
  purges: PurgeChannel;
  /** Whether the node is connected to NATS and following the buckets. */
  connected(): boolean;
  /** Resolves once the node has connected and caught up with the buckets. */
  ready: Promise<void>;
  report(): NodeReport;
  /** The cron scheduler, while this node holds the cron lease (one node in the cluster does). */
  cron(): EdgeCron | null;
  close(): Promise<void>;
}

/** How long a cron lease lasts unrenewed; the holder renews every third of it. */
const CRON_LEASE_MS = 15_000;

function nodeId(dataDir: string, given: string | undefined): string {
  if (given) return given;
  const file = join(dataDir, 'node-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = randomBytes(4).toString('hex');
  writeFileSync(file, `${id}\n`);
  return id;
}

export async function startClusterEdge(opts: ClusterEdgeOptions): Promise<ClusterEdge> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const node = nodeId(dataDir, opts.node);
  const log: Log = (fields) => opts.log({ location: opts.location, node, ...fields });
  // Compiled tenant code (V8 code cache) survives restarts here; see src/runtime/code-cache.ts.
  setCodeCacheDir(join(dataDir, 'code-cache'));
  const mirror = new EdgeMirror(join(dataDir, 'mirror'));
  const localKv = await openSqliteKv(join(dataDir, 'kv'), { synchronous: 'normal' });
  const source = new NatsEdgeSource({ mirror, location: opts.location, keyring: opts.keyring, log, pruneDelayMs: opts.bundlePruneDelayMs });
  const kv = new EdgeKv(localKv, mirror, log);
  let edge: Edge;
  try {
    edge = await startEdge({
      source, location: opts.location, port: opts.port, host: opts.ip, kv, cache: { dir: join(dataDir, 'cache') },
      maxIsolates: opts.maxIsolates, allowPrivateFetch: opts.allowPrivateFetch, trustForwardedFor: opts.trustForwardedFor, tls: opts.tls, log: opts.log,
    });
  } catch (err) {
    await localKv.close();
    mirror.close();
    throw err;
  }

  const local = localPurgeChannel(log);
  let nc: NatsConnection | null = null;
  let remotePurges: PurgeChannel | null = null;
  let following = false;
  let lease: Lease | null = null;
  let cron: EdgeCron | null = null;
  let closed = false;
  const stops: (() => void)[] = [];

  const report = (): NodeReport => ({
    location: opts.location, node, at: Date.now(), connected: following,
    serving: edge.serving().workers.map((w) => ({ accountId: w.accountId, worker: w.worker, versions: w.versions })),
    problems: [...source.problems(), ...kv.problems.values()],
  });
  const beat = () => {
    if (following && nc && !nc.isClosed()) nc.publish(HEARTBEAT_SUBJECT, JSON.stringify(report()));
  };
  source.onApplied = beat;
  const timer = setInterval(() => {
    beat();
    if (following) source.retryPending().catch((err) => log({ level: 'error', msg: 'pending deployments retry failed', error: (err as Error).message }));
  }, opts.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);

  // Connects in the background, retrying until it succeeds or the node closes.
  const ready = (async () => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        nc = await connectNats({ servers: opts.nats, name: `atoll-edge ${opts.location} ${node}`, log });
        break;
      } catch (err) {
        if (attempt === 0) log({ level: 'warn', msg: 'NATS not reachable; serving the local copy and retrying', nats: opts.nats.map(redactNatsUrl), error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (closed || !nc) return;
    const buckets = await openBuckets(nc, log);
    await source.attach({ watch: buckets.control, bundles: buckets.bundles });
    const values = await openValueStore(nc, buckets.replicas);
    await kv.attach(buckets.data, values, new NatsKvStore(buckets.data, values));
    stops.push(publishEvents(nc, processTelemetry));
    remotePurges = natsPurgeChannel(nc, log);
    stops.push(remotePurges.onPurge((m) => local.publish(m)));
    // Every purge from any control process empties this location's cache as asked.
    stops.push(local.onPurge((m) => {
      edge.purgeCache(m).catch((err) => log({ level: 'error', msg: 'cache purge failed', zone: m.zoneId, error: (err as Error).message }));
    }));
    following = true;
    lease = new Lease({
      kv: buckets.leases, name: 'cron', holder: `${opts.location}/${node}`, termMs: opts.cronLeaseMs ?? CRON_LEASE_MS, log,
      onAcquire: () => {
        startEdgeCron({ store: source.schedules(), edge, log })
          .then((c) => { if (lease?.held && !closed) cron = c; else c.stop(); })
          .catch((err) => log({ level: 'error', msg: 'cron scheduler failed to start', error: (err as Error).message }));
      },
      onLose: () => {
        cron?.stop();
        cron = null;
      },
    });
    lease.start();
    log({ level: 'info', msg: 'edge following the cluster', nats: opts.nats.map(redactNatsUrl) });
    beat();
  })();
  ready.catch((err) => log({ level: 'error', msg: 'edge could not join the cluster; serving the local copy', error: (err as Error).stack }));

  return {
    edge, source, node, ready,
    purges: {
      // Through NATS when connected, so every location hears it; here alone otherwise.
      publish(m: PurgeMessage) {
        if (remotePurges) remotePurges.publish(m);
        else local.publish(m);
      },
      onPurge: (fn) => local.onPurge(fn),
    },
    connected: () => following,
    report,
    cron: () => cron,
    async close() {
      closed = true;
      clearInterval(timer);
      source.detach();
      for (const stop of stops) stop();
      await lease?.stop();
      await edge.close();
      source.stop();
      await kv.close();
      if (nc) await (nc as NatsConnection).close();
      await localKv.close();
      mirror.close();
    },
  };
}
