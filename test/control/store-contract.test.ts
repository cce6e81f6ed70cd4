// The ControlStore contract: every engine runs these (the NATS JetStream engine of issue
// 6 joins `engines`). Engine-specific checks (schema version, kill -9) live beside the
// engine's own tests (store.test.ts for SQLite).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlConflictError, type ControlChange, type ControlStore, type Deployment, type Version } from '../../src/store/control.ts';
import { openSqliteControl } from '../../src/store/control-sqlite.ts';
import { connectNats, openBuckets } from '../../src/cluster/connection.ts';
import { openNatsControl } from '../../src/cluster/nats-control-store.ts';
import { deleteBuckets } from '../cluster/helpers.ts';
import { startNatsCluster, type NatsCluster } from '../helpers/nats.ts';

interface Engine {
  name: string;
  open(): Promise<{ store: ControlStore; cleanup(): Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'SqliteControlStore',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'atoll-control-contract-'));
      const store = await openSqliteControl(dir, { log: () => {} });
      return { store, async cleanup() { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    // One nats-server for the file; each test gets the buckets new and deletes them after.
    name: 'NatsControlStore',
    async open() {
      nats ??= await startNatsCluster({ servers: 1 });
      const nc = await connectNats({ servers: nats.urls, name: 'contract', log: () => {} });
      const store = await openNatsControl(await openBuckets(nc, () => {}), () => {});
      return { store, async cleanup() { await store.close(); await deleteBuckets(nc); await nc.close(); } };
    },
  },
];

let nats: NatsCluster | undefined;
after(() => nats?.stop());

function version(id: string, worker = 'api', hash = 'h1'): Version {
  return {
    id, accountId: 'acc_1', worker, hash, format: 'modules', mainModule: 'index.js', compatibilityDate: '2026-01-01',
    compatibilityFlags: [], bindings: [{ type: 'plain_text', name: 'A', text: 'b' }], limits: { cpu_ms: 10 }, message: `msg ${id}`,
    authorTokenId: 'tok_1', createdAt: Date.now(), size: 2,
  };
}

function deployment(id: string, versionId: string, worker = 'api'): Deployment {
  return { id, accountId: 'acc_1', worker, versions: [{ versionId, percentage: 100 }], message: '', authorTokenId: 'tok_1', createdAt: Date.now() };
}

const modules = [{ name: 'index.js', type: 'esm' as const, content: new TextEncoder().encode('1;') }];

