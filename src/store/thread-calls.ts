// Calls from the main thread to a store engine's worker thread, shared by the SQLite KV
// and control-plane engines: the replies being waited for, what happens to them when
// the thread dies, and keeping the process alive only while a reply is awaited.

import type { Worker } from 'node:worker_threads';

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ThreadCalls {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Waiter>();
  #nextId = 1;
  /** Why the thread is unusable (it crashed or exited), once it is. */
  failure: Error | null = null;
  /** Set by the store's close(): the thread's exit is then expected. */
  closing = false;

  /** `what` names the store in errors: `KV store /data/kv.sqlite3`. */
  constructor(worker: Worker, what: string) {
    this.#worker = worker;
    const fail = (err: Error): void => {
      this.failure = err;
      for (const w of this.#pending.values()) w.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closing) fail(new Error(`${what}: its worker thread exited (code ${code})`));
    });
    // The thread keeps the process alive only while a call is waiting for it.
    worker.unref();
  }

  /** Starts a call: `send` posts it with its id; the promise settles with the reply. */
  start<T>(send: (id: number) => void): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.ref();
      send(id);
    });
  }

  /** Settles call `id` with its reply: a value, or the error to reject with. */
  settle(id: number, reply: { ok: true; value: unknown } | { ok: false; error: Error }): void {
    const w = this.#pending.get(id);
    if (!w) return;
    this.#pending.delete(id);
    if (reply.ok) w.resolve(reply.value);
    else w.reject(reply.error);
    if (this.#pending.size === 0) this.#worker.unref();
  }
}

/**
 * Waits for a new thread's first message, which says whether it opened its database:
 * `problem` returns null when it did, or what went wrong.
 */
export function threadOpened<M>(worker: Worker, what: string, problem: (first: M) => string | null): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`${what}: its worker thread exited (code ${code}) while opening`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (first: M) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      const p = problem(first);
      if (p === null) resolve();
      else reject(new Error(`${what}: ${p}`));
    });
  });
}
