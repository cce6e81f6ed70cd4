// The NATS test harness itself: servers come up with JetStream ready, a kill and a
// restart keep what R3 acknowledged, "NATS entirely down" and back works, and nothing
// is left running or on disk afterwards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { startNatsCluster } from '../helpers/nats.ts';

async function retry<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('nats harness: one server: JetStream KV works, stop() removes the directory', async (t) => {
  const nats = await startNatsCluster({ servers: 1 });
  t.after(() => nats.stop());
  assert.equal(nats.urls.length, 1);
  const nc = await connect({ servers: nats.urls });
  try {
    const kv = await new Kvm(nc).create('harness');
    await kv.put('k', 'v1');
    assert.equal((await kv.get('k'))?.string(), 'v1');
  } finally {
    await nc.close();
  }
  await nats.stop();
  assert.equal(existsSync(nats.dir), false, 'the temporary directory is gone');
});

test('nats harness: three servers: an R3 write survives kill -9 of one server, and NATS down and back', async (t) => {
  const nats = await startNatsCluster({ servers: 3 });
  t.after(() => nats.stop());
  assert.equal(nats.url.split(',').length, 3);

  let nc = await connect({ servers: nats.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  t.after(() => nc.close());
  const kv = await new Kvm(nc).create('harness', { replicas: 3 });
  await kv.put('before', '1');

  // Kill the server that leads the bucket's stream: the worst case for writes.
  const leader = await nats.streamLeader('KV_harness');
  assert.ok([0, 1, 2].includes(leader));
  assert.ok([0, 1, 2].includes(await nats.metaLeader()));
  await nats.kill(leader);
  assert.equal(nats.running(leader), false);
  // Two of three still make a majority: writes go on once the survivors have elected
  // another leader, within seconds; until then a put fails.
  await retry(() => kv.put('during', '2'));
  assert.notEqual(await nats.streamLeader('KV_harness'), leader);
  await nats.restart(leader);
  assert.equal(nats.running(leader), true);

  await nats.stopAll();
  for (let i = 0; i < 3; i++) assert.equal(nats.running(i), false);
  await nats.startAll();

  await nc.close();
  nc = await connect({ servers: nats.urls });
  const again = await new Kvm(nc).open('harness');
  assert.equal((await again.get('before'))?.string(), '1');
  assert.equal((await again.get('during'))?.string(), '2');
});

test('nats harness: servers started are killed when the test process exits', async () => {
  // A child test process starts a server and exits without stopping it.
  const { spawn } = await import('node:child_process');
  const script = `
    import { startNatsCluster } from ${JSON.stringify(new URL('../helpers/nats.ts', import.meta.url).href)};
    const nats = await startNatsCluster({ servers: 1 });
    console.log(JSON.stringify({ pid: nats.pid(0), dir: nats.dir }));
    process.exit(0);
  `;
  const child = spawn(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 0);
  const { pid, dir } = JSON.parse(out.trim().split('\n').at(-1)!) as { pid: number; dir: string };
  assert.ok(pid > 0);
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(pid), false, 'the nats-server is gone');
  assert.equal(existsSync(dir), false, 'its directory is gone');
});

test('nats harness: bad input: servers other than 1 or 3 is refused', async () => {
  await assert.rejects(startNatsCluster({ servers: 2 as 1 }), /servers must be 1 or 3, got 2/);
});
