// Gradual rollouts by location: a new version reaches the first location only; when
// its error rate there rises above the previous version's, it is rolled back by itself
// everywhere; a healthy one moves on to the next location and completes. `atoll up`
// (one location) refuses a rollout naming the plain deploy. `atoll deploy --stage` starts one.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { CONTROL_BUCKET, controlKey } from '../../src/cluster/keys.ts';
import { encodeRecord } from '../../src/cluster/records.ts';
import { runAtoll } from '../cli/platform-harness.ts';
import { assertError, startHarness, upload } from '../control/harness.ts';
import { edgeRequest, eventually, startOrigin, type Origin } from '../edge/helpers.ts';
import { ROLLOUT_UNSTARTED_MS, startTestCluster, type TestCluster } from './cluster-harness.ts';

let c: TestCluster;
let origin: Origin;
const WAIT = 60_000;
const worker = (text: string, status = 200) => `export default { fetch() { return new Response(${JSON.stringify(text)}, { status: ${status} }); } };`;

before(async () => {
  c = await startTestCluster({ locations: ['ams', 'fra'] });
  origin = await startOrigin();
  assert.equal((await c.h.call('POST', '/api/v1/zones', { json: { hostname: 'ro.test', origin: origin.url } })).status, 201);
  await upload(c.h, 'app', { source: worker('v1') });
  assert.equal((await c.h.call('POST', '/api/v1/routes', { json: { pattern: 'ro.test/*', worker: 'app' } })).status, 201);
  for (const e of c.edges) await eventually(async () => assert.equal((await edgeRequest(e.edge, 'ro.test', '/')).text, 'v1'), WAIT);
});

after(async () => {
  await c?.close();
  await origin?.close();
});

const at = (location: string) => c.edges.find((e) => e.edge.location === location)!;
const hit = (location: string) => edgeRequest(at(location).edge, 'ro.test', '/');

