// A node's connection to the NATS cluster and the JetStream buckets atoll keeps there:
// the control records (KV), the KV data (KV), leases (KV) and the bundles (object store). Buckets are
// made on first use with min(3, cluster size) replicas; a bucket that exists is used as
// it is (its replica count is logged, never changed behind the operator's back).

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { BUNDLE_BUCKET, CONTROL_BUCKET, KV_BUCKET } from './keys.ts';
import { LEASE_BUCKET } from './lease.ts';
import { natsAuth } from './nats-auth.ts';

export type Log = (fields: Record<string, unknown>) => void;

export interface ClusterBuckets {
  nc: NatsConnection;
  control: KV;
  data: KV;
  bundles: ObjectStore;
  /** Leases (lease.ts): which edge runs the cron triggers. */
  leases: KV;
  /** The replica count of the control bucket as found or made. */
  replicas: number;
}

export interface ConnectOptions {
  /** nats://host:port URLs of one or more cluster members, with credentials in them if the servers want some (nats-auth.ts). */
  servers: string[];
  /** Shown in the server's connection list (`atoll-edge ams 1a2b`). */
  name: string;
  /** Keep trying until the first connection succeeds (edges start without NATS). */
  waitOnFirstConnect?: boolean;
  log: Log;
}

/** Connects; reconnects forever afterwards, so a node rides out a NATS restart. */
export async function connectNats(opts: ConnectOptions): Promise<NatsConnection> {
  const { servers, auth } = natsAuth(opts.servers);
  const nc = await connect({
    servers, ...auth, name: opts.name, maxReconnectAttempts: -1, reconnectTimeWait: 500,
    waitOnFirstConnect: opts.waitOnFirstConnect === true, timeout: 5000,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') opts.log({ level: s.type === 'disconnect' ? 'warn' : 'info', msg: `nats ${s.type}`, server: 'server' in s ? s.server : undefined });
    }
  })();
  return nc;
}

/** Members of the cluster the connection sees: 1 for a lone server. */
export function clusterSize(nc: NatsConnection): number {
  const info = nc.info;
  if (!info?.cluster) return 1;
  return Math.max(1, new Set(info.connect_urls ?? []).size);
}

/** Replica counts to try, best first: a 2-server cluster cannot place 3 replicas. */
function replicaChoices(nc: NatsConnection): number[] {
  const want = Math.min(3, clusterSize(nc));
  return [want, ...[2, 1].filter((r) => r < want)];
}

async function withReplicas<T>(nc: NatsConnection, what: string, log: Log, make: (replicas: number) => Promise<T>): Promise<T> {
  const choices = replicaChoices(nc);
  let last: unknown;
  for (const r of choices) {
    try {
      const made = await make(r);
      if (r < choices[0]!) log({ level: 'warn', msg: 'bucket made with fewer replicas than the cluster size asks for; it will not survive losing a server', bucket: what, replicas: r, wanted: choices[0] });
      return made;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`cannot create JetStream bucket ${what}: ${(last as Error).message}; check that the nats-server runs with JetStream enabled (-js) and has storage left`);
}

async function streamExists(nc: NatsConnection, stream: string): Promise<number | null> {
  const jsm = await jetstreamManager(nc);
  try {
    return (await jsm.streams.info(stream)).config.num_replicas;
  } catch (err) {
    if (/stream not found/i.test((err as Error).message)) return null;
    throw err;
  }
}

/** Opens atoll's buckets, making any that are missing. */
export async function openBuckets(nc: NatsConnection, log: Log): Promise<ClusterBuckets> {
  const kvm = new Kvm(nc);
  const objm = new Objm(nc);
  const kvBucket = async (name: string): Promise<{ kv: KV; replicas: number }> => {
    const existing = await streamExists(nc, `KV_${name}`);
    if (existing !== null) return { kv: await kvm.open(name), replicas: existing };
    return withReplicas(nc, name, log, async (replicas) => ({ kv: await kvm.create(name, { history: 1, replicas }), replicas }));
  };
  const control = await kvBucket(CONTROL_BUCKET);
  const data = await kvBucket(KV_BUCKET);
  const leases = await kvBucket(LEASE_BUCKET);
  const bundles = (await streamExists(nc, `OBJ_${BUNDLE_BUCKET}`)) !== null
    ? await objm.open(BUNDLE_BUCKET)
    : await withReplicas(nc, BUNDLE_BUCKET, log, (replicas) => objm.create(BUNDLE_BUCKET, { replicas }));
  log({ level: 'info', msg: 'jetstream buckets ready', control: CONTROL_BUCKET, kv: KV_BUCKET, bundles: BUNDLE_BUCKET, replicas: control.replicas });
  return { nc, control: control.kv, data: data.kv, bundles, leases: leases.kv, replicas: control.replicas };
}
