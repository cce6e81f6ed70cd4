// What every API handler gets: the stores, the keyring, the limits, the log, the clock,
// and (after auth) the caller's token.

import type { Context } from 'hono';
import type { LocationsProvider } from '../../cluster/locations.ts';
import type { Rollouts } from '../../cluster/rollout.ts';
import type { ControlStore, TokenRecord } from '../../store/control.ts';
import type { KvStore } from '../../store/kv.ts';
import type { ZonePurge } from '../../cache/purge.ts';
import type { Keyring } from '../secrets.ts';

export type Log = (fields: Record<string, unknown>) => void;

export interface ApiDeps {
  store: ControlStore;
  kv: KvStore;
  keyring: Keyring;
  /** Bundle size limit in bytes (10 MB by default). */
  bundleLimit: number;
  log: Log;
  now: () => number;
  /**
   * Delivers a cache purge to the edge locations: entries removed where that is known
   * (`atoll up`'s one edge), null when it is sent on (a cluster); absent: no edge here.
   */
  purgeCache?: (purge: ZonePurge) => Promise<number | null>;
  /** Every edge node's report, for GET .../locations (none: no edge reports here). */
  locations?: LocationsProvider;
  /** Gradual rollouts by location (distributed mode only). */
  rollouts?: Rollouts;
}

export type ApiEnv = { Variables: { token: TokenRecord } };
export type ApiContext = Context<ApiEnv>;

export const MiB = 1024 * 1024;
/** Bodies of JSON calls; KV values, bulk writes and bundles have their own. */
export const JSON_LIMIT = MiB;
