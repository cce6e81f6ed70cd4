// Host-side errors. `UserError` is the tenant's or operator's mistake (bad config, bad
// code); anything else is our bug. `OpError` crosses the bridge typed (see ErrorInfo).

import type { ErrorInfo } from '../shared/ops.ts';

export class UserError extends Error {
  readonly code: string;
  constructor(message: string, code = 'user_error') {
    super(message);
    this.name = 'UserError';
    this.code = code;
  }
}

/** An error an op reports to tenant code as a specific JS error type. */
export class OpError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
  info(): ErrorInfo {
    return { type: this.type, message: this.message };
  }
}

export const typeError = (message: string) => new OpError('TypeError', message);
export const rangeError = (message: string) => new OpError('RangeError', message);
export const domError = (name: string, message: string) => new OpError(`DOMException:${name}`, message);

/**
 * Why an invocation ended badly, as shown to clients (`atoll-error` header and body),
 * in logs and in tail events. Codes are stable; docs/limits.md lists them.
 */
export const OUTCOME = {
  ok: { status: 200, message: '' },
  exception: { status: 500, message: 'The worker threw an exception.' },
  exceededCpu: { status: 503, message: 'The worker exceeded its CPU time limit.' },
  exceededMemory: { status: 503, message: 'The worker exceeded its memory limit.' },
  canceled: { status: 503, message: 'The worker was stopped before it finished.' },
  noResponse: { status: 500, message: 'The worker did not produce a response.' },
} as const;

export type Outcome = keyof typeof OUTCOME;

/** ErrorInfo for an unexpected host failure: the tenant sees a reference, the log the stack. */
export function internalError(err: unknown, log: (fields: Record<string, unknown>) => void): ErrorInfo {
  const reference = Math.random().toString(36).slice(2, 10);
  log({ level: 'error', msg: 'internal error in op', reference, error: err instanceof Error ? err.stack : String(err) });
  return { type: 'Error', message: `internal error; reference = ${reference}` };
}
