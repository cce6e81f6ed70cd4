// An edge's bundle folder stays bounded: every version's bundle is fetched as it lands,
// and the ones the edge no longer needs (not deployed, not among a worker's newest
// versions) are deleted; deploying a deleted one fetches it again.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { KEEP_RECENT_VERSIONS } from '../../src/cluster/nats-edge-source.ts';
import { upload } from '../control/harness.ts';
import { edgeRequest, eventually, startOrigin, type Origin } from '../edge/helpers.ts';
import { startTestCluster, type TestCluster } from './cluster-harness.ts';

let c: TestCluster;
let origin: Origin;
const WAIT = 60_000;
const source = (text: string) => `export default { fetch() { return new Response(${JSON.stringify(text)}); } };`;

before(async () => {
  c = await startTestCluster({ locations: ['ams'] });
  origin = await startOrigin();
  assert.equal((await c.h.call('POST', '/api/v1/zones', { json: { hostname: 'b.test', origin: origin.url } })).status, 201);
});

after(async () => {
  await c?.close();
  await origin?.close();
});

test('cluster: an edge keeps the bundles of deployed and recent versions only; a deleted one is fetched again when deployed', async () => {
  const folder = join(c.dir, 'edge-ams', 'mirror', 'bundles');
  const onDisk = () => new Set(readdirSync(folder));
  const versions: { id: string; hash: string }[] = [];
  versions.push((await upload(c.h, 'app', { source: source('v1') })).body.version);
  assert.equal((await c.h.call('POST', '/api/v1/routes', { json: { pattern: 'b.test/*', worker: 'app' } })).status, 201);
  // A write a crash cut short long ago, left in the folder.
  const stale = join(folder, `${'e'.repeat(64)}.tmp`);
  writeFileSync(stale, 'partial');
  utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
  for (let i = 2; i <= KEEP_RECENT_VERSIONS + 3; i++) versions.push((await upload(c.h, 'app', { source: source(`v${i}`), deploy: false })).body.version);
  const [edge] = c.edges;
  await eventually(async () => assert.equal((await edgeRequest(edge.edge, 'b.test', '/')).text, 'v1'), WAIT);

  // Deployed (v1) and the newest KEEP_RECENT_VERSIONS stay; v2 and v3 go.
  const newest = versions.slice(-KEEP_RECENT_VERSIONS);
  const expected = new Set([versions[0], ...newest].map((v) => v.hash));
  await eventually(() => assert.deepEqual(onDisk(), expected), WAIT);
  assert.ok(!existsSync(stale), 'the stale partial write is gone');
  const logged = c.logs.filter((l) => l.msg === 'bundles pruned').reduce((n, l) => n + (l.files as number), 0);
  assert.equal(logged, 3, 'the edge logs what it deleted: 2 bundles and the partial write');

  // Deploying a version whose bundle was deleted: fetched again, served, and kept.
  const v2 = versions[1];
  assert.ok(!onDisk().has(v2.hash));
  const dep = await c.h.call('POST', '/api/v1/workers/app/deployments', { json: { versions: [{ version_id: v2.id, percentage: 100 }] } });
  assert.equal(dep.status, 201, dep.text);
  await eventually(async () => assert.equal((await edgeRequest(edge.edge, 'b.test', '/')).text, 'v2'), WAIT);
  // v1 is neither deployed nor recent any more.
  await eventually(() => assert.deepEqual(onDisk(), new Set([v2, ...newest].map((v) => v.hash))), WAIT);
});
