// `atoll dev`: one worker behind a local HTTP server, rebuilt and reloaded when its
// files change, each request logged on one line.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import { loadConfig } from '../config/load.ts';
import type { WorkerConfig } from '../config/types.ts';
import { serveScheduledTest } from '../cron/test-trigger.ts';
import { handleClientError, invokeHttp } from '../runtime/http.ts';
import { upgradeListener } from '../runtime/web-socket-upgrade.ts';
import { warmPool } from '../runtime/isolate-pool.ts';
import { UserError } from '../runtime/errors.ts';
import { addClientHeaders, BadForwardedFor, clientMeta, type ClientMeta } from '../edge/request-meta.ts';
import { DevWorker } from './dev-worker.ts';
import { createLog, ms, type DevLog, type LogFormat, type LogSinks } from './log.ts';
import { passThrough, ZoneHosts } from './origin.ts';
import { devServices } from './services.ts';
import { resolveSettings, type DevFlags } from './settings.ts';
import { openStores, type DevStores } from './stores.ts';
import { Watcher } from './watch.ts';

/** Workers' request body limit on the free plan. */
const MAX_BODY_BYTES = 100 * 1024 * 1024;

export interface DevServerOptions extends DevFlags {
  logFormat: LogFormat;
  /** Where local KV data lives; `.atoll/` in the project folder by default. */
  persistTo: string | null;
  /** Where log lines go; stdout and stderr by default (tests collect them). */
  logSinks?: LogSinks;
}

export interface DevServer {
  url: string;
  close(): Promise<void>;
}

function warnAbout(config: WorkerConfig, log: DevLog): void {
  for (const w of config.warnings) log.write('warn', 'config_warning', w);
  if (config.compatibilityDate === null) {
    log.write('warn', 'config_warning', `No compatibility_date is set; using today's date. Add compatibility_date = "${new Date().toISOString().slice(0, 10)}" to your config to pin it.`);
  }
}

