// What an edge node serves, as it receives it: zones, routes, each worker's current
// deployment, and the runnable definition of any version. The in-process control plane
// feeds it today (control-source.ts); a NATS JetStream watcher will implement the same
// interface for edges in other processes (issue 6), so everything here is async and
// changes arrive as events the edge applies in order.

import type { WorkerDefinition } from '../runtime/worker-isolate.ts';
import type { RouteRecord } from '../store/control.ts';

export interface EdgeZone {
  id: string;
  accountId: string;
  /** Lower case, no port. */
  hostname: string;
  /** Where requests no route claims go: `scheme://host[:port][/path]`, no trailing slash. */
  origin: string;
}

export interface EdgeRoute {
  id: string;
  accountId: string;
  zoneId: string;
  /** `host/path`, as src/control/routes.ts validates and matches it. */
  pattern: string;
  worker: string;
}

/** The edge's view of a control-plane route record. */
export function edgeRoute(r: RouteRecord): EdgeRoute {
  return { id: r.id, accountId: r.accountId, zoneId: r.zoneId, pattern: r.pattern, worker: r.worker };
}

export interface EdgeSplit {
  versionId: string;
  /** 1..100; a deployment's splits add up to 100. */
  percentage: number;
}

export interface EdgeDeployment {
  accountId: string;
  worker: string;
  versions: EdgeSplit[];
}

export interface EdgeRouting {
  zones: EdgeZone[];
  routes: EdgeRoute[];
}

export type EdgeChange =
  /** The worker's deployment changed; null when the worker was deleted. */
  | { kind: 'deployment'; accountId: string; worker: string; deployment: EdgeDeployment | null }
  /**
   * Zones or routes changed: load the routing again, or, when `route` says which one
   * route was added or removed, apply just that.
   */
  | { kind: 'routing'; route?: { before: EdgeRoute | null; after: EdgeRoute | null } }
  /** Something inside the worker's definitions changed (its secrets): load them again. */
  | { kind: 'definitions'; accountId: string; worker: string };

export interface EdgeConfigSource {
  routing(): Promise<EdgeRouting>;
  /** Every worker's current deployment. */
  deployments(): Promise<EdgeDeployment[]>;
  /** The version as the runtime loads it: modules, bindings (secrets decrypted), limits. */
  definition(accountId: string, worker: string, versionId: string): Promise<WorkerDefinition>;
  /** Calls `listener` for each change, in order; returns the unsubscribe function. */
  watch(listener: (change: EdgeChange) => void): () => void;
}
