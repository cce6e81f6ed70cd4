// Timers: the host only sleeps. Waiting is wall time, never charged as CPU.

import { setTimeout as sleep } from 'node:timers/promises';
import type { OpContext } from './index.ts';

export const timerOps = {
  sync: {
    timer_cancel(ctx: OpContext, opId: number): void {
      ctx.inv?.inflight.get(opId)?.abort();
      ctx.inv?.inflight.delete(opId);
    },
  },
  async: {
    async timer_sleep(ctx: OpContext, ms: number): Promise<void> {
      await sleep(Math.max(0, Math.min(Number(ms) || 0, 2 ** 31 - 1)), undefined, { signal: ctx.signal });
    },
  },
};
