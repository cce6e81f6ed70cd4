// The caching options of a worker's fetch(), as Workers documents them
// (https://developers.cloudflare.com/workers/runtime-apis/request/#the-cf-property-requestinitcfproperties):
// `cf: { cacheTtl, cacheEverything, cacheKey, cacheTtlByStatus, cacheTags }` and
// `cache: 'no-store' | 'no-cache'`. They come from tenant code, so each is checked and
// a wrong one is a TypeError naming it. Other `cf` keys (request.cf's colo, country...,
// passed along when a worker forwards its request) are ignored.

import { typeError } from '../runtime/errors.ts';

export interface CacheOptions {
  /** Do not look up or store (cache: 'no-store', or a negative cacheTtl). */
  bypass: boolean;
  /** Revalidate a stored response before using it (cache: 'no-cache'). */
  revalidate: boolean;
  /** Seconds, overriding the response's own freshness. */
  cacheTtl: number | null;
  /** [from, to, seconds] status ranges; seconds <= 0: not stored. */
  cacheTtlByStatus: [number, number, number][];
  cacheEverything: boolean;
  /** A custom cache key (a URL or any string), in place of the request URL. */
  cacheKey: string | null;
  cacheTags: string[];
}

export const DEFAULT_CACHE_OPTIONS: CacheOptions = {
  bypass: false, revalidate: false, cacheTtl: null, cacheTtlByStatus: [], cacheEverything: false, cacheKey: null, cacheTags: [],
};

const MAX_TAGS = 64;
const MAX_KEY = 4096;

function ttl(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 10 * 365 * 86400) {
    throw typeError(`fetch: ${what} must be a whole number of seconds, not ${typeof v === 'number' ? v : typeof v}.`);
  }
  return v;
}

/** `cf` and `cache` as a worker's fetch gave them, checked. */
export function cacheOptions(cf: unknown, cache: string | null): CacheOptions {
  const o: CacheOptions = { ...DEFAULT_CACHE_OPTIONS, cacheTtlByStatus: [], cacheTags: [] };
  if (cache === 'no-store') o.bypass = true;
  else if (cache === 'no-cache') o.revalidate = true;
  else if (cache !== null && cache !== 'default') throw typeError(`fetch: the cache mode "${String(cache).slice(0, 40)}" is not supported; use "no-store" or "no-cache".`);
  if (cf === null || cf === undefined) return o;
  if (typeof cf !== 'object' || Array.isArray(cf)) throw typeError('fetch: cf must be an object.');
  const c = cf as Record<string, unknown>;
  if (c.cacheTtl !== undefined) {
    o.cacheTtl = ttl(c.cacheTtl, 'cf.cacheTtl');
    if (o.cacheTtl < 0) o.bypass = true;
  }
  if (c.cacheEverything !== undefined) {
    if (typeof c.cacheEverything !== 'boolean') throw typeError('fetch: cf.cacheEverything must be true or false.');
    o.cacheEverything = c.cacheEverything;
  }
  if (c.cacheKey !== undefined) {
    if (typeof c.cacheKey !== 'string' || c.cacheKey.length === 0 || c.cacheKey.length > MAX_KEY) throw typeError(`fetch: cf.cacheKey must be a non-empty string of at most ${MAX_KEY} characters.`);
    o.cacheKey = c.cacheKey;
  }
  if (c.cacheTags !== undefined) {
    if (!Array.isArray(c.cacheTags) || c.cacheTags.length > MAX_TAGS || !c.cacheTags.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 1024)) {
      throw typeError(`fetch: cf.cacheTags must be an array of at most ${MAX_TAGS} non-empty strings.`);
    }
    o.cacheTags = c.cacheTags.map((t: string) => t.trim().toLowerCase());
  }
  if (c.cacheTtlByStatus !== undefined) {
    const by = c.cacheTtlByStatus;
    if (by === null || typeof by !== 'object' || Array.isArray(by) || Object.keys(by).length > 64) {
      throw typeError('fetch: cf.cacheTtlByStatus must be an object such as { "200-299": 86400, "404": 1, "500-599": 0 }.');
    }
    for (const [range, seconds] of Object.entries(by)) {
      const m = /^(\d{3})(?:-(\d{3}))?$/.exec(range);
      const from = m ? Number(m[1]) : NaN;
      const to = m ? Number(m[2] ?? m[1]) : NaN;
      if (!m || from < 100 || to > 599 || from > to) throw typeError(`fetch: cf.cacheTtlByStatus: "${range.slice(0, 20)}" is not a status code or a range such as "200-299".`);
      o.cacheTtlByStatus.push([from, to, ttl(seconds, `cf.cacheTtlByStatus["${range}"]`)]);
    }
  }
  return o;
}
