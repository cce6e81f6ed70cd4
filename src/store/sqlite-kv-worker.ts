// The worker thread that owns the SQLite KV database (see sqlite-kv.ts for why it is
// off the main thread). Requests run one at a time, in arrival order; results go back
// with their buffers transferred, not copied.

import { parentPort, workerData } from 'node:worker_threads';
import { SqliteKvCore, type SqliteKvOptions } from './sqlite-kv-core.ts';
import type { KvRequest, KvResponse } from './sqlite-kv.ts';

const { file, options } = workerData as { file: string; options: SqliteKvOptions };
const port = parentPort!;

let core: SqliteKvCore;
try {
  core = new SqliteKvCore(file, options);
  port.postMessage([{ id: 0, ok: true, value: null }] satisfies KvResponse[]);
} catch (err) {
  port.postMessage([{ id: 0, ok: false, error: (err as Error).message }] satisfies KvResponse[]);
  process.exit(1);
}

const WRITES = new Set(['put', 'delete', 'sweep']);

// A batch of requests (all the calls one turn of the main thread made) is answered by
// one batch of responses, in order. Several writes in a batch are committed together:
// concurrent puts then cost one fsync, not one each, and none is acknowledged before
// the commit that makes it durable.
port.on('message', (batch: KvRequest[]) => {
  let responses: KvResponse[] = [];
  const transfer: ArrayBuffer[] = [];
  let closing = false;
  const run = () => {
    for (const req of batch) {
      try {
        let value: unknown = null;
        switch (req.op) {
          case 'get': {
            const entry = core.get(req.ns, req.key, req.now);
            if (entry) transfer.push(entry.value.buffer as ArrayBuffer);
            value = entry;
            break;
          }
          case 'put': core.put(req.ns, req.key, req.value, req.options); break;
          case 'delete': core.delete(req.ns, req.key); break;
          case 'list': value = core.list(req.ns, req.prefix, req.limit, req.cursor, req.now); break;
          case 'sweep': value = core.sweep(req.now); break;
          case 'close': closing = true; break;
        }
        responses.push({ id: req.id, ok: true, value });
      } catch (err) {
        responses.push({ id: req.id, ok: false, error: (err as Error).message });
      }
    }
  };
  if (batch.filter((r) => WRITES.has(r.op)).length > 1) {
    try {
      core.transaction(run);
    } catch (err) {
      // The commit failed: nothing in this batch was stored, so nothing is acknowledged.
      responses = batch.map((r) => ({ id: r.id, ok: false, error: (err as Error).message }));
      transfer.length = 0;
    }
  } else {
    run();
  }
  port.postMessage(responses, transfer);
  if (closing) {
    core.close();
    port.close();
  }
});
