// The edge's config source backed by the control plane's store in the same process
// (`atoll up`): reads go straight to the store, changes come from its in-process watch.

import { workerDefinition } from '../control/definition.ts';
import type { Keyring } from '../control/secrets.ts';
import type { ControlChange, ControlStore, Deployment } from '../store/control.ts';
import type { WorkerDefinition } from '../runtime/worker-isolate.ts';
import { edgeRoute, type EdgeChange, type EdgeConfigSource, type EdgeDeployment, type EdgeRouting } from './config-source.ts';

function edgeDeployment(d: Deployment): EdgeDeployment {
  return { accountId: d.accountId, worker: d.worker, versions: d.versions.map((s) => ({ versionId: s.versionId, percentage: s.percentage })) };
}

function edgeChanges(change: ControlChange): EdgeChange[] {
  switch (change.kind) {
    case 'deployment': return [{ kind: 'deployment', accountId: change.accountId, worker: change.worker, deployment: edgeDeployment(change.deployment) }];
    // The store deletes the worker's routes with it and announces only the worker.
    case 'worker_deleted': return [{ kind: 'deployment', accountId: change.accountId, worker: change.worker, deployment: null }, { kind: 'routing' }];
    case 'secrets': return [{ kind: 'definitions', accountId: change.accountId, worker: change.worker }];
    case 'zones': return [{ kind: 'routing' }];
    case 'routes': {
      const { route } = change;
      return [route ? { kind: 'routing', route: { before: route.before && edgeRoute(route.before), after: route.after && edgeRoute(route.after) } } : { kind: 'routing' }];
    }
    // A deleted namespace fails its KV calls in the store; nothing to reload here.
    case 'kv_namespace_deleted': return [];
    // Cron triggers are the scheduler's (src/edge/embedded.ts), not the request path's.
    case 'schedules': return [];
  }
}

export function controlSource(store: ControlStore, keyring: Keyring): EdgeConfigSource {
  return {
    async routing(): Promise<EdgeRouting> {
      const [zones, routes] = await Promise.all([store.listZones(), store.listRoutes()]);
      return {
        zones: zones.map((z) => ({ id: z.id, accountId: z.accountId, hostname: z.hostname, origin: z.origin })),
        routes: routes.map(edgeRoute),
      };
    },
    async deployments() {
      return (await store.listCurrentDeployments()).map(edgeDeployment);
    },
    async definition(accountId, worker, versionId): Promise<WorkerDefinition> {
      const version = await store.getVersion(accountId, worker, versionId);
      if (!version) throw new Error(`version "${versionId}" of worker "${worker}" is not in the control store; it may have been deleted`);
      return workerDefinition(store, keyring, version);
    },
    watch(listener) {
      return store.watch((change) => {
        for (const e of edgeChanges(change)) listener(e);
      });
    },
  };
}
