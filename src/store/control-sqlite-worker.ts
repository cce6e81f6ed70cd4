// The worker thread that owns the control database (see control-sqlite-core.ts for why
// it is off the main thread). Calls run one at a time in arrival order; a change is
// posted before the answer to the call that made it, so listeners hear of a deploy
// before the deploy call resolves.

import { parentPort, workerData } from 'node:worker_threads';
import type { ControlChange } from './control.ts';
import { SqliteControlCore } from './control-sqlite-core.ts';
import { FORWARDED, type ControlReply, type ControlRequest } from './control-sqlite.ts';

const port = parentPort!;
const { file } = workerData as { file: string };

let core: SqliteControlCore;
try {
  core = new SqliteControlCore(file, (change: ControlChange) => port.postMessage({ change } satisfies ControlReply));
  port.postMessage({ id: 0, ok: true, value: null } satisfies ControlReply);
} catch (err) {
  port.postMessage({ id: 0, ok: false, error: (err as Error).message } satisfies ControlReply);
  process.exit(1);
}

port.on('message', (req: ControlRequest) => {
  if (req.method === 'close') {
    core.close();
    port.postMessage({ id: req.id, ok: true, value: null } satisfies ControlReply);
    return;
  }
  try {
    if (!Object.hasOwn(FORWARDED, req.method)) throw new Error(`unknown control store method "${req.method}"`);
    const value = (core[req.method] as (...args: unknown[]) => unknown)(...req.args);
    port.postMessage({ id: req.id, ok: true, value: value ?? null } satisfies ControlReply);
  } catch (err) {
    const error = (err as Error).message;
    // node:sqlite reports constraint violations by SQLite's message only.
    const conflict = /UNIQUE constraint failed/.test(error);
    port.postMessage({ id: req.id, ok: false, error, conflict } satisfies ControlReply);
  }
});
