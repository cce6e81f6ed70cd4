// The HostServices `atoll dev` gives its worker: outbound fetch (with the zone's own host
// sent to --origin through the HTTP cache, as on an edge), KV and cache, and the log.

import type { CacheApiBackend } from '../cache/cache-api.ts';
import { HttpCache } from '../cache/http-cache.ts';
import { fetchThroughCache } from '../cache/worker-fetch.ts';
import { outboundFetch } from '../runtime/outbound.ts';
import { OpError } from '../runtime/errors.ts';
import type { HostServices } from '../runtime/ops/index.ts';
import type { WorkerIsolate } from '../runtime/worker-isolate.ts';
import type { DevLog } from './log.ts';
import { toOrigin, type ZoneHosts } from './origin.ts';
import { DEV_NAMESPACE } from './stores.ts';

export interface DevServiceOptions {
  log: DevLog;
  zone: ZoneHosts;
  origin: URL | null;
  kv: HostServices['kv'];
  cache: CacheApiBackend;
  onDead(worker: WorkerIsolate, reason: string): void;
}

export function devServices(opts: DevServiceOptions): HostServices {
  const { log } = opts;
  const http = new HttpCache(opts.cache.store, (fields) => log.write('warn', 'cache', String(fields.msg), fields));
  return {
    fetch(_ctx, init, body, signal) {
      const target = toOrigin(init, opts.zone, opts.origin);
      if (target === init) return outboundFetch(init, body, signal);
      return fetchThroughCache(http, DEV_NAMESPACE, init, target, body, signal, outboundFetch);
    },
    async service(_ctx, call) {
      throw new OpError('Error', `Service binding "${call.binding}" names worker "${call.service}", which atoll dev does not run: atoll dev runs one worker. Deploy both workers to call one from the other.`);
    },
    kv: opts.kv,
    cache: opts.cache,
    log(fields) {
      const level = fields.level === 'error' || fields.level === 'warn' ? fields.level : 'info';
      log.write(level, 'runtime', `${fields.msg ?? 'runtime event'}${fields.error ? `: ${fields.error}` : ''}`, fields);
    },
    console(_worker, _inv, level, message) {
      const l = level === 'error' ? 'error' : level === 'warn' ? 'warn' : level === 'debug' ? 'debug' : 'info';
      log.write(l, 'console', message, { consoleLevel: level });
    },
    onDead: opts.onDead,
  };
}
