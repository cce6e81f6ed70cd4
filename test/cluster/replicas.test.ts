// Buckets get min(3, cluster size) replicas: 3 on a three-server cluster, so the state
// survives the loss of one server (the fault tests, test/cluster/faults*.test.ts, kill one).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager } from '@nats-io/jetstream';
import { clusterSize, connectNats, openBuckets } from '../../src/cluster/connection.ts';
import { startNatsCluster } from '../helpers/nats.ts';

test('cluster buckets: three replicas each on a three-server cluster', async (t) => {
  const nats = await startNatsCluster({ servers: 3 });
  t.after(() => nats.stop());
  const nc = await connectNats({ servers: [nats.urls[1]!], name: 'replicas', log: () => {} });
  t.after(() => nc.close());
  assert.equal(clusterSize(nc), 3);
  const buckets = await openBuckets(nc, () => {});
  assert.equal(buckets.replicas, 3);
  const jsm = await jetstreamManager(nc);
  for (const stream of ['KV_atoll_control', 'KV_atoll_kv', 'OBJ_atoll_bundles']) {
    assert.equal((await jsm.streams.info(stream)).config.num_replicas, 3, stream);
  }
});
