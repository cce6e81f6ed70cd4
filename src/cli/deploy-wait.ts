// After `atoll deploy` activates a version: wait until every healthy edge location
// serves it (the locations endpoint, fed by the edges' heartbeats), or the timeout
// passes, naming the stragglers. Unhealthy nodes (not heard from lately) are listed but
// not waited for: they will apply the deployment when they are back.

import { ApiFailure, seg, type ApiClient } from './api-client.ts';
import { UserError } from '../runtime/errors.ts';

interface LocationView {
  location: string;
  node: string;
  healthy: boolean;
  serving_current: boolean;
  versions: { version_id: string; percentage: number }[];
}

export interface WaitResult {
  /** Every node, as last reported. */
  locations: LocationView[];
  /** False when the API has no locations endpoint (an older atoll). */
  reported: boolean;
}

const POLL_MS = 250;

const describe = (l: LocationView) => `${l.location}/${l.node} (serving ${l.versions.map((v) => `${v.version_id} ${v.percentage}%`).join(', ') || 'nothing'})`;

export async function waitForLocations(api: ApiClient, worker: string, versionId: string, timeoutMs: number, progress: (line: string) => void): Promise<WaitResult> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let locations: LocationView[];
    try {
      ({ locations } = await api.call('GET', `/workers/${seg(worker)}/locations`) as { locations: LocationView[] });
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404 && /no API endpoint/.test(err.message)) return { locations: [], reported: false };
      throw err;
    }
    const healthy = locations.filter((l) => l.healthy);
    const waiting = healthy.filter((l) => !l.serving_current);
    if (waiting.length === 0) {
      for (const l of locations.filter((x) => !x.healthy)) progress(`Warning: ${l.location}/${l.node} has not reported lately; it applies the deployment when it is back`);
      return { locations, reported: true };
    }
    if (Date.now() >= end) {
      throw new UserError(
        `version ${versionId} is deployed, but after ${Math.round(timeoutMs / 1000)} s ${waiting.length} of ${healthy.length} healthy edge node(s) still do not serve it: ${waiting.map(describe).join('; ')}. `
        + 'Their problems (refused bundles, malformed records) are in GET /api/v1/locations and their logs; wait longer with --wait-timeout SECONDS',
        'deploy_not_served',
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
