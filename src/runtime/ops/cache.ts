// Cache API ops (caches.default, caches.open), served by the embedder's cache backend.

import { OpError } from '../errors.ts';
import type { CacheBackend, OpContext } from './index.ts';
import type { CacheMatchResult, HeaderList, ResponseHead } from '../../shared/ops.ts';

function backend(ctx: OpContext): CacheBackend {
  const c = ctx.worker.services.cache;
  if (!c) throw new OpError('Error', 'The Cache API is not available in this runtime.');
  return c;
}

export const cacheOps = {
  async cache_match(ctx: OpContext, cacheName: string, url: string, method: string, headers: HeaderList, ignoreMethod: boolean): Promise<CacheMatchResult> {
    const hit = await backend(ctx).match(cacheName, url, method, headers, ignoreMethod);
    if (!hit) return { head: null };
    const streamId = hit.body ? ctx.worker.addHostStream(hit.body) : null;
    return { head: { ...hit.head, body: streamId === null ? null : { stream: streamId } } };
  },
  async cache_put(ctx: OpContext, cacheName: string, url: string, reqHeaders: HeaderList, head: ResponseHead): Promise<void> {
    let bytes: Uint8Array;
    if (head.body === null) bytes = new Uint8Array(0);
    else if ('bytes' in head.body) bytes = head.body.bytes;
    else {
      const chunks: Uint8Array[] = [];
      for (;;) {
        const c = await ctx.worker.pull(ctx.inv!, head.body.stream);
        if (c === null) break;
        chunks.push(c);
      }
      bytes = Buffer.concat(chunks);
    }
    await backend(ctx).put(cacheName, url, reqHeaders, { ...head }, bytes);
  },
  async cache_delete(ctx: OpContext, cacheName: string, url: string, method: string, ignoreMethod: boolean): Promise<boolean> {
    return backend(ctx).delete(cacheName, url, method, ignoreMethod);
  },
};
