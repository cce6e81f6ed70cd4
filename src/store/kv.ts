// The KV storage interface: what every KV engine implements (SQLite for the embedded
// platform and `atoll dev`, memory for tests, NATS JetStream for the distributed one).
// Engines trust their arguments: callers validate them first with kv-limits.ts, which
// words its errors as Workers KV does. Every engine runs test/store/kv-contract.test.ts.

/** One stored value. `expiration` is in seconds since the epoch, as Workers KV has it. */
export interface KvEntry {
  value: Uint8Array;
  /** The metadata as JSON text (validated and measured when it was put), or null. */
  metadata: string | null;
  expiration: number | null;
}

export interface KvPutOptions {
  /** Absolute expiry, seconds since the epoch (callers turn expirationTtl into this). */
  expiration?: number | null;
  metadata?: string | null;
}

export interface KvListOptions {
  prefix?: string;
  /** 1..1000 (KV_LIMITS.listMax); callers validate. */
  limit?: number;
  cursor?: string | null;
}

export interface KvKeyInfo {
  name: string;
  expiration?: number;
  /** JSON text, as stored. */
  metadata?: string;
}

export interface KvListPage {
  keys: KvKeyInfo[];
  list_complete: boolean;
  /** Present only when list_complete is false. */
  cursor?: string;
}

export interface KvStore {
  /** The live entry, or null when absent or expired. */
  get(namespaceId: string, key: string): Promise<KvEntry | null>;
  /**
   * Resolves once the write is durable (an acknowledged put survives a crash). An engine
   * may take over the buffer of a large `value` that spans it whole (it is detached, so
   * the value crosses to another thread without a copy): pass a copy if you keep using it.
   */
  put(namespaceId: string, key: string, value: Uint8Array, options?: KvPutOptions): Promise<void>;
  delete(namespaceId: string, key: string): Promise<void>;
  /** Live keys in lexicographic order of their UTF-8 bytes. */
  list(namespaceId: string, options?: KvListOptions): Promise<KvListPage>;
  /** Removes expired entries now; returns how many went. Engines also sweep on their own. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

/** Workers KV's documented limits. */
export const KV_LIMITS = {
  keyBytes: 512,
  valueBytes: 25 * 1024 * 1024,
  metadataBytes: 1024,
  minExpirationTtl: 60,
  listMax: 1000,
  /** Keys in one get() with an array. */
  bulkGetMax: 100,
  /** Workers' minimum for get's cacheTtl. */
  minCacheTtl: 30,
  cursorChars: 1024,
} as const;

/** The wall clock in ms; engines take one so tests can move time. */
export type Clock = () => number;

const encoder = new TextEncoder();

/** Compares keys by their UTF-8 bytes, the order KV lists them in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(encoder.encode(a), encoder.encode(b));
}

// A cursor names the last key a page returned; the next page starts after it. Opaque
// to tenants, and the same in every engine, so a cursor stays valid across a failover.
export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): string | null {
  if (!cursor) return null;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
