// What the HTTP cache in front of zone origins stores, and for how long: RFC 9111's
// rules for a shared cache (https://www.rfc-editor.org/rfc/rfc9111), with the
// overrides a worker's fetch may give (fetch-options.ts), as Cloudflare applies them.
//
// - Freshness: s-maxage, then max-age, then Expires minus Date (section 4.2.1), less
//   the Age the response arrived with. atoll uses no heuristic freshness: a response
//   without any of these is not stored (DYNAMIC), unless the fetch asked for
//   cacheEverything (Cloudflare's default TTL for the status) or a cacheTtl.
// - Not stored (BYPASS): no-store, private, Set-Cookie (unless private=Set-Cookie or
//   no-cache=Set-Cookie name it; the fields they name are never stored), a request with
//   Authorization unless the response says public, s-maxage or must-revalidate
//   (section 3.5); Vary: *; a response fresh for 0 s with no validator.
// - no-cache, or a freshness of 0 with an ETag or Last-Modified: stored, and
//   revalidated with the origin before every use (section 5.2.2.4).
// - stale-while-revalidate and stale-if-error (RFC 5861) give windows after expiry in
//   which a stale response may serve; must-revalidate and proxy-revalidate close them.
// - cacheTtl and cacheTtlByStatus replace the response's freshness whatever its
//   Cache-Control says; Set-Cookie still keeps a response out of the cache.

import type { HeaderList } from '../shared/ops.ts';
import { DEFAULT_TTL, header, parseCacheControl, seconds, statedLifetime } from '../runtime/cache-policy.ts';
import type { CacheOptions } from './fetch-options.ts';
import { splitTags } from './purge.ts';

/** How long an expired entry with a validator is kept for revalidation. */
const KEEP_FOR_REVALIDATION = 7 * 86400;
/** How long any other expired entry is remembered, so a refetch reports EXPIRED, not MISS. */
const KEEP_EXPIRED = 3600;

export interface HttpPlan {
  headers: HeaderList;
  /** Seconds fresh from now (0: revalidate before each use). */
  ttl: number;
  initialAge: number;
  swr: number;
  sie: number;
  mustRevalidate: boolean;
  tags: string[];
  /** Seconds after which the entry is dropped. */
  keep: number;
}

export type HttpDecision = HttpPlan | { skip: 'BYPASS' | 'DYNAMIC' };


export function httpStoragePlan(status: number, headers: HeaderList, reqHeaders: HeaderList, opts: CacheOptions, nowMs: number): HttpDecision {
  if (status === 206 || status === 304 || status < 200) return { skip: 'DYNAMIC' };
  const cc = parseCacheControl(header(headers, 'cache-control'));
  // Cache-Tag is for purging (kept in the entry's tags), not for clients, as on Cloudflare.
  // private="a, b" and no-cache="a, b" name fields a shared cache must not keep (RFC 9111
  // sections 5.2.2.4 and 5.2.2.7): the rest of the response is stored without them.
  const named = new Set(`${cc.get('private') ?? ''},${cc.get('no-cache') ?? ''}`.toLowerCase().split(',').map((f) => f.trim()).filter(Boolean));
  if (headers.some(([n]) => n === 'set-cookie') && !named.has('set-cookie')) return { skip: 'BYPASS' };
  const stored = headers.filter(([n]) => n !== 'cache-tag' && !named.has(n));
  const tags = [...new Set([...splitTags(header(headers, 'cache-tag')), ...opts.cacheTags])];
  const byStatus = opts.cacheTtlByStatus.find(([from, to]) => status >= from && status <= to);
  const forced = byStatus ? byStatus[2] : opts.cacheTtl;
  if (forced !== null) {
    if (forced <= 0) return { skip: 'BYPASS' };
    return { headers: stored, ttl: forced, initialAge: 0, swr: 0, sie: 0, mustRevalidate: false, tags, keep: forced + KEEP_EXPIRED };
  }
  // Vary: * never matches a later request (section 4.1), so storing it is pointless.
  if (cc.has('no-store') || cc.get('private') === '' || header(headers, 'vary')?.includes('*')) return { skip: 'BYPASS' };
  if (header(reqHeaders, 'authorization') !== null && !cc.has('public') && !cc.has('s-maxage') && !cc.has('must-revalidate')) return { skip: 'BYPASS' };
  const age = seconds(header(headers, 'age') ?? undefined) ?? 0;
  let ttl = statedLifetime(cc, headers, nowMs);
  if (ttl === null) {
    if (opts.cacheEverything && DEFAULT_TTL[status] !== undefined) {
      ttl = DEFAULT_TTL[status]!;
    } else if (!cc.has('no-cache')) {
      return { skip: 'DYNAMIC' };
    } else {
      ttl = 0;
    }
  }
  ttl = Math.max(0, ttl - age);
  if (cc.get('no-cache') === '') ttl = 0;
  const validators = header(headers, 'etag') !== null || header(headers, 'last-modified') !== null;
  if (ttl === 0 && !validators) return { skip: 'BYPASS' };
  const mustRevalidate = cc.has('must-revalidate') || cc.has('proxy-revalidate');
  const swr = mustRevalidate ? 0 : seconds(cc.get('stale-while-revalidate')) ?? 0;
  const sie = mustRevalidate ? 0 : seconds(cc.get('stale-if-error')) ?? 0;
  const keep = ttl + Math.max(swr, sie, validators ? KEEP_FOR_REVALIDATION : KEEP_EXPIRED);
  return { headers: stored, ttl, initialAge: age, swr, sie, mustRevalidate, tags, keep };
}

// Headers a 304 does not replace in the stored response (RFC 9111 section 3.2).
const KEEP_ON_304 = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding', 'content-type']);

/** The stored headers updated with those of a 304 from the origin. */
export function mergeNotModified(stored: HeaderList, fresh: HeaderList): HeaderList {
  const replaced = new Set(fresh.map(([n]) => n).filter((n) => !KEEP_ON_304.has(n)));
  return [...stored.filter(([n]) => !replaced.has(n)), ...fresh.filter(([n]) => replaced.has(n))];
}
