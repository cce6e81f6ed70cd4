// Outbound fetch from tenant code: counted against the invocation's sub-request limit,
// the request body pulled from the isolate as the host sends it, the response body
// handed back as a host stream the isolate reads at its own pace.

import type { RequestInit_, ResponseHead } from '../../shared/ops.ts';
import { OpError } from '../errors.ts';
import type { HostStream } from '../host-stream.ts';
import type { OpContext } from './index.ts';

export const fetchSyncOps = {
  op_abort(ctx: OpContext, opId: number): void {
    ctx.inv?.inflight.get(opId)?.abort();
  },
};

/** A host stream that pulls an isolate stream (an outbound request body). */
function pullFromIsolate(ctx: OpContext, streamId: number): HostStream {
  let done = false;
  return {
    async read() {
      if (done) return null;
      const chunk = await ctx.worker.pull(ctx.inv!, streamId);
      if (chunk === null) done = true;
      return chunk;
    },
    cancel(reason) {
      if (!done) ctx.worker.cancelStream(ctx.inv!, streamId, reason ?? 'canceled');
      done = true;
    },
  };
}

/** Counts one sub-request; past the limit, a clear error (as Workers words it). */
export function countSubrequest(ctx: OpContext): void {
  const inv = ctx.inv!;
  inv.subrequests++;
  if (inv.subrequests > inv.subrequestLimit) {
    throw new OpError('Error', `Too many subrequests: this invocation may make at most ${inv.subrequestLimit} (fetch, KV and cache calls count).`);
  }
}

export const fetchAsyncOps = {
  async fetch(ctx: OpContext, init: RequestInit_): Promise<ResponseHead> {
    countSubrequest(ctx);
    let url: URL;
    try {
      url = new URL(init.url);
    } catch {
      throw new OpError('TypeError', `Fetch API cannot load: ${init.url}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OpError('TypeError', `Fetch API cannot load: ${init.url}: only http: and https: URLs are supported`);
    }
    let body: HostStream | null = null;
    if (init.body && 'stream' in init.body) body = pullFromIsolate(ctx, init.body.stream);
    else if (init.body && 'bytes' in init.body) {
      const bytes = init.body.bytes;
      let sent = false;
      body = { read: async () => (sent ? null : ((sent = true), bytes)), cancel() {} };
    }
    const res = await ctx.worker.services.fetch(ctx, init, body, ctx.signal!);
    const streamId = res.body ? ctx.worker.addHostStream(res.body) : null;
    return { ...res.head, body: streamId === null ? null : { stream: streamId } };
  },
};
