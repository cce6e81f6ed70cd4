// The control plane's records in memory, built from the control bucket's entries in
// revision order. The JetStream control store answers every read from it (fed by its
// watch), and an edge builds the same state from its local SQLite copy, so both read
// control state the same way. A malformed entry is skipped (the previous record under
// that key stays) and reported in `problems`.

import type {
  Account, ControlChange, Deployment, KvNamespace, RouteRecord, SecretRecord, TokenRecord, Version, WorkerRecord, Zone,
} from '../store/control.ts';
import { controlKey, parseControlKey } from './keys.ts';
import { decodeRecord, type ControlRecord, type IndexRecord, type RolloutRecord, type ScheduleRecord } from './records.ts';

export interface Problem {
  /** What the problem is about: a bucket key, a bundle hash, a version. */
  subject: string;
  code: 'malformed_record' | 'bundle_hash_mismatch' | 'bundle_unavailable' | 'secret_undecryptable';
  message: string;
  at: number;
}

interface Held { record: ControlRecord; revision: number }

/** What one entry did: the record before and after (null: none). */
export interface Applied { key: string; before: ControlRecord | null; after: ControlRecord | null }

/** The value type of each record kind. */
type ValueOf = {
  account: Account; token: TokenRecord; worker: WorkerRecord; version: Version; deployment: Deployment; kvns: KvNamespace;
  secret: SecretRecord; zone: Zone; route: RouteRecord; schedule: ScheduleRecord; rollout: RolloutRecord;
  deploymentid: IndexRecord; kvtitle: IndexRecord; zonehost: IndexRecord; routepattern: IndexRecord;
};

/** Versions newest first: by creation time, then by when the record was stored. */
const newestFirst = (a: { revision: number; value: Version }, b: { revision: number; value: Version }) => b.value.createdAt - a.value.createdAt || b.revision - a.revision;
const byName = <T>(f: (x: T) => string) => (a: T, b: T) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : 0);

export class ControlState {
  readonly #held = new Map<string, Held>();
  readonly #tokensByHash = new Map<string, string>();
  /** Malformed entries by key; a later good entry under the key clears its problem. */
  readonly problems = new Map<string, Problem>();
  revision = 0;
  readonly #report: (problem: Problem) => void;

  constructor(report: (problem: Problem) => void = () => {}) {
    this.#report = report;
  }

  /** Applies one bucket entry (null value: deleted). */
  apply(key: string, value: Uint8Array | null, revision: number, now = Date.now()): Applied | null {
    this.revision = Math.max(this.revision, revision);
    const before = this.#held.get(key)?.record ?? null;
    if (value === null) {
      this.problems.delete(key);
      if (!before) return null;
      this.#held.delete(key);
      if (before.kind === 'token') this.#tokensByHash.delete(before.value.hash);
      return { key, before, after: null };
    }
    const parsed = parseControlKey(key);
    let record: ControlRecord;
    try {
      if (!parsed) throw new Error('the key names no kind of control record');
      record = decodeRecord(parsed.kind, value);
    } catch (err) {
      const problem: Problem = { subject: key, code: 'malformed_record', message: `record "${key}" (revision ${revision}) skipped: ${(err as Error).message}`, at: now };
      this.problems.set(key, problem);
      this.#report(problem);
      return null;
    }
    this.problems.delete(key);
    if (before?.kind === 'token') this.#tokensByHash.delete(before.value.hash);
    this.#held.set(key, { record, revision });
    if (record.kind === 'token') this.#tokensByHash.set(record.value.hash, key);
    return { key, before, after: record };
  }

  /** Every key held, for reconciling against a full listing. */
  keys(): string[] {
    return [...this.#held.keys()];
  }

  /** The revision of the record under `key`, for compare-and-set writes (0: none). */
  revisionOf(key: string): number {
    return this.#held.get(key)?.revision ?? 0;
  }

  has(key: string): boolean {
    return this.#held.has(key);
  }

  #value<K extends keyof ValueOf>(key: string, kind: K): ValueOf[K] | null {
    const h = this.#held.get(key);
    return h && h.record.kind === kind ? (h.record.value as ValueOf[K]) : null;
  }

