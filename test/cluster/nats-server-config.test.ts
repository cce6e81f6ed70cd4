// nats-server config generation: what it writes is accepted by the installed nats-server
// (`nats-server -t`), clusters route to every other member, and bad specs are refused
// with a message naming the field.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeNatsConfigs } from '../../src/cluster/nats-config-files.ts';
import {
  NatsConfigError,
  natsClusterSpecs,
  natsLeafConfig,
  natsServerConfig,
  type NatsServerSpec,
} from '../../src/cluster/nats-server-config.ts';
import { spawn } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { freePorts, killOnExit, natsServerBinary } from '../helpers/nats.ts';

const run = promisify(execFile);

/** Runs `nats-server -t -c file`: the server's own check of a config file. */
async function serverAccepts(dir: string, name: string, text: string): Promise<void> {
  const file = join(dir, name);
  await writeFile(file, text);
  const { stdout, stderr } = await run(natsServerBinary(), ['-t', '-c', file]);
  assert.match(stdout + stderr, /is valid/);
}

test('nats config: a single server, a three-server cluster and a leaf node pass nats-server -t', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'atoll-natsconf-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const single = natsServerConfig({ name: 'one', clientPort: 4222, httpPort: 8222, storeDir: join(dir, 'one') });
  assert.doesNotMatch(single, /^cluster \{/m);
  await serverAccepts(dir, 'one.conf', single);

  const specs = natsClusterSpecs({
    name: 'prod',
    host: '10.0.0.1',
    servers: [1, 2, 3].map((i) => ({ clientPort: 4220 + i, clusterPort: 6220 + i, httpPort: 8220 + i, leafnodePort: 7420 + i, storeDir: join(dir, `n${i}`) })),
    users: [{ user: 'atoll', password: 'a-long-password-"quoted"' }],
    jetstreamDomain: 'hub',
  });
  assert.deepEqual(specs.map((s) => s.name), ['prod-1', 'prod-2', 'prod-3']);
  // Each member routes to the two others.
  assert.deepEqual(specs[0]!.cluster!.routes, ['nats-route://10.0.0.1:6222', 'nats-route://10.0.0.1:6223']);
  for (const s of specs) await serverAccepts(dir, `${s.name}.conf`, natsServerConfig(s));

  // Servers on three machines: each listens on its own address and routes to the others'.
  const spread = natsClusterSpecs({ servers: ['10.0.1.1', '10.0.2.1', '10.0.3.1'].map((host) => ({ host, clientPort: 4222, clusterPort: 6222, storeDir: '/var/lib/nats' })) });
  assert.match(natsServerConfig(spread[1]!), /listen: "10\.0\.2\.1:4222"/);
  assert.deepEqual(spread[1]!.cluster!.routes, ['nats-route://10.0.1.1:6222', 'nats-route://10.0.3.1:6222']);
  assert.match(natsServerConfig(specs[0]!), /password: "a-long-password-\\"quoted\\""/);

  const leaf = natsLeafConfig({
    name: 'leaf-ams',
    clientPort: 4300,
    hubs: ['nats-leaf://10.0.0.1:7421', 'nats-leaf://10.0.0.2:7422'],
    hubUser: { user: 'atoll', password: 'p@ss/word' },
    hubDomain: 'hub',
  });
  assert.match(leaf, /nats-leaf:\/\/atoll:p%40ss%2Fword@10\.0\.0\.1:7421/);
  await serverAccepts(dir, 'leaf.conf', leaf);
});

test('nats config: syncAlways writes sync_interval: always, which the installed 2.9.10 refuses', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'atoll-natsconf-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const text = natsServerConfig({ name: 'n', clientPort: 4222, storeDir: join(dir, 'n'), syncAlways: true });
  assert.match(text, /^  sync_interval: always$/m);
  const file = join(dir, 'n.conf');
  await writeFile(file, text);
  const { stdout } = await run(natsServerBinary(), ['--version']);
  if (/v2\.9\./.test(stdout)) {
    // When this fails, the installed server learned the option: update docs/operations.md.
    await assert.rejects(run(natsServerBinary(), ['-t', '-c', file]), /unknown field "sync_interval"/);
  } else {
    await serverAccepts(dir, 'n2.conf', text);
  }
});

