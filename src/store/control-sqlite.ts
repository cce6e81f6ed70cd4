// The embedded control-plane engine: SQLite in `<dir>/control.sqlite3`, WAL mode with
// synchronous=FULL, so a write is on disk before its promise resolves (an acknowledged
// deploy survives kill -9 and a power cut). It runs on the main thread: control writes
// are small and rare next to KV's, and the largest (a 10 MB bundle) takes a few ms.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type {
  Account, ControlChange, ControlListener, ControlStore, Deployment, KvNamespace, NewVersion, RouteRecord,
  Scope, SecretRecord, StoredModule, TokenRecord, Version, WorkerRecord, Zone,
} from './control.ts';
import { migrate } from './control-sqlite-schema.ts';

type Row = Record<string, SQLInputValue>;

const bytes = (v: SQLInputValue): Uint8Array => new Uint8Array(v as Uint8Array);
const num = (v: SQLInputValue): number => Number(v);
const numOrNull = (v: SQLInputValue): number | null => (v === null ? null : Number(v));

function toAccount(r: Row): Account {
  return { id: String(r.id), name: String(r.name), operator: num(r.operator) === 1, createdAt: num(r.created_at) };
}

function toToken(r: Row): TokenRecord {
  return {
    id: String(r.id), accountId: String(r.account_id), name: String(r.name), scopes: JSON.parse(String(r.scopes)) as Scope[],
    hash: String(r.hash), createdAt: num(r.created_at), expiresAt: numOrNull(r.expires_at), revokedAt: numOrNull(r.revoked_at),
  };
}

function toWorker(r: Row): WorkerRecord {
  return { accountId: String(r.account_id), name: String(r.name), createdAt: num(r.created_at), updatedAt: num(r.updated_at) };
}

function toSecret(r: Row): SecretRecord {
  return {
    accountId: String(r.account_id), worker: String(r.worker), name: String(r.name), keyId: String(r.key_id),
    iv: bytes(r.iv), ciphertext: bytes(r.ciphertext), updatedAt: num(r.updated_at),
  };
}

function toZone(r: Row): Zone {
  return { id: String(r.id), accountId: String(r.account_id), hostname: String(r.hostname), origin: String(r.origin), createdAt: num(r.created_at) };
}

function toRoute(r: Row): RouteRecord {
  return {
    id: String(r.id), accountId: String(r.account_id), zoneId: String(r.zone_id), pattern: String(r.pattern),
    worker: String(r.worker), createdAt: num(r.created_at),
  };
}

function toNamespace(r: Row): KvNamespace {
  return { id: String(r.id), accountId: String(r.account_id), title: String(r.title), createdAt: num(r.created_at) };
}

