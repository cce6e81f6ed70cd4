// Deployments: which version(s) of a worker serve traffic. A deployment names one
// version at 100%, or two that split traffic by percentage (a gradual rollout). Each
// change is a new deployment record, so rollback is one more record pointing back.

import type { ControlStore, Deployment, DeploymentSplit } from '../store/control.ts';
import { checkBindings } from './deploy-checks.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { newId } from './ids.ts';

/** Checks a `versions` list from a request body: 1 or 2 entries, percentages adding up to 100. */
export async function parseSplits(store: ControlStore, accountId: string, worker: string, raw: unknown): Promise<DeploymentSplit[]> {
  const example = '[{"version_id":"ver_...","percentage":90},{"version_id":"ver_...","percentage":10}]';
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 2) {
    throw badRequest('invalid_deployment', `"versions" must list one or two versions, e.g. ${example}`);
  }
  const splits: DeploymentSplit[] = [];
  for (const [i, entry] of raw.entries()) {
    const e = entry as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || typeof e.version_id !== 'string') {
      throw badRequest('invalid_deployment', `versions[${i}].version_id must be a version id string, e.g. ${example}`);
    }
    const percentage = e.percentage ?? (raw.length === 1 ? 100 : undefined);
    if (!Number.isInteger(percentage) || (percentage as number) < 1 || (percentage as number) > 100) {
      throw badRequest('invalid_deployment', `versions[${i}].percentage must be an integer from 1 to 100`);
    }
    if (!(await store.getVersion(accountId, worker, e.version_id))) {
      throw notFound(`version "${e.version_id.slice(0, 80)}" of worker "${worker}"`, `list them with GET /api/v1/workers/${worker}/versions`);
    }
    splits.push({ versionId: e.version_id, percentage: percentage as number });
  }
  if (splits.length === 2 && splits[0]!.versionId === splits[1]!.versionId) {
    throw badRequest('invalid_deployment', 'the two versions of a split must differ; deploy one version at 100 instead');
  }
  const total = splits.reduce((n, s) => n + s.percentage, 0);
  if (total !== 100) throw badRequest('invalid_deployment', `the percentages add up to ${total}; make them add up to 100`);
  return splits;
}

/** Every version a deployment will point at must still have what its bindings name. */
export async function checkSplitsDeployable(store: ControlStore, accountId: string, worker: string, splits: DeploymentSplit[]): Promise<void> {
  for (const split of splits) {
    const version = await store.getVersion(accountId, worker, split.versionId);
    if (version) await checkBindings(store, accountId, worker, version.bindings);
  }
}

export function newDeployment(accountId: string, worker: string, versions: DeploymentSplit[], message: string, authorTokenId: string, now = Date.now()): Deployment {
  return { id: newId('dep'), accountId, worker, versions, message, authorTokenId, createdAt: now };
}

/**
 * The deployment to roll back to: a given version at 100%, or else the versions of the
 * newest earlier deployment that differs from the current one.
 */
export async function rollbackTarget(store: ControlStore, accountId: string, worker: string, versionId: string | null): Promise<DeploymentSplit[]> {
  if (versionId !== null) {
    if (!(await store.getVersion(accountId, worker, versionId))) {
      throw notFound(`version "${versionId.slice(0, 80)}" of worker "${worker}"`, `list them with GET /api/v1/workers/${worker}/versions`);
    }
    return [{ versionId, percentage: 100 }];
  }
  const [current, ...earlier] = await store.listDeployments(accountId, worker);
  if (!current) throw conflict('nothing_deployed', `worker "${worker}" has no deployment to roll back; deploy a version first`);
  const same = (d: Deployment) => JSON.stringify(d.versions) === JSON.stringify(current.versions);
  const previous = earlier.find((d) => !same(d));
  if (!previous) throw conflict('no_previous_deployment', `worker "${worker}" has no earlier deployment to roll back to; name a version_id instead`);
  return previous.versions;
}

/** Which version serves one request: `roll` is uniform in [0, 1). */
export function pickVersion(deployment: Deployment, roll = Math.random()): string {
  let edge = 0;
  for (const split of deployment.versions) {
    edge += split.percentage / 100;
    if (roll < edge) return split.versionId;
  }
  return deployment.versions[deployment.versions.length - 1]!.versionId;
}
