// Distributed mode when things go wrong: a bundle whose bytes do not match its hash is
// refused (the edge keeps its version and reports it), malformed records in the buckets
// and on the subjects are skipped and reported while everything keeps serving, and an
// edge restarted while NATS is down serves its last state, then catches up.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { ApiClient } from '../../src/cli/api-client.ts';
import { waitForLocations } from '../../src/cli/deploy-wait.ts';
import { encodeBundle } from '../../src/cluster/bundle-codec.ts';
import { bundleHash } from '../../src/control/upload.ts';
import { BUNDLE_BUCKET, CONTROL_BUCKET, KV_BUCKET } from '../../src/cluster/keys.ts';
import { EVENTS_SUBJECT, HEARTBEAT_SUBJECT, PURGE_SUBJECT } from '../../src/cluster/subjects.ts';
import { assertError, upload } from '../control/harness.ts';
import { edgeRequest, eventually, startOrigin, type Origin } from '../edge/helpers.ts';
import { startTestCluster, type TestCluster } from './cluster-harness.ts';

let c: TestCluster;
let origin: Origin;
let nc: NatsConnection;
const WAIT = 60_000;
const source = (text: string) => `export default { fetch() { return new Response(${JSON.stringify(text)}); } };`;

before(async () => {
  c = await startTestCluster({ locations: ['ams', 'fra'] });
  origin = await startOrigin();
  nc = await connect({ servers: c.nats.urls });
  assert.equal((await c.h.call('POST', '/api/v1/zones', { json: { hostname: 'r.test', origin: origin.url } })).status, 201);
  await upload(c.h, 'app', { source: source('good v1') });
  assert.equal((await c.h.call('POST', '/api/v1/routes', { json: { pattern: 'r.test/*', worker: 'app' } })).status, 201);
  for (const e of c.edges) await eventually(async () => assert.equal((await edgeRequest(e.edge, 'r.test', '/')).text, 'good v1'), WAIT);
});

after(async () => {
  await nc?.close();
  await c?.close();
  await origin?.close();
});

const problems = async () => {
  const reply = await c.h.call('GET', '/api/v1/locations');
  assert.equal(reply.status, 200, reply.text);
  return reply.body.locations as { location: string; problems: { code: string; subject: string; message: string }[] }[];
};

test('cluster: a bundle whose bytes do not match its hash is refused; the edges keep the previous version and report it', async () => {
  // Someone with access to the bucket put other code under the hash of v2's bundle
  // (edges fetch a bundle as soon as its version lands, so it is there from the start).
  const v2Modules = [{ name: 'index.js', type: 'esm' as const, content: new TextEncoder().encode(source('v2')) }];
  const store = await new Objm(nc).open(BUNDLE_BUCKET);
  await store.putBlob({ name: bundleHash({ format: 'modules', mainModule: 'index.js' }, v2Modules) },
    encodeBundle([{ name: 'index.js', type: 'esm', content: new TextEncoder().encode(source('evil')) }]));
  const v2 = (await upload(c.h, 'app', { source: source('v2'), deploy: false })).body.version;
  const dep = await c.h.call('POST', '/api/v1/workers/app/deployments', { json: { versions: [{ version_id: v2.id, percentage: 100 }] } });
  assert.equal(dep.status, 201, dep.text);

  await eventually(async () => {
    for (const l of await problems()) {
      const p = l.problems.find((x) => x.code === 'bundle_hash_mismatch');
      assert.ok(p, `${l.location} reports no refused bundle`);
      assert.equal(p.subject, v2.id);
      assert.match(p.message, /does not match its hash/);
    }
  }, WAIT);
  for (const e of c.edges) assert.equal((await edgeRequest(e.edge, 'r.test', '/')).text, 'good v1');
  const where = await c.h.call('GET', '/api/v1/workers/app/locations');
  assert.deepEqual(where.body.locations.map((l: any) => l.serving_current), [false, false], 'no edge claims to serve the refused version');
  assert.ok(c.logs.some((l) => l.msg === 'bundle refused' && l.code === 'bundle_hash_mismatch'), 'the edge logs the refusal');
  // What `atoll deploy` does after activating: it gives up after its timeout, naming the edges.
  const client = new ApiClient({ url: c.control.api.url, token: c.h.token });
  await assert.rejects(waitForLocations(client, 'app', v2.id, 1000, () => {}), (err: Error) => {
    assert.match(err.message, new RegExp(`version ${v2.id} is deployed, but after 1 s 2 of 2 healthy edge node\\(s\\) still do not serve it: ams/ams \\(serving ver_\\w+ 100%\\); fra/fra`));
    assert.match(err.message, /GET \/api\/v1\/locations/);
    return true;
  });

  // A good deploy afterwards is applied as usual, and clears the problem.
  await upload(c.h, 'app', { source: source('good v3') });
  for (const e of c.edges) await eventually(async () => assert.equal((await edgeRequest(e.edge, 'r.test', '/')).text, 'good v3'), WAIT);
  await eventually(async () => {
    for (const l of await problems()) assert.deepEqual(l.problems.filter((p) => p.code === 'bundle_hash_mismatch'), [], `${l.location} still reports the refusal`);
  }, WAIT);
});

