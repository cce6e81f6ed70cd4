// A KV engine in process memory: for tests, and for workers run without a data folder.
// Nothing survives the process. Values are copied in and out, so a caller that reuses
// its buffer cannot change what is stored.

import { compareKeys, decodeCursor, encodeCursor, type Clock, type KvEntry, type KvListOptions, type KvListPage, type KvPutOptions, type KvStore, KV_LIMITS } from './kv.ts';

export class MemoryKvStore implements KvStore {
  readonly #namespaces = new Map<string, Map<string, KvEntry>>();
  readonly #clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  #live(entry: KvEntry | undefined): entry is KvEntry {
    return entry !== undefined && (entry.expiration === null || entry.expiration * 1000 > this.#clock());
  }

  async get(ns: string, key: string): Promise<KvEntry | null> {
    const entries = this.#namespaces.get(ns);
    const entry = entries?.get(key);
    if (!this.#live(entry)) {
      if (entry) entries!.delete(key);
      return null;
    }
    return { value: entry.value.slice(), metadata: entry.metadata, expiration: entry.expiration };
  }

  async put(ns: string, key: string, value: Uint8Array, options: KvPutOptions = {}): Promise<void> {
    let entries = this.#namespaces.get(ns);
    if (!entries) this.#namespaces.set(ns, (entries = new Map()));
    entries.set(key, { value: value.slice(), metadata: options.metadata ?? null, expiration: options.expiration ?? null });
  }

  async delete(ns: string, key: string): Promise<void> {
    this.#namespaces.get(ns)?.delete(key);
  }

  async list(ns: string, options: KvListOptions = {}): Promise<KvListPage> {
    const prefix = options.prefix ?? '';
    const limit = options.limit ?? KV_LIMITS.listMax;
    const after = decodeCursor(options.cursor);
    const entries = this.#namespaces.get(ns) ?? new Map<string, KvEntry>();
    const names = [...entries.keys()]
      .filter((k) => k.startsWith(prefix) && (after === null || compareKeys(k, after) > 0) && this.#live(entries.get(k)))
      .sort(compareKeys);
    const page = names.slice(0, limit);
    const keys = page.map((name) => {
      const e = entries.get(name)!;
      return { name, ...(e.expiration !== null && { expiration: e.expiration }), ...(e.metadata !== null && { metadata: e.metadata }) };
    });
    if (names.length > limit) return { keys, list_complete: false, cursor: encodeCursor(page[page.length - 1]) };
    return { keys, list_complete: true };
  }

  async sweep(): Promise<number> {
    let removed = 0;
    for (const entries of this.#namespaces.values()) {
      for (const [k, e] of entries) {
        if (!this.#live(e)) {
          entries.delete(k);
          removed++;
        }
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.#namespaces.clear();
  }
}
