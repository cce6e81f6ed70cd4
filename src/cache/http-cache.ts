// The HTTP cache in front of zone origins: a request no route claims, and a worker's
// fetch() to its own zone, both come through here (src/edge/origin-cache.ts,
// src/edge/services.ts; `atoll dev --origin` too). Each answer says how the cache
// answered in cf-cache-status, with Cloudflare's values:
//
//   HIT          fresh from the cache
//   MISS         not in the cache; fetched from the origin (and stored if storable)
//   EXPIRED      in the cache but stale; fetched again in full
//   REVALIDATED  in the cache but stale; the origin answered 304, the stored body served
//   UPDATING     stale within stale-while-revalidate: served, refreshed in the background
//   STALE        stale, and the origin failed (error or 5xx) within stale-if-error
//   BYPASS       the request or response forbids caching (no-store, private, Set-Cookie,
//                cache: 'no-store', ...)
//   DYNAMIC      not eligible: a method other than GET/HEAD, or no freshness information
//
// Concurrent misses (and revalidations) of one key make one origin request: the
// first request leads, the others wait for it and are answered from what it stored.
// To store a response, the cache fetches the full object (the client's Range and
// conditional headers are not sent) and answers Range, If-None-Match and
// If-Modified-Since itself. A response to store is read whole before it is served
// (up to the store's entry limit; a larger one streams through, not stored). When the
// response turns out not storable, a Range request is sent again as the client sent it,
// and a conditional one is answered from the response's validators.

import type { HeaderList } from '../shared/ops.ts';
import { MAX_CHUNK, type HostStream } from '../runtime/host-stream.ts';
import type { OutboundResponse } from '../runtime/ops/index.ts';
import { answer, header, REPLACED_ON_ANSWER, varyKey } from '../runtime/cache-policy.ts';
import { negotiate } from '../runtime/client-compression.ts';
import type { CacheOptions } from './fetch-options.ts';
import { httpStoragePlan, mergeNotModified, type HttpPlan } from './http-policy.ts';
import { purgeKey } from './purge.ts';
import type { CacheEntry, CacheStore, EntryMeta } from './store.ts';

export type CacheStatus = 'HIT' | 'MISS' | 'EXPIRED' | 'REVALIDATED' | 'UPDATING' | 'STALE' | 'BYPASS' | 'DYNAMIC';

export interface CachedRequest {
  /** The account: the namespace the entries live in. */
  ns: string;
  method: string;
  /** The URL as the client or worker addressed it (the cache key unless cacheKey says otherwise). */
  url: string;
  /** urlPurgeKey of the URL, when the caller has it parsed already (it saves parsing it again). */
  urlKey?: string;
  /** Request headers, names in lower case. */
  headers: HeaderList;
  options: CacheOptions;
}

/**
 * One request to the origin; `method` is GET for anything the cache may store. `signal`
 * is the one given to fetch(), or the cache's own for a background refresh; null when
 * fetch() was given none (the callback then uses its own, made only when it is needed).
 */
export type OriginFetch = (method: string, headers: HeaderList, signal: AbortSignal | null) => Promise<OutboundResponse>;

export interface CachedResponse extends OutboundResponse {
  cacheStatus: CacheStatus;
  /** The whole body, when it came from the cache (the edge writes it in one go). */
  bytes?: Uint8Array;
  /** The stored entry it was answered from (derived forms can be kept per entry). */
  entry?: CacheEntry;
}

// Request headers that would make the origin answer with less than the full object.
const PARTIAL = new Set(['range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since']);

type Filled = { entry: CacheEntry; status: CacheStatus } | null;

/** Whether a request asks for less than the whole stored response (a validator or a range). */
function conditional(headers: HeaderList): boolean {
  for (const [n] of headers) if (n === 'if-none-match' || n === 'if-modified-since' || n === 'range') return true;
  return false;
}

// An entry's stored headers without those each answer sets (as answer() in
// cache-policy.ts drops them): computed once per entry, entries being immutable once stored.
const ANSWER_SET = new Set([...REPLACED_ON_ANSWER, 'content-length']);
const plainHeaderLists = new WeakMap<CacheEntry, HeaderList>();
function plainHeaders(entry: CacheEntry): HeaderList {
  let list = plainHeaderLists.get(entry);
  if (!list) plainHeaderLists.set(entry, (list = entry.headers.filter(([n]) => !ANSWER_SET.has(n))));
  return list;
}

