// console_write: one console call from tenant code, attached to the running invocation.
// Bounded on the host: a line's length, the lines kept for the invocation's record
// (tail), and the lines passed to the embedder's console, per invocation and for the
// worker's global scope; crossing a cap is said once, in a line of its own.

import type { OpContext } from './index.ts';

const MAX_LINE = 16 * 1024;
/** Lines kept on the Invocation (what tail and logs report). */
export const MAX_LINES_KEPT = 256;
/** Lines passed to the embedder's console (the terminal in `atoll dev`). */
export const MAX_LINES_PRINTED = 1000;
const LEVELS = new Set(['log', 'info', 'warn', 'error', 'debug']);

// Lines printed so far, per invocation, or per worker for its global scope.
const printed = new WeakMap<object, number>();

export const consoleOps = {
  console_write(ctx: OpContext, level: string, text: string): void {
    const str = typeof text === 'string' ? text : String(text);
    const message = str.length > MAX_LINE ? `${str.slice(0, MAX_LINE)}… [truncated]` : str;
    const lvl = typeof level === 'string' && LEVELS.has(level) ? level : 'log';
    if (ctx.inv && ctx.inv.logs.length < MAX_LINES_KEPT) ctx.inv.logs.push({ level: lvl, message, time: Date.now() });
    const owner: object = ctx.inv ?? ctx.worker;
    const n = (printed.get(owner) ?? 0) + 1;
    printed.set(owner, n);
    if (n > MAX_LINES_PRINTED + 1) return;
    const line = n > MAX_LINES_PRINTED
      ? `[console output truncated: more than ${MAX_LINES_PRINTED} lines ${ctx.inv ? 'in one request' : 'in the global scope'}]`
      : message;
    ctx.worker.services.console?.(ctx.worker, ctx.inv, n > MAX_LINES_PRINTED ? 'warn' : lvl, line);
  },
};
