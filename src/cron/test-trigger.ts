// Running a worker's scheduled handler on request, for development: `atoll dev` answers
// GET /cdn-cgi/handler/scheduled?cron=...&time=... as wrangler dev does (Cloudflare
// reserves /cdn-cgi/, so no worker route is shadowed). `cron` defaults to "* * * * *"
// and is checked like a deployed trigger; `time` (ms since the epoch) defaults to now.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Invocation } from '../runtime/invocation.ts';
import type { WorkerIsolate } from '../runtime/worker-isolate.ts';
import { CronError, parseCron } from './expression.ts';
import { runScheduled } from './run.ts';

export const SCHEDULED_TEST_PATH = '/cdn-cgi/handler/scheduled';

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Runs the scheduled handler if `req` asks for it, answering 200 "Ran scheduled event",
 * or 500 with the exception, or 400 for a bad `cron` or `time`. Returns null for any
 * other request (the caller serves it as usual); otherwise what ran (null after a 400).
 */
export async function serveScheduledTest(worker: WorkerIsolate, req: IncomingMessage, res: ServerResponse, mapStack: (stack: string) => string = (s) => s): Promise<{ ran: Invocation | null } | null> {
  const url = new URL(req.url ?? '/', 'http://dev.invalid');
  if (url.pathname !== SCHEDULED_TEST_PATH) return null;
  const cron = url.searchParams.get('cron') ?? '* * * * *';
  const rawTime = url.searchParams.get('time');
  const time = rawTime === null ? Date.now() : Number(rawTime);
  try {
    parseCron(cron);
  } catch (err) {
    if (!(err instanceof CronError)) throw err;
    answer(res, 400, `${err.message}\n`);
    return { ran: null };
  }
  if (!Number.isSafeInteger(time) || time < 0) {
    answer(res, 400, `time "${String(rawTime).slice(0, 40)}" must be a time in milliseconds since 1970-01-01 UTC, e.g. ${Date.now()}\n`);
    return { ran: null };
  }
  const inv = await runScheduled(worker, cron, time);
  if (inv.outcome === 'ok') {
    answer(res, 200, 'Ran scheduled event\n');
  } else {
    const e = inv.exceptions[0];
    const detail = e ? mapStack(e.stack ?? `${e.type}: ${e.message}`) : inv.outcome;
    answer(res, 500, `The scheduled handler failed (${inv.outcome}):\n\n${detail}\n`);
  }
  return { ran: inv };
}
