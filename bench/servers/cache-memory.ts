// The cache store's memory per object: N entries put into a CacheStore (memory only,
// then with a disk tier whose memory tier holds no bodies), heap + external bytes
// measured after a full GC before and after; and the time a new store takes to load
// the disk tier's N files (a restart). Prints one "result {json}" line.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore, type EntryMeta } from '../../src/cache/store.ts';

const N = Number(process.argv[process.argv.indexOf('--objects') + 1] || 10_000);
const BODY_BYTES = 1024;
const gc = (globalThis as { gc?: () => void }).gc!;

function used(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

function meta(i: number, now: number): EntryMeta {
  return {
    ns: 'acc_0123456789', kind: 'http', name: null, url: `shop.example.com/assets/img/product-${i}.png?v=3`, vary: [['accept-encoding', 'gzip, br']],
    status: 200, statusText: 'OK',
    headers: [['content-type', 'image/png'], ['cache-control', 'public, max-age=86400'], ['etag', `"${i.toString(16)}-5f3a"`], ['last-modified', 'Wed, 01 Jan 2025 00:00:00 GMT'], ['date', new Date(now).toUTCString()], ['vary', 'Accept-Encoding']],
    storedAt: now, initialAge: 0, expiresAt: now + 86_400_000, removeAt: now + 7 * 86_400_000, swr: 0, sie: 0, mustRevalidate: false, tags: ['products'],
  };
}

async function measure(store: CacheStore): Promise<number> {
  const before = used();
  const now = Date.now();
  for (let i = 0; i < N; i++) store.put(meta(i, now), new Uint8Array(BODY_BYTES).fill(i & 255));
  await store.flush();
  if (store.stats().entries !== N) throw new Error(`stored ${store.stats().entries} of ${N}`);
  return (used() - before) / N;
}

const memoryOnly = await measure(new CacheStore({ maxMemoryBytes: 1024 * 1024 * 1024 }));
const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-cache-'));
let diskIndex: number;
let loadMs: number;
try {
  const options = { dir, maxMemoryBytes: 1, maxDiskBytes: 1024 * 1024 * 1024, maxEntryBytes: 64 * 1024 };
  diskIndex = await measure(await CacheStore.open(options));
  // A restart: the disk tier's files scanned and their metadata read back.
  const t0 = performance.now();
  const again = await CacheStore.open(options);
  loadMs = performance.now() - t0;
  if (again.stats().entries !== N) throw new Error(`loaded ${again.stats().entries} of ${N}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`result ${JSON.stringify({ objects: N, bodyBytes: BODY_BYTES, memoryOnly, diskIndex, loadMs })}`);
