// Errors cross the bridge by type. The host sends { type, message }; this builds the
// matching isolate-side error, so tenant code sees a real TypeError or DOMException.

import type { ErrorInfo } from '../../shared/ops.ts';

type DomExceptionCtor = new (message: string, name: string) => Error;
let domException: DomExceptionCtor | null = null;

/** Called by dom-exception.ts once the class exists (avoids an import cycle). */
export function registerDOMException(ctor: DomExceptionCtor): void {
  domException = ctor;
}

export function errorFromInfo(info: ErrorInfo): Error {
  const { type, message } = info;
  if (type.startsWith('DOMException:') && domException) return new domException(message, type.slice(13));
  switch (type) {
    case 'TypeError': return new TypeError(message);
    case 'RangeError': return new RangeError(message);
    case 'SyntaxError': return new SyntaxError(message);
    default: return new Error(message);
  }
}

/** Describes an isolate error for the host (uncaught exceptions, failed handlers). */
export function errorToInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    let stack: string | undefined;
    try { stack = String(err.stack); } catch { stack = undefined; }
    return { type: err.name || 'Error', message: String(err.message), stack };
  }
  let message: string;
  try { message = String(err); } catch { message = 'non-error value thrown'; }
  return { type: 'Error', message: `Uncaught ${message}` };
}