  #all<K extends keyof ValueOf>(kind: K, prefix = `${kind}.`): { key: string; revision: number; value: ValueOf[K] }[] {
    const out: { key: string; revision: number; value: ValueOf[K] }[] = [];
    for (const [key, h] of this.#held) {
      if (key.startsWith(prefix) && h.record.kind === kind) out.push({ key, revision: h.revision, value: h.record.value as ValueOf[K] });
    }
    return out;
  }

  getAccount(id: string): Account | null { return this.#value(controlKey.account(id), 'account'); }
  listAccounts(): Account[] {
    return this.#all('account').map((x) => x.value).sort((a, b) => a.createdAt - b.createdAt || byName<Account>((x) => x.id)(a, b));
  }

  getTokenById(id: string): TokenRecord | null { return this.#value(controlKey.token(id), 'token'); }
  getTokenByHash(hash: string): TokenRecord | null {
    const key = this.#tokensByHash.get(hash);
    return key ? this.#value(key, 'token') : null;
  }
  listTokens(accountId: string): TokenRecord[] {
    return this.#all('token').map((x) => x.value).filter((t) => t.accountId === accountId)
      .sort((a, b) => a.createdAt - b.createdAt || byName<TokenRecord>((x) => x.id)(a, b));
  }

  getWorker(accountId: string, name: string): WorkerRecord | null { return this.#value(controlKey.worker(accountId, name), 'worker'); }
  listWorkers(accountId: string): WorkerRecord[] {
    return this.#all('worker').map((x) => x.value).filter((w) => w.accountId === accountId).sort(byName((w) => w.name));
  }

  getVersion(accountId: string, worker: string, id: string): Version | null { return this.#value(controlKey.version(accountId, worker, id), 'version'); }
  /** Newest first (by creation time, then by when it was stored). */
  listVersions(accountId: string, worker: string): Version[] {
    return this.#all('version', `${controlKey.worker(accountId, worker).replace(/^worker/, 'version')}.`)
      .sort(newestFirst).map((x) => x.value);
  }
  /**
   * The `n` newest versions (as listVersions orders them) of every worker of every
   * account, in one pass over the records instead of one per worker.
   */
  newestVersions(n: number): Version[] {
    const byWorker = new Map<string, { revision: number; value: Version }[]>();
    for (const x of this.#all('version')) {
      const k = controlKey.worker(x.value.accountId, x.value.worker);
      const list = byWorker.get(k);
      if (list) list.push(x);
      else if (this.getWorker(x.value.accountId, x.value.worker) && this.getAccount(x.value.accountId)) byWorker.set(k, [x]);
    }
    return [...byWorker.values()].flatMap((list) => list.sort(newestFirst).slice(0, n).map((x) => x.value));
  }
  /** Any version of any worker that uses the bundle. */
  bundleInUse(hash: string): boolean {
    return this.#all('version').some((x) => x.value.hash === hash);
  }

  /** The worker's deployments with their sequence numbers, newest first. */
  deploymentsOf(accountId: string, worker: string): { seq: number; deployment: Deployment; key: string }[] {
    const prefix = `${controlKey.worker(accountId, worker).replace(/^worker/, 'deployment')}.`;
    return this.#all('deployment', prefix)
      .map((x) => ({ seq: Number(x.key.slice(x.key.lastIndexOf('.') + 1)), deployment: x.value, key: x.key }))
      .sort((a, b) => b.seq - a.seq);
  }
  getDeployment(accountId: string, worker: string): Deployment | null {
    return this.deploymentsOf(accountId, worker)[0]?.deployment ?? null;
  }
  hasDeploymentId(id: string): boolean { return this.#held.has(controlKey.deploymentId(id)); }
  listCurrentDeployments(accountId?: string): Deployment[] {
    const newest = new Map<string, { seq: number; d: Deployment }>();
    for (const x of this.#all('deployment')) {
      if (accountId !== undefined && x.value.accountId !== accountId) continue;
      const seq = Number(x.key.slice(x.key.lastIndexOf('.') + 1));
      const k = x.key.slice(0, x.key.lastIndexOf('.'));
      const cur = newest.get(k);
      if (!cur || seq > cur.seq) newest.set(k, { seq, d: x.value });
    }
    return [...newest.values()].map((x) => x.d)
      .sort((a, b) => byName<Deployment>((d) => d.accountId)(a, b) || byName<Deployment>((d) => d.worker)(a, b));
  }

  getKvNamespace(accountId: string, id: string): KvNamespace | null { return this.#value(controlKey.kvNamespace(accountId, id), 'kvns'); }
  listKvNamespaces(accountId: string): KvNamespace[] {
    return this.#all('kvns').map((x) => x.value).filter((n) => n.accountId === accountId).sort(byName((n) => n.title));
  }

  getSecrets(accountId: string, worker: string): SecretRecord[] {
    return this.#all('secret', `${controlKey.worker(accountId, worker).replace(/^worker/, 'secret')}.`).map((x) => x.value).sort(byName((s) => s.name));
  }
  listAllSecrets(): SecretRecord[] {
    return this.#all('secret').map((x) => x.value)
      .sort((a, b) => byName<SecretRecord>((s) => s.accountId)(a, b) || byName<SecretRecord>((s) => s.worker)(a, b) || byName<SecretRecord>((s) => s.name)(a, b));
  }

  getZone(accountId: string, id: string): Zone | null { return this.#value(controlKey.zone(accountId, id), 'zone'); }
  getZoneByHostname(hostname: string): Zone | null {
    const idx = this.#value(controlKey.zoneHost(hostname), 'zonehost');
    const zone = idx ? this.#value(idx.key, 'zone') : null;
    return zone?.hostname === hostname ? zone : null;
  }
  listZones(accountId?: string): Zone[] {
    return this.#all('zone').map((x) => x.value).filter((z) => accountId === undefined || z.accountId === accountId).sort(byName((z) => z.hostname));
  }

  getRoute(accountId: string, id: string): RouteRecord | null { return this.#value(controlKey.route(accountId, id), 'route'); }
  getRouteByPattern(pattern: string): RouteRecord | null {
    const idx = this.#value(controlKey.routePattern(pattern), 'routepattern');
    const route = idx ? this.#value(idx.key, 'route') : null;
    return route?.pattern === pattern ? route : null;
  }
  listRoutes(accountId?: string): RouteRecord[] {
    return this.#all('route').map((x) => x.value).filter((r) => accountId === undefined || r.accountId === accountId).sort(byName((r) => r.pattern));
  }

  getSchedules(accountId: string, worker: string): string[] {
    return [...(this.#value(controlKey.schedule(accountId, worker), 'schedule')?.crons ?? [])];
  }
  listSchedules(): { accountId: string; worker: string; crons: string[] }[] {
    return this.#all('schedule').map((x) => x.value)
      .sort((a, b) => byName<ScheduleRecord>((s) => s.accountId)(a, b) || byName<ScheduleRecord>((s) => s.worker)(a, b))
      .map((s) => ({ accountId: s.accountId, worker: s.worker, crons: [...s.crons] }));
  }

  getRollout(accountId: string, worker: string): RolloutRecord | null { return this.#value(controlKey.rollout(accountId, worker), 'rollout'); }
  listRollouts(): RolloutRecord[] { return this.#all('rollout').map((x) => x.value); }

  /**
   * The ControlChange an applied entry means, as the SQLite engine announces them: a
   * worker's deletion is one `worker_deleted`, not one change per record it took along.
   */
  changesOf(a: Applied): ControlChange[] {
    const rec = a.after ?? a.before!;
    const workerGone = (accountId: string, worker: string) => a.after === null && this.getWorker(accountId, worker) === null;
    switch (rec.kind) {
      case 'deployment': {
        if (!a.after) return [];
        const d = rec.value;
        return this.getDeployment(d.accountId, d.worker)?.id === d.id ? [{ kind: 'deployment', accountId: d.accountId, worker: d.worker, deployment: d }] : [];
      }
      case 'worker': return a.after ? [] : [{ kind: 'worker_deleted', accountId: rec.value.accountId, worker: rec.value.name }];
      case 'secret': return workerGone(rec.value.accountId, rec.value.worker) ? [] : [{ kind: 'secrets', accountId: rec.value.accountId, worker: rec.value.worker }];
      case 'zone': return [{ kind: 'zones', accountId: rec.value.accountId }];
      case 'route': return workerGone(rec.value.accountId, rec.value.worker) ? [] : [{
        kind: 'routes', accountId: rec.value.accountId,
        route: { before: a.before?.kind === 'route' ? a.before.value : null, after: a.after?.kind === 'route' ? a.after.value : null },
      }];
      case 'kvns': return a.after ? [] : [{ kind: 'kv_namespace_deleted', accountId: rec.value.accountId, namespaceId: rec.value.id }];
      case 'schedule': {
        const s = rec.value;
        if (workerGone(s.accountId, s.worker)) return [];
        return [{ kind: 'schedules', accountId: s.accountId, worker: s.worker, crons: a.after ? [...s.crons] : [] }];
      }
      default: return [];
    }
  }
}
