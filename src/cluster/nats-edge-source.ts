// The edge's config source in distributed mode. It serves from its local copy
// (edge-mirror.ts) and keeps that copy current from the control bucket's watch, applying
// entries one at a time in revision order. A deployment is applied only once the bundle
// of every version it names is on local disk and matches its hash; a bundle that does
// not match is refused: the worker keeps serving the deployment it had, and the problem
// is reported (log line, and `problems()` which the heartbeat carries to the API).

import type { KvWatchEntry } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { QueuedIterator } from '@nats-io/transport-node';
import { workerDefinition } from '../control/definition.ts';
import type { Keyring } from '../control/secrets.ts';
import { edgeRoute, type EdgeChange, type EdgeConfigSource, type EdgeDeployment, type EdgeRouting } from '../edge/config-source.ts';
import type { WorkerDefinition } from '../runtime/worker-isolate.ts';
import type { ControlListener, ControlStore, StoredModule, Version } from '../store/control.ts';
import { BundleHashMismatch, verifyBundle } from './bundle-codec.ts';
import type { Log } from './connection.ts';
import { ControlState, type Applied, type Problem } from './control-state.ts';
import type { EdgeMirror } from './edge-mirror.ts';
import { watchBucket } from './nats-control-store.ts';
import { servedDeployment } from './rollout.ts';

const workerKey = (accountId: string, worker: string) => `${accountId}/${worker}`;
const FETCH_TIMEOUT_MS = 20_000;
/**
 * Bundles kept on disk per worker besides the ones its deployments name: the newest
 * versions, fetched as they land, so that deploying or rolling back to one of them does
 * not wait for a fetch. Older ones are deleted, and fetched again if ever deployed.
 */
export const KEEP_RECENT_VERSIONS = 5;
const PRUNE_DELAY_MS = 30_000;

export interface NatsEdgeSourceOptions {
  mirror: EdgeMirror;
  /** This edge's location, for rollouts staged by location. */
  location: string;
  keyring: Keyring;
  log: Log;
  /** How long after a version or deployment change the bundle folder is pruned (tests shorten it). */
  pruneDelayMs?: number;
}

export class NatsEdgeSource implements EdgeConfigSource {
  readonly state: ControlState;
  readonly #mirror: EdgeMirror;
  readonly #location: string;
  readonly #keyring: Keyring;
  readonly #log: Log;
  readonly #served: Map<string, EdgeDeployment>;
  readonly #listeners = new Set<(change: EdgeChange) => void>();
  /** Bundle and secret problems, by subject; malformed records are in state.problems. */
  readonly #problems = new Map<string, Problem>();
  /** Workers whose deployment waits for a bundle that could not be fetched. */
  readonly #pending = new Set<string>();
  readonly #controlListeners = new Set<ControlListener>();
  /** Bundle loads in flight, by version and hash, so a prefetch and a deployment share one. */
  readonly #loading = new Map<string, Promise<StoredModule[]>>();
  #bundles: ObjectStore | null = null;
  #iter: QueuedIterator<KvWatchEntry> | null = null;
  #queue: Promise<void> = Promise.resolve();
  readonly #pruneDelayMs: number;
  #pruneTimer: NodeJS.Timeout | null = null;
  /** Called after each deployment this edge applies (the heartbeat goes out at once). */
  onApplied: () => void = () => {};

  constructor(opts: NatsEdgeSourceOptions) {
    this.#mirror = opts.mirror;
    this.#location = opts.location;
    this.#keyring = opts.keyring;
    this.#log = opts.log;
    this.#pruneDelayMs = opts.pruneDelayMs ?? PRUNE_DELAY_MS;
    this.state = new ControlState((p) => opts.log({ level: 'warn', msg: 'control record skipped', code: p.code, key: p.subject, error: p.message }));
    for (const r of opts.mirror.records()) this.state.apply(r.key, r.value, r.revision);
    this.#served = opts.mirror.applied();
  }

