// KV binding ops, served by the embedder's KV backend (a local SQLite store in dev).

import { OpError } from '../errors.ts';
import type { OpContext, KvBackend } from './index.ts';
import type { KvGetResult, KvListResult, KvPutOptions } from '../../shared/ops.ts';
import { countSubrequest } from './fetch.ts';

function backend(ctx: OpContext): KvBackend {
  const kv = ctx.worker.services.kv;
  if (!kv) throw new OpError('Error', 'KV is not available in this runtime: configure kv_namespaces.');
  countSubrequest(ctx);
  return kv;
}

export const kvOps = {
  async kv_get(ctx: OpContext, ns: string, key: string): Promise<KvGetResult> {
    const r = await backend(ctx).get(ns, key);
    return r ? { value: r.value, metadata: r.metadata } : { value: null, metadata: null };
  },
  async kv_put(ctx: OpContext, ns: string, key: string, value: Uint8Array, options: KvPutOptions): Promise<void> {
    await backend(ctx).put(ns, key, value, options);
  },
  async kv_delete(ctx: OpContext, ns: string, key: string): Promise<void> {
    await backend(ctx).delete(ns, key);
  },
  async kv_list(ctx: OpContext, ns: string, prefix: string, limit: number, cursor: string | null): Promise<KvListResult> {
    return backend(ctx).list(ns, { prefix, limit, cursor });
  },
};
