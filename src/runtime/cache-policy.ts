// What the Workers Cache API stores and how a stored response answers a request, as
// https://developers.cloudflare.com/workers/runtime-apis/cache/ documents it (the HTTP
// cache in front of zone origins has its own storage rules, src/cache/http-policy.ts,
// and answers requests with answer() below):
// - freshness from the response's Cache-Control (s-maxage, then max-age) or Expires,
//   else Cloudflare's default edge TTL for the status (https://developers.cloudflare.com/cache/how-to/configure-cache-status-code/#edge-ttl);
// - no-store, private and no-cache responses are not stored;
// - a response with Set-Cookie is not stored, unless Cache-Control says
//   `private=Set-Cookie`, in which case it is stored without the Set-Cookie header;
// - on a hit: Vary is honoured, If-None-Match / If-Modified-Since give a 304, a single
//   byte Range gives a 206 (RFC 9110 sections 13.1 and 14).

import type { HeaderList } from '../shared/ops.ts';

/** Cloudflare's default edge TTLs, seconds, for responses without freshness headers. */
export const DEFAULT_TTL: Record<number, number> = { 200: 7200, 206: 7200, 301: 7200, 302: 1200, 303: 1200, 404: 180, 410: 180 };

export function header(list: HeaderList, name: string): string | null {
  let out: string | null = null;
  for (const [n, v] of list) if (n === name) out = out === null ? v : `${out}, ${v}`;
  return out;
}

/** Cache-Control directives, names lower-cased; a bare directive maps to ''. */
export function parseCacheControl(value: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!value) return out;
  // Split on commas outside quotes: `private="set-cookie, x"` is one directive.
  for (const part of value.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    const arg = eq === -1 ? '' : part.slice(eq + 1).trim().replace(/^"|"$/g, '');
    if (!out.has(name)) out.set(name, arg);
  }
  return out;
}

/** A delta-seconds value (RFC 9111 section 1.2.2), capped at 2^31; null when it is not one. */
export function seconds(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Math.min(Number(value), 2 ** 31);
}

/**
 * The freshness lifetime the response states (RFC 9111 section 4.2.1): s-maxage, else
 * max-age, else Expires less Date, in whole seconds; null when it states none. An
 * Expires that does not parse (often "0") means already expired (section 5.3).
 */
export function statedLifetime(cc: Map<string, string>, headers: HeaderList, nowMs: number): number | null {
  const ttl = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (ttl !== null) return ttl;
  const expires = header(headers, 'expires');
  if (expires === null) return null;
  const at = Date.parse(expires);
  const date = Date.parse(header(headers, 'date') ?? '');
  return Number.isNaN(at) ? 0 : Math.max(0, Math.floor((at - (Number.isNaN(date) ? nowMs : date)) / 1000));
}

export interface StoragePlan {
  /** Headers to store (Set-Cookie removed when private=Set-Cookie allowed storing). */
  headers: HeaderList;
  /** Freshness lifetime, seconds, counted from `now`. */
  ttl: number;
}

/** Whether a response may be stored, and for how long; null means "do not store". */
export function storagePlan(status: number, headers: HeaderList, nowMs: number): StoragePlan | null {
  const cc = parseCacheControl(header(headers, 'cache-control'));
  if (cc.has('no-store')) return null;
  const privateFields = cc.get('private');
  const noCacheFields = cc.get('no-cache');
  // A bare `private` or `no-cache` covers the whole response; with field names, only those fields.
  if (privateFields === '' || noCacheFields === '') return null;
  let stored = headers;
  if (headers.some(([n]) => n === 'set-cookie')) {
    const fields = `${privateFields ?? ''},${noCacheFields ?? ''}`.toLowerCase().split(',').map((f) => f.trim());
    if (!fields.includes('set-cookie')) return null;
    stored = headers.filter(([n]) => n !== 'set-cookie');
  }
  let ttl = statedLifetime(cc, headers, nowMs) ?? DEFAULT_TTL[status] ?? 0;
  const age = seconds(header(headers, 'age') ?? undefined) ?? 0;
  ttl -= age;
  return ttl > 0 ? { headers: stored, ttl } : null;
}

/** The request header values a Vary response was stored under. */
export function varyKey(responseHeaders: HeaderList, requestHeaders: HeaderList): [string, string | null][] {
  const vary = header(responseHeaders, 'vary');
  if (!vary) return [];
  return vary.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean).map((f) => [f, header(requestHeaders, f)]);
}

export function varyMatches(stored: [string, string | null][], requestHeaders: HeaderList): boolean {
  return stored.every(([name, value]) => header(requestHeaders, name) === value);
}

export interface StoredResponse {
  status: number;
  statusText: string;
  headers: HeaderList;
  body: Uint8Array;
}

const weak = (tag: string) => tag.trim().replace(/^W\//, '');

// Headers a cache sets on what it serves.
export const REPLACED_ON_ANSWER: ReadonlySet<string> = new Set(['age', 'cf-cache-status']);

/**
 * The response a stored entry gives for a request: 304 for a matching conditional,
 * 206 (or 416) for a single byte range, else the stored response with its length.
 * `age` in seconds; `status` is the cf-cache-status to report.
 */
export function answer(stored: StoredResponse, requestHeaders: HeaderList, age: number, status = 'HIT'): StoredResponse {
  const headers: HeaderList = [...stored.headers.filter(([n]) => !REPLACED_ON_ANSWER.has(n)), ['age', String(age)], ['cf-cache-status', status]];
  if (stored.status === 200) {
    const inm = header(requestHeaders, 'if-none-match');
    const since = inm === null ? header(requestHeaders, 'if-modified-since') : null;
    let notModified = false;
    if (inm !== null) {
      const etag = header(stored.headers, 'etag');
      notModified = etag !== null && (inm.trim() === '*' || inm.split(',').some((t) => weak(t) === weak(etag)));
    } else if (since !== null) {
      const ims = Date.parse(since);
      const lastModified = Date.parse(header(stored.headers, 'last-modified') ?? '');
      notModified = !Number.isNaN(ims) && !Number.isNaN(lastModified) && lastModified <= ims;
    }
    if (notModified) {
      return { status: 304, statusText: 'Not Modified', headers: headers.filter(([n]) => n !== 'content-length' && n !== 'content-type'), body: new Uint8Array(0) };
    }
    const range = header(requestHeaders, 'range');
    const m = range?.match(/^bytes=(\d*)-(\d*)$/);
    if (m && (m[1] !== '' || m[2] !== '')) {
      const size = stored.body.byteLength;
      let start: number;
      let end: number;
      if (m[1] === '') {
        start = Math.max(0, size - Number(m[2]));
        end = size - 1;
      } else {
        start = Number(m[1]);
        end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
      }
      const rest = headers.filter(([n]) => n !== 'content-length' && n !== 'content-range');
      if (start > end || start >= size) {
        return { status: 416, statusText: 'Range Not Satisfiable', headers: [...rest, ['content-range', `bytes */${size}`]], body: new Uint8Array(0) };
      }
      return {
        status: 206,
        statusText: 'Partial Content',
        headers: [...rest, ['content-range', `bytes ${start}-${end}/${size}`], ['content-length', String(end - start + 1)]],
        body: stored.body.subarray(start, end + 1),
      };
    }
  }
  const length: HeaderList = stored.body.byteLength > 0 || stored.status === 200 ? [['content-length', String(stored.body.byteLength)]] : [];
  return { ...stored, headers: [...headers.filter(([n]) => n !== 'content-length'), ...length] };
}
