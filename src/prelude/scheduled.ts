// How a cron trigger reaches tenant code, in both Workers syntaxes:
// - modules: `export default { scheduled(controller, env, ctx) }`;
// - service worker: `addEventListener('scheduled', (event) => event.waitUntil(...))`.
// The run succeeds when the handler's promise fulfils (reported to the host as a
// body-less 200 head, so a scheduled run settles like a request); waitUntil work then
// keeps the run's accounting open, as for fetch.

import { Event } from './event.ts';
import { listenerCount } from './event-target.ts';
import { ExecutionContext, Invocation, settleWaitUntil } from './fetch-event.ts';
import { hostPost, onTask } from './internal/bridge.ts';
import { errorToInfo } from './internal/errors.ts';
import { PromiseCtor, PromisePrototypeThen, PromiseResolve, ReflectApply, TypeErrorCtor } from './internal/primordials.ts';
import { SafeWeakMap } from './internal/safe-collections.ts';
import { globalTarget, workerConfig } from './internal/worker-state.ts';

interface ScheduledInit {
  scheduledTime: number;
  cron: string;
}

/** https://developers.cloudflare.com/workers/runtime-apis/handlers/scheduled/ */
export class ScheduledController {
  readonly #init: ScheduledInit;
  /** @internal */
  constructor(init: ScheduledInit) {
    this.#init = init;
  }
  get scheduledTime(): number {
    return this.#init.scheduledTime;
  }
  get cron(): string {
    return this.#init.cron;
  }
  // atoll does not retry a failed scheduled run, so there is no retry to stop; the
  // method exists so code written for Workers runs unchanged.
  noRetry(): void {}
  get [Symbol.toStringTag](): string { return 'ScheduledController'; }
}

const eventState = new SafeWeakMap<ScheduledEvent, { init: ScheduledInit; ctx: ExecutionContext }>();

export class ScheduledEvent extends Event {
  /** @internal */
  constructor(type: string, init: ScheduledInit & { ctx: ExecutionContext }) {
    super(type);
    eventState.set(this, { init: { scheduledTime: init.scheduledTime, cron: init.cron }, ctx: init.ctx });
  }
  get scheduledTime(): number {
    return eventState.get(this)!.init.scheduledTime;
  }
  get cron(): string {
    return eventState.get(this)!.init.cron;
  }
  noRetry(): void {}
  waitUntil(promise: unknown): void {
    eventState.get(this)!.ctx.waitUntil(promise);
  }
  get [Symbol.toStringTag](): string { return 'ScheduledEvent'; }
}

function callHandler(init: ScheduledInit, ctx: ExecutionContext): Promise<unknown> {
  const cfg = workerConfig();
  if (cfg.format === 'modules') {
    const handler = cfg.moduleHandlers;
    const fn = handler?.scheduled;
    if (typeof fn !== 'function') {
      throw new TypeErrorCtor('Handler does not export a scheduled() function: add `async scheduled(controller, env, ctx) { ... }` to the default export of the main module.');
    }
    return PromiseResolve(ReflectApply(fn, handler, [new ScheduledController(init), cfg.env, ctx]));
  }
  if (listenerCount(globalTarget, 'scheduled') === 0) {
    throw new TypeErrorCtor('No scheduled event listener: add `addEventListener("scheduled", (event) => event.waitUntil(...))`.');
  }
  // Listener errors are reported to the run's log by dispatchEvent, as for fetch.
  globalTarget.dispatchEvent(new ScheduledEvent('scheduled', { ...init, ctx }));
  return PromiseResolve(undefined);
}

onTask('scheduled', ({ ctxId, cron, scheduledTime }) => {
  const inv = new Invocation(ctxId);
  const ctx = new ExecutionContext(inv);
  let result: Promise<unknown>;
  try {
    result = callHandler({ cron, scheduledTime }, ctx);
  } catch (err) {
    result = new PromiseCtor((_, reject) => reject(err));
  }
  PromisePrototypeThen(
    result,
    // Its waitUntil work is reported by settleWaitUntil below.
    () => hostPost('respond', ctxId, { status: 200, statusText: '', headers: [], body: null, url: '', redirected: false }, false),
    (err) => hostPost('fail', ctxId, errorToInfo(err), false),
  );
  PromisePrototypeThen(result, () => settleWaitUntil(inv), () => settleWaitUntil(inv));
});
