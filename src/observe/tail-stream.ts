// A tail as a Server-Sent Events response: `event: ready` once, then one
// `event: invocation` per matching event as it ends, and a comment line every 15 s so
// proxies keep the connection open. The stream holds at most `maxQueuedBytes` the
// client has not read yet: a client that falls that far behind gets `event: dropped`
// and the stream ends, rather than the server buffering for it without bound.
// (https://html.spec.whatwg.org/multipage/server-sent-events.html)

import type { EventBus } from './bus.ts';
import type { InvocationEvent } from './event.ts';
import { tailWants, type TailFilter } from './tail-filter.ts';

export interface TailStreamOptions {
  bus: EventBus;
  filter: TailFilter;
  /** Which events this tail may see at all (its account's worker). */
  scope(event: InvocationEvent): boolean;
  /** What the `ready` event says about the tail. */
  describe: Record<string, unknown>;
  maxQueuedBytes?: number;
  heartbeatMs?: number;
  log?(fields: Record<string, unknown>): void;
}

export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

const encoder = new TextEncoder();
const frame = (event: string, data: unknown) => encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export function tailResponse(opts: TailStreamOptions): Response {
  const maxQueued = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  let unsubscribe = () => {};
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    unsubscribe();
    clearInterval(heartbeat);
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(frame('ready', opts.describe));
      unsubscribe = opts.bus.subscribe((event) => {
        if (!opts.scope(event) || !tailWants(opts.filter, event)) return;
        // desiredSize is what is left of the budget: nothing left means the client has
        // not read the last `maxQueued` bytes.
        if ((controller.desiredSize ?? 0) <= 0) {
          stop();
          opts.log?.({ level: 'warn', msg: 'tail dropped: the client reads too slowly', ...opts.describe, maxQueuedBytes: maxQueued });
          controller.enqueue(frame('dropped', { reason: `this tail fell more than ${maxQueued} bytes behind the events and was closed; reconnect, or narrow it with filters or sampling_rate` }));
          controller.close();
          return;
        }
        controller.enqueue(frame('invocation', event));
      });
      heartbeat = setInterval(() => {
        if ((controller.desiredSize ?? 0) > 0) controller.enqueue(encoder.encode(': keep-alive\n\n'));
      }, opts.heartbeatMs ?? HEARTBEAT_MS);
      heartbeat.unref();
    },
    // The client went away.
    cancel: stop,
  }, new ByteLengthQueuingStrategy({ highWaterMark: maxQueued }));
  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Tell buffering reverse proxies (nginx) to pass events through as they come.
      'x-accel-buffering': 'no',
    },
  });
}
