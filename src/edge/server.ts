// An edge node: an HTTP server that routes each request by host and path to a worker
// version (run in the registry's isolates) or to the zone's origin. It applies changes
// from its config source as they arrive: a new deployment serves the next request,
// while requests in flight finish on the version they started on.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { handleClientError, invokeHttp } from '../runtime/http.ts';
import { upgradeListener } from '../runtime/web-socket-upgrade.ts';
import { warmPool } from '../runtime/isolate-pool.ts';
import { createOutboundFetch, isRefusedForTenants, outboundFetch } from '../runtime/outbound.ts';
import { UserError } from '../runtime/errors.ts';
import { processTelemetry } from '../observe/telemetry.ts';
import type { KvStore } from '../store/kv.ts';
import type { EdgeChange, EdgeConfigSource, EdgeDeployment, EdgeSplit } from './config-source.ts';
import { purgeTarget, type ZonePurge } from '../cache/purge.ts';
import { openEdgeCache, type EdgeCache, type EdgeCacheOptions } from './edge-cache.ts';
import { passThrough } from './origin.ts';
import { serveFromOrigin } from './origin-cache.ts';
import { WorkerRegistry, type LoadedVersion, type VersionRef } from './registry.ts';
import { addClientHeaders, BadForwardedFor, clientMeta, type ClientMeta } from './request-meta.ts';
import { RoutingTable } from './routing.ts';
import { openCertStore, type CertStore } from './tls-certs.ts';
import { edgeServices } from './services.ts';
import { serviceCaller, type ServiceBindingOptions } from './service-bindings.ts';
import { DEFAULT_MAX_ISOLATES } from './defaults.ts';

/** Workers' request body limit on the free plan. */
const MAX_BODY_BYTES = 100 * 1024 * 1024;
/** How long close() lets requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 10_000;

export interface EdgeOptions {
  source: EdgeConfigSource;
  /** The location id: request.cf.colo, and the `location` of every log line. */
  location: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  kv?: KvStore;
  /** The location's cache (edge-cache.ts); memory only unless `dir` names a folder. */
  cache?: EdgeCacheOptions;
  maxIsolates?: number;
  /** Let workers fetch loopback and private addresses (their zones' origins always may). */
  allowPrivateFetch?: boolean;
  /** Take the client address from X-Forwarded-For (only behind a proxy the operator runs). */
  trustForwardedFor?: boolean;
  /** Also serve HTTPS (HTTP/1.1) on `port` (0: a free one), with the certificates in `certDir` (tls-certs.ts). */
  tls?: { port: number; certDir: string };
  /** Structured log lines; defaults to JSON on stdout. */
  log?: (fields: Record<string, unknown>) => void;
}

export interface ServedWorker {
  accountId: string;
  worker: string;
  versions: (EdgeSplit & { warm: boolean })[];
}

export interface Edge {
  url: string;
  port: number;
  /** The HTTPS listener, when TLS is on. */
  tlsUrl: string | null;
  tlsPort: number | null;
  location: string;
  registry: WorkerRegistry;
  /** The location's cache (its store, and purges by zone hostname). */
  cache: EdgeCache;
  /**
   * Applies a purge of one zone here; resolves with the entries removed (0 when the
   * zone is not the account's). The one call a cluster makes at each location.
   */
  purgeCache(purge: ZonePurge): Promise<number>;
  /** Applies a deployment as the config source would (null: the worker is gone). */
  setDeployment(accountId: string, worker: string, deployment: EdgeDeployment | null): void;
  /** Which version(s) each worker serves here, and which are loaded. */
  serving(): { location: string; workers: ServedWorker[]; loaded: LoadedVersion[] };
  close(): Promise<void>;
}

const stdoutLog = (fields: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);

/** One of the deployment's versions, picked per request by the split's percentages. */
function pickVersion(d: EdgeDeployment, roll = Math.random()): string {
  let edge = 0;
  for (const split of d.versions) {
    edge += split.percentage / 100;
    if (roll < edge) return split.versionId;
  }
  return d.versions[d.versions.length - 1]!.versionId;
}

function plain(res: ServerResponse, status: number, code: string, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'atoll-error': code });
  res.end(text);
}

// Host header from the client: a host name or address with an optional port, nothing else.
const HOST_CHARS = /^[A-Za-z0-9.\-_:[\]]+$/;

