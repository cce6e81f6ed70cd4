// Where finished invocations go: the live event bus (tails) and the metrics registry.
// Edges, `atoll dev` and the cron scheduler call `record` once per invocation; the
// control API reads from the same object. One process holds one by default
// (`processTelemetry`), as a Prometheus client holds one default registry; tests and
// embedders that run several in a process make their own.

import type { Invocation } from '../runtime/invocation.ts';
import { EventBus } from './bus.ts';
import { invocationEvent, type EventSource, type EventTrigger, type InvocationEvent } from './event.ts';
import { MetricsRegistry } from './metrics.ts';

export class Telemetry {
  readonly bus: EventBus;
  readonly metrics = new MetricsRegistry();

  constructor(log?: (fields: Record<string, unknown>) => void) {
    this.bus = new EventBus(log);
  }

  record(event: InvocationEvent): void {
    this.metrics.record(event);
    this.bus.publish(event);
  }

  /** Records a finished invocation (call it once the invocation has ended). */
  invocation(inv: Invocation, source: EventSource, trigger: EventTrigger): InvocationEvent {
    const event = invocationEvent(inv, source, trigger);
    this.record(event);
    return event;
  }
}

export const processTelemetry = new Telemetry((fields) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`));