/**
 * The request headers Vary is matched on. Accept-Encoding is reduced to the coding the
 * edge would pick (br, gzip or none), as Cloudflare normalizes it: the stored body is
 * decoded anyway, and "gzip, deflate, br" and "br, gzip" must not make two entries.
 */
function varyHeaders(headers: HeaderList): HeaderList {
  const i = headers.findIndex(([n]) => n === 'accept-encoding');
  if (i === -1) return headers;
  const out = headers.filter(([n]) => n !== 'accept-encoding');
  out.push(['accept-encoding', negotiate(headers[i]![1]) ?? '']);
  return out;
}

/** A stored body as a host stream, in chunks of at most MAX_CHUNK (one bridge crossing each). */
export function bytesStream(bytes: Uint8Array): HostStream {
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

function withStatus(res: OutboundResponse, status: CacheStatus): CachedResponse {
  const headers: HeaderList = [...res.head.headers.filter(([n]) => n !== 'cf-cache-status' && n !== 'cache-tag'), ['cf-cache-status', status]];
  return { ...res, head: { ...res.head, headers }, cacheStatus: status };
}

/** Reads a body up to `limit` bytes: the bytes, or (past the limit) a stream of all of it. */
async function readUpTo(body: HostStream | null, limit: number): Promise<{ bytes: Uint8Array } | { stream: HostStream }> {
  if (!body) return { bytes: new Uint8Array(0) };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await body.read();
    if (chunk === null) return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > limit) {
      const read = chunks;
      return {
        stream: {
          read: async () => read.shift() ?? body.read(),
          cancel: (reason) => { read.length = 0; body.cancel(reason); },
        },
      };
    }
  }
}

export class HttpCache {
  readonly store: CacheStore;
  readonly #flights = new Map<string, Promise<Filled>>();
  readonly #log: (fields: Record<string, unknown>) => void;

  constructor(store: CacheStore, log: (fields: Record<string, unknown>) => void = () => {}) {
    this.store = store;
    this.#log = log;
  }

  /** The key a request is stored under: cf.cacheKey, else host/path?query of its URL. */
  static key(req: CachedRequest): string {
    const custom = req.options.cacheKey;
    if (custom !== null) return purgeKey(custom) ?? `key:${custom}`;
    return req.urlKey ?? purgeKey(req.url) ?? req.url;
  }

  /** A successful unsafe request invalidates what is stored for its URL (RFC 9111 section 4.4). */
  invalidate(ns: string, url: string): void {
    const key = purgeKey(url);
    if (key !== null) this.store.delete(ns, 'http', null, key);
  }

