// Gradual rollouts by location: a new version goes to the first location, then to the
// next ones stage by stage, and is rolled back by itself when its error rate rises
// above the previous version's.
//
// A rollout is a record (`rollout.ACCOUNT.WORKER`) written before the deployment of the
// new version at 100%. Edges in locations the rollout has reached serve that deployment;
// the others keep serving the previous versions (`servedDeployment`). Control processes
// hear every invocation event, count requests and errors per version over the current
// stage, and move the record on by compare-and-set (so of several control processes one
// does each step): past `stageMs` with at least `minRequests` on the new version and an
// error rate no higher than the previous version's, to the next location (the last one
// completes it); an error rate above the previous version's (with at least minRequests),
// back: a new deployment of the previous versions, which every location serves. A
// running rollout whose deployment is not current is over ("replaced") only once that
// deployment exists, or a newer one does: until then it is still starting.

import type { KV } from '@nats-io/kv';
import { randomBytes } from 'node:crypto';
import type { EdgeDeployment } from '../edge/config-source.ts';
import { isError, type InvocationEvent } from '../observe/event.ts';
import type { Telemetry } from '../observe/telemetry.ts';
import { newDeployment } from '../control/deployments.ts';
import type { Deployment } from '../store/control.ts';
import type { Log } from './connection.ts';
import { controlKey } from './keys.ts';
import type { NatsControlStore } from './nats-control-store.ts';
import { isCasConflict } from './nats-control-store.ts';
import { encodeRecord, type RolloutRecord } from './records.ts';

/** What an edge in `location` serves of the worker's current deployment, given its rollout. */
export function servedDeployment(location: string, d: Deployment, rollout: RolloutRecord | null): EdgeDeployment {
  const staged = rollout !== null && rollout.state === 'running' && rollout.deploymentId === d.id
    && !rollout.locations.slice(0, rollout.stage + 1).includes(location);
  const versions = staged ? rollout.from : d.versions;
  return { accountId: d.accountId, worker: d.worker, versions: versions.map((s) => ({ versionId: s.versionId, percentage: s.percentage })) };
}

export interface BeginRollout {
  accountId: string;
  worker: string;
  versionId: string;
  locations: string[];
  stageMs: number;
  minRequests: number;
  message: string;
  authorTokenId: string;
}

/** The API's view (src/control/api/rollouts.ts). */
export interface Rollouts {
  begin(input: BeginRollout): Promise<RolloutRecord>;
  status(accountId: string, worker: string): RolloutRecord | null;
}

interface Tally { requests: number; errors: number }

const TICK_MS = 500;
/** A rollout record whose deployment has not appeared after this long never started. */
const UNSTARTED_MS = 60_000;

export class RolloutController implements Rollouts {
  readonly #kv: KV;
  readonly #store: NatsControlStore;
  readonly #log: Log;
  /** Per rollout id and side ('to' in reached locations, 'from' elsewhere): requests and errors this stage. */
  readonly #tallies = new Map<string, { stage: number; to: Tally; from: Tally }>();
  readonly #unstartedMs: number;
  #timer: NodeJS.Timeout | null = null;
  #unsubscribe: () => void = () => {};

  constructor(opts: { kv: KV; store: NatsControlStore; telemetry: Telemetry; log: Log; unstartedMs?: number }) {
    this.#kv = opts.kv;
    this.#store = opts.store;
    this.#log = opts.log;
    this.#unstartedMs = opts.unstartedMs ?? UNSTARTED_MS;
    this.#unsubscribe = opts.telemetry.bus.subscribe((e) => this.#count(e));
    this.#timer = setInterval(() => { this.#tick().catch((err) => this.#log({ level: 'error', msg: 'rollout step failed', error: (err as Error).message })); }, TICK_MS);
    this.#timer.unref();
  }

