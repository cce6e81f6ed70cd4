// An acknowledged put survives kill -9: a child process puts keys and reports each
// acknowledgement; the parent kills it with SIGKILL mid-stream, reopens the database
// and finds every acknowledged key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteKv } from '../../src/store/sqlite-kv.ts';

const storeUrl = new URL('../../src/store/sqlite-kv.ts', import.meta.url).href;

async function killAfterAcks(dir: string, synchronous: 'full' | 'normal', acks: number): Promise<number> {
  const script = join(dir, 'child.mjs');
  writeFileSync(script, `
    import { writeSync } from 'node:fs';
    const { openSqliteKv } = await import(${JSON.stringify(storeUrl)});
    const kv = await openSqliteKv(${JSON.stringify(dir)}, { synchronous: ${JSON.stringify(synchronous)} });
    for (let i = 0; ; i++) {
      await kv.put('ns', 'key-' + i, new TextEncoder().encode('value-' + i), { metadata: JSON.stringify({ i }) });
      writeSync(1, i + '\\n');
    }
  `);
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH } });
  let last = -1;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited early: ${code}`))));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) last = Number(l);
      if (last + 1 >= acks) child.kill('SIGKILL');
    });
  });
  return last;
}

for (const synchronous of ['full', 'normal'] as const) {
  test(`SqliteKvStore: put: an acknowledged put survives kill -9 (synchronous=${synchronous})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-kv-kill-'));
    try {
      const lastAcked = await killAfterAcks(dir, synchronous, synchronous === 'full' ? 100 : 500);
      assert.ok(lastAcked >= 99, `only ${lastAcked + 1} puts were acknowledged`);
      const kv = await openSqliteKv(dir);
      try {
        for (let i = 0; i <= lastAcked; i++) {
          const e = await kv.get('ns', `key-${i}`);
          assert.equal(new TextDecoder().decode(e?.value), `value-${i}`, `key-${i} (acknowledged) is missing`);
          assert.equal(e?.metadata, JSON.stringify({ i }));
        }
      } finally {
        await kv.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('openSqliteKv: refuses a data folder it cannot create, with the path in the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-kv-bad-'));
  try {
    writeFileSync(join(dir, 'file'), 'not a folder');
    await assert.rejects(openSqliteKv(join(dir, 'file', 'kv')), /ENOTDIR|not a directory/);
    // A file that is not a SQLite database is refused when opened, not on first use.
    writeFileSync(join(dir, 'kv.sqlite3'), 'this is not a database'.repeat(100));
    await assert.rejects(openSqliteKv(dir), /kv\.sqlite3: .*(not a database|file is not)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
