// The record of one finished invocation (a request or a cron run), as tail streams it
// and metrics count it. Built once when the invocation ends, from the Invocation's own
// account (console lines, exceptions, CPU, wall time, outcome) and what its caller
// knows (where it ran, which version, the request and the status sent).

import type { Invocation } from '../runtime/invocation.ts';
import type { Outcome } from '../runtime/errors.ts';

export interface InvocationEvent {
  /** When the invocation started, ISO 8601. */
  time: string;
  location: string;
  account: string;
  worker: string;
  version: string;
  trigger: 'fetch' | 'scheduled';
  request?: { method: string; url: string; status: number };
  scheduled?: { cron: string; scheduledTime: string };
  logs: { level: string; message: string; time: string }[];
  exceptions: { name: string; message: string; stack: string | null }[];
  cpuMs: number;
  wallMs: number;
  outcome: Outcome;
}

export interface EventSource {
  location: string;
  account: string;
  worker: string;
  version: string;
}

export type EventTrigger =
  | { request: { method: string; url: string; status: number } }
  | { cron: string; scheduledTime: number };

const round = (n: number) => Math.round(n * 100) / 100;

/** The event for a finished invocation; call it after the invocation has ended. */
export function invocationEvent(inv: Invocation, source: EventSource, trigger: EventTrigger): InvocationEvent {
  const wallMs = inv.wallMs;
  // The same error can be recorded twice (thrown, then reported as the outcome).
  const seen = new Set<string>();
  const exceptions: InvocationEvent['exceptions'] = [];
  for (const e of inv.exceptions) {
    const key = e.stack ?? `${e.type}: ${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    exceptions.push({ name: e.type, message: e.message, stack: e.stack ?? null });
  }
  return {
    time: new Date(Date.now() - wallMs).toISOString(),
    ...source,
    ...('request' in trigger
      ? { trigger: 'fetch' as const, request: trigger.request }
      : { trigger: 'scheduled' as const, scheduled: { cron: trigger.cron, scheduledTime: new Date(trigger.scheduledTime).toISOString() } }),
    logs: inv.logs.map((l) => ({ level: l.level, message: l.message, time: new Date(l.time).toISOString() })),
    exceptions,
    cpuMs: round(inv.cpuMs),
    wallMs: round(wallMs),
    outcome: inv.outcome,
  };
}

/** Whether the event counts as an error: an outcome other than ok, or a 5xx sent. */
export function isError(event: InvocationEvent): boolean {
  return event.outcome !== 'ok' || (event.request?.status ?? 0) >= 500;
}
