// How an invocation's outcome reaches the host: `respond` with a head, or `fail` with
// the error; `wait_until_done` once every waitUntil promise has settled.

import type { ErrorInfo, ResponseHead } from '../../shared/ops.ts';
import type { OpContext } from './index.ts';

function invocation(ctx: OpContext, ctxId: number) {
  for (const inv of ctx.worker.invocations) if (inv.id === ctxId) return inv;
  return null;
}

export const responseOps = {
  respond(ctx: OpContext, ctxId: number, head: ResponseHead): void {
    invocation(ctx, ctxId)?.settle({ kind: 'response', head });
  },
  fail(ctx: OpContext, ctxId: number, error: ErrorInfo, passThrough: boolean): void {
    const inv = invocation(ctx, ctxId);
    if (!inv) return;
    inv.exceptions.push(error);
    inv.settle({ kind: 'error', outcome: 'exception', error, passThrough: !!passThrough });
  },
  wait_until_done(ctx: OpContext, ctxId: number): void {
    invocation(ctx, ctxId)?.waitUntilSettled();
  },
};
