// The prelude's private handle on the host. `installBridge` is called once, by the boot
// function, with the host's two callbacks; nothing here is reachable from tenant code.

import type { AsyncOps, ErrorInfo, PostOpName, SyncOps, TaskMessage } from '../../shared/ops.ts';
import { JSONParse, PromiseCtor } from './primordials.ts';
import { SafeMap } from './safe-collections.ts';
import { OP_ERROR_MARK } from '../../shared/ops.ts';
import { errorFromInfo } from './errors.ts';

type SyncFn = (name: string, args: unknown[]) => unknown;
type StartFn = (opId: number, name: string, args: unknown[]) => void;
type PostFn = (name: string, args: unknown[]) => void;

let syncCall: SyncFn | null = null;
let startCall: StartFn | null = null;
let postCall: PostFn | null = null;

// The task board, shared with the host (a SharedArrayBuffer): slot 0 holds the index of
// the task running in the host's current batch, slot 2 + i the CPU clock when task i
// began. The host reads it to know which invocation owns the running task (ops it
// starts, the watchdog) and to split the batch's CPU time among its tasks.
let board: BigInt64Array | null = null;
// The isolate's own CPU clock (isolated-vm's cpuTime of this isolate, in ns), bound to
// the isolate handle so that the handle itself is never reachable from here.
let cpuClock: (() => bigint) | null = null;
const AtomicsStore = Atomics.store as (a: BigInt64Array, i: number, v: bigint) => bigint;
const BigIntCtor = BigInt;

export function installBridge(sync: SyncFn, start: StartFn, post: PostFn, clock: () => bigint, taskBoard: BigInt64Array): void {
  if (syncCall) throw new Error('bridge already installed');
  syncCall = sync;
  startCall = start;
  postCall = post;
  cpuClock = clock;
  board = taskBoard;
}

/** Marks task `slot` of the host's batch as running, from now on the CPU clock. */
export function markTask(slot: number): void {
  AtomicsStore(board!, 2 + slot, cpuClock!());
  AtomicsStore(board!, 0, BigIntCtor(slot));
}

/** Sends a host op without waiting for it (POST_OPS: the host answers nothing). */
export function hostPost<K extends PostOpName>(name: K, ...args: Parameters<SyncOps[K]>): void {
  postCall!(name, args);
}

/** Calls a host op that answers at once. */
export function hostSync<K extends keyof SyncOps>(name: K, ...args: Parameters<SyncOps[K]>): ReturnType<SyncOps[K]> {
  try {
    return syncCall!(name, args) as ReturnType<SyncOps[K]>;
  } catch (err) {
    throw typedError(err);
  }
}

// The host throws op errors as `Error(OP_ERROR_MARK + JSON(ErrorInfo))`; rebuild the typed error.
function typedError(err: unknown): unknown {
  const message = err instanceof Error ? err.message : '';
  if (typeof message !== 'string' || !message.startsWith(OP_ERROR_MARK)) return err;
  return errorFromInfo(JSONParse(message.slice(OP_ERROR_MARK.length)) as ErrorInfo);
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const pending = new SafeMap<number, Pending>();
let nextOpId = 1;

/** Reserves the id an async op will use, so callers can register abort hooks first. */
export function reserveOpId(): number {
  return nextOpId++;
}

/** Calls a host op whose result arrives in a later task. */
export function hostAsync<K extends keyof AsyncOps>(name: K, ...args: Parameters<AsyncOps[K]>): Promise<ReturnType<AsyncOps[K]>> {
  return hostAsyncWithId(reserveOpId(), name, ...args);
}

export function hostAsyncWithId<K extends keyof AsyncOps>(
  opId: number,
  name: K,
  ...args: Parameters<AsyncOps[K]>
): Promise<ReturnType<AsyncOps[K]>> {
  return new PromiseCtor((resolve, reject) => {
    pending.set(opId, { resolve: resolve as (v: unknown) => void, reject });
    try {
      startCall!(opId, name, args);
    } catch (err) {
      pending.delete(opId);
      reject(typedError(err));
    }
  });
}

type TaskHandler<K extends TaskMessage['kind']> = (msg: Extract<TaskMessage, { kind: K }>) => void;
const taskHandlers = new SafeMap<string, (msg: TaskMessage) => void>();

/** Registers the handler for one kind of host task (fetch, pull, ...). */
export function onTask<K extends TaskMessage['kind']>(kind: K, handler: TaskHandler<K>): void {
  taskHandlers.set(kind, handler as (msg: TaskMessage) => void);
}

onTask('complete', (msg) => {
  const p = pending.get(msg.opId);
  if (!p) return; // cancelled (a cleared timer, an aborted fetch): nobody is waiting
  pending.delete(msg.opId);
  if (msg.ok) p.resolve(msg.value);
  else p.reject(errorFromInfo(msg.error as ErrorInfo));
});

/** The single entry point the host calls for every macrotask. */
export function runTask(msg: TaskMessage): void {
  const handler = taskHandlers.get(msg.kind);
  if (!handler) throw new Error(`unknown task kind ${msg.kind}`);
  handler(msg);
}

/** Forgets a pending op (its result, if it ever comes, is dropped). */
export function dropOp(opId: number): void {
  pending.delete(opId);
}