for (const engine of engines) {
  const withStore = async (fn: (store: ControlStore) => Promise<void>) => {
    const { store, cleanup } = await engine.open();
    try {
      await store.createAccount({ id: 'acc_1', name: 'a', operator: true, createdAt: 1 });
      await store.createAccount({ id: 'acc_2', name: 'b', operator: false, createdAt: 2 });
      await fn(store);
    } finally {
      await cleanup();
    }
  };

  test(`${engine.name}: createVersion: version, bundle and deployment read back as written`, () => withStore(async (store) => {
    await store.createVersion({ version: version('ver_1'), modules, deployment: deployment('dep_1', 'ver_1') });
    const v = (await store.getVersion('acc_1', 'api', 'ver_1'))!;
    assert.equal(v.message, 'msg ver_1');
    assert.deepEqual(v.bindings, [{ type: 'plain_text', name: 'A', text: 'b' }]);
    assert.deepEqual(v.limits, { cpu_ms: 10 });
    assert.deepEqual((await store.getModules('h1')).map((m) => [m.name, m.type, new TextDecoder().decode(m.content)]), [['index.js', 'esm', '1;']]);
    assert.equal((await store.getDeployment('acc_1', 'api'))?.id, 'dep_1');
    assert.equal(await store.getVersion('acc_2', 'api', 'ver_1'), null, 'another account does not see it');
  }));

  test(`${engine.name}: createVersion: a failing write leaves nothing behind`, () => withStore(async (store) => {
    await store.createVersion({ version: version('ver_1'), modules, deployment: deployment('dep_1', 'ver_1') });
    // The deployment id is taken, so the whole write (worker, bundle, version) is undone.
    await assert.rejects(store.createVersion({ version: version('ver_2', 'web', 'h2'), modules, deployment: deployment('dep_1', 'ver_2', 'web') }));
    assert.equal(await store.getWorker('acc_1', 'web'), null);
    assert.equal(await store.getVersion('acc_1', 'web', 'ver_2'), null);
    assert.deepEqual(await store.getModules('h2'), []);
  }));

  test(`${engine.name}: deployments: the newest is current; history is newest first; current per account`, () => withStore(async (store) => {
    await store.createVersion({ version: version('ver_1'), modules, deployment: deployment('dep_1', 'ver_1') });
    await store.createVersion({ version: version('ver_2', 'web'), modules, deployment: deployment('dep_2', 'ver_2', 'web') });
    await store.createDeployment(deployment('dep_3', 'ver_1'));
    assert.equal((await store.getDeployment('acc_1', 'api'))?.id, 'dep_3');
    assert.deepEqual((await store.listDeployments('acc_1', 'api')).map((d) => d.id), ['dep_3', 'dep_1']);
    assert.deepEqual((await store.listCurrentDeployments('acc_1')).map((d) => d.id), ['dep_3', 'dep_2']);
    assert.deepEqual(await store.listCurrentDeployments('acc_2'), []);
  }));

  test(`${engine.name}: watch: listeners hear changes after they are stored, even past a broken listener`, () => withStore(async (store) => {
    const heard: ControlChange[] = [];
    store.watch(() => { throw new Error('a broken listener'); });
    const stop = store.watch((change) => heard.push(change));
    await store.createVersion({ version: version('ver_1'), modules, deployment: deployment('dep_1', 'ver_1') });
    await store.createDeployment(deployment('dep_2', 'ver_1'));
    await store.createZone({ id: 'zone_1', accountId: 'acc_1', hostname: 'example.com', origin: 'http://127.0.0.1:1', createdAt: 1 });
    await store.createRoute({ id: 'route_1', accountId: 'acc_1', zoneId: 'zone_1', pattern: 'example.com/*', worker: 'api', createdAt: 1 });
    await store.deleteWorker('acc_1', 'api');
    stop();
    await store.createVersion({ version: version('ver_3'), modules, deployment: deployment('dep_3', 'ver_3') });
    assert.deepEqual(heard.map((c) => c.kind), ['deployment', 'deployment', 'zones', 'routes', 'worker_deleted']);
    assert.equal(heard[1]!.kind === 'deployment' && heard[1]!.deployment.id, 'dep_2');
  }));

  test(`${engine.name}: deleteWorker: removes versions, deployments, secrets, routes and unused bundles`, () => withStore(async (store) => {
    await store.createVersion({ version: version('ver_1'), modules, deployment: deployment('dep_1', 'ver_1') });
    await store.putSecret({ accountId: 'acc_1', worker: 'api', name: 'S', keyId: 'k', iv: new Uint8Array(12), ciphertext: new Uint8Array(20), updatedAt: 1 });
    await store.createZone({ id: 'zone_1', accountId: 'acc_1', hostname: 'example.com', origin: 'http://127.0.0.1:1', createdAt: 1 });
    await store.createRoute({ id: 'route_1', accountId: 'acc_1', zoneId: 'zone_1', pattern: 'example.com/*', worker: 'api', createdAt: 1 });
    assert.equal(await store.deleteWorker('acc_2', 'api'), false, 'another account cannot delete it');
    assert.equal(await store.deleteWorker('acc_1', 'api'), true);
    assert.deepEqual(await store.listVersions('acc_1', 'api'), []);
    assert.equal(await store.getDeployment('acc_1', 'api'), null);
    assert.deepEqual(await store.getSecrets('acc_1', 'api'), []);
    assert.deepEqual(await store.listRoutes('acc_1'), []);
    assert.deepEqual(await store.getModules('h1'), []);
    assert.equal((await store.listZones('acc_1')).length, 1, 'the zone stays');
  }));

  test(`${engine.name}: tokens: found by hash, listed per account, revoked once`, () => withStore(async (store) => {
    const token = { id: 'tok_1', accountId: 'acc_1', name: 't', scopes: ['kv:read' as const], hash: 'ab'.repeat(32), createdAt: 1, expiresAt: 99, revokedAt: null };
    await store.createToken(token);
    assert.deepEqual(await store.getTokenByHash(token.hash), token);
    assert.deepEqual(await store.listTokens('acc_2'), []);
    assert.equal(await store.revokeToken('acc_2', 'tok_1', 5), false);
    assert.equal(await store.revokeToken('acc_1', 'tok_1', 5), true);
    assert.equal(await store.revokeToken('acc_1', 'tok_1', 9), true);
    assert.equal((await store.getTokenByHash(token.hash))?.revokedAt, 5, 'the first revocation time stays');
  }));

  test(`${engine.name}: secrets: put replaces by name; bytes read back exactly`, () => withStore(async (store) => {
    const iv = new Uint8Array(12).fill(7);
    await store.putSecret({ accountId: 'acc_1', worker: 'api', name: 'S', keyId: 'k1', iv, ciphertext: new Uint8Array([1, 2]), updatedAt: 1 });
    await store.putSecret({ accountId: 'acc_1', worker: 'api', name: 'S', keyId: 'k2', iv, ciphertext: new Uint8Array([3]), updatedAt: 2 });
    const [s] = await store.getSecrets('acc_1', 'api');
    assert.equal(s!.keyId, 'k2');
    assert.deepEqual([...s!.ciphertext], [3]);
    assert.deepEqual([...s!.iv], [...iv]);
    assert.ok(await store.getWorker('acc_1', 'api'), 'a secret creates its worker');
    assert.deepEqual(await store.getSecrets('acc_2', 'api'), []);
    assert.equal(await store.deleteSecret('acc_1', 'api', 'S'), true);
    assert.equal(await store.deleteSecret('acc_1', 'api', 'S'), false);
  }));

  test(`${engine.name}: unique records: a second zone hostname, route pattern or namespace title is a ControlConflictError`, () => withStore(async (store) => {
    await store.createVersion({ version: version('ver_1'), modules, deployment: null });
    await store.createZone({ id: 'zone_1', accountId: 'acc_1', hostname: 'example.com', origin: 'http://127.0.0.1:1', createdAt: 1 });
    await assert.rejects(store.createZone({ id: 'zone_2', accountId: 'acc_2', hostname: 'example.com', origin: 'http://x', createdAt: 1 }), ControlConflictError);
    await store.createRoute({ id: 'route_1', accountId: 'acc_1', zoneId: 'zone_1', pattern: 'example.com/*', worker: 'api', createdAt: 1 });
    await assert.rejects(store.createRoute({ id: 'route_2', accountId: 'acc_1', zoneId: 'zone_1', pattern: 'example.com/*', worker: 'api', createdAt: 1 }), ControlConflictError);
    await store.createKvNamespace({ id: 'kvn_1', accountId: 'acc_1', title: 'x', createdAt: 1 });
    await assert.rejects(store.createKvNamespace({ id: 'kvn_2', accountId: 'acc_1', title: 'x', createdAt: 1 }), ControlConflictError);
    await store.createKvNamespace({ id: 'kvn_3', accountId: 'acc_2', title: 'x', createdAt: 1 });
    assert.equal((await store.getZoneByHostname('example.com'))?.accountId, 'acc_1');
    assert.equal((await store.getRouteByPattern('example.com/*'))?.id, 'route_1');
    assert.equal(await store.getKvNamespace('acc_2', 'kvn_1'), null);
    assert.equal(await store.deleteKvNamespace('acc_2', 'kvn_1'), false);
    assert.equal(await store.deleteZone('acc_1', 'zone_1'), true);
    assert.deepEqual(await store.listRoutes(), [], 'a zone takes its routes along');
  }));

  test(`${engine.name}: schedules: set, read, listed, cleared, announced, and gone with their worker`, () => withStore(async (store) => {
    const heard: ControlChange[] = [];
    store.watch((c) => heard.push(c));
    assert.equal(await store.setSchedules('acc_1', 'api', ['* * * * *'], 1), false, 'no worker, no schedules');
    await store.createVersion({ version: version('ver_1'), modules, deployment: null });
    assert.equal(await store.setSchedules('acc_1', 'api', ['*/5 * * * *', '0 9 * * MON'], 2), true);
    assert.deepEqual(await store.getSchedules('acc_1', 'api'), ['*/5 * * * *', '0 9 * * MON']);
    assert.deepEqual(await store.getSchedules('acc_2', 'api'), []);
    assert.deepEqual(await store.listSchedules(), [{ accountId: 'acc_1', worker: 'api', crons: ['*/5 * * * *', '0 9 * * MON'] }]);
    assert.deepEqual(heard.at(-1), { kind: 'schedules', accountId: 'acc_1', worker: 'api', crons: ['*/5 * * * *', '0 9 * * MON'] });
    assert.equal(await store.setSchedules('acc_1', 'api', [], 3), true);
    assert.deepEqual(await store.listSchedules(), []);
    await store.setSchedules('acc_1', 'api', ['0 0 * * *'], 4);
    assert.equal(await store.deleteWorker('acc_1', 'api'), true);
    assert.deepEqual(await store.listSchedules(), [], 'deleting a worker removes its schedules');
  }));
}
