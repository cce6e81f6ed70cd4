// The control-plane store on NATS JetStream: every record is one key of the control
// bucket (keys.ts), bundles are objects named by their hash. Reads come from a
// ControlState kept current by a watch of the whole bucket, so they cost no round trip;
// a write returns only once that watch has seen it, so a process reads its own writes.
// Several control processes can share the bucket: unique records are claimed with
// create() (fails if the key exists) and updates use compare-and-set on the record's
// revision, so two writers never both win. A change that spans records (a version with
// its deployment, a worker deletion) is several writes in an order chosen so that a
// crash between them leaves nothing a reader would act on, and a failed one is undone
// unless it may have taken effect: a write whose acknowledgement was lost (its server
// killed mid-call) is read back, and when that cannot tell, nothing is undone and the
// caller hears that the outcome is unknown (an undo after a write that did land would
// leave, say, a live deployment of a version that was deleted).

import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { QueuedIterator } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import {
  ControlConflictError, type Account, type ControlListener, type ControlStore, type Deployment, type KvNamespace, type NewVersion,
  type RouteRecord, type SecretRecord, type StoredModule, type TokenRecord, type Zone,
} from '../store/control.ts';
import { decodeBundle, encodeBundle } from './bundle-codec.ts';
import type { ClusterBuckets, Log } from './connection.ts';
import { ControlState, type Problem } from './control-state.ts';
import { controlKey } from './keys.ts';
import { encodeRecord } from './records.ts';
import { guarded, mayHaveLanded } from './unavailable.ts';
import { StoreUnavailableError } from '../store/unavailable.ts';

/** A key no record kind uses: writing it gives a revision to wait for after deletes. */
const BARRIER_PREFIX = 'barrier.';
/** How long a write waits for the watch to see it before it reports NATS as too slow. */
const SEEN_TIMEOUT_MS = 15_000;
/**
 * A write not seen by the watch this long after NATS acknowledged it means the watch's
 * consumer is stuck (its server died; the client's own recovery waits for missed
 * heartbeats, 10 s or more): the watch is started again from the last revision it delivered.
 */
const WATCH_STALL_MS = 2_000;
/** A claim (unique title, hostname, pattern) whose record never appeared may be taken over after this long. */
const DANGLING_CLAIM_MS = 60_000;

export function isCasConflict(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test((err as Error)?.message ?? '');
}

/** Is `err` a failure after which this call's earlier writes must stay (see the header)? */
function keepWrites(err: unknown): boolean {
  return err instanceof StoreUnavailableError && err.mayHaveWritten;
}

/** Watches a bucket after revision `from`; resolves once every entry stored before the call was delivered. */
export async function watchBucket(
  kv: KV, from: number, onEntry: (entry: KvWatchEntry) => void,
): Promise<QueuedIterator<KvWatchEntry>> {
  const status = await kv.status();
  const last = status.streamInfo.state.last_seq;
  const iter = await kv.watch({ key: '>', ...(from > 0 ? { resumeFromRevision: from + 1 } : {}) });
  let ready: () => void = () => {};
  const caughtUp = new Promise<void>((r) => { ready = r; });
  if (last <= from) ready();
  void (async () => {
    for await (const e of iter) {
      onEntry(e);
      if (e.revision >= last) ready();
    }
  })();
  await caughtUp;
  return iter;
}

export class NatsControlStore implements ControlStore {
  readonly state: ControlState;
  readonly #kv: KV;
  readonly #bundles: ObjectStore;
  readonly #log: Log;
  readonly #listeners = new Set<ControlListener>();
  readonly #waiters: { revision: number; resolve: () => void }[] = [];
  readonly #barrierKey = `${BARRIER_PREFIX}${randomBytes(6).toString('hex')}`;
  #iter: QueuedIterator<KvWatchEntry> | null = null;
  /** The highest revision a watch delivered: a restarted watch resumes after it and skips what it delivers again. */
  #delivered = 0;
  #restarting: Promise<void> | null = null;
  #closed = false;
  /** False between a disconnect and the reconnect: the client would buffer a write and send it whenever NATS returns. */
  #connected = true;

  /** Use openNatsControl(). */
  constructor(buckets: ClusterBuckets, log: Log) {
    this.#kv = guarded(buckets.control, 'the control bucket');
    void (async () => {
      for await (const s of buckets.nc.status()) {
        if (s.type === 'disconnect') this.#connected = false;
        else if (s.type === 'reconnect') this.#connected = true;
      }
    })();
    this.#bundles = guarded(buckets.bundles, 'the bundle store');
    this.#log = log;
    this.state = new ControlState((p: Problem) => log({ level: 'warn', msg: 'control record skipped', code: p.code, key: p.subject, error: p.message }));
  }

