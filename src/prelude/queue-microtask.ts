// queueMicrotask: https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#dom-queuemicrotask
// A callback that throws is reported (to the invocation's log), not rethrown.

import { reportError } from './internal/report-error.ts';
import { PromisePrototypeThen, PromiseResolve, ReflectApply, TypeErrorCtor } from './internal/primordials.ts';

export function queueMicrotask(callback: unknown): void {
  if (arguments.length < 1) throw new TypeErrorCtor("Failed to execute 'queueMicrotask': 1 argument required, but only 0 present.");
  if (typeof callback !== 'function') throw new TypeErrorCtor("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.");
  PromisePrototypeThen(PromiseResolve(), () => {
    try {
      ReflectApply(callback, undefined, []);
    } catch (err) {
      reportError(err);
    }
  });
}
