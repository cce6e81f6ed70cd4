// Which NATS failures are "the cluster cannot answer now" (a StoreUnavailableError, 503
// at the API) rather than a bug: timeouts, no responders, a closed or broken connection,
// JetStream not (yet) enabled or temporarily unavailable while a leader is elected.

import { ClosedConnectionError, ConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { StoreUnavailableError } from '../store/unavailable.ts';

const TRANSIENT = /jetstream is not enabled|temporarily unavailable|no responders|timeout|timed out|connection closed|disconnect/i;

export function isTransient(err: unknown): boolean {
  return err instanceof TimeoutError || err instanceof NoRespondersError || err instanceof ClosedConnectionError
    || err instanceof ConnectionError || err instanceof DrainingConnectionError || err instanceof RequestError
    || TRANSIENT.test((err as Error)?.message ?? '');
}

/**
 * `target` with every method that returns a promise turned into one whose transient
 * failures reject with StoreUnavailableError naming `what` (other failures pass as they are).
 */
export function guarded<T extends object>(target: T, what: string): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(t, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((err: unknown) => {
          if (!isTransient(err)) throw err;
          throw new StoreUnavailableError(`${what} did not answer (${(err as Error).message}); NATS JetStream is unreachable or electing a leader: retry in a few seconds, and check the NATS servers if it persists`, { cause: err });
        });
      };
    },
  });
}
