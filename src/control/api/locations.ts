// Which version runs where, from the edges' own reports:
//   GET /api/v1/workers/:name/locations   every edge node: whether it is healthy and
//                                         which of the worker's versions it serves
//                                         (workers:read)
//   GET /api/v1/locations                 every edge node with its problems (malformed
//                                         records, refused bundles): the operator's
//                                         admin tokens only, since problems name any
//                                         account's records
// The reports come from `deps.locations`: the embedded edge in `atoll up`, the
// heartbeats a control process hears in distributed mode (src/cluster).

import type { Hono } from 'hono';
import type { NodeStatus } from '../../cluster/locations.ts';
import { ApiError, notFound } from '../errors.ts';
import { requireScope } from '../tokens.ts';
import type { ApiDeps, ApiEnv } from './context.ts';
import { workerName } from './workers.ts';

const sameVersions = (a: { versionId: string; percentage: number }[], b: { versionId: string; percentage: number }[]) =>
  a.length === b.length && a.every((s) => b.some((x) => x.versionId === s.versionId && x.percentage === s.percentage));

export function mountLocations(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const nodes = (): NodeStatus[] => deps.locations?.() ?? [];

  app.get('/api/v1/workers/:name/locations', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const name = workerName(c);
    const accountId = c.var.token.accountId;
    if (!(await deps.store.getWorker(accountId, name))) throw notFound(`worker "${name}"`, 'list workers with GET /api/v1/workers');
    const current = await deps.store.getDeployment(accountId, name);
    const want = current?.versions ?? [];
    return c.json({
      worker: name,
      deployment_id: current?.id ?? null,
      locations: nodes().map((n) => {
        const served = n.serving.find((s) => s.accountId === accountId && s.worker === name)?.versions ?? [];
        return {
          location: n.location, node: n.node, healthy: n.healthy, connected: n.connected, last_seen: n.lastSeen,
          versions: served.map((s) => ({ version_id: s.versionId, percentage: s.percentage, warm: s.warm })),
          serving_current: sameVersions(served, want),
        };
      }),
    });
  });

  app.get('/api/v1/locations', async (c) => {
    requireScope(c.var.token, 'admin');
    const account = await deps.store.getAccount(c.var.token.accountId);
    if (!account?.operator) throw new ApiError(403, 'forbidden', 'GET /api/v1/locations lists every node\'s problems, which name any account\'s records; use an admin token of the operator\'s account');
    return c.json({
      locations: nodes().map((n) => ({
        location: n.location, node: n.node, healthy: n.healthy, connected: n.connected, last_seen: n.lastSeen,
        workers: n.serving.length,
        problems: n.problems.map((p) => ({ code: p.code, subject: p.subject, message: p.message, at: p.at })),
      })),
    });
  });
}
