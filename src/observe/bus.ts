// The invocation event bus: every finished invocation is published once; subscribers
// (tail streams, metrics) see it synchronously. Nothing is stored: an event nobody is
// subscribed to is gone, which is what "logs are live" means.

import type { InvocationEvent } from './event.ts';

export type Subscriber = (event: InvocationEvent) => void;

export class EventBus {
  readonly #subscribers = new Set<Subscriber>();
  readonly #log: (fields: Record<string, unknown>) => void;

  constructor(log: (fields: Record<string, unknown>) => void = () => {}) {
    this.#log = log;
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(fn: Subscriber): () => void {
    this.#subscribers.add(fn);
    return () => { this.#subscribers.delete(fn); };
  }

  get subscribers(): number {
    return this.#subscribers.size;
  }

  publish(event: InvocationEvent): void {
    for (const fn of [...this.#subscribers]) {
      try {
        fn(event);
      } catch (err) {
        // One broken subscriber must not keep the event from the others, nor fail the request.
        this.#log({ level: 'error', msg: 'event subscriber failed', error: (err as Error).stack ?? String(err) });
      }
    }
  }
}
