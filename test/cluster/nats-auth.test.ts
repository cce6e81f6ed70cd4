// NATS servers that want credentials: atoll takes them from its NATS URLs
// (nats://USER:PASSWORD@host, nats://TOKEN@host), connects with them, and never shows
// them in a log line or an error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats } from '../../src/cluster/connection.ts';
import { natsAuth, redactNatsUrl } from '../../src/cluster/nats-auth.ts';
import { freePorts, killOnExit, natsServerBinary } from '../helpers/nats.ts';

const PASSWORD = 'correct-horse-battery-staple';

test('nats auth: credentials come out of the URLs, one set for all; URLs are shown without them', () => {
  assert.deepEqual(natsAuth(['nats://atoll:p%40ss@10.0.0.1:4222', 'nats://10.0.0.2:4222']), {
    servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], auth: { user: 'atoll', pass: 'p@ss' },
  });
  assert.deepEqual(natsAuth(['nats://s3cr3t-token@10.0.0.1:4222']).auth, { token: 's3cr3t-token' });
  assert.deepEqual(natsAuth(['nats://10.0.0.1:4222']), { servers: ['nats://10.0.0.1:4222'], auth: {} });
  assert.throws(() => natsAuth(['nats://a:one@h1:4222', 'nats://a:two@h2:4222']),
    (err: Error) => /carries other credentials than nats:\/\/\*\*\*@h1:4222; one connection uses one set/.test(err.message) && !/one@|two@/.test(err.message));
  assert.equal(redactNatsUrl('nats://atoll:secret@10.0.0.1:4222'), 'nats://***@10.0.0.1:4222');
  assert.equal(redactNatsUrl('nats://10.0.0.1:4222'), 'nats://10.0.0.1:4222');
});

test('nats auth: a server with a user and password: atoll connects with them, and is refused without', async () => {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'atoll-nats-auth-'));
  const server = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port), '--user', 'atoll', '--pass', PASSWORD, '-js', '-sd', dir], { stdio: 'ignore' });
  killOnExit(server);
  const logs: Record<string, unknown>[] = [];
  try {
    const url = `nats://atoll:${PASSWORD}@127.0.0.1:${port}`;
    let nc;
    for (const until = Date.now() + 20_000; ;) {
      try {
        nc = await connectNats({ servers: [url], name: 'auth-test', log: (f) => logs.push(f) });
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const reply = await nc.request('$JS.API.INFO', undefined, { timeout: 5000 });
    assert.ok(JSON.parse(reply.string()).type?.includes('account_info'), reply.string());
    await nc.close();
    await assert.rejects(connectNats({ servers: [`nats://127.0.0.1:${port}`], name: 'no-auth', log: () => {} }), /Authorization Violation/i);
    await assert.rejects(connectNats({ servers: [`nats://atoll:wrong-password@127.0.0.1:${port}`], name: 'bad-auth', log: () => {} }), /Authorization Violation/i);
    assert.equal(JSON.stringify(logs).includes(PASSWORD), false);
  } finally {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
