// Gradual rollouts by location (distributed mode; src/cluster/rollout.ts):
//   POST /api/v1/workers/:name/rollouts   start one: a version to the first location,
//                                          then the next ones stage by stage, rolled
//                                          back by itself if its error rate rises above
//                                          the previous version's (workers:write)
//   GET  /api/v1/workers/:name/rollout    the worker's latest rollout (workers:read)
// `atoll up` has one location, so there the POST answers 400 naming the plain deploy.

import type { Hono } from 'hono';
import type { RolloutRecord } from '../../cluster/records.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { requireScope } from '../tokens.ts';
import { optionalString, readJson } from './body.ts';
import type { ApiDeps, ApiEnv } from './context.ts';
import { workerName } from './workers.ts';

const LOCATION = /^[A-Za-z0-9-]{1,32}$/;

function integer(body: Record<string, unknown>, field: string, min: number, max: number, fallback: number): number {
  const v = body[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw badRequest('invalid_rollout', `"${field}" must be a whole number from ${min} to ${max}`);
  return v;
}

function rolloutJson(r: RolloutRecord) {
  return {
    id: r.id, version_id: r.to, deployment_id: r.deploymentId, state: r.state, locations: r.locations,
    reached: r.locations.slice(0, r.stage + 1), previous_versions: r.from.map((s) => ({ version_id: s.versionId, percentage: s.percentage })),
    stage_seconds: r.stageMs / 1000, min_requests: r.minRequests, reason: r.reason || null, updated_at: r.updatedAt,
  };
}

export function mountRollouts(app: Hono<ApiEnv>, deps: ApiDeps): void {
  app.post('/api/v1/workers/:name/rollouts', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const name = workerName(c);
    const accountId = c.var.token.accountId;
    if (!deps.rollouts) {
      throw badRequest('rollouts_unavailable', 'gradual rollouts by location need the distributed mode (atoll control with atoll edge nodes); this platform has one location, so deploy with POST /api/v1/workers/NAME/deployments');
    }
    const body = await readJson(c);
    const versionId = body.version_id;
    if (typeof versionId !== 'string') throw badRequest('invalid_rollout', '"version_id" is missing: name the version to roll out');
    const locations = body.locations;
    if (!Array.isArray(locations) || locations.length === 0 || locations.length > 100 || !locations.every((l) => typeof l === 'string' && LOCATION.test(l)) || new Set(locations).size !== locations.length) {
      throw badRequest('invalid_rollout', '"locations" must list 1 to 100 distinct location ids (letters, digits, dashes) in the order to reach them, such as ["ams", "fra", "sjc"]');
    }
    const stageSeconds = integer(body, 'stage_seconds', 1, 86_400, 300);
    const minRequests = integer(body, 'min_requests', 1, 1_000_000, 100);
    const message = optionalString(body, 'message', 1000) ?? '';
    if (!(await deps.store.getVersion(accountId, name, versionId))) {
      throw notFound(`version "${versionId.slice(0, 80)}" of worker "${name}"`, `list them with GET /api/v1/workers/${name}/versions`);
    }
    if (deps.rollouts.status(accountId, name)?.state === 'running') {
      throw conflict('rollout_running', `worker "${name}" has a rollout running; wait for it (GET /api/v1/workers/${name}/rollout) or deploy over it with POST /api/v1/workers/${name}/deployments`);
    }
    const rollout = await deps.rollouts.begin({
      accountId, worker: name, versionId, locations: locations as string[], stageMs: stageSeconds * 1000, minRequests, message, authorTokenId: c.var.token.id,
    });
    return c.json({ rollout: rolloutJson(rollout) }, 201);
  });

  app.get('/api/v1/workers/:name/rollout', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const name = workerName(c);
    if (!(await deps.store.getWorker(c.var.token.accountId, name))) throw notFound(`worker "${name}"`, 'list workers with GET /api/v1/workers');
    const r = deps.rollouts?.status(c.var.token.accountId, name) ?? null;
    return c.json({ rollout: r ? rolloutJson(r) : null });
  });
}