export class SqliteControlStore implements ControlStore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #listeners = new Set<ControlListener>();
  readonly #log: (fields: Record<string, unknown>) => void;

  /** Use openSqliteControl(). */
  constructor(file: string, db: DatabaseSync, log: (fields: Record<string, unknown>) => void) {
    this.file = file;
    this.#db = db;
    this.#log = log;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#db.prepare(sql).all(...params) as Row[];
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#db.prepare(sql).get(...params) as Row | undefined;
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#db.prepare(sql).run(...params).changes);
  }

  #tx<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  #emit(change: ControlChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        // One broken listener must not stop the others from hearing of a deploy.
        this.#log({ level: 'error', msg: 'control store listener threw', kind: change.kind, error: (err as Error).stack });
      }
    }
  }

  async createAccount(a: Account): Promise<void> {
    this.#run('INSERT INTO accounts VALUES (?, ?, ?, ?)', a.id, a.name, a.operator ? 1 : 0, a.createdAt);
  }

  async getAccount(id: string): Promise<Account | null> {
    const r = this.#get('SELECT * FROM accounts WHERE id = ?', id);
    return r ? toAccount(r) : null;
  }

  async listAccounts(): Promise<Account[]> {
    return this.#all('SELECT * FROM accounts ORDER BY created_at, id').map(toAccount);
  }

  async createToken(t: TokenRecord): Promise<void> {
    this.#run('INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      t.id, t.accountId, t.name, JSON.stringify(t.scopes), t.hash, t.createdAt, t.expiresAt, t.revokedAt);
  }

  async getTokenByHash(hash: string): Promise<TokenRecord | null> {
    const r = this.#get('SELECT * FROM tokens WHERE hash = ?', hash);
    return r ? toToken(r) : null;
  }

  async listTokens(accountId: string): Promise<TokenRecord[]> {
    return this.#all('SELECT * FROM tokens WHERE account_id = ? ORDER BY created_at, id', accountId).map(toToken);
  }

  async revokeToken(accountId: string, id: string, at: number): Promise<boolean> {
    return this.#run('UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE account_id = ? AND id = ?', at, accountId, id) > 0;
  }

  async createVersion(input: NewVersion): Promise<void> {
    const v = input.version;
    this.#tx(() => {
      this.#run(`INSERT INTO workers VALUES (?, ?, ?, ?)
        ON CONFLICT (account_id, name) DO UPDATE SET updated_at = excluded.updated_at`, v.accountId, v.worker, v.createdAt, v.createdAt);
      if (this.#run('INSERT OR IGNORE INTO bundles VALUES (?, ?)', v.hash, v.size) > 0) {
        const insert = this.#db.prepare('INSERT INTO modules VALUES (?, ?, ?, ?, ?)');
        input.modules.forEach((m, i) => insert.run(v.hash, i, m.name, m.type, m.content));
      }
      this.#run('INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?)', v.id, v.accountId, v.worker, v.hash, JSON.stringify(v), v.createdAt);
      if (input.deployment) this.#insertDeployment(input.deployment);
    });
    if (input.deployment) this.#emit({ kind: 'deployment', accountId: v.accountId, worker: v.worker, deployment: input.deployment });
  }

  async getWorker(accountId: string, name: string): Promise<WorkerRecord | null> {
    const r = this.#get('SELECT * FROM workers WHERE account_id = ? AND name = ?', accountId, name);
    return r ? toWorker(r) : null;
  }

  async listWorkers(accountId: string): Promise<WorkerRecord[]> {
    return this.#all('SELECT * FROM workers WHERE account_id = ? ORDER BY name', accountId).map(toWorker);
  }

  async deleteWorker(accountId: string, name: string): Promise<boolean> {
    const deleted = this.#tx(() => {
      for (const table of ['routes', 'secrets', 'deployments', 'versions']) {
        this.#run(`DELETE FROM ${table} WHERE account_id = ? AND worker = ?`, accountId, name);
      }
      // Bundles are shared by hash; one no version uses any more goes with its modules.
      this.#run('DELETE FROM modules WHERE hash NOT IN (SELECT hash FROM versions)');
      this.#run('DELETE FROM bundles WHERE hash NOT IN (SELECT hash FROM versions)');
      return this.#run('DELETE FROM workers WHERE account_id = ? AND name = ?', accountId, name) > 0;
    });
    if (deleted) this.#emit({ kind: 'worker_deleted', accountId, worker: name });
    return deleted;
  }

  async getVersion(accountId: string, worker: string, id: string): Promise<Version | null> {
    const r = this.#get('SELECT record FROM versions WHERE account_id = ? AND worker = ? AND id = ?', accountId, worker, id);
    return r ? (JSON.parse(String(r.record)) as Version) : null;
  }

  async listVersions(accountId: string, worker: string): Promise<Version[]> {
    return this.#all('SELECT record FROM versions WHERE account_id = ? AND worker = ? ORDER BY created_at DESC, rowid DESC', accountId, worker)
      .map((r) => JSON.parse(String(r.record)) as Version);
  }

  async getModules(hash: string): Promise<StoredModule[]> {
    return this.#all('SELECT name, type, content FROM modules WHERE hash = ? ORDER BY seq', hash)
      .map((r) => ({ name: String(r.name), type: String(r.type) as StoredModule['type'], content: bytes(r.content) }));
  }

  #insertDeployment(d: Deployment): void {
    const seq = num(this.#get('SELECT coalesce(max(seq), 0) + 1 AS n FROM deployments WHERE account_id = ? AND worker = ?', d.accountId, d.worker)!.n);
    this.#run('INSERT INTO deployments VALUES (?, ?, ?, ?, ?)', d.id, d.accountId, d.worker, JSON.stringify(d), seq);
  }

  async createDeployment(d: Deployment): Promise<void> {
    this.#tx(() => this.#insertDeployment(d));
    this.#emit({ kind: 'deployment', accountId: d.accountId, worker: d.worker, deployment: d });
  }

  async getDeployment(accountId: string, worker: string): Promise<Deployment | null> {
    const r = this.#get('SELECT record FROM deployments WHERE account_id = ? AND worker = ? ORDER BY seq DESC LIMIT 1', accountId, worker);
    return r ? (JSON.parse(String(r.record)) as Deployment) : null;
  }

  async listDeployments(accountId: string, worker: string): Promise<Deployment[]> {
    return this.#all('SELECT record FROM deployments WHERE account_id = ? AND worker = ? ORDER BY seq DESC', accountId, worker)
      .map((r) => JSON.parse(String(r.record)) as Deployment);
  }

  async listCurrentDeployments(accountId?: string): Promise<Deployment[]> {
    const sql = `SELECT d.record FROM deployments d
      JOIN (SELECT account_id, worker, max(seq) AS seq FROM deployments GROUP BY account_id, worker) m
      USING (account_id, worker, seq) ${accountId === undefined ? '' : 'WHERE d.account_id = ?'} ORDER BY d.account_id, d.worker`;
    const rows = accountId === undefined ? this.#all(sql) : this.#all(sql, accountId);
    return rows.map((r) => JSON.parse(String(r.record)) as Deployment);
  }

  async createKvNamespace(ns: KvNamespace): Promise<void> {
    this.#run('INSERT INTO kv_namespaces VALUES (?, ?, ?, ?)', ns.id, ns.accountId, ns.title, ns.createdAt);
  }

  async getKvNamespace(accountId: string, id: string): Promise<KvNamespace | null> {
    const r = this.#get('SELECT * FROM kv_namespaces WHERE account_id = ? AND id = ?', accountId, id);
    return r ? toNamespace(r) : null;
  }

  async listKvNamespaces(accountId: string): Promise<KvNamespace[]> {
    return this.#all('SELECT * FROM kv_namespaces WHERE account_id = ? ORDER BY title', accountId).map(toNamespace);
  }

  async deleteKvNamespace(accountId: string, id: string): Promise<boolean> {
    const deleted = this.#run('DELETE FROM kv_namespaces WHERE account_id = ? AND id = ?', accountId, id) > 0;
    if (deleted) this.#emit({ kind: 'kv_namespace_deleted', accountId, namespaceId: id });
    return deleted;
  }

  async putSecret(s: SecretRecord): Promise<void> {
    this.#tx(() => {
      this.#run('INSERT OR IGNORE INTO workers VALUES (?, ?, ?, ?)', s.accountId, s.worker, s.updatedAt, s.updatedAt);
      this.#putSecretRow(s);
    });
    this.#emit({ kind: 'secrets', accountId: s.accountId, worker: s.worker });
  }

  #putSecretRow(s: SecretRecord): void {
    this.#run(`INSERT INTO secrets VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, worker, name) DO UPDATE SET
      key_id = excluded.key_id, iv = excluded.iv, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
    s.accountId, s.worker, s.name, s.keyId, s.iv, s.ciphertext, s.updatedAt);
  }

  async getSecrets(accountId: string, worker: string): Promise<SecretRecord[]> {
    return this.#all('SELECT * FROM secrets WHERE account_id = ? AND worker = ? ORDER BY name', accountId, worker).map(toSecret);
  }

  async deleteSecret(accountId: string, worker: string, name: string): Promise<boolean> {
    const deleted = this.#run('DELETE FROM secrets WHERE account_id = ? AND worker = ? AND name = ?', accountId, worker, name) > 0;
    if (deleted) this.#emit({ kind: 'secrets', accountId, worker });
    return deleted;
  }

  async listAllSecrets(): Promise<SecretRecord[]> {
    return this.#all('SELECT * FROM secrets ORDER BY account_id, worker, name').map(toSecret);
  }

  async createZone(z: Zone): Promise<void> {
    this.#run('INSERT INTO zones VALUES (?, ?, ?, ?, ?)', z.id, z.accountId, z.hostname, z.origin, z.createdAt);
    this.#emit({ kind: 'zones', accountId: z.accountId });
  }

  async getZone(accountId: string, id: string): Promise<Zone | null> {
    const r = this.#get('SELECT * FROM zones WHERE account_id = ? AND id = ?', accountId, id);
    return r ? toZone(r) : null;
  }

  async getZoneByHostname(hostname: string): Promise<Zone | null> {
    const r = this.#get('SELECT * FROM zones WHERE hostname = ?', hostname);
    return r ? toZone(r) : null;
  }

  async listZones(accountId?: string): Promise<Zone[]> {
    const rows = accountId === undefined
      ? this.#all('SELECT * FROM zones ORDER BY hostname')
      : this.#all('SELECT * FROM zones WHERE account_id = ? ORDER BY hostname', accountId);
    return rows.map(toZone);
  }

  async deleteZone(accountId: string, id: string): Promise<boolean> {
    const deleted = this.#tx(() => {
      this.#run('DELETE FROM routes WHERE account_id = ? AND zone_id = ?', accountId, id);
      return this.#run('DELETE FROM zones WHERE account_id = ? AND id = ?', accountId, id) > 0;
    });
    if (deleted) {
      this.#emit({ kind: 'zones', accountId });
      this.#emit({ kind: 'routes', accountId });
    }
    return deleted;
  }

  async createRoute(r: RouteRecord): Promise<void> {
    this.#run('INSERT INTO routes VALUES (?, ?, ?, ?, ?, ?)', r.id, r.accountId, r.zoneId, r.pattern, r.worker, r.createdAt);
    this.#emit({ kind: 'routes', accountId: r.accountId });
  }

  async getRouteByPattern(pattern: string): Promise<RouteRecord | null> {
    const r = this.#get('SELECT * FROM routes WHERE pattern = ?', pattern);
    return r ? toRoute(r) : null;
  }

  async listRoutes(accountId?: string): Promise<RouteRecord[]> {
    const rows = accountId === undefined
      ? this.#all('SELECT * FROM routes ORDER BY pattern')
      : this.#all('SELECT * FROM routes WHERE account_id = ? ORDER BY pattern', accountId);
    return rows.map(toRoute);
  }

  async deleteRoute(accountId: string, id: string): Promise<boolean> {
    const deleted = this.#run('DELETE FROM routes WHERE account_id = ? AND id = ?', accountId, id) > 0;
    if (deleted) this.#emit({ kind: 'routes', accountId });
    return deleted;
  }

  watch(listener: ControlListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

export interface OpenSqliteControlOptions {
  /** Where listener failures go; structured fields. Defaults to stderr as JSON. */
  log?: (fields: Record<string, unknown>) => void;
}

/** Opens (creating when absent) `<dir>/control.sqlite3` and brings its schema up to date. */
export async function openSqliteControl(dir: string, options: OpenSqliteControlOptions = {}): Promise<SqliteControlStore> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'control.sqlite3');
  const db = new DatabaseSync(file, { timeout: 5000, enableForeignKeyConstraints: true });
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    migrate(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
  const log = options.log ?? ((fields) => process.stderr.write(`${JSON.stringify(fields)}\n`));
  return new SqliteControlStore(file, db, log);
}
