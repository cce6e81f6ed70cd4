// Core NATS subjects between edges and control processes (no JetStream: these are live
// and nothing is lost that matters when nobody listens).
//   atoll.heartbeat   an edge's state: location, node, which versions it serves, problems
//   atoll.events      finished invocations, for the control plane's tail and /metrics
//   atoll.purge       cache purges, to every edge of every location

export const HEARTBEAT_SUBJECT = 'atoll.heartbeat';
export const EVENTS_SUBJECT = 'atoll.events';
export const PURGE_SUBJECT = 'atoll.purge';

/** How often an edge says it is alive (and right after it applies a deployment). */
export const HEARTBEAT_INTERVAL_MS = 1000;
/** A node not heard from for this long is reported unhealthy. */
export const HEALTHY_WITHIN_MS = 5000;
/** A node not heard from for this long is no longer listed. */
export const FORGET_AFTER_MS = 10 * 60_000;
