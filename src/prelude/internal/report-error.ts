// Reports an exception that no caller can catch (a listener threw, a timer callback
// threw): it goes to the log of the invocation in progress, as `console.error` would.

import { errorToInfo } from './errors.ts';
import { hostSync } from './bridge.ts';

export function reportError(err: unknown): void {
  const info = errorToInfo(err);
  hostSync('console_write', 'error', `Uncaught ${info.stack ?? `${info.type}: ${info.message}`}`);
}
