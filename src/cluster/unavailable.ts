// Which NATS failures are "the cluster cannot answer now" (a StoreUnavailableError, 503
// at the API) rather than a bug: timeouts, no responders, a closed or broken connection,
// JetStream not (yet) enabled or temporarily unavailable while a leader is elected.

import { ClosedConnectionError, ConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { StoreUnavailableError } from '../store/unavailable.ts';

// Answers from the servers that say the request was not taken; the rest of TRANSIENT
// (timeouts, lost connections) leaves a write's outcome open.
const REFUSED = /jetstream is not enabled|temporarily unavailable|no responders/i;
const TRANSIENT = new RegExp(`${REFUSED.source}|timeout|timed out|connection closed|disconnect`, 'i');

export function isTransient(err: unknown): boolean {
  return err instanceof TimeoutError || err instanceof NoRespondersError || err instanceof ClosedConnectionError
    || err instanceof ConnectionError || err instanceof DrainingConnectionError || err instanceof RequestError
    || TRANSIENT.test((err as Error)?.message ?? '');
}

/**
 * Whether a failed write may have been stored, or may still be: not when a server
 * answered that it did not take it (JetStream not enabled on it yet, no responders).
 */
export function mayHaveLanded(err: unknown): boolean {
  return !REFUSED.test((err as Error)?.message ?? '');
}

/**
 * How long one store call may take before the caller gets a 503: the client's own
 * request timeouts bound most calls, but not all (a call caught on a connection to a
 * server that was just killed waited more than 30 s in a fault test).
 */
export const CALL_DEADLINE_MS = 15_000;

const unavailable = (what: string, why: string, cause?: unknown) =>
  new StoreUnavailableError(`${what} did not answer (${why}); NATS JetStream is unreachable or electing a leader: retry in a few seconds, and check the NATS servers if it persists`, { cause });

/**
 * `target` with every method that returns a promise turned into one whose transient
 * failures reject with StoreUnavailableError naming `what` (other failures pass as they
 * are), as does a call still pending after `deadlineMs`.
 */
export function guarded<T extends object>(target: T, what: string, deadlineMs = CALL_DEADLINE_MS): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(t, args);
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(unavailable(what, `no answer within ${deadlineMs / 1000} s`)), deadlineMs);
        });
        const settled = result.catch((err: unknown) => {
          if (!isTransient(err)) throw err;
          throw unavailable(what, (err as Error).message, err);
        });
        return Promise.race([settled, deadline]).finally(() => clearTimeout(timer));
      };
    },
  });
}
