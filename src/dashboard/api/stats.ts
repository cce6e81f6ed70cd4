// The last hour of invocations, for the dashboard's workers list and charts:
//   GET /api/v1/stats                every worker of the account that ran in the hour
//   GET /api/v1/workers/:name/stats  one worker: totals and per location, minute by minute
// Both need workers:read. Fed by the process's event bus (recent.ts), so they count what
// the edges that report to this control plane ran since it started, at most an hour back.

import type { Hono } from 'hono';
import { notFound } from '../../control/errors.ts';
import { requireScope } from '../../control/tokens.ts';
import type { ApiDeps, ApiEnv } from '../../control/api/context.ts';
import { workerName } from '../../control/api/workers.ts';
import { processTelemetry } from '../../observe/telemetry.ts';
import { RecentStats, WINDOW_MINUTES } from '../recent.ts';

let processRecent: RecentStats | null = null;

/** The process's rolling window, following the process's telemetry from the first call (the API's start) on. */
export function processRecentStats(): RecentStats {
  if (!processRecent) {
    processRecent = new RecentStats();
    processRecent.follow(processTelemetry.bus);
  }
  return processRecent;
}

export function mountStats(app: Hono<ApiEnv>, deps: ApiDeps, stats: RecentStats = processRecentStats()): void {
  app.get('/api/v1/stats', (c) => {
    requireScope(c.var.token, 'workers:read');
    return c.json({ window_minutes: WINDOW_MINUTES, workers: stats.account(c.var.token.accountId) });
  });

  app.get('/api/v1/workers/:name/stats', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const name = workerName(c);
    if (!(await deps.store.getWorker(c.var.token.accountId, name))) throw notFound(`worker "${name}"`, 'list workers with GET /api/v1/workers');
    return c.json({ window_minutes: WINDOW_MINUTES, worker: name, ...stats.worker(c.var.token.accountId, name) });
  });
}
