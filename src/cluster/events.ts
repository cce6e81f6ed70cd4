// Live logs and metrics from every location: an edge publishes its finished
// invocations' events on atoll.events; a control process records the events it receives
// into its telemetry, so its tail (SSE) and /metrics include every location. An edge
// sends them in batches (up to BATCH_MAX events, at most BATCH_MS after the first): a
// message per request cost nats-server and the control process as much CPU as a tenth
// of the request itself. Messages carry the id of the process that made them, so a
// control process running in the same process as an edge (tests, a single-machine
// cluster) does not count them twice.

import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import type { InvocationEvent } from '../observe/event.ts';
import type { Telemetry } from '../observe/telemetry.ts';
import type { Log } from './connection.ts';
import { EVENTS_SUBJECT } from './subjects.ts';

const PROCESS_ID = randomBytes(8).toString('hex');
/** Events that arrived over NATS; an edge in this process must not send them back out. */
const received = new WeakSet<InvocationEvent>();
const BATCH_MAX = 64;
const BATCH_MS = 20;

/** Publishes this process's events in batches; returns the function that stops it (sending what is left). */
export function publishEvents(nc: NatsConnection, telemetry: Telemetry): () => void {
  let batch: InvocationEvent[] = [];
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (batch.length === 0 || nc.isClosed()) return;
    nc.publish(EVENTS_SUBJECT, JSON.stringify({ origin: PROCESS_ID, events: batch }));
    batch = [];
  };
  const unsubscribe = telemetry.bus.subscribe((event) => {
    if (received.has(event) || nc.isClosed()) return;
    batch.push(event);
    if (batch.length >= BATCH_MAX) flush();
    else if (!timer) {
      timer = setTimeout(flush, BATCH_MS);
      timer.unref();
    }
  });
  return () => {
    unsubscribe();
    flush();
  };
}

function checkEvent(e: Partial<InvocationEvent> | null, i: number): InvocationEvent {
  if (typeof e !== 'object' || e === null) throw new Error(`event ${i} is not an object`);
  for (const f of ['time', 'location', 'account', 'worker', 'version', 'trigger', 'outcome'] as const) {
    if (typeof e[f] !== 'string') throw new Error(`event ${i} field "${f}" is not a string`);
  }
  if (e.trigger !== 'fetch' && e.trigger !== 'scheduled') throw new Error(`event ${i} field "trigger" is neither fetch nor scheduled`);
  for (const f of ['cpuMs', 'wallMs'] as const) if (typeof e[f] !== 'number') throw new Error(`event ${i} field "${f}" is not a number`);
  if (!Array.isArray(e.logs) || !Array.isArray(e.exceptions)) throw new Error(`event ${i} fields "logs" and "exceptions" are not lists`);
  return e as InvocationEvent;
}

/** Checks a batch of events read from NATS; throws an Error naming the first thing wrong. */
export function parseEventMessage(bytes: Uint8Array): { origin: string; events: InvocationEvent[] } {
  let m: { origin?: unknown; events?: unknown };
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as typeof m;
  } catch {
    throw new Error('not JSON');
  }
  if (typeof m?.origin !== 'string' || !Array.isArray(m.events)) throw new Error('lacks origin or a list of events');
  return { origin: m.origin, events: m.events.map((e, i) => checkEvent(e as Partial<InvocationEvent> | null, i)) };
}

/** Records every other process's events into `telemetry`; returns the function that stops it. */
export function receiveEvents(nc: NatsConnection, telemetry: Telemetry, log: Log): () => void {
  const sub = nc.subscribe(EVENTS_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      let parsed;
      try {
        parsed = parseEventMessage(msg.data);
      } catch (e) {
        log({ level: 'warn', msg: 'invocation event skipped', subject: EVENTS_SUBJECT, error: (e as Error).message });
        return;
      }
      if (parsed.origin === PROCESS_ID) return;
      for (const event of parsed.events) {
        received.add(event);
        telemetry.record(event);
      }
    },
  });
  return () => sub.unsubscribe();
}
