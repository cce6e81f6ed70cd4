// Live logs and metrics from every location: an edge publishes each finished
// invocation's event on atoll.events; a control process records the events it receives
// into its telemetry, so its tail (SSE) and /metrics include every location. Events
// carry the id of the process that made them, so a control process running in the same
// process as an edge (tests, a single-machine cluster) does not count them twice.

import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import type { InvocationEvent } from '../observe/event.ts';
import type { Telemetry } from '../observe/telemetry.ts';
import type { Log } from './connection.ts';
import { EVENTS_SUBJECT } from './subjects.ts';

const PROCESS_ID = randomBytes(8).toString('hex');
/** Events that arrived over NATS; an edge in this process must not send them back out. */
const received = new WeakSet<InvocationEvent>();

/** Publishes this process's events; returns the function that stops it. */
export function publishEvents(nc: NatsConnection, telemetry: Telemetry): () => void {
  return telemetry.bus.subscribe((event) => {
    if (received.has(event) || nc.isClosed()) return;
    nc.publish(EVENTS_SUBJECT, JSON.stringify({ origin: PROCESS_ID, event }));
  });
}

/** Checks an event read from NATS; throws an Error naming the first thing wrong. */
export function parseEventMessage(bytes: Uint8Array): { origin: string; event: InvocationEvent } {
  let m: { origin?: unknown; event?: Partial<InvocationEvent> };
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as typeof m;
  } catch {
    throw new Error('not JSON');
  }
  const e = m?.event;
  if (typeof m?.origin !== 'string' || typeof e !== 'object' || e === null) throw new Error('lacks origin or event');
  for (const f of ['time', 'location', 'account', 'worker', 'version', 'trigger', 'outcome'] as const) {
    if (typeof e[f] !== 'string') throw new Error(`event field "${f}" is not a string`);
  }
  if (e.trigger !== 'fetch' && e.trigger !== 'scheduled') throw new Error('event field "trigger" is neither fetch nor scheduled');
  for (const f of ['cpuMs', 'wallMs'] as const) if (typeof e[f] !== 'number') throw new Error(`event field "${f}" is not a number`);
  if (!Array.isArray(e.logs) || !Array.isArray(e.exceptions)) throw new Error('event fields "logs" and "exceptions" are not lists');
  return { origin: m.origin, event: e as InvocationEvent };
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
      received.add(parsed.event);
      telemetry.record(parsed.event);
    },
  });
  return () => sub.unsubscribe();
}
