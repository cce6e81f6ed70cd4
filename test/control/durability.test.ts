// Through the API: every upload answered 201 and every KV put answered 200 is still
// there after the API's process is killed with SIGKILL and the stores are reopened.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteControl } from '../../src/store/control-sqlite.ts';
import { openSqliteKv } from '../../src/store/sqlite-kv.ts';
import { HELLO, uploadForm } from './harness.ts';

const src = (path: string) => JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href);

test('Control API: kill -9: every acknowledged upload, deployment and KV put survives', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-control-kill-'));
  const script = join(dir, 'child.ts');
  writeFileSync(script, `
    const { openSqliteControl } = await import(${src('store/control-sqlite.ts')});
    const { openSqliteKv } = await import(${src('store/sqlite-kv.ts')});
    const { loadKeyring } = await import(${src('control/secrets.ts')});
    const { bootstrap } = await import(${src('control/bootstrap.ts')});
    const { startControlApi } = await import(${src('control/api/server.ts')});
    const store = await openSqliteControl(${JSON.stringify(join(dir, 'control'))});
    const kv = await openSqliteKv(${JSON.stringify(join(dir, 'kv'))});
    const api = await startControlApi({ store, kv, keyring: loadKeyring(${JSON.stringify(dir)}), port: 0, log: () => {} });
    const boot = await bootstrap(store);
    process.stdout.write(JSON.stringify({ url: api.url, token: boot.token }) + '\\n');
  `);
  const child = spawn(process.execPath, ['--no-node-snapshot', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  try {
    const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString())));
      child.once('exit', (code) => reject(new Error(`the API process exited early (${code})`)));
    });
    const auth = { authorization: `Bearer ${token}` };
    const created = await (await fetch(`${url}/api/v1/kv/namespaces`, { method: 'POST', headers: auth, body: '{"title":"k"}' })).json() as { namespace: { id: string } };
    const ns = created.namespace.id;
    const versions: string[] = [];
    const keys: string[] = [];
    // Uploads and KV puts in flight together; the kill lands while some are unanswered.
    const uploads = (async () => {
      for (let i = 0; ; i++) {
        const form = uploadForm({ main_module: 'index.js', compatibility_date: '2026-01-01', message: `v${i}` }, [{ name: 'index.js', content: HELLO.replace('hello', `hello ${i}`) }]);
        const res = await fetch(`${url}/api/v1/workers/w`, { method: 'PUT', headers: auth, body: form }).catch(() => null);
        if (!res || res.status !== 201) return;
        versions.push(((await res.json()) as { version: { id: string } }).version.id);
        if (versions.length === 15) child.kill('SIGKILL');
      }
    })();
    const puts = (async () => {
      for (let i = 0; ; i++) {
        const res = await fetch(`${url}/api/v1/kv/namespaces/${ns}/values/key-${i}`, { method: 'PUT', headers: auth, body: `value-${i}` }).catch(() => null);
        if (!res || res.status !== 200) return;
        keys.push(`key-${i}`);
      }
    })();
    await Promise.all([uploads, puts]);
    assert.equal(await exited, 'SIGKILL');
    assert.ok(versions.length >= 15 && keys.length > 0, `acknowledged: ${versions.length} uploads, ${keys.length} puts`);

    const store = await openSqliteControl(join(dir, 'control'));
    const kv = await openSqliteKv(join(dir, 'kv'));
    try {
      const account = (await store.listAccounts())[0]!;
      const stored = new Set((await store.listVersions(account.id, 'w')).map((v) => v.id));
      for (const id of versions) assert.ok(stored.has(id), `acknowledged version ${id} was lost`);
      // Uploads deploy as they land: the current deployment is the last acknowledged
      // upload, or one that committed just before the kill without its answer getting out.
      const current = (await store.getDeployment(account.id, 'w'))!.versions[0]!.versionId;
      const order = (await store.listVersions(account.id, 'w')).map((v) => v.id).reverse();
      assert.ok(order.indexOf(current) >= order.indexOf(versions.at(-1)!), 'the deployment went back past an acknowledged upload');
      for (const key of keys) assert.ok(await kv.get(ns, key), `acknowledged KV put ${key} was lost`);
    } finally {
      await store.close();
      await kv.close();
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
