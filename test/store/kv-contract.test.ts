// The KV engine contract: every engine behind src/store/kv.ts runs these same tests
// (STYLE.md: "Backends behind one interface run one shared contract suite"). A NATS
// JetStream engine joins the `engines` list when it exists.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KvStore } from '../../src/store/kv.ts';
import { MemoryKvStore } from '../../src/store/memory-kv.ts';
import { openSqliteKv } from '../../src/store/sqlite-kv.ts';
import { connectNats, openBuckets } from '../../src/cluster/connection.ts';
import { NatsKvStore, openValueStore } from '../../src/cluster/nats-kv.ts';
import { deleteBuckets } from '../cluster/helpers.ts';
import { startNatsCluster, type NatsCluster } from '../helpers/nats.ts';

interface Harness {
  kv: KvStore;
  /** Moves the engine's clock forward. */
  advance(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

const START = Date.UTC(2026, 0, 1);

const engines: { name: string; open(): Promise<Harness> }[] = [
  {
    name: 'memory',
    async open() {
      let now = START;
      const kv = new MemoryKvStore({ clock: () => now });
      return { kv, advance: (ms) => { now += ms; }, now: () => now, close: () => kv.close() };
    },
  },
  {
    name: 'sqlite',
    async open() {
      let now = START;
      const dir = mkdtempSync(join(tmpdir(), 'atoll-kv-'));
      const kv = await openSqliteKv(dir, { clock: () => now, synchronous: 'normal' });
      return {
        kv,
        advance: (ms) => { now += ms; },
        now: () => now,
        async close() {
          await kv.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    // One nats-server for the file; each test gets new buckets and deletes them after.
    name: 'nats',
    async open() {
      nats ??= await startNatsCluster({ servers: 1 });
      let now = START;
      const nc = await connectNats({ servers: nats.urls, name: 'kv-contract', log: () => {} });
      const buckets = await openBuckets(nc, () => {});
      const kv = new NatsKvStore(buckets.data, await openValueStore(nc, 1), { clock: () => now });
      return {
        kv,
        advance: (ms) => { now += ms; },
        now: () => now,
        async close() {
          await deleteBuckets(nc);
          await nc.close();
        },
      };
    },
  },
];

let nats: NatsCluster | undefined;
after(() => nats?.stop());

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

for (const engine of engines) {
  const t = (title: string, fn: (h: Harness) => Promise<void>) =>
    test(`KvStore (${engine.name}): ${title}`, async () => {
      const h = await engine.open();
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    });

  t('get: returns what put stored, and null for a missing key', async ({ kv }) => {
    await kv.put('ns', 'greeting', text('hello'));
    const e = await kv.get('ns', 'greeting');
    assert.equal(str(e?.value), 'hello');
    assert.equal(e?.metadata, null);
    assert.equal(e?.expiration, null);
    assert.equal(await kv.get('ns', 'absent'), null);
  });

  t('put: overwrites value, metadata and expiration together', async ({ kv }) => {
    await kv.put('ns', 'k', text('one'), { metadata: '{"v":1}', expiration: START / 1000 + 600 });
    await kv.put('ns', 'k', text('two'));
    const e = await kv.get('ns', 'k');
    assert.equal(str(e?.value), 'two');
    assert.equal(e?.metadata, null);
    assert.equal(e?.expiration, null);
  });

  t('put: stores an empty value and binary bytes exactly', async ({ kv }) => {
    await kv.put('ns', 'empty', new Uint8Array(0));
    assert.equal((await kv.get('ns', 'empty'))?.value.byteLength, 0);
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await kv.put('ns', 'bin', bytes);
    assert.deepEqual([...(await kv.get('ns', 'bin'))!.value], [...bytes]);
  });

  t('put: keeps a copy, so the caller reusing its buffer changes nothing', async ({ kv }) => {
    const buf = text('abc');
    await kv.put('ns', 'k', buf);
    buf[0] = 0x7a;
    const got = await kv.get('ns', 'k');
    assert.equal(str(got?.value), 'abc');
    got!.value[0] = 0x7a;
    assert.equal(str((await kv.get('ns', 'k'))?.value), 'abc');
  });

  t('put: stores a 25 MiB value', async ({ kv }) => {
    const size = 25 * 1024 * 1024;
    const big = new Uint8Array(size).fill(7);
    big[size - 1] = 9;
    // The engine may take the buffer over (KvStore.put): nothing below reads `big`.
    await kv.put('ns', 'big', big);
    const e = await kv.get('ns', 'big');
    assert.equal(e?.value.byteLength, size);
    assert.equal(e?.value[0], 7);
    assert.equal(e?.value[size - 1], 9);
  });

  t('put: stores only the window of a view into a larger buffer', async ({ kv }) => {
    const backing = new Uint8Array(200 * 1024).fill(1);
    backing.fill(5, 100, 70_100);
    await kv.put('ns', 'window', backing.subarray(100, 70_100));
    const e = await kv.get('ns', 'window');
    assert.equal(e?.value.byteLength, 70_000);
    assert.ok(e?.value.every((b) => b === 5));
  });

  t('delete: removes a key; deleting a missing key is not an error', async ({ kv }) => {
    await kv.put('ns', 'k', text('v'));
    await kv.delete('ns', 'k');
    assert.equal(await kv.get('ns', 'k'), null);
    await kv.delete('ns', 'never-there');
  });

  t('namespaces: the same key in two namespaces holds two values', async ({ kv }) => {
    await kv.put('a', 'k', text('in a'));
    await kv.put('b', 'k', text('in b'));
    assert.equal(str((await kv.get('a', 'k'))?.value), 'in a');
    assert.equal(str((await kv.get('b', 'k'))?.value), 'in b');
    await kv.delete('a', 'k');
    assert.equal(str((await kv.get('b', 'k'))?.value), 'in b');
    assert.deepEqual((await kv.list('a')).keys, []);
  });

  t('expiration: an expired key vanishes from get and list, and sweep deletes it', async (h) => {
    const { kv } = h;
    const at = Math.floor(h.now() / 1000) + 120;
    await kv.put('ns', 'short', text('v'), { expiration: at, metadata: '{"m":true}' });
    await kv.put('ns', 'long', text('v'), { expiration: at + 600 });
    await kv.put('ns', 'forever', text('v'));
    assert.deepEqual(await kv.get('ns', 'short'), { value: text('v'), metadata: '{"m":true}', expiration: at });
    h.advance(119_000);
    assert.notEqual(await kv.get('ns', 'short'), null);
    h.advance(1_000);
    assert.equal(await kv.get('ns', 'short'), null);
    assert.deepEqual((await kv.list('ns')).keys.map((k) => k.name), ['forever', 'long']);
    h.advance(600_000);
    assert.ok((await kv.sweep()) >= 1);
    assert.deepEqual((await kv.list('ns')).keys.map((k) => k.name), ['forever']);
    assert.equal(await kv.sweep(), 0);
  });

  t('list: orders keys by their UTF-8 bytes', async ({ kv }) => {
    const names = ['b', 'a', 'Z', ', ', '!', 'é', 'z', 'ab', '\u{1F600}', 'a\u0000'];
    for (const n of names) await kv.put('ns', n, text(n));
    const listed = (await kv.list('ns')).keys.map((k) => k.name);
    const bytes = (s: string) => Buffer.from(s, 'utf8');
    assert.deepEqual(listed, [...names].sort((x, y) => Buffer.compare(bytes(x), bytes(y))));
    assert.deepEqual(listed.slice(0, 3), ['!', ', ', 'Z']);
  });

  t('list: returns expiration and metadata only for keys that have them', async (h) => {
    const at = Math.floor(h.now() / 1000) + 3600;
    await h.kv.put('ns', 'a', text('1'), { expiration: at });
    await h.kv.put('ns', 'b', text('2'), { metadata: '{"x":[1,2]}' });
    await h.kv.put('ns', 'c', text('3'));
    assert.deepEqual(await h.kv.list('ns'), {
      keys: [{ name: 'a', expiration: at }, { name: 'b', metadata: '{"x":[1,2]}' }, { name: 'c' }],
      list_complete: true,
    });
  });

  t('list: a prefix matches literally, special characters included', async ({ kv }) => {
    for (const n of ['key\\_%1', 'key\\a', 'key\\_%2', 'keyX', 'key\\bbb', 'kez', 'ke']) await kv.put('ns', n, text(n));
    assert.deepEqual((await kv.list('ns', { prefix: 'key\\_%' })).keys.map((k) => k.name), ['key\\_%1', 'key\\_%2']);
    assert.deepEqual((await kv.list('ns', { prefix: 'KEY' })).keys, []);
    assert.deepEqual((await kv.list('ns', { prefix: 'ké' })).keys, []);
  });

  t('list: pages with a cursor, and the last page has no cursor', async ({ kv }) => {
    for (let i = 0; i < 7; i++) await kv.put('ns', `p/${i}`, text(String(i)));
    await kv.put('ns', 'q', text('other prefix'));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await kv.list('ns', { prefix: 'p/', limit: 3, cursor });
      pages++;
      seen.push(...page.keys.map((k) => k.name));
      if (page.list_complete) {
        assert.equal('cursor' in page, false);
        break;
      }
      assert.equal(typeof page.cursor, 'string');
      cursor = page.cursor;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, ['p/0', 'p/1', 'p/2', 'p/3', 'p/4', 'p/5', 'p/6']);
  });

  t('list: a key added after the cursor position appears on the next page', async ({ kv }) => {
    for (const n of ['k1', 'k3', 'k5']) await kv.put('ns', n, text(n));
    const first = await kv.list('ns', { limit: 2 });
    assert.deepEqual(first.keys.map((k) => k.name), ['k1', 'k3']);
    await kv.put('ns', 'k2', text('before the cursor'));
    await kv.put('ns', 'k4', text('after the cursor'));
    const second = await kv.list('ns', { limit: 2, cursor: first.cursor });
    assert.deepEqual(second.keys.map((k) => k.name), ['k4', 'k5']);
    assert.equal(second.list_complete, true);
  });

  t('list: a full page of exactly `limit` keys is complete', async ({ kv }) => {
    for (const n of ['a', 'b']) await kv.put('ns', n, text(n));
    const page = await kv.list('ns', { limit: 2 });
    assert.equal(page.keys.length, 2);
    assert.equal(page.list_complete, true);
  });
}