// The request's URL from a Host header of HOST_CHARS and a target starting with "/" (so
// the target cannot reach into the authority); null when the host does not parse.
// Parsed once: it is on every request's path.
function requestUrl(host: string, target: string, scheme: string): URL | null {
  try {
    const url = new URL(`${scheme}://${host}${target}`);
    return url.hostname === '' ? null : url;
  } catch {
    return null;
  }
}

export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const log = opts.log ?? stdoutLog;
  const location = opts.location;
  const deployments = new Map<string, EdgeDeployment>();
  const key = (accountId: string, worker: string) => `${accountId}/${worker}`;
  let routing = new RoutingTable();
  const outbound = opts.allowPrivateFetch ? outboundFetch : createOutboundFetch({ refuseAddress: isRefusedForTenants });
  const originFetch = createOutboundFetch();
  const cache = await openEdgeCache(opts.cache ?? {}, (fields) => log({ ...fields, location }));

  const registry = new WorkerRegistry({
    maxIsolates: opts.maxIsolates ?? DEFAULT_MAX_ISOLATES,
    load: (ref) => opts.source.definition(ref.accountId, ref.worker, ref.versionId),
    services: (ref, onDead) => edgeServices({ ref, location, routing: () => routing, outbound, originFetch, kv: opts.kv, cache, log, onDead, service: serviceCaller(bindings, ref) }),
    log: (fields) => log({ ...fields, location }),
  });
  const bindings: ServiceBindingOptions = {
    registry, location, log,
    resolve(accountId: string, worker: string): VersionRef | null {
      const d = deployments.get(key(accountId, worker));
      return d ? { accountId, worker, versionId: pickVersion(d) } : null;
    },
  };

  const warm = (ref: VersionRef) => {
    registry.warm(ref).catch((err) => log({ level: 'error', msg: 'version failed to start', location, ...ref, error: (err as Error).message }));
  };

  function setDeployment(accountId: string, worker: string, deployment: EdgeDeployment | null): void {
    const k = key(accountId, worker);
    if (deployment) deployments.set(k, deployment);
    else deployments.delete(k);
    const keep = new Set(deployment?.versions.map((s) => s.versionId) ?? []);
    registry.retire((r) => r.accountId === accountId && r.worker === worker && !keep.has(r.versionId));
    for (const s of deployment?.versions ?? []) warm({ accountId, worker, versionId: s.versionId });
    log({ level: 'info', msg: deployment ? 'deployment applied' : 'worker removed', location, account: accountId, worker, versions: deployment?.versions ?? [] });
  }

  // Loads the routing whole. A burst of route changes (a script creating thousands) makes
  // one load run and at most one wait behind it, not one load per change: the waiting one
  // starts after the running one ends, so it sees every change made before it started.
  let routingLoad: Promise<void> | null = null;
  let routingStale = false;
  function reloadRouting(): Promise<void> {
    if (routingLoad) {
      routingStale = true;
      return routingLoad;
    }
    routingLoad = (async () => {
      try {
        do {
          routingStale = false;
          try {
            routing = new RoutingTable(await opts.source.routing());
          } catch (err) {
            // A change that came in meanwhile gets its own try; the error is the caller's otherwise.
            if (!routingStale) throw err;
            log({ level: 'error', msg: 'routing reload failed; loading again for a newer change', location, error: (err as Error).message });
          }
        } while (routingStale);
      } finally {
        routingLoad = null;
      }
    })();
    return routingLoad;
  }

  function apply(change: EdgeChange): void {
    if (change.kind === 'deployment') {
      setDeployment(change.accountId, change.worker, change.deployment);
    } else if (change.kind === 'routing') {
      // One route added or removed: applied in place, instead of reading every route again
      // (a route POST slowed from 45 to 349 ms between 1,000 and 10,000 routes). A load in
      // flight may have read the store before this change, so it is left to load again.
      if (change.route && !routingLoad) {
        if (change.route.before) routing.removeRoute(change.route.before);
        if (change.route.after) {
          // Idempotent: a table already holding it keeps one copy.
          routing.removeRoute(change.route.after);
          routing.addRoute(change.route.after);
        }
        return;
      }
      reloadRouting().catch((err) => log({ level: 'error', msg: 'routing reload failed; still serving the previous routes', location, error: (err as Error).message }));
    } else {
      // Definitions carry the secrets: the worker's isolates start again with the new ones.
      const { accountId, worker } = change;
      registry.retire((r) => r.accountId === accountId && r.worker === worker);
      for (const s of deployments.get(key(accountId, worker))?.versions ?? []) warm({ accountId, worker, versionId: s.versionId });
    }
  }

  // Subscribed before the first load, so nothing that lands meanwhile is missed; a
  // deployment seen as an event is newer than the snapshot and wins over it.
  const seen = new Set<string>();
  const unwatch = opts.source.watch((change) => {
    if (change.kind === 'deployment') seen.add(key(change.accountId, change.worker));
    apply(change);
  });
  warmPool();
  try {
    await reloadRouting();
    for (const d of await opts.source.deployments()) {
      if (!seen.has(key(d.accountId, d.worker))) deployments.set(key(d.accountId, d.worker), d);
    }
  } catch (err) {
    unwatch();
    throw err;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const rawHost = req.headers.host;
    const fields: Record<string, unknown> = { level: 'info', msg: 'request', location, method: req.method, host: rawHost, path: req.url };
    const done = (extra: Record<string, unknown>) => log({ ...fields, status: res.statusCode, wallMs: Math.round((performance.now() - started) * 10) / 10, ...extra });
    const badHost = () => {
      plain(res, 400, 'bad_host', rawHost === undefined
        ? 'The request has no Host header; this atoll edge serves zones by host name, so send one.\n'
        : `The Host header "${String(rawHost).slice(0, 100)}" is not a host name (with an optional port).\n`);
      done({ outcome: 'bad_host' });
    };
    if (!rawHost || rawHost.length > 300 || !HOST_CHARS.test(rawHost)) return badHost();
    if (!req.url?.startsWith('/')) {
      plain(res, 400, 'bad_target', `The request target "${String(req.url).slice(0, 100)}" is not a path; send one that starts with "/".\n`);
      return done({ outcome: 'bad_target' });
    }
    const url = requestUrl(rawHost, req.url, (req.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http');
    if (url === null) return badHost();
    const zone = routing.zoneFor(url.hostname);
    if (!zone) {
      plain(res, 404, 'no_zone', `No zone on this atoll edge serves the host "${url.hostname}". Create one for it (POST /api/v1/zones) or check the Host header.\n`);
      return done({ outcome: 'no_zone' });
    }
    let meta: ClientMeta;
    try {
      const m = clientMeta(req, location, opts.trustForwardedFor === true);
      meta = m instanceof Promise ? await m : m;
    } catch (err) {
      if (!(err instanceof BadForwardedFor)) throw err;
      plain(res, 400, 'bad_forwarded_for', `${err.message}\n`);
      return done({ zone: zone.hostname, outcome: 'bad_forwarded_for' });
    }
    addClientHeaders(req, meta);
    const route = routing.route(zone, url.hostname, url.pathname);
    if (!route) {
      const cacheStatus = await serveFromOrigin(cache.http, originFetch, zone, url, req, res);
      return done({ zone: zone.hostname, outcome: 'origin', cache: cacheStatus });
    }
    const deployment = deployments.get(key(route.accountId, route.worker));
    if (!deployment) {
      plain(res, 503, 'not_deployed', `The route "${route.pattern}" points at worker "${route.worker}", which has no deployment; deploy it.\n`);
      return done({ zone: zone.hostname, worker: route.worker, outcome: 'not_deployed' });
    }
    const ref: VersionRef = { accountId: route.accountId, worker: route.worker, versionId: pickVersion(deployment) };
    Object.assign(fields, { account: ref.accountId, worker: ref.worker, version: ref.versionId });
    try {
      const inv = await registry.run(ref, (w) => invokeHttp(w, req, res, {
        url: url.href,
        cf: meta.cf,
        maxBodyBytes: MAX_BODY_BYTES,
        exposeErrors: false,
        passThrough: passThrough(zone),
      }));
      processTelemetry.invocation(inv, { location, account: ref.accountId, worker: ref.worker, version: ref.versionId }, { request: { method: req.method ?? 'GET', url: url.href, status: res.statusCode } });
      // Console lines also ride on the request's own line, for an operator reading the
      // process log rather than a tail.
      done({
        outcome: inv.outcome, cpuMs: Math.round(inv.cpuMs * 100) / 100,
        ...(inv.logs.length > 0 ? { console: inv.logs.map((l) => ({ level: l.level, message: l.message })) } : {}),
        ...(inv.exceptions.length > 0 ? { exceptions: inv.exceptions.map((e) => e.stack ?? `${e.type}: ${e.message}`) } : {}),
      });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      // The version's top level failed: the developer reads why in the log, not the client.
      log({ level: 'error', msg: 'worker failed to start', ...fields, error: err.message, code: err.code });
      if (!res.headersSent) plain(res, 500, 'startup_error', `The worker "${ref.worker}" failed to start; its owner can see why in the edge's log.\n`);
      done({ outcome: 'startup_error' });
    }
  }

  // Node would refuse an HTTP/1.1 request without Host with a bare 400; handle() says why.
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res).catch((err) => {
      const reference = Math.random().toString(36).slice(2, 10);
      log({ level: 'error', msg: 'internal error in edge', location, reference, method: req.method, path: req.url, error: (err as Error).stack ?? String(err) });
      if (!res.headersSent) plain(res, 500, 'internal', `internal error; reference = ${reference}\n`);
      else res.destroy();
    });
  };
  const server: Server = createServer({ requireHostHeader: false }, onRequest);
  const servers: Server[] = [server];
  let certs: CertStore | null = null;
  let tlsServer: Server | null = null;
  if (opts.tls) {
    try {
      certs = openCertStore(opts.tls.certDir, (fields) => log({ ...fields, location }));
    } catch (err) {
      unwatch();
      throw err;
    }
    const store = certs;
    // HTTP/1.1 only (ALPN): see docs/architecture.md, "TLS", for why not HTTP/2 yet.
    tlsServer = createTlsServer({
      requireHostHeader: false,
      ALPNProtocols: ['http/1.1'],
      SNICallback: (servername, cb) => {
        const context = store.context(servername);
        if (context) cb(null, context);
        else cb(new Error(`no TLS certificate for "${servername}"`));
      },
    }, onRequest);
    servers.push(tlsServer);
  }
  for (const s of servers) {
    // WebSocket upgrades take the same routing, so a worker can answer them with a 101.
    s.on('upgrade', upgradeListener(onRequest));
    s.on('clientError', handleClientError);
  }
  const h = opts.host ?? '127.0.0.1';
  const listen = async (s: Server, wanted: number): Promise<number> => {
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(wanted, h, () => resolve());
      });
    } catch (err) {
      unwatch();
      certs?.close();
      for (const other of servers) other.close();
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EADDRINUSE' ? `port ${wanted} is in use; pick another (0 picks a free one)` : e.message;
      throw Object.assign(new UserError(`edge: cannot listen on ${h}:${wanted}: ${why}`, 'listen_failed'), { cause: err, port: wanted });
    }
    return (s.address() as AddressInfo).port;
  };
  const hostPart = h.includes(':') ? `[${h}]` : h;
  const port = await listen(server, opts.port);
  const url = `http://${hostPart}:${port}`;
  const tlsPort = tlsServer && opts.tls ? await listen(tlsServer, opts.tls.port) : null;
  const tlsUrl = tlsPort === null ? null : `https://${hostPart}:${tlsPort}`;
  log({ level: 'info', msg: 'edge ready', location, url, port, ...(tlsUrl ? { tlsUrl, tlsPort } : {}) });

  return {
    url, port, tlsUrl, tlsPort, location, registry, cache, setDeployment,
    async purgeCache(purge) {
      const zone = routing.zoneById(purge.zoneId);
      const target = purgeTarget(purge);
      if (!zone || zone.accountId !== purge.accountId || !target) {
        log({ level: 'warn', msg: 'cache purge skipped: no such zone of the account here, or nothing named', location, account: purge.accountId, zone: purge.zoneId });
        return 0;
      }
      return cache.purge({ accountId: zone.accountId, zone: zone.hostname, ...target });
    },
    serving() {
      const loaded = registry.loaded();
      const warmKeys = new Set(loaded.filter((l) => l.state === 'warm').map((l) => `${l.accountId}/${l.worker}/${l.versionId}`));
      const workers = [...deployments.values()].map((d) => ({
        accountId: d.accountId, worker: d.worker,
        versions: d.versions.map((s) => ({ ...s, warm: warmKeys.has(`${d.accountId}/${d.worker}/${s.versionId}`) })),
      }));
      return { location, workers, loaded };
    },
    async close() {
      unwatch();
      certs?.close();
      // Requests in flight get to finish (a restart loses nothing it accepted), up to a bound.
      const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      // A keep-alive connection goes idle when its response ends; close it then, not
      // after the keep-alive timeout.
      const closeIdle = () => { for (const s of servers) s.closeIdleConnections(); };
      const idle = setInterval(closeIdle, 50);
      closeIdle();
      const cut = setTimeout(() => { for (const s of servers) s.closeAllConnections(); }, CLOSE_GRACE_MS);
      await closed;
      clearInterval(idle);
      clearTimeout(cut);
      registry.close();
      await cache.flush();
    },
  };
}
