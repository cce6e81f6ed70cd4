// The HostServices an edge gives one worker version's isolate. Outbound fetch: a URL on
// one of the worker's own account's zones goes to that zone's origin through the
// location's HTTP cache (never back into a worker, so a worker can call its origin by
// its public name), anything else to the internet under the edge's address policy.
// The Cache API reaches the same store, in the worker's account's namespace. Zone origins are reached whatever the
// policy, as the operator allowed them by creating the zone.

import type { HostServices, OutboundResponse } from '../runtime/ops/index.ts';
import type { WorkerIsolate } from '../runtime/worker-isolate.ts';
import type { HostStream } from '../runtime/host-stream.ts';
import type { RequestInit_ } from '../shared/ops.ts';
import type { KvStore } from '../store/kv.ts';
import { fetchThroughCache } from '../cache/worker-fetch.ts';
import type { EdgeCache } from './edge-cache.ts';
import { toOrigin } from './origin.ts';
import type { VersionRef } from './registry.ts';
import type { RoutingTable } from './routing.ts';

type OutboundFetch = (init: RequestInit_, body: HostStream | null, signal: AbortSignal) => Promise<OutboundResponse>;

export interface EdgeServiceOptions {
  ref: VersionRef;
  location: string;
  routing: () => RoutingTable;
  /** Fetches to the internet, under the edge's address policy. */
  outbound: OutboundFetch;
  /** Fetches to zone origins, which may sit on private addresses. */
  originFetch: OutboundFetch;
  kv: KvStore | undefined;
  cache: EdgeCache;
  /** Service bindings (service-bindings.ts). */
  service?: HostServices['service'];
  log(fields: Record<string, unknown>): void;
  onDead(worker: WorkerIsolate, reason: string): void;
}

export function edgeServices(opts: EdgeServiceOptions): HostServices {
  const { ref } = opts;
  return {
    fetch(_ctx, init, body, signal) {
      const zone = opts.routing().zoneFor(new URL(init.url).host);
      if (zone && zone.accountId === ref.accountId) return fetchThroughCache(opts.cache.http, ref.accountId, init, toOrigin(init, zone), body, signal, opts.originFetch);
      return opts.outbound(init, body, signal);
    },
    kv: opts.kv,
    cache: opts.cache.api(ref.accountId),
    service: opts.service,
    log: (fields) => opts.log({ ...fields, location: opts.location, account: ref.accountId, worker: ref.worker, version: ref.versionId }),
    onDead: opts.onDead,
  };
}
