// What only the SQLite engine has: a folder that several processes share, a sweeper on
// a timer, a schema version in the file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteKv } from '../../src/store/sqlite-kv.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'atoll-kv-sqlite-'));
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

test('SqliteKvStore: two stores on one folder see each other\'s writes (atoll kv --local beside atoll dev)', async () => {
  const dir = tempDir();
  const a = await openSqliteKv(dir);
  const b = await openSqliteKv(dir);
  try {
    await a.put('ns', 'k', bytes('from a'));
    assert.equal(text((await b.get('ns', 'k'))?.value), 'from a');
    await Promise.all([a.put('ns', 'x', bytes('1')), b.put('ns', 'y', bytes('2'))]);
    assert.deepEqual((await a.list('ns')).keys.map((k) => k.name), ['k', 'x', 'y']);
    await b.delete('ns', 'k');
    assert.equal(await a.get('ns', 'k'), null);
  } finally {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SqliteKvStore: sweep: the timer deletes expired rows from the file', async () => {
  const dir = tempDir();
  let now = Date.UTC(2026, 0, 1);
  const kv = await openSqliteKv(dir, { clock: () => now, sweepIntervalMs: 20 });
  try {
    await kv.put('ns', 'old', bytes('v'), { expiration: now / 1000 + 60 });
    await kv.put('ns', 'keep', bytes('v'));
    now += 61_000;
    const rows = () => {
      const db = new DatabaseSync(join(dir, 'kv.sqlite3'), { readOnly: true });
      try { return (db.prepare('SELECT count(*) AS n FROM kv').get() as { n: number }).n; } finally { db.close(); }
    };
    const deadline = Date.now() + 5000;
    while (rows() !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(rows(), 1, 'the expired row is still in the file');
    assert.equal(await kv.sweep(), 0);
  } finally {
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SqliteKvStore: close: calls already made finish; calls after it fail clearly', async () => {
  const dir = tempDir();
  const kv = await openSqliteKv(dir);
  try {
    const put = kv.put('ns', 'k', bytes('v'));
    const closed = kv.close();
    await put;
    await closed;
    await assert.rejects(kv.get('ns', 'k'), /KV store .*kv\.sqlite3 is closed/);
    const again = await openSqliteKv(dir);
    assert.equal(text((await again.get('ns', 'k'))?.value), 'v');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openSqliteKv: refuses a database written by a newer schema', async () => {
  const dir = tempDir();
  try {
    const db = new DatabaseSync(join(dir, 'kv.sqlite3'));
    db.exec('PRAGMA user_version = 99');
    db.close();
    await assert.rejects(openSqliteKv(dir), /written by a newer atoll \(KV schema 99; this one knows 1\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openSqliteKv: bad options are refused before anything is created', async () => {
  const dir = join(tempDir(), 'never-created');
  await assert.rejects(openSqliteKv(''), /dir must be a folder path/);
  await assert.rejects(openSqliteKv(dir, { synchronous: 'fast' as 'full' }), /synchronous must be 'full' or 'normal', not "fast"/);
  await assert.rejects(openSqliteKv(dir, { sweepIntervalMs: 0 }), /sweepIntervalMs must be at least 10, not 0/);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(dir), false);
});
