// The control-plane engine's synchronous core: SQLite in WAL mode with synchronous=FULL,
// so a write is on disk when its method returns (an acknowledged deploy survives kill -9
// and a power cut). It runs on its own thread (control-sqlite-worker.ts), because storing
// a 10 MB bundle takes ~170 ms here, which must not stall HTTP or the CPU watchdog.

import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type {
  Account, ControlChange, Deployment, KvNamespace, NewVersion, RouteRecord,
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

export class SqliteControlCore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #emit: (change: ControlChange) => void;

  /** Opens (creating when absent) the database file and brings its schema up to date. */
  constructor(file: string, emit: (change: ControlChange) => void) {
    this.file = file;
    this.#emit = emit;
    this.#db = new DatabaseSync(file, { timeout: 5000, enableForeignKeyConstraints: true });
    try {
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
      migrate(this.#db, file);
    } catch (err) {
      this.#db.close();
      throw err;
    }
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

  createAccount(a: Account): void {
    this.#run('INSERT INTO accounts VALUES (?, ?, ?, ?)', a.id, a.name, a.operator ? 1 : 0, a.createdAt);
  }

  getAccount(id: string): Account | null {
    const r = this.#get('SELECT * FROM accounts WHERE id = ?', id);
    return r ? toAccount(r) : null;
  }

  listAccounts(): Account[] {
    return this.#all('SELECT * FROM accounts ORDER BY created_at, id').map(toAccount);
  }

  createToken(t: TokenRecord): void {
    this.#run('INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      t.id, t.accountId, t.name, JSON.stringify(t.scopes), t.hash, t.createdAt, t.expiresAt, t.revokedAt);
  }

  getTokenByHash(hash: string): TokenRecord | null {
    const r = this.#get('SELECT * FROM tokens WHERE hash = ?', hash);
    return r ? toToken(r) : null;
  }

  listTokens(accountId: string): TokenRecord[] {
    return this.#all('SELECT * FROM tokens WHERE account_id = ? ORDER BY created_at, id', accountId).map(toToken);
  }

  revokeToken(accountId: string, id: string, at: number): boolean {
    return this.#run('UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE account_id = ? AND id = ?', at, accountId, id) > 0;
  }

  createVersion(input: NewVersion): void {
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

  getWorker(accountId: string, name: string): WorkerRecord | null {
    const r = this.#get('SELECT * FROM workers WHERE account_id = ? AND name = ?', accountId, name);
    return r ? toWorker(r) : null;
  }

  listWorkers(accountId: string): WorkerRecord[] {
    return this.#all('SELECT * FROM workers WHERE account_id = ? ORDER BY name', accountId).map(toWorker);
  }

  deleteWorker(accountId: string, name: string): boolean {
    const deleted = this.#tx(() => {
      for (const table of ['routes', 'secrets', 'schedules', 'deployments', 'versions']) {
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

  getVersion(accountId: string, worker: string, id: string): Version | null {
    const r = this.#get('SELECT record FROM versions WHERE account_id = ? AND worker = ? AND id = ?', accountId, worker, id);
    return r ? (JSON.parse(String(r.record)) as Version) : null;
  }

  listVersions(accountId: string, worker: string): Version[] {
    return this.#all('SELECT record FROM versions WHERE account_id = ? AND worker = ? ORDER BY created_at DESC, rowid DESC', accountId, worker)
      .map((r) => JSON.parse(String(r.record)) as Version);
  }

  getModules(hash: string): StoredModule[] {
    return this.#all('SELECT name, type, content FROM modules WHERE hash = ? ORDER BY seq', hash)
      .map((r) => ({ name: String(r.name), type: String(r.type) as StoredModule['type'], content: bytes(r.content) }));
  }

  #insertDeployment(d: Deployment): void {
    const seq = num(this.#get('SELECT coalesce(max(seq), 0) + 1 AS n FROM deployments WHERE account_id = ? AND worker = ?', d.accountId, d.worker)!.n);
    this.#run('INSERT INTO deployments VALUES (?, ?, ?, ?, ?)', d.id, d.accountId, d.worker, JSON.stringify(d), seq);
  }

  createDeployment(d: Deployment): void {
    this.#tx(() => this.#insertDeployment(d));
    this.#emit({ kind: 'deployment', accountId: d.accountId, worker: d.worker, deployment: d });
  }

  getDeployment(accountId: string, worker: string): Deployment | null {
    const r = this.#get('SELECT record FROM deployments WHERE account_id = ? AND worker = ? ORDER BY seq DESC LIMIT 1', accountId, worker);
    return r ? (JSON.parse(String(r.record)) as Deployment) : null;
  }

  listDeployments(accountId: string, worker: string): Deployment[] {
    return this.#all('SELECT record FROM deployments WHERE account_id = ? AND worker = ? ORDER BY seq DESC', accountId, worker)
      .map((r) => JSON.parse(String(r.record)) as Deployment);
  }

  listCurrentDeployments(accountId?: string): Deployment[] {
    const sql = `SELECT d.record FROM deployments d
      JOIN (SELECT account_id, worker, max(seq) AS seq FROM deployments GROUP BY account_id, worker) m
      USING (account_id, worker, seq) ${accountId === undefined ? '' : 'WHERE d.account_id = ?'} ORDER BY d.account_id, d.worker`;
    const rows = accountId === undefined ? this.#all(sql) : this.#all(sql, accountId);
    return rows.map((r) => JSON.parse(String(r.record)) as Deployment);
  }

  createKvNamespace(ns: KvNamespace): void {
    this.#run('INSERT INTO kv_namespaces VALUES (?, ?, ?, ?)', ns.id, ns.accountId, ns.title, ns.createdAt);
  }

  getKvNamespace(accountId: string, id: string): KvNamespace | null {
    const r = this.#get('SELECT * FROM kv_namespaces WHERE account_id = ? AND id = ?', accountId, id);
    return r ? toNamespace(r) : null;
  }

  listKvNamespaces(accountId: string): KvNamespace[] {
    return this.#all('SELECT * FROM kv_namespaces WHERE account_id = ? ORDER BY title', accountId).map(toNamespace);
  }

  deleteKvNamespace(accountId: string, id: string): boolean {
    const deleted = this.#run('DELETE FROM kv_namespaces WHERE account_id = ? AND id = ?', accountId, id) > 0;
    if (deleted) this.#emit({ kind: 'kv_namespace_deleted', accountId, namespaceId: id });
    return deleted;
  }

  putSecret(s: SecretRecord): void {
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

  getSecrets(accountId: string, worker: string): SecretRecord[] {
    return this.#all('SELECT * FROM secrets WHERE account_id = ? AND worker = ? ORDER BY name', accountId, worker).map(toSecret);
  }

  deleteSecret(accountId: string, worker: string, name: string): boolean {
    const deleted = this.#run('DELETE FROM secrets WHERE account_id = ? AND worker = ? AND name = ?', accountId, worker, name) > 0;
    if (deleted) this.#emit({ kind: 'secrets', accountId, worker });
    return deleted;
  }

  listAllSecrets(): SecretRecord[] {
    return this.#all('SELECT * FROM secrets ORDER BY account_id, worker, name').map(toSecret);
  }

  createZone(z: Zone): void {
    this.#run('INSERT INTO zones VALUES (?, ?, ?, ?, ?)', z.id, z.accountId, z.hostname, z.origin, z.createdAt);
    this.#emit({ kind: 'zones', accountId: z.accountId });
  }

  getZone(accountId: string, id: string): Zone | null {
    const r = this.#get('SELECT * FROM zones WHERE account_id = ? AND id = ?', accountId, id);
    return r ? toZone(r) : null;
  }

  getZoneByHostname(hostname: string): Zone | null {
    const r = this.#get('SELECT * FROM zones WHERE hostname = ?', hostname);
    return r ? toZone(r) : null;
  }

  listZones(accountId?: string): Zone[] {
    const rows = accountId === undefined
      ? this.#all('SELECT * FROM zones ORDER BY hostname')
      : this.#all('SELECT * FROM zones WHERE account_id = ? ORDER BY hostname', accountId);
    return rows.map(toZone);
  }

  deleteZone(accountId: string, id: string): boolean {
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

  createRoute(r: RouteRecord): void {
    this.#run('INSERT INTO routes VALUES (?, ?, ?, ?, ?, ?)', r.id, r.accountId, r.zoneId, r.pattern, r.worker, r.createdAt);
    this.#emit({ kind: 'routes', accountId: r.accountId, route: { before: null, after: r } });
  }

  getRouteByPattern(pattern: string): RouteRecord | null {
    const r = this.#get('SELECT * FROM routes WHERE pattern = ?', pattern);
    return r ? toRoute(r) : null;
  }

  listRoutes(accountId?: string): RouteRecord[] {
    const rows = accountId === undefined
      ? this.#all('SELECT * FROM routes ORDER BY pattern')
      : this.#all('SELECT * FROM routes WHERE account_id = ? ORDER BY pattern', accountId);
    return rows.map(toRoute);
  }

  deleteRoute(accountId: string, id: string): boolean {
    const row = this.#get('DELETE FROM routes WHERE account_id = ? AND id = ? RETURNING *', accountId, id);
    if (row) this.#emit({ kind: 'routes', accountId, route: { before: toRoute(row), after: null } });
    return row !== undefined;
  }

  setSchedules(accountId: string, worker: string, crons: string[], at: number): boolean {
    const set = this.#tx(() => {
      if (!this.#get('SELECT 1 FROM workers WHERE account_id = ? AND name = ?', accountId, worker)) return false;
      if (crons.length === 0) this.#run('DELETE FROM schedules WHERE account_id = ? AND worker = ?', accountId, worker);
      else {
        this.#run(`INSERT INTO schedules VALUES (?, ?, ?, ?) ON CONFLICT (account_id, worker) DO UPDATE SET
          crons = excluded.crons, updated_at = excluded.updated_at`, accountId, worker, JSON.stringify(crons), at);
      }
      return true;
    });
    if (set) this.#emit({ kind: 'schedules', accountId, worker, crons: [...crons] });
    return set;
  }

  getSchedules(accountId: string, worker: string): string[] {
    const r = this.#get('SELECT crons FROM schedules WHERE account_id = ? AND worker = ?', accountId, worker);
    return r ? (JSON.parse(String(r.crons)) as string[]) : [];
  }

  listSchedules(): { accountId: string; worker: string; crons: string[] }[] {
    return this.#all('SELECT * FROM schedules ORDER BY account_id, worker')
      .map((r) => ({ accountId: String(r.account_id), worker: String(r.worker), crons: JSON.parse(String(r.crons)) as string[] }));
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
