// A location's cache store on its own: bounded in bytes per tier, least recently used
// out first, on disk across a restart, each namespace apart, purges by URL, prefix,
// tag and everything; and the Cache API's storage rules as its backend applies them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore, type EntryMeta } from '../../src/cache/store.ts';
import { CacheApiBackend } from '../../src/cache/cache-api.ts';
import type { HostStream } from '../../src/runtime/host-stream.ts';
import type { HeaderList } from '../../src/shared/ops.ts';

const U = 'https://example.com/';
const fresh: HeaderList = [['cache-control', 'max-age=600']];

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function meta(url: string, over: Partial<EntryMeta> = {}, now = Date.now()): EntryMeta {
  return {
    ns: 'acc', kind: 'http', name: null, url, vary: [], status: 200, statusText: 'OK', headers: [['content-type', 'text/plain']],
    storedAt: now, initialAge: 0, expiresAt: now + 600_000, removeAt: now + 600_000, swr: 0, sie: 0, mustRevalidate: false, tags: [], ...over,
  };
}

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

async function put(cache: CacheApiBackend, path: string, bytes: number, headers: HeaderList = fresh) {
  await cache.put(null, U + path, [], { status: 200, statusText: 'OK', headers, url: '', redirected: false }, body(bytes));
}

async function length(cache: CacheApiBackend, path: string, req: HeaderList = []): Promise<number | null> {
  const hit = await cache.match(null, U + path, req);
  if (!hit) return null;
  let n = 0;
  for (let c = await hit.body?.read(); c; c = await hit.body!.read()) n += c.byteLength;
  return n;
}

test('CacheStore: memory only: evicts the least recently used entries to stay within maxMemoryBytes', async () => {
  const cache = new CacheApiBackend(new CacheStore({ maxMemoryBytes: 100_000, maxEntryBytes: 50_000 }), 'acc');
  await put(cache, 'a', 30_000);
  await put(cache, 'b', 30_000);
  await put(cache, 'c', 30_000);
  assert.equal(await length(cache, 'a'), 30_000); // a is now the most recently used
  await put(cache, 'd', 30_000);
  assert.ok(cache.store.stats().memoryBytes <= 100_000, `holds ${cache.store.stats().memoryBytes} bytes`);
  assert.equal(await length(cache, 'b'), null, 'b was least recently used');
  assert.equal(await length(cache, 'a'), 30_000);
  assert.equal(await length(cache, 'c'), 30_000);
  assert.equal(await length(cache, 'd'), 30_000);
});

test('CacheStore: put: a response over maxEntryBytes is not stored and its body is canceled', async () => {
  const cache = new CacheApiBackend(new CacheStore({ maxMemoryBytes: 1_000_000, maxEntryBytes: 100_000 }), 'acc');
  const b = body(10_000_000);
  await cache.put(null, U + 'huge', [], { status: 200, statusText: '', headers: fresh, url: '', redirected: false }, b);
  assert.equal(b.canceled, true);
  assert.ok(b.read_ <= 100_000 + 16 * 1024, `read ${b.read_} bytes before giving up`);
  assert.equal(cache.store.stats().entries, 0);
  assert.equal(await length(cache, 'huge'), null);
});

test('CacheStore: put: an unstorable response is not read at all', async () => {
  const cache = new CacheApiBackend(new CacheStore(), 'acc');
  const b = body(1000);
  await cache.put(null, U + 'x', [], { status: 200, statusText: '', headers: [['cache-control', 'no-store']], url: '', redirected: false }, b);
  assert.equal(b.read_, 0);
  assert.equal(b.canceled, true);
});

test('CacheStore: overwrites and deletes give their bytes back', async () => {
  const cache = new CacheApiBackend(new CacheStore({ maxMemoryBytes: 1_000_000 }), 'acc');
  await put(cache, 'k', 10_000);
  const one = cache.store.stats().memoryBytes;
  await put(cache, 'k', 10_000);
  assert.equal(cache.store.stats().memoryBytes, one);
  assert.equal(await cache.delete(null, U + 'k'), true);
  assert.deepEqual(cache.store.stats(), { entries: 0, memoryBytes: 0, diskBytes: 0 });
  assert.equal(await cache.delete(null, U + 'k'), false);
});