  async start(): Promise<void> {
    this.#iter = await watchBucket(this.#kv, 0, (e) => this.#onEntry(e));
  }

  #onEntry(e: KvWatchEntry): void {
    if (e.revision <= this.#delivered) return;
    this.#delivered = e.revision;
    if (!e.key.startsWith(BARRIER_PREFIX)) {
      const applied = this.state.apply(e.key, e.operation === 'PUT' ? e.value : null, e.revision);
      if (applied) for (const change of this.state.changesOf(applied)) this.#emit(change);
    } else {
      this.state.revision = Math.max(this.state.revision, e.revision);
    }
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.#waiters[i]!.revision <= e.revision) this.#waiters.splice(i, 1)[0]!.resolve();
    }
  }

  #emit(change: Parameters<ControlListener>[0]): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#log({ level: 'error', msg: 'control store listener threw', kind: change.kind, error: (err as Error).stack });
      }
    }
  }

  /** Resolves once the watch has applied `revision`. */
  #seen(revision: number): Promise<void> {
    if (this.state.revision >= revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const stall = setTimeout(() => this.#restartWatch(), WATCH_STALL_MS);
      const timer = setTimeout(() => {
        clearTimeout(stall);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new StoreUnavailableError(`the control bucket's watch did not deliver revision ${revision} within ${SEEN_TIMEOUT_MS} ms; the write is stored, but this process cannot read it back yet: check the NATS servers`, { mayHaveWritten: true }));
      }, SEEN_TIMEOUT_MS);
      const waiter = { revision, resolve: () => { clearTimeout(timer); clearTimeout(stall); resolve(); } };
      this.#waiters.push(waiter);
    });
  }

  /** Replaces the watch with a new one that resumes after the last delivered revision. */
  #restartWatch(): void {
    if (this.#restarting || this.#closed) return;
    const from = this.#delivered;
    this.#log({ level: 'warn', msg: 'control watch stalled; starting it again', after: from });
    this.#restarting = (async () => {
      try {
        const iter = await watchBucket(this.#kv, from, (e) => this.#onEntry(e));
        if (this.#closed) {
          iter.stop();
          return;
        }
        this.#iter?.stop();
        this.#iter = iter;
      } catch (err) {
        // The next write that waits too long tries again.
        this.#log({ level: 'warn', msg: 'control watch could not be started again', error: (err as Error).message });
      }
    })().finally(() => { this.#restarting = null; });
  }

  /** After deletes (which return no revision): a write of our own, then wait for it. */
  async #settle(): Promise<void> {
    await this.#seen(await this.#kv.put(this.#barrierKey, new Uint8Array(0)));
  }

  /**
   * `write` of `bytes` to `key`, returning the revision. When the write fails in a way that
   * may have stored it, the key is read back: records carry unique ids and times, so the
   * same bytes there are this write. When that cannot tell either, the error says the
   * outcome is unknown (StoreUnavailableError with mayHaveWritten).
   */
  async #write(key: string, bytes: Uint8Array, write: () => Promise<number>, what: string): Promise<number> {
    if (!this.#connected) throw new StoreUnavailableError(`${what} was not written: this control process is not connected to NATS; retry in a few seconds, and check the NATS servers if it persists`);
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || !mayHaveLanded(err)) throw err;
      let stored;
      try {
        stored = await this.#kv.get(key);
      } catch {
        throw new StoreUnavailableError(`${what} may or may not have been stored: the write did not complete (${(err as Error).message}) and reading it back failed; look for it once the NATS servers answer before writing it again`, { cause: err, mayHaveWritten: true });
      }
      if (stored?.operation === 'PUT' && Buffer.from(stored.value).equals(bytes)) return stored.revision;
      throw new StoreUnavailableError(`${what} was not stored yet, but may still be: the write did not complete (${(err as Error).message}); look for it once the NATS servers answer before writing it again`, { cause: err, mayHaveWritten: true });
    }
  }

  async #create(key: string, value: unknown, what: string): Promise<number> {
    const bytes = encodeRecord(value);
    try {
      return await this.#write(key, bytes, () => this.#kv.create(key, bytes), what);
    } catch (err) {
      if (isCasConflict(err)) throw new ControlConflictError(`${what} already exists`);
      throw err;
    }
  }

  /**
   * Claims a unique index key (a title, hostname or pattern) for the record at `recordKey`.
   * A claim left by a call whose record write had an unknown outcome and never landed
   * would block the name for good: one older than DANGLING_CLAIM_MS whose record does
   * not exist is taken over.
   */
  async #claim(claimKey: string, recordKey: string, what: string): Promise<void> {
    try {
      await this.#create(claimKey, { key: recordKey }, what);
    } catch (err) {
      if (!(err instanceof ControlConflictError)) throw err;
      const held = await this.#kv.get(claimKey);
      const claimed = held?.operation === 'PUT' ? (held.json() as { key?: string }).key : undefined;
      if (!held || !claimed || this.state.has(claimed) || Date.now() - held.created.getTime() < DANGLING_CLAIM_MS) throw err;
      if ((await this.#kv.get(claimed))?.operation === 'PUT') throw err;
      const bytes = encodeRecord({ key: recordKey });
      try {
        await this.#write(claimKey, bytes, () => this.#kv.update(claimKey, bytes, held.revision), what);
      } catch (takeover) {
        if (isCasConflict(takeover)) throw err;
        throw takeover;
      }
      this.#log({ level: 'warn', msg: 'dangling claim taken over', key: claimKey, claimedFor: claimed });
    }
  }

  async #put(key: string, value: unknown, what: string): Promise<number> {
    const bytes = encodeRecord(value);
    return this.#write(key, bytes, () => this.#kv.put(key, bytes), what);
  }

  async #delete(...keys: string[]): Promise<void> {
    for (const key of keys) await this.#kv.delete(key);
  }

  async createAccount(account: Account): Promise<void> {
    await this.#seen(await this.#create(controlKey.account(account.id), account, `account "${account.id}"`));
  }
  async getAccount(id: string) { return this.state.getAccount(id); }
  async listAccounts() { return this.state.listAccounts(); }

  async createToken(token: TokenRecord): Promise<void> {
    await this.#seen(await this.#create(controlKey.token(token.id), token, `token "${token.id}"`));
  }
  async getTokenByHash(hash: string) { return this.state.getTokenByHash(hash); }
  async listTokens(accountId: string) { return this.state.listTokens(accountId); }

  async revokeToken(accountId: string, id: string, at: number): Promise<boolean> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const token = this.state.getTokenById(id);
      if (!token || token.accountId !== accountId) return false;
      if (token.revokedAt !== null) return true;
      const key = controlKey.token(id);
      try {
        const bytes = encodeRecord({ ...token, revokedAt: at });
        await this.#seen(await this.#write(key, bytes, () => this.#kv.update(key, bytes, this.state.revisionOf(key)), `the revocation of token "${id}"`));
        return true;
      } catch (err) {
        if (!isCasConflict(err)) throw err;
        await this.#settle();
      }
    }
    throw new ControlConflictError(`token "${id}" kept changing while it was being revoked`);
  }

  async #ensureWorker(accountId: string, name: string, at: number, touch: boolean): Promise<boolean> {
    const key = controlKey.worker(accountId, name);
    const existing = this.state.getWorker(accountId, name);
    if (existing) {
      if (touch) await this.#put(key, { ...existing, updatedAt: at }, `worker "${name}"`);
      return false;
    }
    try {
      await this.#create(key, { accountId, name, createdAt: at, updatedAt: at }, `worker "${name}"`);
      return true;
    } catch (err) {
      if (!(err instanceof ControlConflictError)) throw err;
      return false;
    }
  }

  /** Appends a deployment to its worker's history under the next sequence number. */
  async #insertDeployment(d: Deployment): Promise<number> {
    const idKey = controlKey.deploymentId(d.id);
    let seq = (this.state.deploymentsOf(d.accountId, d.worker)[0]?.seq ?? 0) + 1;
    const key = () => controlKey.deployment(d.accountId, d.worker, seq);
    await this.#create(idKey, { key: key() }, `deployment "${d.id}"`);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#create(key(), d, `deployment "${d.id}"`);
      } catch (err) {
        // Another control process took this number: take the next.
        if (!(err instanceof ControlConflictError) || attempt >= 20) {
          if (!keepWrites(err)) await this.#kv.delete(idKey).catch(() => {});
          throw err;
        }
        seq++;
      }
    }
  }

  async createVersion(input: NewVersion): Promise<void> {
    const v = input.version;
    if (input.deployment && this.state.hasDeploymentId(input.deployment.id)) throw new ControlConflictError(`deployment "${input.deployment.id}" already exists`);
    const versionKey = controlKey.version(v.accountId, v.worker, v.id);
    if (this.state.has(versionKey)) throw new ControlConflictError(`version "${v.id}" already exists`);
    // Order: bundle, worker, version, deployment. An edge acts on a deployment only, and
    // by then everything it names is stored.
    const newBundle = (await this.#bundles.info(v.hash)) === null;
    if (newBundle) await this.#bundles.putBlob({ name: v.hash }, encodeBundle(input.modules));
    let newWorker = false;
    let versionWritten = false;
    try {
      newWorker = await this.#ensureWorker(v.accountId, v.worker, v.createdAt, true);
      let revision = await this.#create(versionKey, v, `version "${v.id}"`);
      versionWritten = true;
      if (input.deployment) revision = await this.#insertDeployment(input.deployment);
      await this.#seen(revision);
    } catch (err) {
      // Undo what this call wrote, so a failure leaves none of it; unless the last write
      // may have landed, when an undo could leave a deployment of a deleted version.
      if (keepWrites(err)) throw err;
      if (versionWritten) await this.#kv.delete(versionKey).catch(() => {});
      if (newWorker) await this.#kv.delete(controlKey.worker(v.accountId, v.worker)).catch(() => {});
      if (newBundle) await this.#bundles.delete(v.hash).catch(() => {});
      await this.#settle().catch(() => {});
      throw err;
    }
  }

  async getWorker(accountId: string, name: string) { return this.state.getWorker(accountId, name); }
  async listWorkers(accountId: string) { return this.state.listWorkers(accountId); }

  async deleteWorker(accountId: string, name: string): Promise<boolean> {
    if (!this.state.getWorker(accountId, name)) return false;
    // The worker first: readers treat everything of a worker that is gone as gone.
    await this.#delete(controlKey.worker(accountId, name));
    const versions = this.state.listVersions(accountId, name);
    for (const r of this.state.listRoutes(accountId).filter((x) => x.worker === name)) {
      await this.#delete(controlKey.route(accountId, r.id), controlKey.routePattern(r.pattern));
    }
    for (const s of this.state.getSecrets(accountId, name)) await this.#delete(controlKey.secret(accountId, name, s.name));
    if (this.state.getSchedules(accountId, name).length > 0) await this.#delete(controlKey.schedule(accountId, name));
    if (this.state.getRollout(accountId, name)) await this.#delete(controlKey.rollout(accountId, name));
    for (const d of this.state.deploymentsOf(accountId, name)) await this.#delete(d.key, controlKey.deploymentId(d.deployment.id));
    for (const v of versions) await this.#delete(controlKey.version(accountId, name, v.id));
    await this.#settle();
    // Bundles are shared by hash; one no version uses any more goes.
    for (const hash of new Set(versions.map((v) => v.hash))) {
      if (!this.state.bundleInUse(hash)) await this.#bundles.delete(hash).catch(() => {});
    }
    return true;
  }

  async getVersion(accountId: string, worker: string, id: string) { return this.state.getVersion(accountId, worker, id); }
  async listVersions(accountId: string, worker: string) { return this.state.listVersions(accountId, worker); }

  async getModules(hash: string): Promise<StoredModule[]> {
    const bytes = await this.#bundles.getBlob(hash);
    return bytes === null ? [] : decodeBundle(bytes);
  }

  async createDeployment(deployment: Deployment): Promise<void> {
    if (this.state.hasDeploymentId(deployment.id)) throw new ControlConflictError(`deployment "${deployment.id}" already exists`);
    await this.#seen(await this.#insertDeployment(deployment));
  }
  async getDeployment(accountId: string, worker: string) { return this.state.getDeployment(accountId, worker); }
  async listDeployments(accountId: string, worker: string) { return this.state.deploymentsOf(accountId, worker).map((d) => d.deployment); }
  async listCurrentDeployments(accountId?: string) { return this.state.listCurrentDeployments(accountId); }

  async createKvNamespace(ns: KvNamespace): Promise<void> {
    const titleKey = controlKey.kvTitle(ns.accountId, ns.title);
    const key = controlKey.kvNamespace(ns.accountId, ns.id);
    await this.#claim(titleKey, key, `KV namespace titled "${ns.title}"`);
    try {
      await this.#seen(await this.#create(key, ns, `KV namespace "${ns.id}"`));
    } catch (err) {
      if (!keepWrites(err)) await this.#kv.delete(titleKey).catch(() => {});
      throw err;
    }
  }
  async getKvNamespace(accountId: string, id: string) { return this.state.getKvNamespace(accountId, id); }
  async listKvNamespaces(accountId: string) { return this.state.listKvNamespaces(accountId); }
  async deleteKvNamespace(accountId: string, id: string): Promise<boolean> {
    const ns = this.state.getKvNamespace(accountId, id);
    if (!ns) return false;
    await this.#delete(controlKey.kvNamespace(accountId, id), controlKey.kvTitle(accountId, ns.title));
    await this.#settle();
    return true;
  }

  async putSecret(secret: SecretRecord): Promise<void> {
    await this.#ensureWorker(secret.accountId, secret.worker, secret.updatedAt, false);
    await this.#seen(await this.#put(controlKey.secret(secret.accountId, secret.worker, secret.name), secret, `secret "${secret.name}" of worker "${secret.worker}"`));
  }
  async getSecrets(accountId: string, worker: string) { return this.state.getSecrets(accountId, worker); }
  async deleteSecret(accountId: string, worker: string, name: string): Promise<boolean> {
    const key = controlKey.secret(accountId, worker, name);
    if (!this.state.has(key)) return false;
    await this.#delete(key);
    await this.#settle();
    return true;
  }
  async listAllSecrets() { return this.state.listAllSecrets(); }

  async createZone(zone: Zone): Promise<void> {
    const hostKey = controlKey.zoneHost(zone.hostname);
    const key = controlKey.zone(zone.accountId, zone.id);
    await this.#claim(hostKey, key, `zone for hostname "${zone.hostname}"`);
    try {
      await this.#seen(await this.#create(key, zone, `zone "${zone.id}"`));
    } catch (err) {
      if (!keepWrites(err)) await this.#kv.delete(hostKey).catch(() => {});
      throw err;
    }
  }
  async getZone(accountId: string, id: string) { return this.state.getZone(accountId, id); }
  async getZoneByHostname(hostname: string) { return this.state.getZoneByHostname(hostname); }
  async listZones(accountId?: string) { return this.state.listZones(accountId); }
  async deleteZone(accountId: string, id: string): Promise<boolean> {
    const zone = this.state.getZone(accountId, id);
    if (!zone) return false;
    for (const r of this.state.listRoutes(accountId).filter((x) => x.zoneId === id)) {
      await this.#delete(controlKey.route(accountId, r.id), controlKey.routePattern(r.pattern));
    }
    await this.#delete(controlKey.zone(accountId, id), controlKey.zoneHost(zone.hostname));
    await this.#settle();
    return true;
  }

  async createRoute(route: RouteRecord): Promise<void> {
    const patternKey = controlKey.routePattern(route.pattern);
    const key = controlKey.route(route.accountId, route.id);
    await this.#claim(patternKey, key, `route with pattern "${route.pattern}"`);
    try {
      await this.#seen(await this.#create(key, route, `route "${route.id}"`));
    } catch (err) {
      if (!keepWrites(err)) await this.#kv.delete(patternKey).catch(() => {});
      throw err;
    }
  }
  async getRouteByPattern(pattern: string) { return this.state.getRouteByPattern(pattern); }
  async listRoutes(accountId?: string) { return this.state.listRoutes(accountId); }
  async deleteRoute(accountId: string, id: string): Promise<boolean> {
    const route = this.state.getRoute(accountId, id);
    if (!route) return false;
    await this.#delete(controlKey.route(accountId, id), controlKey.routePattern(route.pattern));
    await this.#settle();
    return true;
  }

  async setSchedules(accountId: string, worker: string, crons: string[], at: number): Promise<boolean> {
    if (!this.state.getWorker(accountId, worker)) return false;
    const key = controlKey.schedule(accountId, worker);
    if (crons.length === 0) {
      if (this.state.has(key)) {
        await this.#delete(key);
        await this.#settle();
      }
    } else {
      await this.#seen(await this.#put(key, { accountId, worker, crons, updatedAt: at }, `the cron triggers of worker "${worker}"`));
    }
    return true;
  }
  async getSchedules(accountId: string, worker: string) { return this.state.getSchedules(accountId, worker); }
  async listSchedules() { return this.state.listSchedules(); }

  watch(listener: ControlListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#iter?.stop();
    // The barrier key is ours alone; leaving it would leave one per process ever run.
    await this.#kv.purge(this.#barrierKey).catch(() => {});
  }
}

/** The control store over the cluster's buckets, with its state loaded. */
export async function openNatsControl(buckets: ClusterBuckets, log: Log): Promise<NatsControlStore> {
  const store = new NatsControlStore(buckets, log);
  await store.start();
  return store;
}
