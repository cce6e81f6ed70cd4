// The Workers Cache API (caches.default, caches.open) over a location's cache store:
// one backend per account, so a worker reaches only its own account's entries. What
// is storable and for how long follows the Cache API's rules (src/runtime/cache-policy.ts);
// a Cache-Tag header on a put response tags the entry for purges, as on Cloudflare.

import type { HeaderList, ResponseHead } from '../shared/ops.ts';
import type { HostStream } from '../runtime/host-stream.ts';
import type { CacheBackend, OutboundResponse } from '../runtime/ops/index.ts';
import { answer, header, storagePlan, varyKey } from '../runtime/cache-policy.ts';
import { bytesStream } from './http-cache.ts';
import { splitTags } from './purge.ts';
import type { CacheStore } from './store.ts';

export class CacheApiBackend implements CacheBackend {
  readonly #store: CacheStore;
  readonly #ns: string;

  /** The store behind it, which the HTTP cache shares (atoll dev). */
  get store(): CacheStore {
    return this.#store;
  }

  /** `ns`: the account whose entries this backend reaches. */
  constructor(store: CacheStore, ns: string) {
    this.#store = store;
    this.#ns = ns;
  }

  async match(cacheName: string | null, url: string, reqHeaders: HeaderList): Promise<OutboundResponse | null> {
    const entry = this.#store.find(this.#ns, 'api', cacheName, url, reqHeaders);
    const now = this.#store.now();
    if (!entry || entry.expiresAt <= now) return null;
    const body = await this.#store.body(entry);
    if (body === null) return null;
    const out = answer({ status: entry.status, statusText: entry.statusText, headers: entry.headers, body }, reqHeaders, Math.max(0, Math.floor((now - entry.storedAt) / 1000)));
    return {
      head: { status: out.status, statusText: out.statusText, headers: out.headers, url: '', redirected: false },
      body: out.body.byteLength === 0 ? null : bytesStream(out.body),
    };
  }

  async put(cacheName: string | null, url: string, reqHeaders: HeaderList, head: Omit<ResponseHead, 'body'>, body: HostStream): Promise<void> {
    const now = this.#store.now();
    const plan = storagePlan(head.status, head.headers, now);
    if (!plan) {
      body.cancel('not storable');
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const chunk = await body.read();
      if (chunk === null) break;
      size += chunk.byteLength;
      // Workers' cache answers 413 for what it will not hold, and put() still resolves.
      if (size > this.#store.maxEntryBytes) {
        body.cancel('response too large for the cache');
        return;
      }
      chunks.push(chunk);
    }
    const expiresAt = now + plan.ttl * 1000;
    this.#store.put({
      ns: this.#ns, kind: 'api', name: cacheName, url, vary: varyKey(plan.headers, reqHeaders),
      status: head.status, statusText: head.statusText, headers: plan.headers,
      storedAt: now, initialAge: 0, expiresAt, removeAt: expiresAt, swr: 0, sie: 0, mustRevalidate: false,
      tags: splitTags(header(plan.headers, 'cache-tag')),
    }, Buffer.concat(chunks));
  }

  async delete(cacheName: string | null, url: string): Promise<boolean> {
    return this.#store.delete(this.#ns, 'api', cacheName, url);
  }
}
