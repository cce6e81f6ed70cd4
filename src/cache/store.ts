// A location's cache store, shared by the HTTP cache in front of zone origins
// (http-cache.ts) and the Workers Cache API (cache-api.ts): a memory tier and, when a
// folder is given, a disk tier, both bounded in bytes with the least recently used
// entry out first. With a disk tier every entry is on disk (so the cache survives a
// restart) and the memory tier holds the bodies of the recently used small ones;
// without one, memory is the only tier.
//
// Entries are keyed by namespace (the account: tenants never see each other's
// entries), kind (the HTTP cache and the Cache API do not share entries, as on
// Workers), cache name (caches.open) and URL, and then by the request header values
// their Vary names: one key holds a few variants.
//
// A full tier makes room from the namespace that holds the most of it, least recently
// used entry first: with one account that is plain LRU; with several, one account
// filling the cache pushes out its own entries, never those of an account that holds
// less than it does (so under pressure the accounts converge on equal shares).

import { createHash } from 'node:crypto';
import type { HeaderList } from '../shared/ops.ts';
import { varyMatches } from '../runtime/cache-policy.ts';
import { DiskTier } from './disk.ts';
import { purgeKey, purgeMatcher, type PurgeSpec } from './purge.ts';

export type EntryKind = 'http' | 'api';

/** What an entry records besides its body; this is what the disk tier stores as JSON. */
export interface EntryMeta {
  ns: string;
  kind: EntryKind;
  name: string | null;
  url: string;
  /** Request header values this variant was stored under (Vary). */
  vary: [string, string | null][];
  status: number;
  statusText: string;
  headers: HeaderList;
  /** ms since the epoch. */
  storedAt: number;
  /** The Age the response already had when stored, seconds. */
  initialAge: number;
  /** Fresh until (ms). */
  expiresAt: number;
  /** Dropped at (ms): later than expiresAt when a stale entry can still serve or be revalidated. */
  removeAt: number;
  /** stale-while-revalidate and stale-if-error windows, seconds. */
  swr: number;
  sie: number;
  mustRevalidate: boolean;
  tags: string[];
}

export interface CacheEntry extends EntryMeta {
  id: string;
  base: string;
  /** The key purges match (host/path?query). */
  purgeKey: string;
  bodySize: number;
  /** Bytes charged: body, headers and key. */
  size: number;
  /** The body, while it is in the memory tier. */
  body: Uint8Array | null;
}

export interface CacheStoreOptions {
  /**
   * The disk tier's folder; without one the cache lives in memory only. A store with a
   * folder is made with `CacheStore.open`, which loads what the folder holds.
   */
  dir?: string | null;
  /** Memory tier size (default 64 MiB). */
  maxMemoryBytes?: number;
  /** Disk tier size (default 1 GiB). */
  maxDiskBytes?: number;
  /** The largest single entry (default: a quarter of the largest tier, at most 32 MiB). */
  maxEntryBytes?: number;
  clock?: () => number;
  /** Disk failures are logged here, and the entry dropped; serving goes on. */
  log?: (fields: Record<string, unknown>) => void;
}

/** A Vary-keyed URL keeps at most this many variants; the oldest goes first. */
const MAX_VARIANTS = 16;
const MiB = 1024 * 1024;

// Unambiguous: ids and kinds hold no NUL, a JSON string holds no raw control character,
// and the URL comes last. Built on every lookup, so no JSON.stringify of the whole.
const baseKey = (ns: string, kind: EntryKind, name: string | null, url: string) => `${ns}\0${kind}\0${name === null ? '' : JSON.stringify(name)}\0${url}`;
const headersSize = (h: HeaderList) => h.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);

function positive(options: CacheStoreOptions, name: 'maxMemoryBytes' | 'maxDiskBytes' | 'maxEntryBytes'): void {
  const v = options[name];
  if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`cache store: ${name} must be a positive integer of bytes, not ${String(v)}`);
}