  #tally(r: RolloutRecord) {
    let t = this.#tallies.get(r.id);
    if (!t || t.stage !== r.stage) {
      t = { stage: r.stage, to: { requests: 0, errors: 0 }, from: { requests: 0, errors: 0 } };
      this.#tallies.set(r.id, t);
    }
    return t;
  }

  #count(e: InvocationEvent): void {
    if (e.trigger !== 'fetch') return;
    const r = this.#store.state.getRollout(e.account, e.worker);
    if (!r || r.state !== 'running') return;
    const reached = r.locations.slice(0, r.stage + 1).includes(e.location);
    const side = reached && e.version === r.to ? 'to' : !reached && r.from.some((s) => s.versionId === e.version) ? 'from' : null;
    if (!side) return;
    const t = this.#tally(r)[side];
    t.requests++;
    if (isError(e)) t.errors++;
  }

  async begin(input: BeginRollout): Promise<RolloutRecord> {
    const current = this.#store.state.getDeployment(input.accountId, input.worker);
    const now = Date.now();
    const deployment = newDeployment(input.accountId, input.worker, [{ versionId: input.versionId, percentage: 100 }], input.message, input.authorTokenId, now);
    const record: RolloutRecord = {
      id: `rol_${randomBytes(12).toString('hex')}`, accountId: input.accountId, worker: input.worker,
      from: current?.versions ?? [], to: input.versionId, deploymentId: deployment.id, locations: input.locations, stage: 0,
      state: 'running', stageSince: now, stageMs: input.stageMs, minRequests: input.minRequests, reason: '', updatedAt: now,
    };
    // The record first: an edge that sees the deployment already knows whether to wait.
    await this.#kv.put(controlKey.rollout(input.accountId, input.worker), encodeRecord(record));
    await this.#store.createDeployment(deployment);
    this.#log({ level: 'info', msg: 'rollout started', account: input.accountId, worker: input.worker, version: input.versionId, locations: input.locations });
    return record;
  }

  status(accountId: string, worker: string): RolloutRecord | null {
    return this.#store.state.getRollout(accountId, worker);
  }

  async #tick(): Promise<void> {
    const now = Date.now();
    for (const r of this.#store.state.listRollouts()) {
      if (r.state !== 'running') continue;
      const current = this.#store.state.getDeployment(r.accountId, r.worker);
      const t = this.#tally(r);
      const rate = (x: Tally) => (x.requests === 0 ? 0 : x.errors / x.requests);
      if (current?.id !== r.deploymentId) {
        // begin() writes the record before its deployment: until that deployment is here,
        // the rollout is starting, not replaced (taken for replaced, it was lost and the
        // new version went everywhere at once).
        const written = this.#store.state.deploymentsOf(r.accountId, r.worker).some((x) => x.deployment.id === r.deploymentId);
        if (written || (current !== null && current.createdAt > r.stageSince)) {
          await this.#step(r, { state: 'complete', reason: 'another deployment replaced the rollout' });
        } else if (now - r.updatedAt > this.#unstartedMs) {
          await this.#step(r, { state: 'rolled_back', reason: `its deployment was never written (the call that began it failed); the previous versions serve everywhere` });
        }
      } else if (t.to.requests >= r.minRequests && rate(t.to) > rate(t.from)) {
        const reason = `error rate of ${r.to} in ${r.locations.slice(0, r.stage + 1).join(', ')} was ${(rate(t.to) * 100).toFixed(1)}% (${t.to.errors} of ${t.to.requests}), above the previous version's ${(rate(t.from) * 100).toFixed(1)}% (${t.from.errors} of ${t.from.requests})`;
        if (await this.#step(r, { state: 'rolled_back', reason })) {
          await this.#store.createDeployment(newDeployment(r.accountId, r.worker, r.from, `automatic rollback: ${reason}`, 'rollout'));
          this.#log({ level: 'warn', msg: 'rollout rolled back', account: r.accountId, worker: r.worker, version: r.to, reason });
        }
      } else if (now - r.stageSince >= r.stageMs && t.to.requests >= r.minRequests) {
        const last = r.stage + 1 >= r.locations.length;
        if (await this.#step(r, last ? { state: 'complete', reason: 'every location reached' } : { stage: r.stage + 1, stageSince: now })) {
          this.#log({ level: 'info', msg: last ? 'rollout complete' : 'rollout advanced', account: r.accountId, worker: r.worker, version: r.to, location: r.locations[Math.min(r.stage + 1, r.locations.length - 1)] });
        }
      }
    }
  }

  /** Writes the next state of the rollout unless another control process moved it first. */
  async #step(r: RolloutRecord, change: Partial<RolloutRecord>): Promise<boolean> {
    const key = controlKey.rollout(r.accountId, r.worker);
    try {
      await this.#kv.update(key, encodeRecord({ ...r, ...change, updatedAt: Date.now() }), this.#store.state.revisionOf(key));
      return true;
    } catch (err) {
      if (isCasConflict(err)) return false;
      throw err;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#unsubscribe();
  }
}