test('CacheStore: match: an expired Cache API entry is a miss', async () => {
  let now = 1_000_000;
  const cache = new CacheApiBackend(new CacheStore({ clock: () => now }), 'acc');
  await put(cache, 'e', 10, [['cache-control', 'max-age=10']]);
  now += 9_999;
  assert.equal(await length(cache, 'e'), 10);
  now += 1;
  assert.equal(await length(cache, 'e'), null);
  assert.equal(cache.store.find('acc', 'api', null, U + 'e', []), null, 'and is dropped');
});

test('CacheStore: namespaces: one account never sees another account\'s entries, in either kind', async () => {
  const store = new CacheStore();
  const a = new CacheApiBackend(store, 'acc_a');
  const b = new CacheApiBackend(store, 'acc_b');
  await a.put(null, U + 'secret', [], { status: 200, statusText: 'OK', headers: fresh, url: '', redirected: false }, body(5));
  assert.equal(await b.match(null, U + 'secret', []), null);
  assert.equal(await b.delete(null, U + 'secret'), false);
  assert.notEqual(await a.match(null, U + 'secret', []), null);
  store.put(meta('example.com/page', { ns: 'acc_a' }), new Uint8Array(3));
  assert.equal(store.find('acc_b', 'http', null, 'example.com/page', []), null);
  assert.equal(store.find('acc_a', 'api', null, 'example.com/page', []), null, 'the HTTP cache and the Cache API keep their own entries');
  assert.equal(store.purge({ accountId: 'acc_b', zone: 'example.com', everything: true }), 0, "a purge reaches only its account's entries");
  assert.equal(store.stats().entries, 2);
});

test('CacheStore: disk tier: entries survive a restart, bodies read back from disk', async (t) => {
  const dir = tmp(t);
  const first = await CacheStore.open({ dir, maxMemoryBytes: 1_000_000 });
  const bytes = new Uint8Array(50_000).map((_, i) => i % 251);
  first.put(meta('example.com/a', { tags: ['t1'], headers: [['etag', '"v1"']] }), bytes);
  first.put(meta('example.com/b'), new Uint8Array([1, 2, 3]));
  first.put(meta('example.com/gone', { expiresAt: Date.now() + 50, removeAt: Date.now() + 50 }), new Uint8Array(1));
  await first.flush();
  await new Promise((r) => setTimeout(r, 100));
  // A leftover temporary file and a file that is not the cache's are cleared on start.
  const sub = readdirSync(dir)[0]!;
  writeFileSync(join(dir, sub, 'x'.repeat(64) + '.tmp-1234'), 'partial');
  mkdirSync(join(dir, 'ff'), { recursive: true });
  writeFileSync(join(dir, 'ff', 'f'.repeat(64)), 'not a cache file');
  const second = await CacheStore.open({ dir, maxMemoryBytes: 1_000_000 });
  assert.equal(second.stats().entries, 2, 'the expired entry was dropped on load');
  const a = second.find('acc', 'http', null, 'example.com/a', []);
  assert.ok(a);
  assert.deepEqual(a.tags, ['t1']);
  assert.deepEqual(a.headers, [['etag', '"v1"']]);
  assert.deepEqual(new Uint8Array((await second.body(a))!), bytes);
  assert.equal(second.purge({ accountId: 'acc', zone: 'example.com', tags: ['T1'] }), 1);
  await second.flush();
  const third = await CacheStore.open({ dir });
  assert.equal(third.stats().entries, 1, 'a purge removes the file too');
  assert.equal(readdirSync(join(dir, 'ff')).length, 0);
});

test('CacheStore: disk tier: bounded by maxDiskBytes, memory tier by maxMemoryBytes', async (t) => {
  const dir = tmp(t);
  const store = await CacheStore.open({ dir, maxMemoryBytes: 100_000, maxDiskBytes: 300_000, maxEntryBytes: 60_000 });
  for (let i = 0; i < 20; i++) store.put(meta(`example.com/${i}`), new Uint8Array(20_000));
  const s = store.stats();
  assert.ok(s.diskBytes <= 300_000 && s.memoryBytes <= 100_000, JSON.stringify(s));
  assert.equal(store.find('acc', 'http', null, 'example.com/0', []), null, 'the oldest went from disk');
  const last = store.find('acc', 'http', null, 'example.com/19', []);
  assert.ok(last);
  const kept = [...Array(20).keys()].filter((i) => store.find('acc', 'http', null, `example.com/${i}`, []) !== null);
  assert.ok(kept.length >= 10 && kept.length <= 14, `kept ${kept}`);
  // An entry whose body left memory is read back from disk.
  await store.flush();
  for (const i of kept) assert.equal((await store.body(store.find('acc', 'http', null, `example.com/${i}`, [])!))?.byteLength, 20_000);
  assert.equal(store.put(meta('example.com/big'), new Uint8Array(70_000)), null, 'larger than maxEntryBytes');
});