// Checks what the disk tier read back: a file another version or a damaged disk wrote is dropped.
function parseMeta(raw: unknown): EntryMeta | null {
  if (raw === null || typeof raw !== 'object') return null;
  const m = raw as Record<string, unknown>;
  const num = (k: string) => typeof m[k] === 'number' && Number.isFinite(m[k]);
  const pairs = (v: unknown, nullable: boolean) => Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && (typeof p[1] === 'string' || (nullable && p[1] === null)));
  if (typeof m.ns !== 'string' || (m.kind !== 'http' && m.kind !== 'api') || (m.name !== null && typeof m.name !== 'string') || typeof m.url !== 'string') return null;
  if (!['status', 'storedAt', 'initialAge', 'expiresAt', 'removeAt', 'swr', 'sie'].every(num) || typeof m.statusText !== 'string' || typeof m.mustRevalidate !== 'boolean') return null;
  if (!pairs(m.vary, true) || !pairs(m.headers, false) || !Array.isArray(m.tags) || !m.tags.every((t) => typeof t === 'string')) return null;
  return m as unknown as EntryMeta;
}

function charge(byNs: Map<string, number>, ns: string, bytes: number): void {
  const n = (byNs.get(ns) ?? 0) + bytes;
  if (n > 0) byNs.set(ns, n);
  else byNs.delete(ns);
}

/**
 * The entry to evict from a full tier: the least recently used one of the namespace that
 * holds the most bytes there. `lru` iterates least recently used first.
 */
function fairVictim(lru: Map<string, CacheEntry>, byNs: Map<string, number>): CacheEntry | null {
  let heaviest: string | null = null;
  let most = -1;
  for (const [ns, bytes] of byNs) {
    if (bytes > most) {
      most = bytes;
      heaviest = ns;
    }
  }
  for (const e of lru.values()) if (e.ns === heaviest) return e;
  return null;
}

export class CacheStore {
  readonly maxMemoryBytes: number;
  readonly maxDiskBytes: number;
  readonly maxEntryBytes: number;
  readonly #clock: () => number;
  readonly #log: (fields: Record<string, unknown>) => void;
  readonly #disk: DiskTier<EntryMeta> | null;
  readonly #byBase = new Map<string, CacheEntry[]>();
  // Maps iterate in insertion order: re-inserting on use keeps the least recently used first.
  readonly #all = new Map<string, CacheEntry>();
  readonly #inMemory = new Map<string, CacheEntry>();
  #memoryBytes = 0;
  #diskBytes = 0;
  /** Bytes per namespace in each tier (the memory tier counts entries with a body). */
  readonly #nsMemory = new Map<string, number>();
  readonly #nsDisk = new Map<string, number>();
  #generation = 0;
  #lastTouched: CacheEntry | null = null;
  /** Disk writes and removals, chained per entry id so they land in order. */
  readonly #diskOps = new Map<string, Promise<void>>();

  constructor(options: CacheStoreOptions = {}) {
    positive(options, 'maxMemoryBytes');
    positive(options, 'maxDiskBytes');
    positive(options, 'maxEntryBytes');
    this.maxMemoryBytes = options.maxMemoryBytes ?? 64 * MiB;
    this.maxDiskBytes = options.maxDiskBytes ?? 1024 * MiB;
    this.#disk = options.dir ? new DiskTier<EntryMeta>(options.dir) : null;
    const largest = this.#disk ? this.maxDiskBytes : this.maxMemoryBytes;
    this.maxEntryBytes = Math.min(options.maxEntryBytes ?? Math.min(32 * MiB, Math.floor(largest / 4)), largest);
    this.#clock = options.clock ?? Date.now;
    this.#log = options.log ?? (() => {});
  }

  /** A store with its disk tier's entries loaded (without a folder, the same as `new`). */
  static async open(options: CacheStoreOptions = {}): Promise<CacheStore> {
    const store = new CacheStore(options);
    await store.#load();
    return store;
  }

  now(): number {
    return this.#clock();
  }

  /** Entries, and bytes held in each tier. */
  stats(): { entries: number; memoryBytes: number; diskBytes: number } {
    return { entries: this.#all.size, memoryBytes: this.#memoryBytes, diskBytes: this.#diskBytes };
  }

  // Before anything else uses the store (open() awaits it), so nothing races the load.
  async #load(): Promise<void> {
    const disk = this.#disk;
    if (!disk) return;
    const now = this.#clock();
    const files = (await disk.load(parseMeta)).sort((a, b) => a.meta.storedAt - b.meta.storedAt);
    for (const f of files) {
      if (f.meta.removeAt <= now) {
        this.#queue(f.id, () => disk.remove(f.id));
        continue;
      }
      const entry = this.#entry(f.meta, f.bodySize, null);
      if (entry.id !== f.id) {
        this.#queue(f.id, () => disk.remove(f.id));
        continue;
      }
      this.#insert(entry);
    }
    this.#evict();
  }