  /** Starts following the control bucket from where the local copy left off. */
  async attach(control: { watch: Parameters<typeof watchBucket>[0]; bundles: ObjectStore }): Promise<void> {
    this.#bundles = control.bundles;
    this.#iter = await watchBucket(control.watch, this.#mirror.progress('control'), (e) => {
      this.#queue = this.#queue.then(() => this.#onEntry(e)).catch((err) => {
        this.#log({ level: 'error', msg: 'control entry not applied', key: e.key, revision: e.revision, error: (err as Error).stack });
      });
    });
    await this.#queue;
    await this.retryPending();
    this.#schedulePrune();
  }

  /** Stops the pending prune (the node is closing). */
  detach(): void {
    if (this.#pruneTimer) clearTimeout(this.#pruneTimer);
    this.#pruneTimer = null;
  }

  /** Prunes the bundle folder once changes have settled for a while (one prune for a burst). */
  #schedulePrune(): void {
    if (this.#pruneTimer) clearTimeout(this.#pruneTimer);
    this.#pruneTimer = setTimeout(() => {
      this.#pruneTimer = null;
      // In the watch's queue, so no deployment is being applied meanwhile.
      this.#queue = this.#queue.then(() => this.#prune()).catch((err) => {
        this.#log({ level: 'error', msg: 'bundle folder not pruned', error: (err as Error).message });
      });
    }, this.#pruneDelayMs);
    this.#pruneTimer.unref();
  }

  /**
   * Deletes the bundles this edge no longer needs: kept are those of the versions its
   * deployments name (served, and current in the control state, which may still be
   * waiting here), the newest KEEP_RECENT_VERSIONS of every worker, and any being fetched.
   */
  async #prune(): Promise<void> {
    const keep = new Set<string>();
    const keepVersion = (accountId: string, worker: string, versionId: string) => {
      const v = this.state.getVersion(accountId, worker, versionId);
      if (v) keep.add(v.hash);
    };
    for (const d of this.#served.values()) for (const s of d.versions) keepVersion(d.accountId, d.worker, s.versionId);
    for (const d of this.state.listCurrentDeployments()) for (const s of d.versions) keepVersion(d.accountId, d.worker, s.versionId);
    for (const v of this.state.newestVersions(KEEP_RECENT_VERSIONS)) keep.add(v.hash);
    for (const key of this.#loading.keys()) keep.add(key.slice(key.indexOf('/') + 1));
    const { files, bytes } = await this.#mirror.pruneBundles(keep);
    if (files > 0) this.#log({ level: 'info', msg: 'bundles pruned', files, bytes, kept: keep.size });
  }

  /** Every problem this edge has now: malformed records, refused or missing bundles. */
  problems(): Problem[] {
    return [...this.state.problems.values(), ...this.#problems.values()];
  }

  #problem(p: Omit<Problem, 'at'>): void {
    const problem = { ...p, at: Date.now() };
    this.#problems.set(p.subject, problem);
    this.#log({ level: 'error', msg: p.code === 'bundle_hash_mismatch' ? 'bundle refused' : 'deployment not applied', code: p.code, subject: p.subject, error: p.message });
  }

  #emit(change: EdgeChange): void {
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch (err) {
        this.#log({ level: 'error', msg: 'edge change listener threw', kind: change.kind, error: (err as Error).stack });
      }
    }
  }

  async #onEntry(e: KvWatchEntry): Promise<void> {
    if (e.key.startsWith('barrier.')) {
      this.#mirror.setProgress('control', e.revision);
      return;
    }
    const value = e.operation === 'PUT' ? e.value : null;
    this.#mirror.applyRecord(e.key, value, e.revision);
    const applied = this.state.apply(e.key, value, e.revision);
    if (!applied) return;
    for (const change of this.state.changesOf(applied)) {
      for (const l of this.#controlListeners) {
        try {
          l(change);
        } catch (err) {
          this.#log({ level: 'error', msg: 'control change listener threw', kind: change.kind, error: (err as Error).stack });
        }
      }
    }
    await this.#changed(applied);
  }

  async #changed(a: Applied): Promise<void> {
    const rec = a.after ?? a.before!;
    switch (rec.kind) {
      case 'zone':
        this.#emit({ kind: 'routing' });
        return;
      case 'route': {
        const route = (r: typeof a.before) => (r?.kind === 'route' ? edgeRoute(r.value) : null);
        this.#emit({ kind: 'routing', route: { before: route(a.before), after: route(a.after) } });
        return;
      }
      case 'deployment':
        this.#schedulePrune();
        if (a.after) await this.#reconcile(rec.value.accountId, rec.value.worker);
        return;
      case 'rollout':
        await this.#reconcile(rec.value.accountId, rec.value.worker);
        return;
      case 'version':
        this.#schedulePrune();
        // Fetched as soon as the version lands, so a deployment of it (`atoll deploy`
        // activates after the upload) finds the bundle on disk. Not awaited: the watch
        // goes on; a failure here is reported when a deployment needs the bundle.
        if (a.after) this.#modules(rec.value).catch(() => {});
        return;
      case 'worker':
        if (!a.after) {
          this.#schedulePrune();
          const k = workerKey(rec.value.accountId, rec.value.name);
          this.#served.delete(k);
          this.#pending.delete(k);
          this.#mirror.setApplied(k, null);
          this.#emit({ kind: 'deployment', accountId: rec.value.accountId, worker: rec.value.name, deployment: null });
          this.onApplied();
        }
        return;
      case 'secret':
        if (this.#served.has(workerKey(rec.value.accountId, rec.value.worker))) {
          this.#emit({ kind: 'definitions', accountId: rec.value.accountId, worker: rec.value.worker });
        }
        return;
      default:
    }
  }

  /** Applies the worker's current deployment once every bundle it needs is here and sound. */
  async #reconcile(accountId: string, worker: string): Promise<void> {
    const d = this.state.getDeployment(accountId, worker);
    const k = workerKey(accountId, worker);
    if (!d) return;
    // A rollout by location that has not reached this one yet keeps the previous versions here.
    const target = servedDeployment(this.#location, d, this.state.getRollout(accountId, worker));
    if (this.#served.get(k) && JSON.stringify(this.#served.get(k)) === JSON.stringify(target)) return;
    for (const split of target.versions) {
      const version = this.state.getVersion(accountId, worker, split.versionId);
      if (!version) {
        this.#problem({ subject: split.versionId, code: 'bundle_unavailable', message: `deployment "${d.id}" of worker "${worker}" names version "${split.versionId}", which is not in the control bucket; still serving the previous deployment` });
        return;
      }
      try {
        await this.#modules(version);
      } catch (err) {
        if (err instanceof BundleHashMismatch) {
          this.#problem({ subject: version.id, code: 'bundle_hash_mismatch', message: err.message });
        } else {
          this.#pending.add(k);
          this.#problem({ subject: version.id, code: 'bundle_unavailable', message: `bundle of version "${version.id}" of worker "${worker}" could not be fetched (${(err as Error).message}); still serving the previous deployment, retrying` });
        }
        return;
      }
      this.#problems.delete(version.id);
    }
    const ed = target;
    // A deployment applied supersedes what was refused or missing for the worker before.
    for (const subject of this.#problems.keys()) if (this.state.getVersion(accountId, worker, subject)) this.#problems.delete(subject);
    this.#pending.delete(k);
    this.#served.set(k, ed);
    this.#mirror.setApplied(k, ed);
    this.#emit({ kind: 'deployment', accountId, worker, deployment: ed });
    this.onApplied();
  }

  /** Tries again the deployments that waited for a bundle (the heartbeat calls this). */
  async retryPending(): Promise<void> {
    for (const k of [...this.#pending]) {
      const [accountId, worker] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];
      this.#queue = this.#queue.then(() => this.#reconcile(accountId, worker));
    }
    await this.#queue;
  }

  /** The version's modules from local disk, else fetched (once at a time per bundle); checked against its hash either way. */
  #modules(version: Version): Promise<StoredModule[]> {
    const key = `${version.id}/${version.hash}`;
    let p = this.#loading.get(key);
    if (!p) {
      p = this.#load(version).finally(() => this.#loading.delete(key));
      this.#loading.set(key, p);
    }
    return p;
  }

  async #load(version: Version): Promise<StoredModule[]> {
    const local = await this.#mirror.readBundle(version.hash);
    if (local) return verifyBundle(version, local);
    if (!this.#bundles) throw new Error('NATS is not reachable and the bundle is not on local disk');
    // Bounded: a read racing a rewrite of the same object was seen never to settle, and
    // the watch waits on a deployment's bundles. A timeout is retried like any failure.
    let timer: NodeJS.Timeout | undefined;
    const bytes = await Promise.race([
      this.#bundles.getBlob(version.hash),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`fetching it took over ${FETCH_TIMEOUT_MS / 1000} s`)), FETCH_TIMEOUT_MS); }),
    ]).finally(() => clearTimeout(timer));
    if (bytes === null) throw new Error(`no bundle ${version.hash} in the bundle store`);
    const modules = verifyBundle(version, bytes);
    await this.#mirror.writeBundle(version.hash, bytes);
    return modules;
  }

  async routing(): Promise<EdgeRouting> {
    return {
      zones: this.state.listZones().map((z) => ({ id: z.id, accountId: z.accountId, hostname: z.hostname, origin: z.origin })),
      routes: this.state.listRoutes().map(edgeRoute),
    };
  }

  async deployments(): Promise<EdgeDeployment[]> {
    return [...this.#served.values()];
  }

  async definition(accountId: string, worker: string, versionId: string): Promise<WorkerDefinition> {
    const version = this.state.getVersion(accountId, worker, versionId);
    if (!version) throw new Error(`version "${versionId}" of worker "${worker}" is not in this edge's copy of the control state`);
    const local = { getModules: () => this.#modules(version), getSecrets: async () => this.state.getSecrets(accountId, worker) };
    try {
      return await workerDefinition(local, this.#keyring, version);
    } catch (err) {
      if (/secret/.test((err as Error).message)) this.#problem({ subject: `${accountId}/${worker}`, code: 'secret_undecryptable', message: (err as Error).message });
      throw err;
    }
  }

  /** The cron scheduler's view: the schedules in this edge's copy, and their changes. */
  schedules(): Pick<ControlStore, 'watch' | 'listSchedules'> {
    return {
      listSchedules: async () => this.state.listSchedules(),
      watch: (listener) => {
        this.#controlListeners.add(listener);
        return () => { this.#controlListeners.delete(listener); };
      },
    };
  }

  watch(listener: (change: EdgeChange) => void): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  stop(): void {
    this.#iter?.stop();
    this.#listeners.clear();
    this.#controlListeners.clear();
  }
}
