// The edge's routing table: a request's host picks its zone (the most specific zone
// hostname at or above it), then the control plane's matchRoute picks the most specific
// route among that zone's routes. Built whole from a routing snapshot and swapped in at
// once; a change of one route (the usual change) is applied in place, in one synchronous
// step, so a request never sees half of a change either way.
//
// matchRoute scans the routes it is given, so the table hands it only the candidates:
// routes are indexed by their pattern's host (exact, or the suffix of a wildcard) and
// by the first segment of a literal path that has one (`/api/v1*` can only match paths
// in `/api/`). With 10,000 routes in one zone, a lookup went from about 1 ms to about
// 1 µs (measured on a loaded 2-core machine: about 500 -> 800,000 lookups/s).

import { matchRoute, normalizeHost, parsePattern } from '../control/routes.ts';
import type { EdgeRoute, EdgeRouting, EdgeZone } from './config-source.ts';

/** Zones with at most this many routes skip the index. */
const SCAN_MAX = 32;

/** The routes of one pattern host, by the first path segment their literal path fixes. */
class HostRoutes {
  readonly bySegment = new Map<string, EdgeRoute[]>();
  /** Paths too short to fix a segment (`/*`, `/`, `/ap*`). */
  readonly rest: EdgeRoute[] = [];

  add(route: EdgeRoute, path: string): void {
    const end = path.indexOf('/', 1);
    if (end < 0) {
      this.rest.push(route);
      return;
    }
    push(this.bySegment, path.slice(1, end), route);
  }

  remove(route: EdgeRoute, path: string): void {
    const end = path.indexOf('/', 1);
    if (end < 0) {
      removeById(this.rest, route.id);
      return;
    }
    const key = path.slice(1, end);
    const list = this.bySegment.get(key);
    if (list && removeById(list, route.id) && list.length === 0) this.bySegment.delete(key);
  }

  candidates(segment: string | null, out: EdgeRoute[]): void {
    out.push(...this.rest);
    if (segment !== null) out.push(...(this.bySegment.get(segment) ?? []));
  }
}

interface ZoneRoutes {
  all: EdgeRoute[];
  exact: Map<string, HostRoutes>;
  /** Keyed by the suffix after `*.` or `*`. */
  wildcard: Map<string, HostRoutes>;
}

function removeById(list: EdgeRoute[], id: string): boolean {
  const i = list.findIndex((r) => r.id === id);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function hostRoutes(map: Map<string, HostRoutes>, host: string): HostRoutes {
  let h = map.get(host);
  if (!h) {
    h = new HostRoutes();
    map.set(host, h);
  }
  return h;
}

export class RoutingTable {
  readonly #zones = new Map<string, EdgeZone>();
  readonly #routes = new Map<string, ZoneRoutes>();

  constructor(routing: EdgeRouting = { zones: [], routes: [] }) {
    for (const z of routing.zones) this.#zones.set(z.hostname, z);
    for (const r of routing.routes) this.addRoute(r);
  }

  /** Adds one route. */
  addRoute(r: EdgeRoute): void {
    let zone = this.#routes.get(r.zoneId);
    if (!zone) {
      zone = { all: [], exact: new Map(), wildcard: new Map() };
      this.#routes.set(r.zoneId, zone);
    }
    zone.all.push(r);
    const p = parsePattern(r.pattern);
    hostRoutes(p.hostWildcard === 'none' ? zone.exact : zone.wildcard, p.host).add(r, p.path);
  }

  /** Removes the route with `r`'s id, if the table has it. */
  removeRoute(r: EdgeRoute): void {
    const zone = this.#routes.get(r.zoneId);
    const old = zone?.all.find((x) => x.id === r.id);
    if (!zone || !old) return;
    removeById(zone.all, old.id);
    const p = parsePattern(old.pattern);
    (p.hostWildcard === 'none' ? zone.exact : zone.wildcard).get(p.host)?.remove(old, p.path);
  }

  /** The zone with this id (cache purges name zones by id), or null. */
  zoneById(id: string): EdgeZone | null {
    for (const z of this.#zones.values()) if (z.id === id) return z;
    return null;
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
    const routes = this.#routes.get(zone.id);
    if (!routes) return null;
    // A short list is scanned faster than the index is consulted.
    if (routes.all.length <= SCAN_MAX) return matchRoute(routes.all, host, path);
    const h = normalizeHost(host);
    const end = path.indexOf('/', 1);
    const segment = end < 0 ? null : path.slice(1, end);
    const candidates: EdgeRoute[] = [];
    routes.exact.get(h)?.candidates(segment, candidates);
    // A wildcard keyed by the host itself (`*example.com`) or by any of its parents.
    for (let suffix: string | null = h; suffix !== null;) {
      routes.wildcard.get(suffix)?.candidates(segment, candidates);
      const dot = suffix.indexOf('.');
      suffix = dot < 0 ? null : suffix.slice(dot + 1);
    }
    return matchRoute(candidates, h, path);
  }
}
