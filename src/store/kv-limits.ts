// Checks KV arguments against Workers KV's limits, with its own wording, so a worker
// sees the same errors here as on Workers ("KV PUT failed: 413 Value length of ...").
// The host ops call these on whatever crossed the bridge; the REST API will too.

import { KV_LIMITS } from './kv.ts';

/** A KV argument error; `type` is the JS error the tenant sees (TypeError or Error). */
export class KvLimitError extends Error {
  readonly type: 'TypeError' | 'Error';
  /** The HTTP status Workers KV's service answers with (400, 413, 414). */
  readonly status: number;
  constructor(type: 'TypeError' | 'Error', status: number, message: string) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

export type KvMethod = 'GET' | 'GET_BULK' | 'PUT' | 'DELETE';

// Measured without encoding: a hostile worker may send a string of 100 MB.
const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function failed(method: KvMethod, status: number, message: string): KvLimitError {
  return new KvLimitError('Error', status, `KV ${method} failed: ${status} ${message}`);
}

/** Workers' key checks: not empty, not "." or "..", at most 512 UTF-8 bytes. */
export function checkKey(method: KvMethod, key: unknown): string {
  if (typeof key !== 'string') throw new KvLimitError('TypeError', 400, 'Key name must be a string.');
  if (key === '') throw new KvLimitError('TypeError', 400, 'Key name cannot be empty.');
  if (key === '.' || key === '..') throw new KvLimitError('TypeError', 400, `"${key}" is not allowed as a key name.`);
  const bytes = utf8Bytes(key);
  if (bytes > KV_LIMITS.keyBytes) {
    throw failed(method, 414, `UTF-8 encoded length of ${bytes} exceeds key length limit of ${KV_LIMITS.keyBytes}.`);
  }
  return key;
}

/** get() with an array: 1 to 100 keys, each checked as the KV service checks bulk keys. */
export function checkBulkKeys(keys: unknown): string[] {
  if (!Array.isArray(keys)) throw new KvLimitError('TypeError', 400, 'Bulk get keys must be an array of strings.');
  if (keys.length > KV_LIMITS.bulkGetMax) throw failed('GET_BULK', 400, `You can request a maximum of ${KV_LIMITS.bulkGetMax} keys`);
  if (keys.length < 1) throw failed('GET_BULK', 400, 'You must request a minimum of 1 key');
  for (const key of keys) {
    if (typeof key !== 'string') throw new KvLimitError('TypeError', 400, 'Bulk get keys must be an array of strings.');
    if (key === '') throw failed('GET_BULK', 400, 'Key names must not be empty');
    if (key === '.' || key === '..') throw failed('GET_BULK', 400, `Illegal key name "${key}". Please use a different name.`);
    const bytes = utf8Bytes(key);
    if (bytes > KV_LIMITS.keyBytes) throw failed('GET_BULK', 414, `UTF-8 encoded length of ${bytes} exceeds key length limit of ${KV_LIMITS.keyBytes}.`);
  }
  return keys as string[];
}

/** A bulk get answers at most 25 MB of values in all. */
export function checkBulkSize(total: number): void {
  if (total > KV_LIMITS.valueBytes) throw failed('GET_BULK', 413, 'Total size of request exceeds the limit of 25MB');
}

export function checkValueLength(length: number): void {
  if (length > KV_LIMITS.valueBytes) {
    throw failed('PUT', 413, `Value length of ${length} exceeds limit of ${KV_LIMITS.valueBytes}.`);
  }
}

/** Metadata arrives as JSON text; it must parse, and fit in 1024 bytes. */
export function checkMetadata(metadata: unknown): string | null {
  if (metadata === null || metadata === undefined) return null;
  if (typeof metadata !== 'string') throw new KvLimitError('TypeError', 400, 'KV metadata must be serialized as JSON text.');
  const bytes = utf8Bytes(metadata);
  if (bytes > KV_LIMITS.metadataBytes) {
    throw failed('PUT', 413, `Metadata length of ${bytes} exceeds limit of ${KV_LIMITS.metadataBytes}.`);
  }
  try {
    JSON.parse(metadata);
  } catch {
    throw failed('PUT', 400, 'Metadata is not valid JSON.');
  }
  return metadata;
}

// The service reads these options as integers; anything else counts as 0, as on Workers.
function integer(value: unknown): number {
  const n = Math.trunc(Number(value));
  return Number.isFinite(n) ? n : 0;
}

/**
 * The absolute expiry (seconds since the epoch) for put's options, or null.
 * expirationTtl wins when both are given, as on Workers.
 */
export function checkExpiration(options: { expiration?: unknown; expirationTtl?: unknown }, nowMs: number): number | null {
  const now = Math.floor(nowMs / 1000);
  if (options.expirationTtl !== undefined && options.expirationTtl !== null) {
    const ttl = integer(options.expirationTtl);
    if (ttl <= 0) throw failed('PUT', 400, `Invalid expiration_ttl of ${ttl}. Please specify integer greater than 0.`);
    if (ttl < KV_LIMITS.minExpirationTtl) {
      throw failed('PUT', 400, `Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least ${KV_LIMITS.minExpirationTtl}.`);
    }
    return now + ttl;
  }
  if (options.expiration !== undefined && options.expiration !== null) {
    const at = integer(options.expiration);
    if (at <= now) {
      throw failed('PUT', 400, `Invalid expiration of ${at}. Please specify integer greater than the current number of seconds since the UNIX epoch.`);
    }
    if (at < now + KV_LIMITS.minExpirationTtl) {
      throw failed('PUT', 400, `Invalid expiration of ${at}. Expiration times must be at least ${KV_LIMITS.minExpirationTtl} seconds in the future.`);
    }
    return at;
  }
  return null;
}

export function checkCacheTtl(cacheTtl: unknown, method: KvMethod = 'GET'): void {
  if (cacheTtl === undefined || cacheTtl === null) return;
  const ttl = integer(cacheTtl);
  if (ttl < KV_LIMITS.minCacheTtl) {
    throw failed(method, 400, `Invalid cache_ttl of ${ttl}. Cache TTL must be at least ${KV_LIMITS.minCacheTtl}.`);
  }
}

/** list()'s options: limit 1..1000 (0 or absent means 1000), prefix and cursor strings. */
export function checkListOptions(prefix: unknown, limit: unknown, cursor: unknown): { prefix: string; limit: number; cursor: string | null } {
  if (prefix !== null && prefix !== undefined && typeof prefix !== 'string') throw new KvLimitError('TypeError', 400, 'list() prefix must be a string.');
  if (cursor !== null && cursor !== undefined && typeof cursor !== 'string') throw new KvLimitError('TypeError', 400, 'list() cursor must be a string.');
  const p = prefix ?? '';
  if (utf8Bytes(p) > KV_LIMITS.keyBytes) {
    throw failed('GET', 414, `UTF-8 encoded length of ${utf8Bytes(p)} exceeds key length limit of ${KV_LIMITS.keyBytes}.`);
  }
  if (typeof cursor === 'string' && cursor.length > KV_LIMITS.cursorChars) throw failed('GET', 400, 'Invalid cursor.');
  let n = limit === undefined || limit === null ? 0 : integer(limit);
  if (n > KV_LIMITS.listMax) {
    throw failed('GET', 400, `Invalid key_count_limit of ${n}. Please specify an integer less than ${KV_LIMITS.listMax}.`);
  }
  // Workers sends the limit only when it is positive; the service then uses its default.
  if (n <= 0) n = KV_LIMITS.listMax;
  return { prefix: p, limit: n, cursor: (cursor as string | null | undefined) || null };
}
