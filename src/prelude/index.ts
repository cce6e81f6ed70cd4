// The prelude's entry point. Its top level only defines things (it is cheap, and it runs
// once into a V8 snapshot); `__atoll_boot` is the one-shot door through which the host
// hands over the bridge. It deletes itself, so tenant code never sees it.

import type { ErrorInfo, WorkerSetup, TaskMessage } from '../shared/ops.ts';
import { errorToInfo } from './internal/errors.ts';
import { installBridge, markTask, runTask } from './internal/bridge.ts';
import { buildEnv } from './internal/env.ts';
import { setWorkerConfig, workerConfig } from './internal/worker-state.ts';
import { installGlobals } from './global-scope.ts';
import { installArrayGuards, setArrayLimit } from './internal/array-guards.ts';
import { installWasmLimits } from './internal/wasm-limits.ts';
import { ReflectApply } from './internal/primordials.ts';
import './fetch-event.ts';
import './scheduled.ts';

type SyncFn = (name: string, args: unknown[]) => unknown;
type StartFn = (opId: number, name: string, args: unknown[]) => void;
type PostFn = (name: string, args: unknown[]) => void;
/** The isolate's own isolated-vm handle: only its `cpuTime` getter is kept, bound to it. */
type SelfHandle = object;

const FunctionPrototypeCall = Function.prototype.call;
const FunctionPrototypeBind = Function.prototype.bind;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;

installGlobals();
installArrayGuards();

function boot(sync: SyncFn, start: StartFn, post: PostFn, setup: WorkerSetup, self: SelfHandle, board: SharedArrayBuffer) {
  delete (globalThis as Record<string, unknown>).__atoll_boot;
  // A bound getter keeps the handle out of reach: it can read the clock, nothing else
  // (the handle's prototype would offer dispose, compileScript and new isolates).
  const getter = ObjectGetOwnPropertyDescriptor(ObjectGetPrototypeOf(self), 'cpuTime')!.get!;
  const clock = ReflectApply(FunctionPrototypeBind, FunctionPrototypeCall, [getter, self]) as () => bigint;
  installBridge(sync, start, post, clock, new BigInt64Array(board));
  setArrayLimit(setup.memoryMb);
  // WebAssembly does not exist yet while the prelude runs into the snapshot.
  installWasmLimits(setup.memoryMb);
  const env = buildEnv(setup.bindings);
  setWorkerConfig({
    format: setup.format,
    dev: setup.dev,
    compatibilityDate: setup.compatibilityDate,
    compatibilityFlags: setup.compatibilityFlags,
    env,
    moduleHandlers: null,
  });
  if (setup.format === 'service-worker') {
    // Service-worker scripts see their bindings as globals.
    for (const [name, value] of Object.entries(env)) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: true });
    }
  }
  return {
    // Never throws: an exception thrown out of a task means something else to the host
    // (a promise rejection nobody handled), so a failure of the prelude itself is returned.
    task(msg: TaskMessage, slot: number): ErrorInfo | null {
      try {
        markTask(slot);
        runTask(msg);
        return null;
      } catch (err) {
        return errorToInfo(err);
      }
    },
    setModule(namespace: Record<string, unknown>): void {
      const handlers = namespace.default;
      if (handlers === null || (typeof handlers !== 'object' && typeof handlers !== 'function')) {
        throw new TypeError('The main module has no default export: add `export default { async fetch(request, env, ctx) { ... } }`.');
      }
      workerConfig().moduleHandlers = handlers as Record<string, unknown>;
    },
  };
}

Object.defineProperty(globalThis, '__atoll_boot', { value: boot, configurable: true, writable: false, enumerable: false });
