// The Cache API backend for `atoll dev`: responses in process memory, bounded in bytes,
// least recently used evicted first. One entry per (cache, URL), as Workers keeps one;
// what is storable and for how long is cache-policy.ts's decision.

import type { HeaderList, ResponseHead } from '../shared/ops.ts';
import type { HostStream } from './host-stream.ts';
import { MAX_CHUNK } from './host-stream.ts';
import type { CacheBackend, OutboundResponse } from './ops/index.ts';
import { answer, storagePlan, varyKey, varyMatches, type StoredResponse } from './cache-policy.ts';

export interface MemoryCacheOptions {
  /** Total bytes of bodies and headers kept (default 64 MiB). */
  maxBytes?: number;
  /** The largest single response kept (default a quarter of maxBytes); larger ones are not stored. */
  maxEntryBytes?: number;
  clock?: () => number;
}

interface Entry extends StoredResponse {
  vary: [string, string | null][];
  storedAt: number;
  expiresAt: number;
  size: number;
}

function bytesStream(bytes: Uint8Array): HostStream {
  let offset = 0;
  return {
    async read() {
      if (offset >= bytes.byteLength) return null;
      const chunk = bytes.subarray(offset, offset + MAX_CHUNK);
      offset += chunk.byteLength;
      return chunk;
    },
    cancel() {
      offset = bytes.byteLength;
    },
  };
}

const headersSize = (h: HeaderList) => h.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);

export class MemoryCache implements CacheBackend {
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  readonly #clock: () => number;
  // A Map iterates in insertion order: re-inserting on every hit keeps the least
  // recently used entry first, where eviction looks.
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(options: MemoryCacheOptions = {}) {
    for (const name of ['maxBytes', 'maxEntryBytes'] as const) {
      const v = options[name];
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`MemoryCache: ${name} must be a positive integer of bytes, not ${String(v)}`);
    }
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxEntryBytes = Math.min(options.maxEntryBytes ?? Math.floor(this.maxBytes / 4), this.maxBytes);
    this.#clock = options.clock ?? Date.now;
  }

  /** Bytes held now (bodies and headers). */
  get size(): number {
    return this.#bytes;
  }

  #key(cacheName: string | null, url: string): string {
    return JSON.stringify([cacheName, url]);
  }

  #remove(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#bytes -= e.size;
  }

  #live(key: string): Entry | null {
    const e = this.#entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= this.#clock()) {
      this.#remove(key);
      return null;
    }
    return e;
  }

  async match(cacheName: string | null, url: string, reqHeaders: HeaderList): Promise<OutboundResponse | null> {
    const key = this.#key(cacheName, url);
    const e = this.#live(key);
    if (!e || !varyMatches(e.vary, reqHeaders)) return null;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    const age = Math.max(0, Math.floor((this.#clock() - e.storedAt) / 1000));
    const out = answer(e, reqHeaders, age);
    return {
      head: { status: out.status, statusText: out.statusText, headers: out.headers, url: '', redirected: false },
      body: out.body.byteLength === 0 ? null : bytesStream(out.body),
    };
  }

  async put(cacheName: string | null, url: string, reqHeaders: HeaderList, head: Omit<ResponseHead, 'body'>, body: HostStream): Promise<void> {
    const now = this.#clock();
    const plan = storagePlan(head.status, head.headers, now);
    if (!plan) {
      body.cancel('not storable');
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = headersSize(plan.headers) + url.length;
    for (;;) {
      const chunk = await body.read();
      if (chunk === null) break;
      size += chunk.byteLength;
      // Workers' cache answers 413 for what it will not hold, and put() still resolves.
      if (size > this.maxEntryBytes) {
        body.cancel('response too large for the cache');
        return;
      }
      chunks.push(chunk);
    }
    const key = this.#key(cacheName, url);
    this.#remove(key);
    const entry: Entry = {
      status: head.status,
      statusText: head.statusText,
      headers: plan.headers,
      body: Buffer.concat(chunks),
      vary: varyKey(plan.headers, reqHeaders),
      storedAt: now,
      expiresAt: now + plan.ttl * 1000,
      size,
    };
    this.#entries.set(key, entry);
    this.#bytes += size;
    for (const [k] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#remove(k);
    }
  }

  async delete(cacheName: string | null, url: string): Promise<boolean> {
    const key = this.#key(cacheName, url);
    const live = this.#live(key) !== null;
    this.#remove(key);
    return live;
  }
}