  /**
   * The answer for a request a fresh entry in memory serves, at once; null when fetch()
   * has more to do (a miss, a stale or on-disk entry, a method or option that skips the
   * cache). The edge tries it first: most requests to a cached asset end here.
   */
  hit(req: CachedRequest): CachedResponse | null {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.options.bypass || req.options.revalidate) return null;
    const entry = this.store.find(req.ns, 'http', null, HttpCache.key(req), varyHeaders(req.headers));
    if (!entry?.body || this.store.now() >= entry.expiresAt) return null;
    return this.#answer(entry, entry.body, req, 'HIT', this.#age(entry), entry);
  }

  async fetch(req: CachedRequest, origin: OriginFetch, signal: AbortSignal | null): Promise<CachedResponse> {
    const o = req.options;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const res = await origin(req.method, req.headers, signal);
      if (res.head.status < 400) this.invalidate(req.ns, req.url);
      return withStatus(res, 'DYNAMIC');
    }
    if (o.bypass) return withStatus(await origin(req.method, req.headers, signal), 'BYPASS');
    const key = HttpCache.key(req);
    const entry = this.store.find(req.ns, 'http', null, key, varyHeaders(req.headers));
    if (entry) {
      const now = this.store.now();
      const fresh = !o.revalidate && now < entry.expiresAt;
      if (fresh) {
        const hit = await this.#serve(entry, req, 'HIT');
        if (hit) return hit;
      } else if (!o.revalidate && !entry.mustRevalidate && now < entry.expiresAt + entry.swr * 1000) {
        const stale = await this.#serve(entry, req, 'UPDATING');
        if (stale) {
          // The refresh runs on its own: no client waits for it, and it ends by itself.
          this.#flight(entry.id, () => this.#fill(req, key, entry, origin, AbortSignal.timeout(60_000)))
            .catch((err: Error) => this.#log({ level: 'warn', msg: 'background revalidation failed', url: req.url, error: err.message }));
          return stale;
        }
      }
    }
    return this.#coalesced(req, key, entry, origin, signal);
  }

  #flight(id: string, run: () => Promise<{ filled: Filled; res?: CachedResponse }>): Promise<{ filled: Filled; res?: CachedResponse }> {
    const p = run();
    const filled = p.then((r) => r.filled, () => null);
    this.#flights.set(id, filled);
    void filled.then(() => { if (this.#flights.get(id) === filled) this.#flights.delete(id); });
    return p;
  }

  async #coalesced(req: CachedRequest, key: string, stale: CacheEntry | null, origin: OriginFetch, signal: AbortSignal | null): Promise<CachedResponse> {
    // A miss does not know its Vary variant yet, so misses coalesce per key; a follower
    // whose variant the leader did not store goes to the origin on its own.
    const id = stale ? stale.id : `miss:${req.ns}\n${key}`;
    const leading = this.#flights.get(id);
    if (leading) {
      const filled = await leading;
      if (filled) {
        const entry = this.store.find(req.ns, 'http', null, key, varyHeaders(req.headers));
        if (entry === filled.entry) {
          const res = await this.#serve(entry, req, filled.status);
          if (res) return res;
        }
      }
      const own = await this.#fill(req, key, this.store.find(req.ns, 'http', null, key, varyHeaders(req.headers)), origin, signal);
      return own.res!;
    }
    const own = await this.#flight(id, () => this.#fill(req, key, stale, origin, signal));
    return own.res!;
  }

  /** One origin request for the key: revalidates `stale` or fetches in full, and stores what it may. */
  async #fill(req: CachedRequest, key: string, stale: CacheEntry | null, origin: OriginFetch, signal: AbortSignal | null): Promise<{ filled: Filled; res: CachedResponse }> {
    const generation = this.store.generation;
    const headers = req.headers.filter(([n]) => !PARTIAL.has(n));
    if (stale) {
      const etag = header(stale.headers, 'etag');
      const lastModified = header(stale.headers, 'last-modified');
      if (etag !== null) headers.push(['if-none-match', etag]);
      if (lastModified !== null) headers.push(['if-modified-since', lastModified]);
    }
    const canServeStale = (now: number) => stale !== null && !stale.mustRevalidate && now < stale.expiresAt + stale.sie * 1000;
    let res: OutboundResponse;
    try {
      res = await origin('GET', headers, signal);
    } catch (err) {
      if (stale && canServeStale(this.store.now())) {
        const served = await this.#serve(stale, req, 'STALE');
        if (served) return { filled: null, res: served };
      }
      throw err;
    }
    const now = this.store.now();
    if (stale && res.head.status >= 500 && canServeStale(now)) {
      const served = await this.#serve(stale, req, 'STALE');
      if (served) {
        res.body?.cancel('a stale response was served');
        return { filled: null, res: served };
      }
    }
    if (stale && res.head.status === 304) {
      res.body?.cancel('not modified');
      const merged = mergeNotModified(stale.headers, res.head.headers);
      const plan = httpStoragePlan(stale.status, merged, req.headers, req.options, now);
      if (!('skip' in plan)) {
        const updated = this.store.generation === generation ? await this.store.update(stale, this.#meta(req, key, stale.status, stale.statusText, stale.vary, plan, now)) : null;
        if (updated) {
          const served = await this.#serve(updated, req, 'REVALIDATED');
          if (served) return { filled: { entry: updated, status: 'REVALIDATED' }, res: served };
        }
      }
      // No longer storable, or gone meanwhile: serve what was stored this once.
      const body = await this.store.body(stale);
      this.store.remove(stale);
      if (body !== null) return { filled: null, res: this.#answer({ ...stale, headers: merged }, body, req, 'REVALIDATED', 0) };
      return { filled: null, res: await this.#coalesced({ ...req, options: { ...req.options, revalidate: false } }, key, null, origin, signal) };
    }
    const plan = httpStoragePlan(res.head.status, res.head.headers, req.headers, req.options, now);
    if ('skip' in plan) {
      if (stale) this.store.remove(stale);
      return { filled: null, res: await this.#unstored(req, res, plan.skip, origin, signal) };
    }
    const status: CacheStatus = stale ? 'EXPIRED' : 'MISS';
    const read = await readUpTo(res.body, this.store.maxEntryBytes);
    if ('stream' in read) {
      if (stale) this.store.remove(stale);
      return { filled: null, res: await this.#unstored(req, { ...res, body: read.stream }, status, origin, signal) };
    }
    const vary = varyKey(plan.headers, varyHeaders(req.headers));
    const meta = this.#meta(req, key, res.head.status, res.head.statusText, vary, plan, now);
    if (stale && JSON.stringify(stale.vary) !== JSON.stringify(vary)) this.store.remove(stale);
    // A purge that ran while the origin answered may have meant this very response.
    const entry = this.store.generation === generation ? this.store.put(meta, read.bytes) : null;
    const served = this.#answer(meta, read.bytes, req, status, 0, entry ?? undefined);
    return { filled: entry ? { entry, status } : null, res: served };
  }

  #meta(req: CachedRequest, key: string, status: number, statusText: string, vary: [string, string | null][], plan: HttpPlan, now: number): EntryMeta {
    return {
      ns: req.ns, kind: 'http', name: null, url: key, vary, status, statusText, headers: plan.headers,
      storedAt: now, initialAge: plan.initialAge, expiresAt: now + plan.ttl * 1000, removeAt: now + plan.keep * 1000,
      swr: plan.swr, sie: plan.sie, mustRevalidate: plan.mustRevalidate, tags: plan.tags,
    };
  }

  /**
   * A full response the cache will not store, for a request that may have asked for
   * less: a Range is sent to the origin again as the client sent it (the origin answers
   * it); If-None-Match / If-Modified-Since are answered here from the response's
   * validators, as a cache may (RFC 9110 section 13.2.1).
   */
  async #unstored(req: CachedRequest, res: OutboundResponse, status: CacheStatus, origin: OriginFetch, signal: AbortSignal | null): Promise<CachedResponse> {
    if (res.head.status === 200 && header(req.headers, 'range') !== null) {
      res.body?.cancel('the client asked for a range');
      return withStatus(this.#headOnly(req, await origin(req.method, req.headers, signal)), status);
    }
    if (res.head.status === 200 && (header(req.headers, 'if-none-match') !== null || header(req.headers, 'if-modified-since') !== null)) {
      const checked = answer({ status: 200, statusText: res.head.statusText, headers: res.head.headers, body: new Uint8Array(0) }, req.headers, 0, status);
      if (checked.status === 304) {
        res.body?.cancel('not modified');
        const headers = checked.headers.filter(([n]) => n !== 'age' && n !== 'cache-tag');
        return { head: { ...res.head, status: 304, statusText: 'Not Modified', headers }, body: null, cacheStatus: status };
      }
    }
    return withStatus(this.#headOnly(req, res), status);
  }

  #headOnly(req: CachedRequest, res: OutboundResponse): OutboundResponse {
    if (req.method !== 'HEAD' || !res.body) return res;
    res.body.cancel('HEAD request');
    return { ...res, body: null };
  }

  async #serve(entry: CacheEntry, req: CachedRequest, status: CacheStatus): Promise<CachedResponse | null> {
    const body = await this.store.body(entry);
    if (body === null) return null;
    return this.#answer(entry, body, req, status, this.#age(entry), entry);
  }

  #age(entry: CacheEntry): number {
    return Math.max(0, Math.floor((this.store.now() - entry.storedAt) / 1000)) + entry.initialAge;
  }

  #answer(meta: Pick<EntryMeta, 'status' | 'statusText' | 'headers'>, body: Uint8Array, req: CachedRequest, status: CacheStatus, age: number, entry?: CacheEntry): CachedResponse {
    // The common case, a plain GET of a stored 200: the entry's headers with this answer's
    // age, status and length, without answer()'s validator and range checks.
    if (entry && meta.status === 200 && req.method === 'GET' && !conditional(req.headers)) {
      const headers = plainHeaders(entry);
      return {
        head: { status: 200, statusText: meta.statusText, headers: [...headers, ['age', String(age)], ['cf-cache-status', status], ['content-length', String(body.byteLength)]], url: '', redirected: false },
        body: body.byteLength === 0 ? null : bytesStream(body),
        bytes: body,
        cacheStatus: status,
        entry,
      };
    }
    const out = answer({ status: meta.status, statusText: meta.statusText, headers: meta.headers, body }, req.headers, age, status);
    const bytes = req.method === 'HEAD' ? new Uint8Array(0) : out.body;
    return {
      head: { status: out.status, statusText: out.statusText, headers: out.headers, url: '', redirected: false },
      body: bytes.byteLength === 0 ? null : bytesStream(bytes),
      bytes,
      cacheStatus: status,
      ...(entry ? { entry } : {}),
    };
  }
}
