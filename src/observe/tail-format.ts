// How `atoll tail` prints an event: `json` is the event as one line; `pretty` is the
// shape wrangler tail prints (a head line, then each console line and exception
// indented), with the status, location and times added.
//
//   GET http://shop.test/cart 500 - Exception Thrown @ 2026-11-27T10:00:00.000Z (TST, cpu 0.8 ms, wall 2.1 ms)
//     (log) loading cart
//     ✘ Error: kaboom
//         at fetch (index.js:4:11)

import type { InvocationEvent } from './event.ts';

const OUTCOMES: Record<string, string> = {
  ok: 'Ok',
  exception: 'Exception Thrown',
  exceededCpu: 'Exceeded CPU Limit',
  exceededMemory: 'Exceeded Memory',
  canceled: 'Canceled',
};

export type TailFormat = 'pretty' | 'json';

export function formatEvent(event: InvocationEvent, format: TailFormat): string {
  if (format === 'json') return JSON.stringify(event);
  const what = event.request
    ? `${event.request.method} ${event.request.url} ${event.request.status}`
    : `"${event.scheduled?.cron ?? ''}" (scheduled for ${event.scheduled?.scheduledTime ?? '?'})`;
  const lines = [`${what} - ${OUTCOMES[event.outcome] ?? event.outcome} @ ${event.time} (${event.location}, cpu ${event.cpuMs} ms, wall ${event.wallMs} ms)`];
  for (const l of event.logs) lines.push(`  (${l.level}) ${l.message.replace(/\n/g, '\n    ')}`);
  for (const e of event.exceptions) {
    const text = e.stack ?? `${e.name}: ${e.message}`;
    lines.push(`  ✘ ${text.replace(/\n/g, '\n    ')}`);
  }
  return lines.join('\n');
}
