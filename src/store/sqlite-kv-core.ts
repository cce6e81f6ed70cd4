// The SQLite KV engine's synchronous core, on Node's built-in node:sqlite (no native
// build to install, the same library on every host). sqlite-kv.ts runs it on a worker
// thread: a 25 MiB write takes ~0.4 s here, which on the main thread would stall HTTP
// and the CPU watchdog. Every call takes the time as an argument, so tests can move it.
//
// Keys are stored as their UTF-8 bytes in a BLOB column: SQLite compares BLOBs with
// memcmp, which is exactly KV's list order, and a prefix is a byte range.

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { decodeCursor, encodeCursor, type KvEntry, type KvListPage, type KvPutOptions, KV_LIMITS } from './kv.ts';

export interface SqliteKvOptions {
  /**
   * 'full' (default) fsyncs every commit: an acknowledged put survives a power cut.
   * 'normal' survives a crash or kill -9 of the process, not of the machine, and makes
   * a small put ~100x cheaper (measured: 4.2 ms vs 0.05 ms).
   */
  synchronous?: 'full' | 'normal';
}

const SCHEMA_VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The smallest byte string greater than every string that starts with `prefix`. */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  // UTF-8 never contains 0xFF, so bumping the last byte is always possible.
  const end = prefix.slice();
  end[end.length - 1]++;
  return end;
}

export class SqliteKvCore {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #delete: StatementSync;
  readonly #list: StatementSync;
  readonly #listPrefix: StatementSync;
  readonly #sweep: StatementSync;

  constructor(file: string, options: SqliteKvOptions = {}) {
    this.#db = new DatabaseSync(file);
    const db = this.#db;
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    // `atoll kv key put --local` writes while `atoll dev` serves: wait for the lock.
    db.exec('PRAGMA busy_timeout = 5000');
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) throw new Error(`${file} was written by a newer atoll (KV schema ${version}; this one knows ${SCHEMA_VERSION})`);
    if (version < SCHEMA_VERSION) {
      db.exec(`
        CREATE TABLE IF NOT EXISTS kv (
          ns TEXT NOT NULL,
          key BLOB NOT NULL,
          value BLOB NOT NULL,
          metadata TEXT,
          expiration INTEGER,
          UNIQUE (ns, key)
        );
        CREATE INDEX IF NOT EXISTS kv_expiration ON kv (expiration) WHERE expiration IS NOT NULL;
        PRAGMA user_version = ${SCHEMA_VERSION};
      `);
    }
    const live = '(expiration IS NULL OR expiration > ?)';
    this.#get = db.prepare(`SELECT value, metadata, expiration FROM kv WHERE ns = ? AND key = ? AND ${live}`);
    this.#put = db.prepare('INSERT INTO kv (ns, key, value, metadata, expiration) VALUES (?, ?, ?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expiration = excluded.expiration');
    this.#delete = db.prepare('DELETE FROM kv WHERE ns = ? AND key = ?');
    this.#list = db.prepare(`SELECT key, metadata, expiration FROM kv WHERE ns = ? AND key > ? AND ${live} ORDER BY key LIMIT ?`);
    this.#listPrefix = db.prepare(`SELECT key, metadata, expiration FROM kv WHERE ns = ? AND key > ? AND key >= ? AND key < ? AND ${live} ORDER BY key LIMIT ?`);
    this.#sweep = db.prepare('DELETE FROM kv WHERE expiration IS NOT NULL AND expiration <= ?');
  }

  get(ns: string, key: string, nowMs: number): KvEntry | null {
    const row = this.#get.get(ns, encoder.encode(key), nowMs / 1000) as { value: Uint8Array; metadata: string | null; expiration: number | null } | undefined;
    if (!row) return null;
    return { value: row.value, metadata: row.metadata, expiration: row.expiration };
  }

  put(ns: string, key: string, value: Uint8Array, options: KvPutOptions): void {
    this.#put.run(ns, encoder.encode(key), value, options.metadata ?? null, options.expiration ?? null);
  }

  delete(ns: string, key: string): void {
    this.#delete.run(ns, encoder.encode(key));
  }

  list(ns: string, prefix: string, limit: number, cursor: string | null, nowMs: number): KvListPage {
    const after = encoder.encode(decodeCursor(cursor) ?? '');
    const now = nowMs / 1000;
    const n = Math.min(Math.max(1, limit), KV_LIMITS.listMax);
    // One row more than asked tells whether the list is complete.
    const rows = (prefix === ''
      ? this.#list.all(ns, after, now, n + 1)
      : this.#listPrefix.all(ns, after, encoder.encode(prefix), prefixEnd(encoder.encode(prefix)), now, n + 1)) as { key: Uint8Array; metadata: string | null; expiration: number | null }[];
    const keys = rows.slice(0, n).map((r) => ({
      name: decoder.decode(r.key),
      ...(r.expiration !== null && { expiration: r.expiration }),
      ...(r.metadata !== null && { metadata: r.metadata }),
    }));
    if (rows.length > n) return { keys, list_complete: false, cursor: encodeCursor(keys[keys.length - 1].name) };
    return { keys, list_complete: true };
  }

  sweep(nowMs: number): number {
    return Number(this.#sweep.run(nowMs / 1000).changes);
  }

  /** Runs `fn` in one transaction: the writes in it share one commit (and one fsync). */
  transaction(fn: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