test('cluster: malformed records in the buckets and on the subjects are skipped and reported; everything keeps serving', async () => {
  const control = await new Kvm(nc).open(CONTROL_BUCKET);
  await control.put('zone.acc_x.zone_bad', new TextEncoder().encode('not json'));
  await control.put('route.acc_x.route_bad', new TextEncoder().encode('{"id":"route_bad"}'));
  await control.put('nonsense.key', new TextEncoder().encode('{}'));
  const data = await new Kvm(nc).open(KV_BUCKET);
  await data.put('kvn_x.a2V5', new Uint8Array([1, 2, 3]));
  nc.publish(HEARTBEAT_SUBJECT, 'garbage');
  nc.publish(HEARTBEAT_SUBJECT, JSON.stringify({ location: 'x' }));
  nc.publish(EVENTS_SUBJECT, '{"origin":"x","event":{}}');
  nc.publish(PURGE_SUBJECT, '[]');
  await nc.flush();

  await eventually(async () => {
    for (const l of await problems()) {
      const subjects = l.problems.filter((p) => p.code === 'malformed_record').map((p) => p.subject).sort();
      assert.deepEqual(subjects, ['kvn_x.a2V5', 'nonsense.key', 'route.acc_x.route_bad', 'zone.acc_x.zone_bad'], `${l.location}: ${JSON.stringify(l.problems)}`);
    }
  }, WAIT);
  const named = (await problems())[0]!.problems.find((p) => p.subject === 'route.acc_x.route_bad')!;
  assert.match(named.message, /field "accountId" is not string/);
  assert.ok(c.logs.some((l) => l.msg === 'heartbeat skipped' && /not JSON/.test(String(l.error))));
  assert.ok(c.logs.some((l) => l.msg === 'invocation event skipped'));
  assert.ok(c.logs.some((l) => l.msg === 'purge message skipped'));

  // The API and the edges go on, and changes still propagate.
  assert.equal((await c.h.call('GET', '/api/v1/zones')).status, 200);
  await upload(c.h, 'app', { source: source('after garbage') });
  for (const e of c.edges) await eventually(async () => assert.equal((await edgeRequest(e.edge, 'r.test', '/')).text, 'after garbage'), WAIT);
});

test('cluster: an edge restarted while NATS is down serves its last state (worker and KV), then catches up when NATS returns', async () => {
  const ns = await c.h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'offline' } });
  const id = ns.body.namespace.id;
  assert.equal((await c.h.call('PUT', `/api/v1/kv/namespaces/${id}/values/k`, { body: 'kept', headers: { 'content-type': 'text/plain' } })).status, 200);
  await upload(c.h, 'kvr', {
    source: 'export default { async fetch(req, env) { return new Response("kv=" + await env.KV.get("k")); } };',
    metadata: { bindings: [{ type: 'kv_namespace', name: 'KV', namespace_id: id }] },
  });
  assert.equal((await c.h.call('POST', '/api/v1/routes', { json: { pattern: 'r.test/kv', worker: 'kvr' } })).status, 201);
  const ams = c.edges[0]!;
  await eventually(async () => assert.equal((await edgeRequest(ams.edge, 'r.test', '/kv')).text, 'kv=kept'), WAIT);

  await c.nats.stopAll();
  await ams.close();
  c.edges.splice(0, 1);
  // The API stays up and says why a change cannot be made now.
  assertError(await c.h.call('POST', '/api/v1/zones', { json: { hostname: 'down.test', origin: origin.url } }), 503, 'store_unavailable', 'retry in a few seconds');
  const again = await c.startEdge('ams');
  assert.equal(again.connected(), false);
  assert.equal((await edgeRequest(again.edge, 'r.test', '/')).text, 'after garbage', 'the worker serves from the local copy');
  assert.equal((await edgeRequest(again.edge, 'r.test', '/kv')).text, 'kv=kept', 'KV reads come from the local copy');

  await c.nats.startAll();
  await eventually(() => assert.equal(again.connected(), true), 60_000);
  await eventually(async () => {
    const reply = await upload(c.h, 'app', { source: source('after the outage') });
    assert.equal(reply.status, 201);
  }, 60_000);
  for (const e of c.edges) await eventually(async () => assert.equal((await edgeRequest(e.edge, 'r.test', '/')).text, 'after the outage'), 60_000);
});
