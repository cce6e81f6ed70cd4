// The SQLite control store's own checks: it reopens with what it stored, its schema is
// versioned, and acknowledged writes survive kill -9. The shared contract is in
// store-contract.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Deployment, Version } from '../../src/store/control.ts';
import { openSqliteControl } from '../../src/store/control-sqlite.ts';
import { SCHEMA_VERSION } from '../../src/store/control-sqlite-schema.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'atoll-control-store-'));

function version(id: string, worker = 'api', hash = 'h1'): Version {
  return {
    id, accountId: 'acc_1', worker, hash, format: 'modules', mainModule: 'index.js', compatibilityDate: '2026-01-01',
    compatibilityFlags: [], bindings: [], limits: {}, message: `msg ${id}`, authorTokenId: 'tok_1', createdAt: Date.now(), size: 3,
  };
}

function deployment(id: string, versionId: string, worker = 'api'): Deployment {
  return { id, accountId: 'acc_1', worker, versions: [{ versionId, percentage: 100 }], message: '', authorTokenId: 'tok_1', createdAt: Date.now() };
}

const modules = [{ name: 'index.js', type: 'esm' as const, content: new TextEncoder().encode('1;') }];

test('SqliteControlStore: createVersion: stores version, bundle and deployment together, and reopens with them', async () => {
  const dir = tempDir();
  try {
    let store = await openSqliteControl(dir);
    await store.createAccount({ id: 'acc_1', name: 'a', operator: true, createdAt: 1 });
    await store.createVersion({ version: version('ver_1'), modules, deployment: deployment('dep_1', 'ver_1') });
    await store.createVersion({ version: version('ver_2'), modules, deployment: null });
    await store.close();
    store = await openSqliteControl(dir);
    assert.deepEqual((await store.listVersions('acc_1', 'api')).map((v) => v.id), ['ver_2', 'ver_1']);
    assert.deepEqual((await store.getDeployment('acc_1', 'api'))?.versions, [{ versionId: 'ver_1', percentage: 100 }]);
    assert.equal(new TextDecoder().decode((await store.getModules('h1'))[0]!.content), '1;');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openSqliteControl: records the schema version and refuses a database from a newer atoll', async () => {
  const dir = tempDir();
  try {
    const store = await openSqliteControl(dir);
    await store.close();
    const db = new DatabaseSync(join(dir, 'control.sqlite3'));
    assert.equal((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, SCHEMA_VERSION);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await assert.rejects(openSqliteControl(dir), /newer than this atoll knows.*upgrade atoll/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SqliteControlStore: createDeployment: an acknowledged deployment survives kill -9', async () => {
  const dir = tempDir();
  try {
    const storeUrl = new URL('../../src/store/control-sqlite.ts', import.meta.url).href;
    const script = join(dir, 'child.ts');
    writeFileSync(script, `
      import { writeSync } from 'node:fs';
      const { openSqliteControl } = await import(${JSON.stringify(storeUrl)});
      const store = await openSqliteControl(${JSON.stringify(join(dir, 'db'))});
      await store.createAccount({ id: 'acc_1', name: 'a', operator: true, createdAt: 1 });
      const content = new TextEncoder().encode('1;');
      for (let i = 0; ; i++) {
        const v = { id: 'ver_' + i, accountId: 'acc_1', worker: 'api', hash: 'h' + i, format: 'modules', mainModule: 'index.js',
          compatibilityDate: '2026-01-01', compatibilityFlags: [], bindings: [], limits: {}, message: '', authorTokenId: 't', createdAt: i, size: 2 };
        const d = { id: 'dep_' + i, accountId: 'acc_1', worker: 'api', versions: [{ versionId: v.id, percentage: 100 }], message: '', authorTokenId: 't', createdAt: i };
        await store.createVersion({ version: v, modules: [{ name: 'index.js', type: 'esm', content }], deployment: d });
        writeSync(1, i + '\\n');
      }
    `);
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = -1;
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited early: ${code}`))));
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const l of lines) last = Number(l);
        if (last >= 50) child.kill('SIGKILL');
      });
    });
    const store = await openSqliteControl(join(dir, 'db'));
    const current = await store.getDeployment('acc_1', 'api');
    const n = Number(current!.id.slice(4));
    assert.ok(n >= last, `deployment ${last} was acknowledged, but the store's newest is ${n}`);
    assert.ok((await store.listVersions('acc_1', 'api')).length >= last + 1);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
