// The control API's observability endpoints, mounted by createControlApp:
//   GET /api/v1/workers/:name/tail     live events as Server-Sent Events (logs:read)
//   GET /api/v1/workers/:name/metrics  the worker's numbers per location, JSON (workers:read)
//   GET /api/v1/metrics                every worker of the account, JSON (workers:read)
//   GET /metrics                       Prometheus text (a token with workers:read: the
//                                      operator's account sees every account's series,
//                                      any other account its own)

import type { Hono } from 'hono';
import type { ApiDeps, ApiEnv, ApiContext } from '../control/api/context.ts';
import { workerName } from '../control/api/workers.ts';
import { badRequest, notFound } from '../control/errors.ts';
import { authenticate, requireScope } from '../control/tokens.ts';
import { UserError } from '../runtime/errors.ts';
import { parseTailFilter, type TailFilter } from './tail-filter.ts';
import { tailResponse } from './tail-stream.ts';
import { processTelemetry, type Telemetry } from './telemetry.ts';

export interface ObserveOptions {
  /** Per-tail read budget before a slow client is dropped (tests make it small). */
  maxQueuedBytes?: number;
}

export function mountObserve(app: Hono<ApiEnv>, deps: ApiDeps, telemetry: Telemetry = processTelemetry, opts: ObserveOptions = {}): void {
  const existing = async (c: ApiContext) => {
    const name = workerName(c);
    const worker = await deps.store.getWorker(c.var.token.accountId, name);
    if (!worker) throw notFound(`worker "${name}"`, 'list workers with GET /api/v1/workers');
    return worker;
  };

  app.get('/api/v1/workers/:name/tail', async (c) => {
    requireScope(c.var.token, 'logs:read');
    const worker = await existing(c);
    let filter: TailFilter;
    try {
      filter = parseTailFilter(new URL(c.req.url).searchParams);
    } catch (err) {
      if (err instanceof UserError) throw badRequest(err.code, err.message);
      throw err;
    }
    const { accountId, name } = worker;
    deps.log({ level: 'info', msg: 'tail opened', account: accountId, worker: name, token: c.var.token.id });
    return tailResponse({
      bus: telemetry.bus,
      filter,
      scope: (e) => e.account === accountId && e.worker === name,
      describe: { worker: name },
      maxQueuedBytes: opts.maxQueuedBytes,
      log: (fields) => deps.log({ ...fields, account: accountId }),
    });
  });

  app.get('/api/v1/workers/:name/metrics', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const worker = await existing(c);
    return c.json({ metrics: telemetry.metrics.summary(worker.accountId, worker.name) });
  });

  app.get('/api/v1/metrics', (c) => {
    requireScope(c.var.token, 'workers:read');
    return c.json({ metrics: telemetry.metrics.summary(c.var.token.accountId) });
  });

  app.get('/metrics', async (c) => {
    const token = await authenticate(deps.store, c.req.header('authorization'), deps.now());
    requireScope(token, 'workers:read');
    const account = await deps.store.getAccount(token.accountId);
    const all = account?.operator === true;
    return c.body(telemetry.metrics.prometheus((a) => all || a === token.accountId), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    });
  });
}
