// Service bindings: `env.AUTH.fetch(request)` runs the request in the worker the binding
// names, in-process, with no network hop (https://developers.cloudflare.com/workers/runtime-apis/bindings/service-bindings/).
//
// The isolate sends only the binding's name: which worker it reaches comes from the
// caller's own definition, so a worker can call exactly the services its bindings name.
// A call is a sub-request of the caller, and a chain of calls (A -> B -> A -> ...) is cut
// at MAX_SERVICE_DEPTH. Where the target runs is the embedder's business
// (HostServices.service): an edge runs it in the bound worker's current deployment.

import type { RequestInit_, ResponseHead } from '../../shared/ops.ts';
import { OpError, typeError } from '../errors.ts';
import { takeHostStream, type HostStream } from '../host-stream.ts';
import { serviceChain, type ServiceTree } from '../invoke.ts';
import { bytesSource, countSubrequest, handOverResponse, pullFromIsolate, validateInit } from './fetch.ts';
import type { OpContext } from './index.ts';

/** How deep a chain of service calls may go; the call past it fails. */
export const MAX_SERVICE_DEPTH = 16;
/**
 * Service calls one client request may cause in all, across every worker it reaches
 * (Workers' limit too): without it, 50 sub-requests a call fanned out 16 deep is 50^16.
 */
export const MAX_SERVICE_CALLS = 32;

/** One service binding call, as the embedder receives it. */
export interface ServiceCall {
  /** The binding's name in the caller's env. */
  binding: string;
  /** The worker the binding names (from the caller's definition, never from the isolate). */
  service: string;
  init: RequestInit_;
  body: HostStream | null;
  /** Aborted when the caller aborts the call or its invocation ends. */
  signal: AbortSignal;
  /** 1 for a call from a request, n + 1 for a call from a request that is itself the nth. */
  depth: number;
  /** The client request's count of service calls, to hand on to the target's invocation. */
  tree: ServiceTree;
}

export const serviceOps = {
  async service_fetch(ctx: OpContext, binding: unknown, rawInit: unknown): Promise<ResponseHead> {
    if (typeof binding !== 'string') throw typeError('service_fetch: the binding name must be a string');
    const spec = ctx.worker.def.bindings.find((b) => b.type === 'service' && b.name === binding);
    if (!spec || spec.type !== 'service') {
      throw typeError(`"${binding.slice(0, 100)}" is not a service binding of this worker: a worker can call only the services its own bindings name.`);
    }
    const init = validateInit(rawInit);
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(init.url)?.[1].toLowerCase();
    if (!URL.canParse(init.url) || (scheme !== 'http' && scheme !== 'https')) {
      throw typeError(`Failed to execute 'fetch' on 'Fetcher' (binding "${binding}"): the URL "${init.url.slice(0, 200)}" is not an absolute http: or https: URL.`);
    }
    // Ops start only inside a handler's task (worker-isolate.ts refuses the rest).
    const chain = serviceChain(ctx.inv!);
    const depth = chain.depth + 1;
    if (depth > MAX_SERVICE_DEPTH) {
      throw new OpError('Error', `Service binding "${binding}" (worker "${spec.service}"): this request is already ${MAX_SERVICE_DEPTH} service calls deep, the limit; do workers call each other (or one itself) in a loop?`);
    }
    if (chain.tree.calls >= MAX_SERVICE_CALLS) {
      throw new OpError('Error', `Service binding "${binding}" (worker "${spec.service}"): this request has made ${MAX_SERVICE_CALLS} service calls, counting those of every worker it reached, the limit.`);
    }
    countSubrequest(ctx);
    chain.tree.calls++;
    const call = ctx.worker.services.service;
    if (!call) throw new OpError('Error', `Service binding "${binding}" (worker "${spec.service}"): this host does not run service bindings.`);
    let body: HostStream | null = null;
    if (init.body && 'stream' in init.body) {
      // A positive id is a host stream passed through whole (the caller's own request body).
      body = init.body.stream > 0 ? takeHostStream(ctx.worker.hostStreams, init.body.stream) : pullFromIsolate(ctx, init.body.stream);
    } else if (init.body) body = bytesSource(init.body.bytes);
    const ac = new AbortController();
    const opSignal = ctx.signal!;
    if (opSignal.aborted) ac.abort();
    else opSignal.addEventListener('abort', () => ac.abort(), { once: true });
    const res = await call(ctx, { binding, service: spec.service, init, body, signal: ac.signal, depth, tree: chain.tree });
    return handOverResponse(ctx, ac, res);
  },
};
