// Edge settings' defaults that the CLI shows in its help: kept apart from server.ts so
// that showing them does not load the runtime.

/** Warm isolates an edge keeps before the least recently used go. */
export const DEFAULT_MAX_ISOLATES = 1000;
