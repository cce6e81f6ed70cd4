// The embedded KV engine (src/store/sqlite-kv.ts): get latency, put and get rates, and
// how long the main thread stalls while a 25 MiB value is written. The engine runs
// SQLite on a worker thread; the baseline is the same SQLite core called directly on
// the main thread, measured in the same run, so the ratios show what the thread hop
// costs and what it saves.
//
//   node_modules/.bin/node --no-node-snapshot bench/kv.ts [--quick]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { command, numFlag, report, summary, type ResultRow } from './lib/harness.ts';
import { openSqliteKv } from '../src/store/sqlite-kv.ts';
import { SqliteKvCore } from '../src/store/sqlite-kv-core.ts';

const GETS = numFlag('gets', 20_000, 2_000);
const PUTS = numFlag('puts', 2_000, 200);
const CONCURRENCY = 64;
const value = new Uint8Array(1024).fill(1);
const big = new Uint8Array(25 * 1024 * 1024).fill(2);
const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'atoll-bench-kv-')); dirs.push(d); return d; };

/** Largest event-loop delay (ms) while `fn` runs, from a 1 ms-resolution histogram. */
async function stall(fn: () => Promise<unknown> | unknown): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, 20));
  await fn();
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  return h.max / 1e6;
}

try {
  const rows: ResultRow[] = [];
  const cmd = command('kv');

  // Sequential gets of a 1 KiB value: worker-thread engine vs the core in-thread.
  const kv = await openSqliteKv(tmp(), { synchronous: 'normal' });
  const core = new SqliteKvCore(join(tmp(), 'kv.sqlite3'), { synchronous: 'normal' });
  for (let i = 0; i < 1000; i++) {
    await kv.put('ns', `key-${i}`, value);
    core.put('ns', `key-${i}`, value, {});
  }
  const threadLat: number[] = [];
  const coreLat: number[] = [];
  for (let i = 0; i < GETS; i++) {
    let t = performance.now();
    await kv.get('ns', `key-${i % 1000}`);
    threadLat.push((performance.now() - t) * 1000);
    t = performance.now();
    core.get('ns', `key-${i % 1000}`, Date.now());
    coreLat.push((performance.now() - t) * 1000);
  }
  const th = summary(threadLat);
  const co = summary(coreLat);
  rows.push({ bench: 'kv', figure: 'get 1 KiB p50 (engine on its thread)', value: th.p50, unit: 'µs', baseline: 'same get, SQLite on the main thread', baselineValue: co.p50, ratio: th.p50 / co.p50, target: 'none (issue 3 asks for KV get p50/p99)', met: null, command: cmd });
  rows.push({ bench: 'kv', figure: 'get 1 KiB p99 (engine on its thread)', value: th.p99, unit: 'µs', baseline: 'same get, SQLite on the main thread', baselineValue: co.p99, ratio: th.p99 / co.p99, target: 'none', met: null, command: cmd });

  // Concurrent gets: the thread answers while the main thread does other work.
  let t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < GETS) await kv.get('ns', `key-${next++ % 1000}`);
  }));
  const concurrentRate = GETS / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < GETS; i++) core.get('ns', `key-${i % 1000}`, Date.now());
  const coreRate = GETS / ((performance.now() - t0) / 1000);
  rows.push({ bench: 'kv', figure: `gets/s, ${CONCURRENCY} in flight`, value: concurrentRate, unit: 'ops/s', baseline: 'sequential gets on the main thread', baselineValue: coreRate, ratio: concurrentRate / coreRate, target: 'none', met: null, command: cmd });

  // Sequential puts, each acknowledged before the next: both durability modes.
  for (const synchronous of ['normal', 'full'] as const) {
    const store = await openSqliteKv(tmp(), { synchronous });
    const inThread = new SqliteKvCore(join(tmp(), 'kv.sqlite3'), { synchronous });
    const n = synchronous === 'full' ? Math.ceil(PUTS / 10) : PUTS;
    t0 = performance.now();
    for (let i = 0; i < n; i++) await store.put('ns', `p-${i}`, value);
    const rate = n / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < n; i++) inThread.put('ns', `p-${i}`, value, {});
    const base = n / ((performance.now() - t0) / 1000);
    rows.push({ bench: 'kv', figure: `puts/s 1 KiB, synchronous=${synchronous}`, value: rate, unit: 'ops/s', baseline: 'same puts, SQLite on the main thread', baselineValue: base, ratio: rate / base, target: 'none (issue 3 asks for KV put ops/s)', met: null, command: cmd });
    await store.close();
    inThread.close();
  }

  // Concurrent puts share a commit (the engine batches a turn's calls into one transaction).
  {
    const store = await openSqliteKv(tmp(), { synchronous: 'full' });
    const n = PUTS;
    t0 = performance.now();
    let k = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (k < n) await store.put('ns', `c-${k++}`, value);
    }));
    const rate = n / ((performance.now() - t0) / 1000);
    const fullSequential = rows.find((r) => r.figure === 'puts/s 1 KiB, synchronous=full')!.value;
    rows.push({ bench: 'kv', figure: `puts/s 1 KiB, synchronous=full, ${CONCURRENCY} in flight`, value: rate, unit: 'ops/s', baseline: 'sequential puts, synchronous=full, on its thread', baselineValue: fullSequential, ratio: rate / fullSequential, target: 'none', met: null, command: cmd });
    await store.close();
  }

  // What a 25 MiB put costs the main thread (HTTP, the CPU watchdog) in each design.
  // put() may take the value's buffer over, so the thread gets a copy made beforehand.
  const handedOver = big.slice();
  const threadStall = await stall(() => kv.put('ns', 'big', handedOver));
  const coreStall = await stall(() => core.put('ns', 'big', big, {}));
  rows.push({ bench: 'kv', figure: 'main-thread stall during a 25 MiB put', value: threadStall, unit: 'ms', baseline: 'SQLite on the main thread', baselineValue: coreStall, ratio: threadStall / coreStall, target: 'well under the 2 ms watchdog tick x a few', met: null, command: cmd });

  await kv.close();
  core.close();
  report('kv', rows);
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