function hostFor(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const log = createLog(opts.logFormat, opts.logSinks);
  let config = loadConfig(opts.cwd, opts.config, opts.env);
  let settings = resolveSettings(config, opts);
  warnAbout(config, log);
  log.write('info', 'starting', `Starting ${relative(opts.cwd, settings.entry) || settings.entry}...`, { entry: settings.entry });
  warmPool();
  const zone = new ZoneHosts();
  const stores: DevStores = await openStores(settings, opts.persistTo);
  let worker: DevWorker;
  const services = devServices({
    log, zone, origin: opts.origin, kv: stores.kv, cache: stores.cache,
    onDead: (w, reason) => worker.onDead(w, reason),
  });
  worker = new DevWorker(settings, services, log);
  await worker.load('start', settings);

  const configFile = config.file;
  let reloading: Promise<void> | null = null;
  let again: string[] = [];
  const watcher = new Watcher((paths) => {
    again.push(...paths);
    if (reloading) return;
    reloading = (async () => {
      while (again.length > 0) {
        const changed = again;
        again = [];
        await reload(changed);
      }
      reloading = null;
    })();
  });

  // Set by close(): a reload that finishes after it must not start watching again.
  let closed = false;
  const watchAll = () => {
    // Packages are not watched file by file (a big dependency tree would use thousands
    // of watches); npm rewrites node_modules/.package-lock.json on every install.
    // The lock file is the one of the node_modules the packages came from, which may be
    // a parent folder's (a project in a monorepo, or an example in this repository).
    // Watching one that does not exist reported a change at once and rebuilt for nothing.
    if (closed) return;
    const marker = `${sep}node_modules${sep}`;
    const own = worker.inputs.filter((f) => !f.includes(marker));
    const packages = new Set(worker.inputs.filter((f) => f.includes(marker))
      .map((f) => join(f.slice(0, f.indexOf(marker) + marker.length), '.package-lock.json')));
    watcher.set([...own, ...packages, settings.entry, settings.devVarsFile, ...(configFile ? [configFile] : [])]);
  };

  async function reload(changed: string[]): Promise<void> {
    if ((configFile && changed.includes(configFile)) || changed.includes(settings.devVarsFile)) {
      try {
        config = loadConfig(opts.cwd, opts.config, opts.env);
        settings = resolveSettings(config, opts);
        warnAbout(config, log);
        if (settings.kvNamespaces.length > 0 && !services.kv) services.kv = await stores.openKv(settings);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        log.write('error', 'config_error', `${err.message} (still serving the last version that worked)`);
        return;
      }
    }
    const shown = changed.map((p) => relative(opts.cwd, p) || p).join(', ');
    log.write('info', 'change', `Changed: ${shown}; rebuilding`, { files: changed });
    await worker.load('change', settings);
    watchAll();
  }

  let selfHost = '';
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res).catch((err) => {
      log.write('error', 'internal_error', `Internal error while serving ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('atoll dev: internal error (see the terminal)\n');
    });
  };
  const server: Server = createServer(onRequest);
  // WebSocket upgrades take the same path, so a worker can answer them with a 101.
  server.on('upgrade', upgradeListener(onRequest));
  server.on('clientError', handleClientError);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let finishedAt = 0;
    res.once('finish', () => { finishedAt = performance.now(); });
    zone.add(req.headers.host);
    const w = await worker.current();
    if (w === null) {
      const body = `atoll dev: the worker is not running: ${worker.problem ?? 'it has not been built yet'}\n\nFix the code; atoll dev reloads when you save.\n`;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'atoll-error': 'notLoaded' });
      res.end(body);
      logRequest(req, res.statusCode, 0, performance.now() - started, 'notLoaded');
      return;
    }
    const scheduled = await serveScheduledTest(w, req, res, (stack) => worker.mapStack(stack));
    if (scheduled) return logRequest(req, res.statusCode, scheduled.ran?.cpuMs ?? 0, performance.now() - started, scheduled.ran?.outcome ?? 'badRequest');
    let meta: ClientMeta;
    try {
      meta = await clientMeta(req, opts.location, opts.trustForwardedFor);
    } catch (err) {
      if (!(err instanceof BadForwardedFor)) throw err;
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'atoll-error': 'bad_forwarded_for' });
      res.end(`${err.message}\n`);
      logRequest(req, 400, 0, performance.now() - started, 'bad_forwarded_for');
      return;
    }
    addClientHeaders(req, meta);
    const inv = await invokeHttp(w, req, res, {
      // HTTP/1.0 clients may send no Host: the worker then sees the listening address.
      url: `http://${req.headers.host ?? selfHost}${req.url}`,
      cf: meta.cf,
      maxBodyBytes: MAX_BODY_BYTES,
      exposeErrors: true,
      mapStack: (stack) => worker.mapStack(stack),
      passThrough: passThrough(opts.origin),
    });
    // The same error can be recorded twice (thrown, then reported as the outcome).
    for (const stack of new Set(inv.exceptions.map((e) => e.stack ?? `${e.type}: ${e.message}`))) {
      log.write('error', 'exception', `${req.method} ${req.url}: ${worker.mapStack(stack)}`, { method: req.method, path: req.url });
    }
    logRequest(req, res.statusCode, inv.cpuMs, (finishedAt || performance.now()) - started, inv.outcome);
  }

  function logRequest(req: IncomingMessage, status: number, cpuMs: number, wallMs: number, outcome: string): void {
    const note = outcome === 'ok' ? '' : ` [${outcome}]`;
    log.write('info', 'request', `${req.method} ${req.url} ${status} cpu ${ms(cpuMs)} ms wall ${ms(wallMs)} ms${note}`, {
      method: req.method, path: req.url, status, cpuMs, wallMs, outcome,
    });
  }

  try {
    await listen(server, opts);
  } catch (err) {
    await worker.close();
    await stores.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  selfHost = `${hostFor(opts.ip)}:${port}`;
  const url = `http://${selfHost}`;
  zone.add(selfHost);
  zone.add(`localhost:${port}`);
  watchAll();
  log.write('info', 'ready', `Ready on ${url}`, { url, port });

  return {
    url,
    async close() {
      closed = true;
      watcher.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await reloading;
      await worker.close();
      await stores.close();
    },
  };
}

function listen(server: Server, opts: DevServerOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? `port ${opts.port} is in use: pick another with --port (0 picks a free one)`
        : err.code === 'EADDRNOTAVAIL' ? `${opts.ip} is not an address of this machine: pick another with --ip`
          : err.code === 'EACCES' ? `port ${opts.port} needs privileges: pick one above 1023 with --port`
            : err.message;
      reject(new UserError(`atoll dev: cannot listen on ${hostFor(opts.ip)}:${opts.port}: ${why}.`, 'listen_failed'));
    });
    server.listen(opts.port, opts.ip, () => resolve());
  });
}
