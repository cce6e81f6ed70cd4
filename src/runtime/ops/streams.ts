// Streams crossing by id: the isolate reads host streams (`stream_read`), and answers
// host pulls of its own streams (`stream_chunk`).

import { typeError } from '../errors.ts';
import type { OpContext } from './index.ts';

export const streamSyncOps = {
  stream_chunk(ctx: OpContext, streamId: number, chunk: Uint8Array | null, error: string | null): void {
    const pull = ctx.worker.pulls.get(streamId);
    if (!pull) return;
    ctx.worker.pulls.delete(streamId);
    if (error !== null) pull.reject(new Error(String(error)));
    else pull.resolve(chunk);
  },
  stream_cancel(ctx: OpContext, streamId: number): void {
    const s = ctx.worker.hostStreams.get(streamId);
    if (!s) return;
    ctx.worker.hostStreams.delete(streamId);
    s.cancel('canceled by the worker');
  },
};

export const streamAsyncOps = {
  async stream_read(ctx: OpContext, streamId: number): Promise<Uint8Array | null> {
    const s = ctx.worker.hostStreams.get(streamId);
    if (!s) throw typeError('This ReadableStream is closed or was never opened.');
    const chunk = await s.read();
    if (chunk === null) ctx.worker.hostStreams.delete(streamId);
    return chunk;
  },
};