test('cluster rollout: a failing version reaches the first location only, then is rolled back everywhere by itself', async () => {
  const bad = (await upload(c.h, 'app', { source: worker('v2 broken', 500), deploy: false })).body.version.id;
  const start = await c.h.call('POST', '/api/v1/workers/app/rollouts', { json: { version_id: bad, locations: ['ams', 'fra'], stage_seconds: 3600, min_requests: 5 } });
  assert.equal(start.status, 201, start.text);
  assert.deepEqual([start.body.rollout.state, start.body.rollout.reached], ['running', ['ams']]);
  await eventually(async () => assert.equal((await hit('ams')).text, 'v2 broken'), WAIT);
  assert.equal((await hit('fra')).text, 'v1', 'the next location keeps the previous version');

  // Traffic at both: the new version errs at ams, the previous one is fine at fra.
  await eventually(async () => {
    for (let i = 0; i < 5; i++) {
      await hit('fra');
      await hit('ams');
    }
    const r = (await c.h.call('GET', '/api/v1/workers/app/rollout')).body.rollout;
    assert.equal(r.state, 'rolled_back');
    assert.match(r.reason, /error rate of ver_\w+ in ams was 100\.0% \(\d+ of \d+\), above the previous version's 0\.0%/);
  }, WAIT);
  for (const loc of ['ams', 'fra']) await eventually(async () => assert.equal((await hit(loc)).text, 'v1'), WAIT);
  const current = (await c.h.call('GET', '/api/v1/workers/app')).body.deployment;
  assert.match(current.message, /^automatic rollback: /);
});

test('cluster rollout: a healthy version moves on stage by stage and completes', async () => {
  const good = (await upload(c.h, 'app', { source: worker('v3'), deploy: false })).body.version.id;
  const start = await c.h.call('POST', '/api/v1/workers/app/rollouts', { json: { version_id: good, locations: ['fra', 'ams'], stage_seconds: 1, min_requests: 3 } });
  assert.equal(start.status, 201, start.text);
  const again = await c.h.call('POST', '/api/v1/workers/app/rollouts', { json: { version_id: good, locations: ['fra'] } });
  assertError(again, 409, 'rollout_running', 'has a rollout running');
  await eventually(async () => assert.equal((await hit('fra')).text, 'v3'), WAIT);
  await eventually(async () => {
    for (let i = 0; i < 3; i++) {
      await hit('fra');
      await hit('ams');
    }
    assert.equal((await c.h.call('GET', '/api/v1/workers/app/rollout')).body.rollout.state, 'complete');
  }, WAIT);
  for (const loc of ['ams', 'fra']) await eventually(async () => assert.equal((await hit(loc)).text, 'v3'), WAIT);
});

test('rollouts: bad input is a 400 naming the field; atoll up (one location) refuses a rollout naming the plain deploy', async () => {
  assertError(await c.h.call('POST', '/api/v1/workers/app/rollouts', { json: { locations: ['ams'] } }), 400, 'invalid_rollout', '"version_id" is missing');
  assertError(await c.h.call('POST', '/api/v1/workers/app/rollouts', { json: { version_id: 'x', locations: ['a b'] } }), 400, 'invalid_rollout', '"locations" must list');
  assertError(await c.h.call('POST', '/api/v1/workers/app/rollouts', { json: { version_id: 'x', locations: ['ams'], stage_seconds: 0 } }), 400, 'invalid_rollout', '"stage_seconds"');
  assertError(await c.h.call('POST', '/api/v1/workers/app/rollouts', { json: { version_id: 'ver_nope', locations: ['ams'] } }), 404, 'not_found', 'ver_nope');
  const h = await startHarness();
  try {
    const v = (await upload(h, 'solo')).body.version.id;
    assertError(await h.call('POST', '/api/v1/workers/solo/rollouts', { json: { version_id: v, locations: ['local'] } }), 400, 'rollouts_unavailable', 'POST /api/v1/workers/NAME/deployments');
    assert.deepEqual((await h.call('GET', '/api/v1/workers/solo/rollout')).body, { rollout: null });
  } finally {
    await h.close();
  }
});

test('cluster rollout: atoll deploy --stage starts a rollout by location, and refuses a bad location list', async () => {
  const project = mkdtempSync(join(tmpdir(), 'atoll-rollout-cli-'));
  try {
    writeFileSync(join(project, 'wrangler.toml'), 'name = "app"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\n');
    writeFileSync(join(project, 'index.js'), worker('v4 staged'));
    const env = { ATOLL_API_URL: c.control.api.url, ATOLL_API_TOKEN: c.h.token };
    const r = await runAtoll(['deploy', '--stage', 'fra,ams', '--stage-seconds', '3600', '--min-requests', '1000'], { cwd: project, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Rolling out app: version ver_\w+ serves in fra now, then ams, 3600 s and at least 1000 requests a stage; rolled back by itself/);
    assert.doesNotMatch(r.stderr, /Waiting for the edge locations/);
    await eventually(async () => assert.equal((await hit('fra')).text, 'v4 staged'), WAIT);
    assert.equal((await hit('ams')).text, 'v3', 'the location not reached yet keeps the previous version');
    assert.equal((await c.h.call('GET', '/api/v1/workers/app/rollout')).body.rollout.state, 'running');

    const bad = await runAtoll(['deploy', '--stage', 'fra,fra'], { cwd: project, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"fra,fra" names a location twice/);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});

test('cluster rollout: between its record and its deployment, a rollout is starting, not replaced', async () => {
  // What a slow begin() looks like from the outside: the rollout record is in the bucket,
  // its deployment not yet. The rollout must wait for it, not be taken as replaced.
  const next = (await upload(c.h, 'app', { source: worker('v5 slow start'), deploy: false })).body.version.id;
  const current = c.control.store.state.getDeployment(accountId(), 'app')!;
  const now = Date.now();
  const record = {
    id: `rol_${randomBytes(12).toString('hex')}`, accountId: current.accountId, worker: 'app', from: current.versions, to: next,
    deploymentId: `dep_${randomBytes(12).toString('hex')}`, locations: ['fra', 'ams'], stage: 0, state: 'running',
    stageSince: now, stageMs: 3_600_000, minRequests: 1000, reason: '', updatedAt: now,
  };
  await putRollout(record);
  await new Promise((r) => setTimeout(r, 2000));
  const waiting = (await c.h.call('GET', '/api/v1/workers/app/rollout')).body.rollout;
  assert.deepEqual([waiting.id, waiting.state], [record.id, 'running'], 'several ticks later the rollout still waits for its deployment');

  await c.control.store.createDeployment({ id: record.deploymentId, accountId: current.accountId, worker: 'app', versions: [{ versionId: next, percentage: 100 }], message: '', authorTokenId: 'test', createdAt: now });
  await eventually(async () => assert.equal((await hit('fra')).text, 'v5 slow start'), WAIT);
  assert.notEqual((await hit('ams')).text, 'v5 slow start', 'the location not reached yet keeps the previous versions');

  // A plain deployment afterwards replaces it.
  const dep = await c.h.call('POST', '/api/v1/workers/app/deployments', { json: { versions: [{ version_id: next, percentage: 100 }] } });
  assert.equal(dep.status, 201, dep.text);
  await eventually(async () => assert.equal((await c.h.call('GET', '/api/v1/workers/app/rollout')).body.rollout.state, 'complete'), WAIT);
  for (const loc of ['ams', 'fra']) await eventually(async () => assert.equal((await hit(loc)).text, 'v5 slow start'), WAIT);
});

test('cluster rollout: a rollout whose deployment never appears (the call that began it failed) is marked rolled back', async () => {
  const current = c.control.store.state.getDeployment(accountId(), 'app')!;
  const served = (await hit('ams')).text;
  const now = Date.now();
  const record = {
    id: `rol_${randomBytes(12).toString('hex')}`, accountId: current.accountId, worker: 'app', from: current.versions, to: current.versions[0].versionId,
    deploymentId: `dep_${randomBytes(12).toString('hex')}`, locations: ['fra', 'ams'], stage: 0, state: 'running',
    stageSince: now, stageMs: 3_600_000, minRequests: 1000, reason: '', updatedAt: now,
  };
  await putRollout(record);
  await eventually(async () => {
    const r = (await c.h.call('GET', '/api/v1/workers/app/rollout')).body.rollout;
    assert.deepEqual([r.id, r.state], [record.id, 'rolled_back']);
    assert.match(r.reason, /its deployment was never written/);
  }, ROLLOUT_UNSTARTED_MS + WAIT);
  assert.ok(Date.now() - now >= ROLLOUT_UNSTARTED_MS, 'not before its deployment had time to appear');
  for (const loc of ['ams', 'fra']) assert.equal((await hit(loc)).text, served, 'nothing changed where it serves');
});

// Writes a rollout record straight into the control bucket, as begin() does first.
async function putRollout(record: { accountId: string; worker: string }): Promise<void> {
  const nc = await connect({ servers: c.nats.urls });
  try {
    await (await new Kvm(nc).open(CONTROL_BUCKET)).put(controlKey.rollout(record.accountId, record.worker), encodeRecord(record));
  } finally {
    await nc.close();
  }
}

function accountId(): string {
  const d = c.control.store.state.listCurrentDeployments().find((x) => x.worker === 'app');
  assert.ok(d, 'the worker has a deployment');
  return d.accountId;
}
