// A lease in the `atoll_leases` KV bucket: at most one holder at a time (cluster-wide),
// claimed and renewed by compare-and-set on the entry's revision. Edges use it for cron
// triggers, which must fire once per schedule, not once per location. The holder renews
// every third of the term; one that cannot renew (NATS away) gives the lease up before
// its term ends, so two holders overlap only by clock skew between machines. While NATS
// is away from everyone, nobody holds it: cron runs pause rather than double.

import type { KV } from '@nats-io/kv';
import type { Log } from './connection.ts';
import { isCasConflict } from './nats-control-store.ts';

export const LEASE_BUCKET = 'atoll_leases';

interface LeaseRecord { holder: string; until: number }

export interface LeaseOptions {
  kv: KV;
  name: string;
  holder: string;
  termMs: number;
  log: Log;
  onAcquire(): void;
  onLose(): void;
}

export class Lease {
  readonly #o: LeaseOptions;
  #held = false;
  #until = 0;
  /** The revision of our own last write, so release deletes only our lease. */
  #revision = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: LeaseOptions) {
    this.#o = options;
  }

  get held(): boolean {
    return this.#held;
  }

  start(): void {
    const tick = () => {
      this.#renew().catch((err) => this.#o.log({ level: 'warn', msg: 'lease renewal failed', lease: this.#o.name, error: (err as Error).message }))
        .finally(() => { if (this.#timer) this.#timer = setTimeout(tick, this.#o.termMs / 3); });
    };
    this.#timer = setTimeout(tick, 0);
  }

  async #renew(): Promise<void> {
    const now = Date.now();
    // Give it up before the term ends if renewing keeps failing.
    if (this.#held && now > this.#until - this.#o.termMs / 3) this.#set(false);
    const record: LeaseRecord = { holder: this.#o.holder, until: now + this.#o.termMs };
    const bytes = new TextEncoder().encode(JSON.stringify(record));
    const e = await this.#o.kv.get(this.#o.name);
    let current: LeaseRecord | null = null;
    if (e && e.operation === 'PUT') {
      try {
        current = JSON.parse(new TextDecoder().decode(e.value)) as LeaseRecord;
      } catch {
        current = null; // a malformed lease is taken over
      }
    }
    if (current && current.holder !== this.#o.holder && typeof current.until === 'number' && current.until > now) {
      this.#set(false);
      return;
    }
    try {
      this.#revision = e ? await this.#o.kv.update(this.#o.name, bytes, e.revision) : await this.#o.kv.create(this.#o.name, bytes);
    } catch (err) {
      if (!isCasConflict(err)) throw err;
      this.#set(false); // someone else renewed or claimed it first
      return;
    }
    this.#until = record.until;
    this.#set(true);
  }

  #set(held: boolean): void {
    if (held === this.#held) return;
    this.#held = held;
    this.#o.log({ level: 'info', msg: held ? 'lease acquired' : 'lease lost', lease: this.#o.name, holder: this.#o.holder });
    if (held) this.#o.onAcquire();
    else this.#o.onLose();
  }

  /** Stops renewing and releases the lease if held, so another node takes it at once. */
  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#held) {
      this.#set(false);
      await this.#o.kv.delete(this.#o.name, { previousSeq: this.#revision }).catch(() => {});
    }
  }
}
