// Service bindings at the edge: a worker's `env.B.fetch()` runs in the current
// deployment of worker B of the same account, in this process, through the registry
// (so B's isolate is shared with B's own traffic, started on first use, and not
// disposed while the call's body is still streaming). The runtime already checked the
// binding, counted the sub-request and bounded the depth (src/runtime/ops/service.ts).

import { OpError, UserError } from '../runtime/errors.ts';
import { invokeInProcess } from '../runtime/invoke.ts';
import type { HostServices, OutboundResponse } from '../runtime/ops/index.ts';
import { processTelemetry } from '../observe/telemetry.ts';
import type { VersionRef, WorkerRegistry } from './registry.ts';

export interface ServiceBindingOptions {
  registry: WorkerRegistry;
  location: string;
  /** The version of `worker` a request goes to now (a split picks per call), or null: not deployed. */
  resolve(accountId: string, worker: string): VersionRef | null;
  log(fields: Record<string, unknown>): void;
}

/** HostServices.service for the isolates of version `from`. */
export function serviceCaller(opts: ServiceBindingOptions, from: VersionRef): NonNullable<HostServices['service']> {
  return (_ctx, call) => {
    // Same account only: the binding names a worker, the caller's account scopes it.
    const target = opts.resolve(from.accountId, call.service);
    if (!target) {
      throw new OpError('Error', `Service binding "${call.binding}": worker "${call.service}" has no deployment; deploy it first.`);
    }
    const { init } = call;
    return new Promise<OutboundResponse>((resolve, reject) => {
      opts.registry.run(target, async (worker) => {
        const c = invokeInProcess(worker, {
          method: init.method, url: init.url, headers: init.headers, body: call.body, cf: {}, signal: call.signal, depth: call.depth, tree: call.tree,
        }, { exposeErrors: false });
        let status = 0;
        c.response.then((r) => { status = r.head.status; resolve(r); }, reject);
        const inv = await c.done;
        const source = { location: opts.location, account: target.accountId, worker: target.worker, version: target.versionId };
        processTelemetry.invocation(inv, source, { request: { method: init.method, url: init.url, status } });
        opts.log({
          level: 'info', msg: 'service call', ...source, caller: from.worker, binding: call.binding, depth: call.depth, status,
          outcome: inv.outcome, cpuMs: Math.round(inv.cpuMs * 100) / 100,
          ...(inv.exceptions.length > 0 ? { exceptions: inv.exceptions.map((e) => e.stack ?? `${e.type}: ${e.message}`) } : {}),
        });
      }).catch((err: unknown) => {
        if (!(err instanceof UserError)) {
          reject(err);
          return;
        }
        // The target's top level failed: its owner reads why in the log, the caller a reason.
        opts.log({ level: 'error', msg: 'worker failed to start', ...target, caller: from.worker, error: err.message, code: err.code });
        reject(new OpError('Error', `Service binding "${call.binding}": worker "${call.service}" failed to start; its owner can see why in the edge's log.`));
      });
    });
  };
}
