// The dev cache backend on its own: bounded in bytes, least recently used out first,
// and the storage rules of cache-policy.ts as a backend applies them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCache } from '../../src/runtime/memory-cache.ts';
import type { HostStream } from '../../src/runtime/host-stream.ts';
import type { HeaderList } from '../../src/shared/ops.ts';

const U = 'https://example.com/';
const fresh: HeaderList = [['cache-control', 'max-age=600']];

function body(bytes: number, chunk = 16 * 1024): HostStream & { canceled: boolean; read_: number } {
  const s = {
    canceled: false,
    read_: 0,
    async read() {
      if (s.canceled || s.read_ >= bytes) return null;
      const n = Math.min(chunk, bytes - s.read_);
      s.read_ += n;
      return new Uint8Array(n);
    },
    cancel() { s.canceled = true; },
  };
  return s;
}

async function put(cache: MemoryCache, path: string, bytes: number, headers: HeaderList = fresh) {
  await cache.put(null, U + path, [], { status: 200, statusText: 'OK', headers, url: '', redirected: false }, body(bytes));
}

async function text(cache: MemoryCache, path: string, req: HeaderList = []): Promise<number | null> {
  const hit = await cache.match(null, U + path, req);
  if (!hit) return null;
  let n = 0;
  for (let c = await hit.body?.read(); c; c = await hit.body!.read()) n += c.byteLength;
  return n;
}

test('MemoryCache: put: evicts the least recently used entries to stay within maxBytes', async () => {
  const cache = new MemoryCache({ maxBytes: 100_000, maxEntryBytes: 50_000 });
  await put(cache, 'a', 30_000);
  await put(cache, 'b', 30_000);
  await put(cache, 'c', 30_000);
  assert.equal(await text(cache, 'a'), 30_000); // a is now the most recently used
  await put(cache, 'd', 30_000);
  assert.ok(cache.size <= 100_000, `holds ${cache.size} bytes`);
  assert.equal(await text(cache, 'b'), null, 'b was least recently used');
  assert.equal(await text(cache, 'a'), 30_000);
  assert.equal(await text(cache, 'c'), 30_000);
  assert.equal(await text(cache, 'd'), 30_000);
});

test('MemoryCache: put: a response over maxEntryBytes is not stored and its body is canceled', async () => {
  const cache = new MemoryCache({ maxBytes: 1_000_000, maxEntryBytes: 100_000 });
  const b = body(10_000_000);
  await cache.put(null, U + 'huge', [], { status: 200, statusText: '', headers: fresh, url: '', redirected: false }, b);
  assert.equal(b.canceled, true);
  assert.ok(b.read_ <= 100_000 + 16 * 1024, `read ${b.read_} bytes before giving up`);
  assert.equal(cache.size, 0);
  assert.equal(await text(cache, 'huge'), null);
});

test('MemoryCache: put: an unstorable response is not read at all', async () => {
  const cache = new MemoryCache();
  const b = body(1000);
  await cache.put(null, U + 'x', [], { status: 200, statusText: '', headers: [['cache-control', 'no-store']], url: '', redirected: false }, b);
  assert.equal(b.read_, 0);
  assert.equal(b.canceled, true);
});

test('MemoryCache: size: overwrites and deletes give their bytes back', async () => {
  const cache = new MemoryCache({ maxBytes: 1_000_000 });
  await put(cache, 'k', 10_000);
  const one = cache.size;
  await put(cache, 'k', 10_000);
  assert.equal(cache.size, one);
  assert.equal(await cache.delete(null, U + 'k'), true);
  assert.equal(cache.size, 0);
  assert.equal(await cache.delete(null, U + 'k'), false);
});

test('MemoryCache: match: an expired entry is a miss and is dropped', async () => {
  let now = 1_000_000;
  const cache = new MemoryCache({ clock: () => now });
  await put(cache, 'e', 10, [['cache-control', 'max-age=10']]);
  now += 9_999;
  assert.equal(await text(cache, 'e'), 10);
  now += 1;
  assert.equal(await text(cache, 'e'), null);
  assert.equal(cache.size, 0);
});

test('MemoryCache: constructor: refuses sizes that are not positive integers', () => {
  assert.throws(() => new MemoryCache({ maxBytes: 0 }), /maxBytes must be a positive integer of bytes, not 0/);
  assert.throws(() => new MemoryCache({ maxBytes: -5 }), RangeError);
  assert.throws(() => new MemoryCache({ maxEntryBytes: 1.5 }), /maxEntryBytes must be a positive integer/);
  assert.throws(() => new MemoryCache({ maxBytes: Number('64MB') }), /not NaN/);
});