test('nats config: a leaf node passes JetStream KV through to its hub: a client of the leaf writes, watches and reads', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'atoll-natsleaf-'));
  const [hubClient, hubLeaf, leafClient] = await freePorts(3);
  const hubConf = join(dir, 'hub.conf');
  const leafConf = join(dir, 'leaf.conf');
  await writeFile(hubConf, natsServerConfig({ name: 'hub', clientPort: hubClient!, leafnodePort: hubLeaf!, storeDir: join(dir, 'hub'), jetstreamDomain: 'hub' }));
  await writeFile(leafConf, natsLeafConfig({ name: 'leaf', clientPort: leafClient!, hubs: [`nats-leaf://127.0.0.1:${hubLeaf}`], hubDomain: 'hub' }));
  const servers = [hubConf, leafConf].map((c) => {
    const child = spawn(natsServerBinary(), ['-c', c], { stdio: 'ignore' });
    killOnExit(child);
    return child;
  });
  t.after(async () => {
    for (const s of servers) s.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  // The leaf is usable once its link to the hub is up: retry until a KV bucket can be made.
  const nc = await connect({ servers: `nats://127.0.0.1:${leafClient}`, waitOnFirstConnect: true, timeout: 10_000 });
  t.after(() => nc.close());
  const deadline = Date.now() + 30_000;
  const create = async (): Promise<KV> => {
    try {
      return await new Kvm(nc).create('through-leaf');
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
      return create();
    }
  };
  const kv = await create();
  const watch = await kv.watch({ key: 'k' });
  await kv.put('k', 'v1');
  for await (const e of watch) {
    assert.equal(e.string(), 'v1');
    break;
  }
  assert.equal((await kv.get('k'))?.string(), 'v1');
  // It is the hub's JetStream: a client of the hub reads the same bucket.
  const hub = await connect({ servers: `nats://127.0.0.1:${hubClient}` });
  t.after(() => hub.close());
  assert.equal((await (await new Kvm(hub).open('through-leaf')).get('k'))?.string(), 'v1');
});

test('nats config: writeNatsConfigs writes one 0600 file per server and creates the data directories', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'atoll-natsconf-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const specs = natsClusterSpecs({
    servers: [0, 1, 2].map((i) => ({ clientPort: 4222 + i, clusterPort: 6222 + i, storeDir: join(dir, `data-${i}`) })),
  });
  const paths = await writeNatsConfigs(join(dir, 'conf'), specs);
  assert.deepEqual(paths, ['atoll-1', 'atoll-2', 'atoll-3'].map((n) => join(dir, 'conf', `${n}.conf`)));
  assert.equal((await stat(paths[0]!)).mode & 0o777, 0o600);
  assert.ok((await stat(join(dir, 'data-2'))).isDirectory());
});

test('nats config: bad input: each bad field is refused with a message naming it', () => {
  const good: NatsServerSpec = { name: 'n1', clientPort: 4222, storeDir: '/var/lib/nats' };
  const cases: [Partial<NatsServerSpec>, RegExp][] = [
    [{ name: '' }, /name must be/],
    [{ name: 'a b' }, /name must be/],
    [{ clientPort: 0 }, /clientPort must be an integer from 1 to 65535, got 0/],
    [{ clientPort: 70000 }, /clientPort must be/],
    [{ httpPort: 1.5 }, /httpPort must be/],
    [{ httpPort: 4222 }, /must differ/],
    [{ storeDir: 'relative/dir' }, /storeDir must be an absolute path/],
    [{ storeDir: '/bad\ndir' }, /storeDir must not contain control characters/],
    [{ host: 'a host' }, /host must be/],
    [{ maxFileStore: -1 }, /maxFileStore must be a positive whole number/],
    [{ cluster: { name: 'c', port: 6222, routes: [] } }, /cluster.routes must list/],
    [{ cluster: { name: 'c', port: 6222, routes: ['http://x:1'] } }, /is not a route URL/],
    [{ users: [{ user: 'u', password: 'short' }] }, /at least 16 characters/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => natsServerConfig({ ...good, ...patch }), (err: Error) => err instanceof NatsConfigError && message.test(err.message), JSON.stringify(patch));
  }
  assert.throws(() => natsClusterSpecs({ servers: [] }), /at least one server/);
  assert.throws(
    () => natsClusterSpecs({ servers: [1, 2].map((i) => ({ clientPort: i, clusterPort: 10 + i, storeDir: '/d' })) }),
    /a cluster of 2 cannot survive/,
  );
  const leaf = { name: 'l', clientPort: 4222, hubDomain: 'hub' };
  assert.throws(() => natsLeafConfig({ ...leaf, hubs: [] }), /hubs must list/);
  assert.throws(() => natsLeafConfig({ ...leaf, hubs: ['nats://x:4222'] }), /is not a URL like nats-leaf/);
  assert.throws(() => natsLeafConfig({ ...leaf, hubs: ['nats-leaf://u:p@x:7422'] }), /credentials go in hubUser/);
  assert.throws(() => natsLeafConfig({ ...leaf, hubs: ['nats-leaf://x:7422'], hubDomain: '' }), /hubDomain must be/);
  assert.throws(() => natsServerConfig({ ...good, jetstreamDomain: 'a b' }), /jetstreamDomain must be/);
});
