// Timers: the host only sleeps. Waiting is wall time, never charged as CPU. Sleeps in
// flight are bounded per invocation: each costs host memory the isolate's heap limit
// does not see.

import { setTimeout as sleep } from 'node:timers/promises';
import { OpError } from '../errors.ts';
import type { OpContext } from './index.ts';

export const MAX_TIMERS_PER_INVOCATION = 10_000;
const MAX_DELAY_MS = 2 ** 31 - 1;
const pending = new WeakMap<object, number>();

export const timerOps = {
  sync: {
    timer_cancel(ctx: OpContext, opId: number): void {
      if (typeof opId !== 'number') return;
      ctx.inv?.inflight.get(opId)?.abort();
      ctx.inv?.inflight.delete(opId);
    },
  },
  async: {
    async timer_sleep(ctx: OpContext, ms: number): Promise<void> {
      const owner: object = ctx.inv ?? ctx.worker;
      const n = pending.get(owner) ?? 0;
      if (n >= MAX_TIMERS_PER_INVOCATION) {
        throw new OpError('RangeError', `Too many timers pending in this request (the limit is ${MAX_TIMERS_PER_INVOCATION}).`);
      }
      pending.set(owner, n + 1);
      try {
        const delay = typeof ms === 'number' && ms > 0 ? Math.min(ms, MAX_DELAY_MS) : 0;
        await sleep(delay, undefined, { signal: ctx.signal });
      } finally {
        pending.set(owner, (pending.get(owner) ?? 1) - 1);
      }
    },
  },
};
