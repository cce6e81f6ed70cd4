// console_write: one console call from tenant code, attached to the running invocation.

import type { OpContext } from './index.ts';

const MAX_LINE = 16 * 1024;
const MAX_LINES_PER_INVOCATION = 256;

export const consoleOps = {
  console_write(ctx: OpContext, level: string, text: string): void {
    const message = String(text).length > MAX_LINE ? `${String(text).slice(0, MAX_LINE)}… [truncated]` : String(text);
    const lvl = ['log', 'info', 'warn', 'error', 'debug'].includes(level) ? level : 'log';
    if (ctx.inv) {
      if (ctx.inv.logs.length >= MAX_LINES_PER_INVOCATION) return;
      ctx.inv.logs.push({ level: lvl, message, time: Date.now() });
    }
    ctx.worker.services.console?.(ctx.worker, ctx.inv, lvl, message);
  },
};
