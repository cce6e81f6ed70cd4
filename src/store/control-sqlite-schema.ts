// The control-plane schema, versioned through SQLite's `user_version`: migration N
// takes a database from version N to N+1, and runs in one transaction with the version
// bump, so a crash leaves the database at a whole version. Append; never edit a shipped
// migration.

import type { DatabaseSync } from 'node:sqlite';

export const MIGRATIONS: string[] = [
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, operator INTEGER NOT NULL, created_at INTEGER NOT NULL
  );
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), name TEXT NOT NULL,
    scopes TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
    expires_at INTEGER, revoked_at INTEGER
  );
  CREATE INDEX tokens_account ON tokens(account_id);
  CREATE TABLE workers (
    account_id TEXT NOT NULL REFERENCES accounts(id), name TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (account_id, name)
  );
  CREATE TABLE bundles (hash TEXT PRIMARY KEY, size INTEGER NOT NULL);
  CREATE TABLE modules (
    hash TEXT NOT NULL REFERENCES bundles(hash), seq INTEGER NOT NULL, name TEXT NOT NULL,
    type TEXT NOT NULL, content BLOB NOT NULL, PRIMARY KEY (hash, seq)
  );
  CREATE TABLE versions (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, worker TEXT NOT NULL, hash TEXT NOT NULL REFERENCES bundles(hash),
    record TEXT NOT NULL, created_at INTEGER NOT NULL,
    FOREIGN KEY (account_id, worker) REFERENCES workers(account_id, name)
  );
  CREATE INDEX versions_worker ON versions(account_id, worker, created_at);
  CREATE TABLE deployments (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, worker TEXT NOT NULL, record TEXT NOT NULL,
    seq INTEGER NOT NULL,
    FOREIGN KEY (account_id, worker) REFERENCES workers(account_id, name)
  );
  CREATE INDEX deployments_worker ON deployments(account_id, worker, seq);
  CREATE TABLE kv_namespaces (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), title TEXT NOT NULL,
    created_at INTEGER NOT NULL, UNIQUE (account_id, title)
  );
  CREATE TABLE secrets (
    account_id TEXT NOT NULL, worker TEXT NOT NULL, name TEXT NOT NULL, key_id TEXT NOT NULL,
    iv BLOB NOT NULL, ciphertext BLOB NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, worker, name),
    FOREIGN KEY (account_id, worker) REFERENCES workers(account_id, name)
  );
  CREATE TABLE zones (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), hostname TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL, created_at INTEGER NOT NULL
  );
  CREATE TABLE routes (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, zone_id TEXT NOT NULL REFERENCES zones(id),
    pattern TEXT NOT NULL UNIQUE, worker TEXT NOT NULL, created_at INTEGER NOT NULL,
    FOREIGN KEY (account_id, worker) REFERENCES workers(account_id, name)
  );
  CREATE INDEX routes_account ON routes(account_id);
  `,
  // 2: cron triggers, one row per worker (its expressions as a JSON array, in order).
  `
  CREATE TABLE schedules (
    account_id TEXT NOT NULL, worker TEXT NOT NULL, crons TEXT NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, worker),
    FOREIGN KEY (account_id, worker) REFERENCES workers(account_id, name)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings `db` to SCHEMA_VERSION; refuses a database written by a newer atoll. */
export function migrate(db: DatabaseSync, file: string): void {
  const current = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `control store ${file} has schema version ${current}, newer than this atoll knows (${SCHEMA_VERSION}); upgrade atoll or point --data at another folder`,
    );
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}
