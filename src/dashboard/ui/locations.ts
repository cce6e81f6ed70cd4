// Which version each location serves, from the edges' own reports
// (GET /api/v1/workers/:name/locations). A control plane that has no such endpoint, or
// hears from no edge, falls back to the current deployment, marked as not reported.

import { ApiFailure, enc, get } from './api.ts';
import type { Deployment, LocationState } from './types.ts';

interface Reported {
  locations: {
    location: string;
    node: string;
    healthy: boolean;
    connected: boolean;
    last_seen: number | string;
    versions: { version_id: string; percentage: number }[];
    serving_current: boolean;
  }[];
}

export async function workerLocations(worker: string, deployment: Deployment | null): Promise<LocationState[]> {
  try {
    const r = await get<Reported>(`/api/v1/workers/${enc(worker)}/locations`);
    if (r.locations.length > 0) {
      return r.locations.map((l) => ({
        location: l.location,
        version_id: [...l.versions].sort((a, b) => b.percentage - a.percentage)[0]?.version_id ?? null,
        healthy: l.healthy,
        detail: `node ${l.node}${l.connected ? '' : ', serving its local copy (not connected)'}, last report ${new Date(l.last_seen).toLocaleTimeString()}`,
      }));
    }
  } catch (err) {
    if (!(err instanceof ApiFailure && err.status === 404 && /no API endpoint/.test(err.message))) throw err;
  }
  const top = deployment ? [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0]! : null;
  return [{ location: 'deployment', version_id: top?.version_id ?? null, healthy: true, detail: 'no edge has reported to this control plane; this is the current deployment' }];
}