test('CacheStore: purge: by URL (every variant), by prefix, by tag, everything; only inside the zone', () => {
  const store = new CacheStore();
  const add = (url: string, over: Partial<EntryMeta> = {}) => store.put(meta(url, over), new Uint8Array(1));
  add('example.com/a', { vary: [['accept-encoding', 'gzip']] });
  add('example.com/a', { vary: [['accept-encoding', null]] });
  add('example.com/a?x=1');
  add('example.com/assets/1.css', { tags: ['css'] });
  add('example.com/assets/2.js', { tags: ['js', 'v2'] });
  add('cdn.example.com/assets/3.css', { tags: ['css'] });
  add('other.org/assets/1.css', { tags: ['css'] });
  store.put(meta('https://example.com/api-entry', { kind: 'api' }), new Uint8Array(1));
  assert.equal(store.purge({ accountId: 'acc', zone: 'example.com', urls: ['https://example.com/a'] }), 2);
  assert.ok(store.find('acc', 'http', null, 'example.com/a?x=1', []), 'the query is part of the URL');
  assert.equal(store.purge({ accountId: 'acc', zone: 'example.com', tags: ['CSS'] }), 2, 'tags are case-insensitive, subdomains are in the zone, other.org is not');
  assert.equal(store.purge({ accountId: 'acc', zone: 'example.com', prefixes: ['example.com/assets/'] }), 1);
  assert.equal(store.purge({ accountId: 'acc', zone: 'example.com', urls: ['https://example.com/api-entry'] }), 1, 'Cache API entries are purged too');
  assert.equal(store.purge({ accountId: 'acc', zone: 'example.com', everything: true }), 1);
  assert.equal(store.stats().entries, 1);
  assert.ok(store.find('acc', 'http', null, 'other.org/assets/1.css', []));
});

test('CacheStore: constructor: refuses sizes that are not positive integers', () => {
  assert.throws(() => new CacheStore({ maxMemoryBytes: 0 }), /maxMemoryBytes must be a positive integer of bytes, not 0/);
  assert.throws(() => new CacheStore({ maxDiskBytes: -5 }), RangeError);
  assert.throws(() => new CacheStore({ maxEntryBytes: 1.5 }), /maxEntryBytes must be a positive integer/);
  assert.throws(() => new CacheStore({ maxMemoryBytes: Number('64MB') }), /not NaN/);
});

test('CacheStore: a full tier makes room from the account holding the most: one account filling the cache evicts its own entries, not a smaller account\'s', async (t) => {
  for (const dir of [null, tmp(t)]) {
    const tier = dir ? 'disk tier' : 'memory only';
    const store = await CacheStore.open({ dir, maxMemoryBytes: 200_000, maxDiskBytes: 200_000, maxEntryBytes: 50_000 });
    const now = Date.now();
    const kept = (ns: string, url: string) => store.find(ns, 'http', null, url, []) !== null;
    // A small account stores a few entries first: they are the least recently used.
    for (let i = 0; i < 3; i++) store.put(meta(`${U}small/${i}`, { ns: 'small' }, now), new Uint8Array(20_000));
    // A noisy account then stores far more than the tier holds.
    for (let i = 0; i < 40; i++) store.put(meta(`${U}noisy/${i}`, { ns: 'noisy' }, now), new Uint8Array(20_000));
    const { memoryBytes, diskBytes } = store.stats();
    assert.ok((dir ? diskBytes : memoryBytes) <= 200_000, `${tier}: within the tier's bytes`);
    for (let i = 0; i < 3; i++) assert.ok(kept('small', `${U}small/${i}`), `${tier}: the small account's entry ${i} stays`);
    assert.ok(kept('noisy', `${U}noisy/39`), `${tier}: the noisy account keeps its newest entries`);
    assert.ok(!kept('noisy', `${U}noisy/0`), `${tier}: its oldest went`);
    await store.flush();
  }
});
