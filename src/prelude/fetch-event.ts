// How a request reaches tenant code, in both Workers syntaxes:
// - modules: `export default { fetch(request, env, ctx) }` with an ExecutionContext;
// - service worker: `addEventListener('fetch', (event) => event.respondWith(...))`.
// Then the Response goes back to the host head first; its body follows as the host pulls.

import { Event } from './event.ts';
import { Request, requestFromIncoming } from './request.ts';
import { Response, responseState } from './response.ts';
import { headerList } from './headers.ts';
import { takeBodyRef } from './body.ts';
import { webSocketForResponse } from './web-socket.ts';
import { hostPost, onTask } from './internal/bridge.ts';
import { errorToInfo } from './internal/errors.ts';
import { reportError } from './internal/report-error.ts';
import { DOMException } from './dom-exception.ts';
import { ArrayPrototypePush, PromiseAllSettled, PromiseCtor, PromisePrototypeThen, PromiseResolve, ReflectApply, TypeErrorCtor } from './internal/primordials.ts';
import { SafeMap, SafeWeakMap } from './internal/safe-collections.ts';
import { globalTarget, workerConfig } from './internal/worker-state.ts';

export class Invocation {
  readonly waitUntil: Promise<unknown>[] = [];
  passThrough = false;
  constructor(readonly ctxId: number) {}
}

const invocations = new SafeMap<number, Invocation>();

function addWaitUntil(inv: Invocation, promise: unknown): void {
  const p = PromiseResolve(promise);
  ArrayPrototypePush(inv.waitUntil, p);
  // A rejected waitUntil promise is the tenant's uncaught error: log it, as Workers does.
  PromisePrototypeThen(p, undefined, reportError);
}

export class ExecutionContext {
  readonly #inv: Invocation;
  /** @internal */
  constructor(inv: Invocation) {
    this.#inv = inv;
  }
  waitUntil(promise: unknown): void {
    addWaitUntil(this.#inv, promise);
  }
  passThroughOnException(): void {
    this.#inv.passThrough = true;
  }
  get props(): Record<string, unknown> {
    return {};
  }
  get [Symbol.toStringTag](): string { return 'ExecutionContext'; }
}

interface FetchEventState {
  inv: Invocation;
  request: Request;
  response: Promise<unknown> | null;
  /** respondWith() is only allowed while the event is being dispatched. */
  dispatching: boolean;
}

const fetchEventState = new SafeWeakMap<FetchEvent, FetchEventState>();

export class FetchEvent extends Event {
  /** @internal */
  constructor(type: string, init: { request: Request; inv: Invocation }) {
    super(type);
    fetchEventState.set(this, { inv: init.inv, request: init.request, response: null, dispatching: true });
  }
  get request(): Request {
    return fetchEventState.get(this)!.request;
  }
  respondWith(response: unknown): void {
    const s = fetchEventState.get(this)!;
    if (s.response) throw new DOMExceptionError("Failed to execute 'respondWith' on 'FetchEvent': respondWith() was already called.");
    if (!s.dispatching) throw new DOMExceptionError("Failed to execute 'respondWith' on 'FetchEvent': respondWith() must be called synchronously, while the fetch event is dispatched.");
    s.response = PromiseResolve(response);
  }
  waitUntil(promise: unknown): void {
    addWaitUntil(fetchEventState.get(this)!.inv, promise);
  }
  passThroughOnException(): void {
    fetchEventState.get(this)!.inv.passThrough = true;
  }
  get [Symbol.toStringTag](): string { return 'FetchEvent'; }
}


class DOMExceptionError extends DOMException {
  constructor(message: string) { super(message, 'InvalidStateError'); }
}

function fail(inv: Invocation, err: unknown): void {
  hostPost('fail', inv.ctxId, errorToInfo(err), inv.passThrough);
}

// Sends the response head; true when it also told the host that no waitUntil work is
// pending (the invocation is then forgotten here, as settleWaitUntil would).
function respond(inv: Invocation, value: unknown): boolean {
  if (!(value instanceof Response)) {
    fail(inv, new TypeErrorCtor("Incorrect type for Promise: the Promise did not resolve to 'Response'."));
    return false;
  }
  const s = responseState(value);
  let head;
  try {
    head = {
      status: s.status,
      statusText: s.statusText,
      headers: headerList(s.headers),
      body: takeBodyRef(value, true),
      url: s.url,
      redirected: s.redirected,
      encodeBody: s.encodeBody,
      webSocket: webSocketForResponse(value, inv.ctxId),
    };
  } catch (err) {
    fail(inv, err);
    return false;
  }
  const done = inv.waitUntil.length === 0;
  if (done) invocations.delete(inv.ctxId);
  hostPost('respond', inv.ctxId, head, done);
  return done;
}

// Waits for every waitUntil promise, including ones added while waiting.
export function settleWaitUntil(inv: Invocation): void {
  let seen = 0;
  const step = (): void => {
    if (seen === inv.waitUntil.length) {
      // The invocation is over on this side: forget it now, so the host need not send
      // an `end` task for an invocation that finished normally.
      invocations.delete(inv.ctxId);
      hostPost('wait_until_done', inv.ctxId);
      return;
    }
    const batch = inv.waitUntil.slice(seen);
    seen = inv.waitUntil.length;
    PromisePrototypeThen(PromiseAllSettled(batch), step);
  };
  step();
}

function callHandler(inv: Invocation, request: Request): Promise<unknown> {
  const cfg = workerConfig();
  if (cfg.format === 'modules') {
    const handler = cfg.moduleHandlers;
    const fn = handler?.fetch;
    if (typeof fn !== 'function') {
      throw new TypeErrorCtor('Handler does not export a fetch() function: add `export default { async fetch(request, env, ctx) { ... } }` to the main module.');
    }
    return PromiseResolve(ReflectApply(fn, handler, [request, cfg.env, new ExecutionContext(inv)]));
  }
  const event = new FetchEvent('fetch', { request, inv });
  const s = fetchEventState.get(event)!;
  try {
    globalTarget.dispatchEvent(event);
  } finally {
    s.dispatching = false;
  }
  if (!s.response) {
    // As on Workers: when no listener responds, the request goes on to the origin.
    inv.passThrough = true;
    throw new TypeErrorCtor('No fetch event listener called respondWith(): add `addEventListener("fetch", (event) => event.respondWith(...))`.');
  }
  return s.response;
}

onTask('fetch', ({ ctxId, request }) => {
  const inv = new Invocation(ctxId);
  invocations.set(ctxId, inv);
  let result: Promise<unknown>;
  try {
    result = callHandler(inv, requestFromIncoming(request));
  } catch (err) {
    result = new PromiseCtor((_, reject) => reject(err));
  }
  PromisePrototypeThen(result, (value) => {
    if (!respond(inv, value)) settleWaitUntil(inv);
  }, (err) => {
    fail(inv, err);
    settleWaitUntil(inv);
  });
});

onTask('end', ({ ctxId }) => {
  invocations.delete(ctxId);
});