  #entry(meta: EntryMeta, bodySize: number, body: Uint8Array | null): CacheEntry {
    const base = baseKey(meta.ns, meta.kind, meta.name, meta.url);
    const id = createHash('sha256').update(base).update(JSON.stringify(meta.vary)).digest('hex');
    // Everything a tenant can make large is charged: tags (cf.cacheTags), Vary values, the key.
    const extra = meta.tags.reduce((n, t) => n + t.length + 16, 0) + meta.vary.reduce((n, [k, v]) => n + k.length + (v?.length ?? 0) + 16, 0);
    const size = bodySize + headersSize(meta.headers) + base.length + extra + 256;
    return { ...meta, id, base, purgeKey: purgeKey(meta.url) ?? meta.url, bodySize, size, body };
  }

  #insert(entry: CacheEntry): void {
    this.#lastTouched = entry;
    const list = this.#byBase.get(entry.base);
    if (list) list.push(entry);
    else this.#byBase.set(entry.base, [entry]);
    this.#all.set(entry.id, entry);
    if (this.#disk) {
      this.#diskBytes += entry.size;
      charge(this.#nsDisk, entry.ns, entry.size);
    }
    if (entry.body) this.#bodyIn(entry);
  }

  #bodyIn(entry: CacheEntry): void {
    this.#inMemory.set(entry.id, entry);
    this.#memoryBytes += entry.size;
    charge(this.#nsMemory, entry.ns, entry.size);
  }

  #dropBody(entry: CacheEntry): void {
    if (!entry.body) return;
    entry.body = null;
    this.#inMemory.delete(entry.id);
    this.#memoryBytes -= entry.size;
    charge(this.#nsMemory, entry.ns, -entry.size);
  }

  /** Takes the entry out of the index; its file is removed unless `keepFile`. */
  #remove(entry: CacheEntry, keepFile = false): void {
    if (this.#all.get(entry.id) !== entry) return;
    if (this.#lastTouched === entry) this.#lastTouched = null;
    this.#all.delete(entry.id);
    this.#dropBody(entry);
    const list = this.#byBase.get(entry.base);
    if (list) {
      const i = list.indexOf(entry);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) this.#byBase.delete(entry.base);
    }
    const disk = this.#disk;
    if (disk) {
      this.#diskBytes -= entry.size;
      charge(this.#nsDisk, entry.ns, -entry.size);
      if (!keepFile) this.#queue(entry.id, () => disk.remove(entry.id));
    }
  }

  #queue(id: string, op: () => Promise<void>): void {
    const prev = this.#diskOps.get(id) ?? Promise.resolve();
    const next = prev.then(op).catch((err: Error) => {
      this.#log({ level: 'warn', msg: 'cache disk operation failed; the entry is dropped', error: err.message });
      const e = this.#all.get(id);
      if (e) this.#remove(e);
    });
    this.#diskOps.set(id, next);
    void next.then(() => { if (this.#diskOps.get(id) === next) this.#diskOps.delete(id); });
  }

  #evict(): void {
    if (this.#disk) {
      while (this.#memoryBytes > this.maxMemoryBytes) {
        const e = fairVictim(this.#inMemory, this.#nsMemory);
        if (!e) break;
        this.#dropBody(e);
      }
      while (this.#diskBytes > this.maxDiskBytes) {
        const e = fairVictim(this.#all, this.#nsDisk);
        if (!e) break;
        this.#remove(e);
      }
    } else {
      while (this.#memoryBytes > this.maxMemoryBytes) {
        const e = fairVictim(this.#all, this.#nsMemory);
        if (!e) break;
        this.#remove(e);
      }
    }
  }

  #touch(entry: CacheEntry): void {
    // Used again right after its last use (a hot object): already the most recent.
    if (this.#lastTouched === entry) return;
    this.#lastTouched = entry;
    this.#all.delete(entry.id);
    this.#all.set(entry.id, entry);
    if (entry.body) {
      this.#inMemory.delete(entry.id);
      this.#inMemory.set(entry.id, entry);
    }
  }

  /**
   * The variant stored for this request (Vary), fresh or stale, or null. Entries past
   * their removal time are dropped here.
   */
  find(ns: string, kind: EntryKind, name: string | null, url: string, reqHeaders: HeaderList): CacheEntry | null {
    const list = this.#byBase.get(baseKey(ns, kind, name, url));
    if (!list) return null;
    const now = this.#clock();
    let expired: CacheEntry[] | null = null;
    let found: CacheEntry | null = null;
    for (const e of list) {
      if (e.removeAt <= now) (expired ??= []).push(e);
      else if (varyMatches(e.vary, reqHeaders)) {
        found = e;
        break;
      }
    }
    if (expired) for (const e of expired) this.#remove(e);
    if (found) this.#touch(found);
    return found;
  }

  /** The entry's body, from memory or disk; null when its file has gone (the entry is dropped). */
  async body(entry: CacheEntry): Promise<Uint8Array | null> {
    if (entry.body) return entry.body;
    if (!this.#disk) return null;
    await this.#diskOps.get(entry.id);
    const body = await this.#disk.body(entry.id);
    if (body === null || body.byteLength !== entry.bodySize) {
      this.#remove(entry);
      return null;
    }
    // Promoted into memory if it is small enough and still stored.
    if (this.#all.get(entry.id) === entry && !entry.body && entry.size <= this.maxMemoryBytes / 4) {
      entry.body = body;
      this.#lastTouched = null;
      this.#bodyIn(entry);
      this.#evict();
    }
    return body;
  }

  /**
   * Stores a response whose body the caller has read whole; replaces the variant with
   * the same Vary values. Null when it is larger than an entry may be.
   */
  put(meta: EntryMeta, body: Uint8Array): CacheEntry | null {
    const entry = this.#entry(meta, body.byteLength, body);
    if (entry.size > this.maxEntryBytes) return null;
    const old = this.#all.get(entry.id);
    // The file is overwritten in place below, so the old one is not removed first.
    if (old) this.#remove(old, true);
    const variants = this.#byBase.get(entry.base);
    if (variants && variants.length >= MAX_VARIANTS) this.#remove(variants[0]!);
    const inMemory = !this.#disk || entry.size <= this.maxMemoryBytes / 4;
    if (!inMemory) entry.body = null;
    this.#insert(entry);
    const disk = this.#disk;
    if (disk) {
      const { id, base: _b, purgeKey: _p, bodySize: _s, size: _z, body: _body, ...stored } = entry;
      this.#queue(id, () => disk.write(id, stored, body));
    }
    this.#evict();
    return this.#all.get(entry.id) === entry ? entry : null;
  }

  /** New headers and freshness for a stored entry (after a 304 from the origin). */
  async update(entry: CacheEntry, meta: EntryMeta): Promise<CacheEntry | null> {
    const body = await this.body(entry);
    if (body === null) return null;
    return this.put(meta, body);
  }

  /** Removes every variant stored under the key; true when one was live. */
  delete(ns: string, kind: EntryKind, name: string | null, url: string): boolean {
    const list = this.#byBase.get(baseKey(ns, kind, name, url));
    if (!list) return false;
    const now = this.#clock();
    const live = list.some((e) => e.expiresAt > now);
    for (const e of [...list]) this.#remove(e);
    return live;
  }

  /** Removes the entry (a caller found it unusable). */
  remove(entry: CacheEntry): void {
    this.#remove(entry);
  }

  /**
   * Counts purges: a response fetched while one ran may be older than the purge, so a
   * writer that saw another generation when it began does not store it.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Applies a purge to this store; resolves with the number of entries removed. */
  purge(spec: PurgeSpec): number {
    this.#generation++;
    const matches = purgeMatcher(spec);
    let n = 0;
    for (const e of [...this.#all.values()]) {
      if (e.ns === spec.accountId && matches(e.purgeKey, e.tags)) {
        this.#remove(e);
        n++;
      }
    }
    return n;
  }

  /** Resolves once every disk write and removal queued so far has landed. */
  async flush(): Promise<void> {
    while (this.#diskOps.size > 0) await Promise.all([...this.#diskOps.values()]);
  }
}
