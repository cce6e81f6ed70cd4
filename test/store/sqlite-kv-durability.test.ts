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

/**
 * Runs a child that puts keys `concurrency` at a time and prints each index as its put
 * is acknowledged; kills it with SIGKILL after `acks` acknowledgements. Returns them.
 */
async function killAfterAcks(dir: string, synchronous: 'full' | 'normal', concurrency: number, acks: number): Promise<Set<number>> {
  const script = join(dir, 'child.mjs');
  writeFileSync(script, `
    import { writeSync } from 'node:fs';
    const { openSqliteKv } = await import(${JSON.stringify(storeUrl)});
    const kv = await openSqliteKv(${JSON.stringify(dir)}, { synchronous: ${JSON.stringify(synchronous)} });
    for (let i = 0; ; i += ${concurrency}) {
      await Promise.all(Array.from({ length: ${concurrency} }, (_, j) => i + j).map(async (n) => {
        await kv.put('ns', 'key-' + n, new TextEncoder().encode('value-' + n), { metadata: JSON.stringify({ n }) });
        writeSync(1, n + '\\n');
      }));
    }
  `);
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH } });
  const acked = new Set<number>();
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited early: ${code}`))));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) acked.add(Number(l));
      if (acked.size >= acks) child.kill('SIGKILL');
    });
  });
  return acked;
}

const cases = [
  { synchronous: 'full', concurrency: 1, acks: 100 },
  { synchronous: 'normal', concurrency: 1, acks: 500 },
  // Concurrent puts share a commit: each is acknowledged only after that commit.
  { synchronous: 'full', concurrency: 20, acks: 400 },
] as const;

for (const { synchronous, concurrency, acks } of cases) {
  test(`SqliteKvStore: put: an acknowledged put survives kill -9 (synchronous=${synchronous}, ${concurrency} at a time)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-kv-kill-'));
    try {
      const acked = await killAfterAcks(dir, synchronous, concurrency, acks);
      assert.ok(acked.size >= acks, `only ${acked.size} puts were acknowledged`);
      const kv = await openSqliteKv(dir);
      try {
        for (const n of acked) {
          const e = await kv.get('ns', `key-${n}`);
          assert.equal(new TextDecoder().decode(e?.value), `value-${n}`, `key-${n} (acknowledged) is missing`);
          assert.equal(e?.metadata, JSON.stringify({ n }));
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
