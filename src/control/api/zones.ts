// /api/v1/zones and /api/v1/routes. A zone is a hostname (unique across accounts) with
// an origin; a route binds a pattern within one of the account's zones to a worker.
// POST /api/v1/zones/:id/purge_cache removes cached responses of the zone at every
// location the API reaches (ApiDeps.purgeCache).

import type { Hono } from 'hono';
import type { RouteRecord, Zone } from '../../store/control.ts';
import { parsePurgeTarget, PurgeInputError, zonePurge } from '../../cache/purge.ts';
import { ApiError, badRequest, conflict, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { normalizePattern, parsePattern, patternInZone } from '../routes.ts';
import { requireScope } from '../tokens.ts';
import { optionalString, readJson } from './body.ts';
import type { ApiDeps, ApiEnv } from './context.ts';
import { routeJson, zoneJson } from './views.ts';

function parseHostname(raw: string | undefined): string {
  const example = 'e.g. {"hostname":"shop.example.com","origin":"https://origin.example.net"}';
  if (!raw) throw badRequest('invalid_field', `"hostname" is required, ${example}`);
  const p = (() => {
    try {
      return parsePattern(`${raw}/`);
    } catch {
      return null;
    }
  })();
  if (!p || p.hostWildcard !== 'none') throw badRequest('invalid_hostname', `"${raw.slice(0, 100)}" is not a hostname (letters, digits, hyphens, dots; no scheme, port or "*"), ${example}`);
  return p.host;
}

function parseOrigin(raw: string | undefined): string {
  if (!raw) throw badRequest('invalid_field', '"origin" is required: the URL requests go to when no route matches, e.g. "https://origin.example.net"');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('invalid_origin', `origin "${raw.slice(0, 100)}" is not a URL; give one such as "https://origin.example.net"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('invalid_origin', `origin "${raw.slice(0, 100)}" must be http or https`);
  if (url.username || url.password || url.search || url.hash) throw badRequest('invalid_origin', `origin "${raw.slice(0, 100)}" must not carry credentials, a query or a fragment`);
  return url.origin + url.pathname.replace(/\/$/, '');
}

export function mountZones(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/api/v1/zones', async (c) => {
    requireScope(c.var.token, 'workers:read');
    return c.json({ zones: (await store.listZones(c.var.token.accountId)).map(zoneJson) });
  });

  app.post('/api/v1/zones', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const body = await readJson(c);
    const hostname = parseHostname(optionalString(body, 'hostname', 300));
    const origin = parseOrigin(optionalString(body, 'origin', 2000));
    if (await store.getZoneByHostname(hostname)) throw conflict('zone_exists', `a zone for "${hostname}" already exists; each hostname belongs to one zone`);
    // A zone above or below another account's would take over part of its traffic.
    const within = (a: string, b: string) => a.endsWith(`.${b}`);
    const clash = (await store.listZones()).find((z) => z.accountId !== c.var.token.accountId && (within(hostname, z.hostname) || within(z.hostname, hostname)));
    if (clash) throw conflict('zone_overlaps', `"${hostname}" overlaps a zone of another account; use a hostname outside it`);
    const zone: Zone = { id: newId('zone'), accountId: c.var.token.accountId, hostname, origin, createdAt: deps.now() };
    await store.createZone(zone);
    deps.log({ level: 'info', msg: 'zone created', account: zone.accountId, zone: zone.id, hostname });
    return c.json({ zone: zoneJson(zone) }, 201);
  });

  app.get('/api/v1/zones/:id', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const zone = await store.getZone(c.var.token.accountId, c.req.param('id'));
    if (!zone) throw notFound(`zone "${c.req.param('id').slice(0, 80)}"`, 'list zones with GET /api/v1/zones');
    const routes = (await store.listRoutes(zone.accountId)).filter((r) => r.zoneId === zone.id);
    return c.json({ zone: zoneJson(zone), routes: routes.map(routeJson) });
  });

  app.delete('/api/v1/zones/:id', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const id = c.req.param('id');
    if (!(await store.deleteZone(c.var.token.accountId, id))) throw notFound(`zone "${id.slice(0, 80)}"`, 'list zones with GET /api/v1/zones');
    deps.log({ level: 'info', msg: 'zone deleted', account: c.var.token.accountId, zone: id });
    return c.json({ deleted: id });
  });

  app.post('/api/v1/zones/:id/purge_cache', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const zone = await store.getZone(c.var.token.accountId, c.req.param('id'));
    if (!zone) throw notFound(`zone "${c.req.param('id').slice(0, 80)}"`, 'list zones with GET /api/v1/zones');
    const body = await readJson(c);
    let target;
    try {
      target = parsePurgeTarget(body, zone.hostname);
    } catch (err) {
      if (err instanceof PurgeInputError) throw badRequest(err.code, err.message);
      throw err;
    }
    if (!deps.purgeCache) throw new ApiError(503, 'no_cache', 'this control plane reaches no edge location to purge; purges go through `atoll up` or a cluster');
    const entries = await deps.purgeCache(zonePurge(zone.accountId, zone.id, target));
    deps.log({ level: 'info', msg: 'cache purge', account: zone.accountId, zone: zone.id, entries });
    return c.json({ purged: { zone: zone.id, ...target }, entries });
  });

  app.get('/api/v1/routes', async (c) => {
    requireScope(c.var.token, 'workers:read');
    return c.json({ routes: (await store.listRoutes(c.var.token.accountId)).map(routeJson) });
  });

  app.post('/api/v1/routes', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const accountId = c.var.token.accountId;
    const body = await readJson(c);
    const raw = optionalString(body, 'pattern', 1100);
    if (!raw) throw badRequest('invalid_field', '"pattern" is required, e.g. {"pattern":"shop.example.com/api/*","worker":"api"}');
    const pattern = normalizePattern(raw);
    const worker = optionalString(body, 'worker', 100);
    if (!worker || !(await store.getWorker(accountId, worker))) {
      throw notFound(`worker "${(worker ?? '').slice(0, 80)}"`, 'upload it first with PUT /api/v1/workers/:name, or fix "worker"');
    }
    // The most specific zone holding the pattern's host, over all accounts: the edge
    // picks the zone first, so a route must belong to the zone that will see its hosts.
    const zone = (await store.listZones()).filter((z) => patternInZone(pattern, z.hostname))
      .sort((a, b) => b.hostname.length - a.hostname.length)[0];
    if (!zone || zone.accountId !== accountId) throw badRequest('no_zone', `route pattern "${pattern}" lies in none of this account's zones; create its zone with POST /api/v1/zones first`);
    if (await store.getRouteByPattern(pattern)) throw conflict('route_exists', `route "${pattern}" already exists; delete it first or use another pattern`);
    const route: RouteRecord = { id: newId('route'), accountId, zoneId: zone.id, pattern, worker, createdAt: deps.now() };
    await store.createRoute(route);
    deps.log({ level: 'info', msg: 'route created', account: accountId, route: route.id, pattern, worker });
    return c.json({ route: routeJson(route) }, 201);
  });

  app.delete('/api/v1/routes/:id', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const id = c.req.param('id');
    if (!(await store.deleteRoute(c.var.token.accountId, id))) throw notFound(`route "${id.slice(0, 80)}"`, 'list routes with GET /api/v1/routes');
    deps.log({ level: 'info', msg: 'route deleted', account: c.var.token.accountId, route: id });
    return c.json({ deleted: id });
  });
}
