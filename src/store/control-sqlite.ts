// The embedded control-plane engine: SQLite in `<dir>/control.sqlite3`, owned by a
// worker thread (control-sqlite-worker.ts) so that large writes never stall the main
// thread. This side forwards each ControlStore call and emits the changes the thread
// reports to in-process listeners. `openSqliteControl(dir)` is what `atoll up` calls.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ControlConflictError, type ControlChange, type ControlListener, type ControlStore } from './control.ts';
import { ThreadCalls, threadOpened } from './thread-calls.ts';

type Forwarded = Exclude<keyof ControlStore, 'watch' | 'close'>;

/** Every ControlStore method the thread runs (the Record makes the list complete). */
export const FORWARDED: Record<Forwarded, true> = {
  createAccount: true, getAccount: true, listAccounts: true,
  createToken: true, getTokenByHash: true, listTokens: true, revokeToken: true,
  createVersion: true, getWorker: true, listWorkers: true, deleteWorker: true, getVersion: true, listVersions: true, getModules: true,
  createDeployment: true, getDeployment: true, listDeployments: true, listCurrentDeployments: true,
  createKvNamespace: true, getKvNamespace: true, listKvNamespaces: true, deleteKvNamespace: true,
  putSecret: true, getSecrets: true, deleteSecret: true, listAllSecrets: true,
  createZone: true, getZone: true, getZoneByHostname: true, listZones: true, deleteZone: true,
  createRoute: true, getRouteByPattern: true, listRoutes: true, deleteRoute: true,
  setSchedules: true, getSchedules: true, listSchedules: true,
};

export type ControlRequest = { id: number } & ({ method: Forwarded; args: unknown[] } | { method: 'close' });
export type ControlReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string; conflict?: boolean }
  | { change: ControlChange };

export type Log = (fields: Record<string, unknown>) => void;

export interface OpenSqliteControlOptions {
  /** Where listener failures go; structured fields. Defaults to stderr as JSON. */
  log?: Log;
}

// Declaration merging gives the class the forwarded methods' types; the constructor
// installs them.
export interface SqliteControlStore extends Pick<ControlStore, Forwarded> {}

export class SqliteControlStore implements ControlStore {
  readonly file: string;
  readonly #worker: Worker;
  readonly #log: Log;
  readonly #listeners = new Set<ControlListener>();
  readonly #calls: ThreadCalls;
  #closed: Promise<void> | null = null;

  /** Use openSqliteControl(). */
  constructor(file: string, worker: Worker, log: Log) {
    this.file = file;
    this.#worker = worker;
    this.#log = log;
    for (const method of Object.keys(FORWARDED) as Forwarded[]) {
      (this as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => this.#call({ method, args });
    }
    this.#calls = new ThreadCalls(worker, `control store ${file}`);
    worker.on('message', (reply: ControlReply) => {
      if ('change' in reply) {
        this.#emit(reply.change);
        return;
      }
      this.#calls.settle(reply.id, reply.ok ? reply : {
        ok: false,
        error: reply.conflict ? new ControlConflictError(reply.error) : new Error(`control store ${file}: ${reply.error}`),
      });
    });
  }

  #call(req: { method: Forwarded; args: unknown[] } | { method: 'close' }): Promise<never> {
    return this.#calls.start((id) => this.#worker.postMessage({ id, ...req } as ControlRequest));
  }

  #emit(change: ControlChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        // One broken listener must not stop the others from hearing of a deploy.
        this.#log({ level: 'error', msg: 'control store listener threw', kind: change.kind, error: (err as Error).stack });
      }
    }
  }

  watch(listener: ControlListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#listeners.clear();
    const closing = this.#calls.failure ? Promise.resolve() : this.#call({ method: 'close' }).catch(() => {});
    this.#calls.closing = true;
    this.#closed = closing.then(() => this.#worker.terminate()).then(() => {});
    return this.#closed;
  }
}

/** Opens (creating when absent) `<dir>/control.sqlite3` and brings its schema up to date. */
export async function openSqliteControl(dir: string, options: OpenSqliteControlOptions = {}): Promise<SqliteControlStore> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'control.sqlite3');
  const worker = new Worker(new URL('./control-sqlite-worker.ts', import.meta.url), { workerData: { file } });
  await threadOpened(worker, `control store ${file}`, (reply: ControlReply) => {
    if ('ok' in reply && reply.ok) return null;
    return 'error' in reply ? reply.error : 'unexpected first message';
  });
  const log = options.log ?? ((fields) => process.stderr.write(`${JSON.stringify(fields)}\n`));
  return new SqliteControlStore(file, worker, log);
}
