// Cache purges reach every edge of every location: a control process publishes each
// purge (src/cache/purge.ts's ZonePurge) on the NATS subject atoll.purge and every edge
// node applies it to its cache (edge.purgeCache). `localPurgeChannel` is the same
// channel within one process.

import type { NatsConnection } from '@nats-io/transport-node';
import type { ZonePurge } from '../cache/purge.ts';
import { PURGE_SUBJECT } from './subjects.ts';

/** What to drop from the cache: everything of a zone, or some URLs, prefixes or tags of it. */
export type PurgeMessage = ZonePurge;

export interface PurgeChannel {
  publish(message: PurgeMessage): void;
  /** Calls `fn` for each purge, this process's own included; returns the unsubscribe function. */
  onPurge(fn: (message: PurgeMessage) => void): () => void;
}

type Log = (fields: Record<string, unknown>) => void;

function deliver(subscribers: Set<(m: PurgeMessage) => void>, message: PurgeMessage, log: Log): void {
  for (const fn of subscribers) {
    try {
      fn(message);
    } catch (err) {
      log({ level: 'error', msg: 'purge subscriber threw', error: (err as Error).stack });
    }
  }
}

export function localPurgeChannel(log: Log = () => {}): PurgeChannel {
  const subscribers = new Set<(m: PurgeMessage) => void>();
  return {
    publish: (message) => deliver(subscribers, message, log),
    onPurge(fn) {
      subscribers.add(fn);
      return () => { subscribers.delete(fn); };
    },
  };
}

/** Checks a purge read from NATS; throws an Error naming the first thing wrong. */
export function parsePurge(bytes: Uint8Array): PurgeMessage {
  let m: PurgeMessage;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as PurgeMessage;
  } catch {
    throw new Error('not JSON');
  }
  if (typeof m !== 'object' || m === null || typeof m.accountId !== 'string' || typeof m.zoneId !== 'string') throw new Error('lacks accountId or zoneId');
  for (const f of ['urls', 'prefixes', 'tags'] as const) {
    if (m[f] !== undefined && !(Array.isArray(m[f]) && m[f].every((x) => typeof x === 'string'))) throw new Error(`field "${f}" is not a list of strings`);
  }
  return m;
}

export function natsPurgeChannel(nc: NatsConnection, log: Log): PurgeChannel {
  const subscribers = new Set<(m: PurgeMessage) => void>();
  nc.subscribe(PURGE_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      let message: PurgeMessage;
      try {
        message = parsePurge(msg.data);
      } catch (e) {
        log({ level: 'warn', msg: 'purge message skipped', subject: PURGE_SUBJECT, error: (e as Error).message });
        return;
      }
      deliver(subscribers, message, log);
    },
  });
  return {
    publish: (message) => nc.publish(PURGE_SUBJECT, JSON.stringify(message)),
    onPurge(fn) {
      subscribers.add(fn);
      return () => { subscribers.delete(fn); };
    },
  };
}
