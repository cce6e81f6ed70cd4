// /api/v1/workers/:name/schedules: a worker's cron triggers. PUT replaces the whole list
// (an empty list removes them), checked with parseCron so a bad expression is refused
// with the expression and the field it is wrong in; the embedded scheduler hears of the
// change from the store and applies it at once.

import type { Hono } from 'hono';
import { CronError, parseCron } from '../../cron/expression.ts';
import { badRequest, notFound } from '../errors.ts';
import { requireScope } from '../tokens.ts';
import { readJson } from './body.ts';
import type { ApiContext, ApiDeps, ApiEnv } from './context.ts';
import { workerName } from './workers.ts';

/** Workers allows 3 (free) to 5 (paid) per worker; a few more costs nothing here. */
export const MAX_CRONS = 10;

/** The body's `crons`, each parsed; a CronError becomes 400 invalid_cron. */
export function parseCrons(value: unknown): string[] {
  if (!Array.isArray(value)) throw badRequest('invalid_field', '"crons" must be an array of cron expressions, e.g. {"crons":["*/5 * * * *"]} ([] removes them)');
  if (value.length > MAX_CRONS) throw badRequest('invalid_field', `"crons" has ${value.length} expressions; a worker may have at most ${MAX_CRONS}`);
  const crons: string[] = [];
  value.forEach((v, i) => {
    let expr: string;
    try {
      expr = parseCron(v).expression;
    } catch (err) {
      if (err instanceof CronError) throw badRequest('invalid_cron', `crons[${i}]: ${err.message}`);
      throw err;
    }
    if (crons.includes(expr)) throw badRequest('invalid_cron', `crons[${i}]: cron "${expr}" is listed twice; list each expression once`);
    crons.push(expr);
  });
  return crons;
}

function schedulesJson(crons: string[], now: number) {
  return { crons, schedules: crons.map((cron) => ({ cron, next_run: new Date(parseCron(cron).next(now) ?? 0).toISOString() })) };
}

export function mountSchedules(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const { store } = deps;
  const existing = async (c: ApiContext) => {
    const name = workerName(c);
    const worker = await store.getWorker(c.var.token.accountId, name);
    if (!worker) throw notFound(`worker "${name}"`, 'upload it first (PUT /api/v1/workers/:name), then set its schedules');
    return worker;
  };

  app.get('/api/v1/workers/:name/schedules', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const worker = await existing(c);
    return c.json(schedulesJson(await store.getSchedules(worker.accountId, worker.name), deps.now()));
  });

  app.put('/api/v1/workers/:name/schedules', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const worker = await existing(c);
    const body = await readJson(c);
    for (const key of Object.keys(body)) {
      if (key !== 'crons') throw badRequest('invalid_field', `unknown field "${key.slice(0, 40)}"; the body is {"crons":[...]}`);
    }
    const crons = parseCrons(body.crons);
    // The worker can be deleted between the check and the write.
    if (!await store.setSchedules(worker.accountId, worker.name, crons, deps.now())) throw notFound(`worker "${worker.name}"`, 'it was deleted meanwhile');
    deps.log({ level: 'info', msg: 'schedules set', account: worker.accountId, worker: worker.name, crons });
    return c.json(schedulesJson(crons, deps.now()));
  });
}
