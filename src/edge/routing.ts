// The edge's routing table: a request's host picks its zone (the most specific zone
// hostname at or above it), then the control plane's matchRoute picks the most specific
// route among that zone's routes. Built whole from each routing snapshot and swapped in
// at once, so a request never sees half of a change.

import { matchRoute, normalizeHost } from '../control/routes.ts';
import type { EdgeRoute, EdgeRouting, EdgeZone } from './config-source.ts';

export class RoutingTable {
  readonly #zones = new Map<string, EdgeZone>();
  readonly #routes = new Map<string, EdgeRoute[]>();

  constructor(routing: EdgeRouting = { zones: [], routes: [] }) {
    for (const z of routing.zones) this.#zones.set(z.hostname, z);
    for (const r of routing.routes) {
      const list = this.#routes.get(r.zoneId);
      if (list) list.push(r);
      else this.#routes.set(r.zoneId, [r]);
    }
  }

  /** The zone serving `host` (a Host header or URL host, port allowed): itself, else the nearest parent. */
  zoneFor(host: string): EdgeZone | null {
    let h = normalizeHost(host);
    for (;;) {
      const zone = this.#zones.get(h);
      if (zone) return zone;
      const dot = h.indexOf('.');
      if (dot < 0) return null;
      h = h.slice(dot + 1);
    }
  }

  /** The most specific of the zone's routes for this host and path, or null (the origin's). */
  route(zone: EdgeZone, host: string, path: string): EdgeRoute | null {
    return matchRoute(this.#routes.get(zone.id) ?? [], host, path);
  }
}
