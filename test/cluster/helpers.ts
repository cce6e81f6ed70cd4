// Shared by the distributed-mode tests: removing atoll's JetStream buckets between tests
// that share one nats-server.

import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BUNDLE_BUCKET, CONTROL_BUCKET, KV_BUCKET } from '../../src/cluster/keys.ts';
import { LEASE_BUCKET } from '../../src/cluster/lease.ts';
import { KV_VALUES_BUCKET } from '../../src/cluster/nats-kv.ts';

export async function deleteBuckets(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const stream of [`KV_${CONTROL_BUCKET}`, `KV_${KV_BUCKET}`, `OBJ_${BUNDLE_BUCKET}`, `OBJ_${KV_VALUES_BUCKET}`, `KV_${LEASE_BUCKET}`]) {
    await jsm.streams.delete(stream).catch(() => {});
  }
}
