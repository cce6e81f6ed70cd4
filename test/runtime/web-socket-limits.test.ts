// WebSockets against hostile or careless peers: a worker flooding a client that does
// not read, a client flooding a worker that does not keep up, socket ids tried from
// another isolate, and a worker stopped by its CPU limit with a socket open.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webSocketSyncOps } from '../../src/runtime/ops/web-socket.ts';
import { connect, serveWorker, waitFor } from './web-socket-harness.ts';

const MiB = 1024 * 1024;

test('WebSocket: send: a worker flooding a client that does not read gets a clear error, not unbounded host memory', async () => {
  const w = await serveWorker(`export default {
    fetch() {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener('message', () => {
        let sent = 0;
        try {
          for (; sent < 200; sent++) server.send(new Uint8Array(${MiB}));
          console.log('sent all', sent);
        } catch (e) {
          console.log('failed after', sent, e.message);
        }
      });
      return new Response(null, { status: 101, webSocket: client });
    },
  };`, { cpuMs: 5000 });
  try {
    const c = await connect(w.ws);
    c.ws.send('go');
    c.ws.pause();
    await waitFor(() => w.logs.length > 0, 'the worker to stop sending', 10_000);
    const m = /^log: failed after (\d+) WebSocket send\(\) failed: the peer is not reading, and \d+ bytes are already queued for it \(the limit is 8388608\)\.$/.exec(w.logs[0]);
    assert.ok(m, `unexpected log: ${w.logs[0]}`);
    assert.ok(Number(m[1]) < 100, `${m[1]} MiB were accepted for a client that reads nothing`);
    c.ws.terminate();
  } finally {
    await w.close();
  }
});

test('WebSocket: receive: a client flooding a worker that has not accepted yet is held back, and nothing is lost', async () => {
  const w = await serveWorker(`export default {
    fetch() {
      const [client, server] = Object.values(new WebSocketPair());
      let count = 0;
      setTimeout(() => {
        server.accept();
        server.addEventListener('message', (e) => {
          if (e.data.byteLength !== ${MiB}) server.send('bad size ' + e.data.byteLength);
          if (++count === 40) server.send('got ' + count);
        });
      }, 1500);
      return new Response(null, { status: 101, webSocket: client });
    },
  };`, { cpuMs: 10_000 });
  try {
    const c = await connect(w.ws);
    for (let i = 0; i < 40; i++) c.ws.send(Buffer.alloc(MiB, i));
    await new Promise((r) => setTimeout(r, 1000));
    // The host stopped reading at its bound: the rest waits in the client, not in atoll.
    assert.ok(c.ws.bufferedAmount > 10 * MiB, `only ${c.ws.bufferedAmount} bytes wait in the client`);
    assert.equal(await c.next(1, 10_000), 'got 40');
    c.ws.close();
  } finally {
    await w.close();
  }
});

test('WebSocket: ops: a socket id means nothing to another isolate', async () => {
  const echo = `export default {
    fetch() {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      return new Response(null, { status: 101, webSocket: client });
    },
  };`;
  const a = await serveWorker(echo);
  const b = await serveWorker(echo);
  try {
    const c = await connect(a.ws);
    const ctx = (w: typeof a) => ({ worker: w.worker, inv: null, opId: 0 });
    assert.throws(() => webSocketSyncOps.web_socket_send(ctx(b), 1, 'forged'), { type: 'TypeError', message: 'This WebSocket is closed.' });
    assert.throws(() => webSocketSyncOps.web_socket_send(ctx(a), 1.5, 'x'), { type: 'TypeError' });
    assert.throws(() => webSocketSyncOps.web_socket_send(ctx(a), 1, { not: 'bytes' } as never), { message: 'WebSocket send(): the message must be a string or bytes.' });
    assert.throws(() => webSocketSyncOps.web_socket_close(ctx(a), 1, 1006, ''), { message: 'Invalid WebSocket close code: 1006.' });
    // The same id in its own isolate is the client's socket.
    webSocketSyncOps.web_socket_send(ctx(a), 1, 'own');
    assert.equal(await c.next(1), 'own');
    c.ws.close();
  } finally {
    await a.close();
    await b.close();
  }
});

test('WebSocket: CPU limit: a worker stopped while a socket is open closes it with 1011 and a reason', async () => {
  const w = await serveWorker(`export default {
    fetch() {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener('message', () => { for (;;) {} });
      return new Response(null, { status: 101, webSocket: client });
    },
  };`);
  try {
    const c = await connect(w.ws);
    c.ws.send('spin');
    assert.deepEqual(await c.closed, { code: 1011, reason: 'The worker that handled this WebSocket has stopped.' });
    await waitFor(() => w.invocations.length === 1, 'the invocation to end');
    assert.equal(w.invocations[0].outcome, 'exceededCpu');
  } finally {
    await w.close();
  }
});
