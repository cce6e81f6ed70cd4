// Proxying WebSockets through a worker to a real `ws` origin server on 127.0.0.1: a
// worker that returns the origin's socket as it is, and one that accepts it and
// bridges it to its own WebSocketPair.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { connect, serveWorker, waitFor } from './web-socket-harness.ts';

/** An origin that greets, echoes with a prefix, records handshakes and closes, refuses /deny and stalls /hang. */
async function startOrigin() {
  const handshakes: IncomingHttpHeaders[] = [];
  const closes: { code: number; reason: string }[] = [];
  const server = createServer();
  // Every connection, upgraded or not, so close() ends a stalled handshake too.
  const sockets = new Set<Socket>();
  server.on('connection', (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  const wss = new WebSocketServer({
    server,
    handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
    // /hang never answers the handshake.
    verifyClient: (info, done) => {
      if (info.req.url === '/deny') done(false, 403, 'Forbidden');
      else if (info.req.url !== '/hang') done(true);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  wss.on('connection', (ws, req) => {
    handshakes.push(req.headers);
    ws.send('welcome');
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `origin:${data.toString()}`, { binary: isBinary }));
    ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handshakes,
    closes,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      wss.close();
      server.close(() => r());
    }),
  };
}

test('WebSocket proxy: fetch: an origin socket returned as it is carries messages and the close end to end', async () => {
  const origin = await startOrigin();
  const w = await serveWorker(`export default {
    fetch(request) {
      return fetch(new Request('${origin.url}/chat', request));
    },
  };`);
  try {
    const c = await connect(w.ws, ['chat']);
    assert.equal(c.ws.protocol, 'chat', "the origin's subprotocol reaches the client");
    assert.equal(await c.next(1), 'welcome');
    c.ws.send('a');
    assert.equal(await c.next(2), 'origin:a');
    c.ws.send(Buffer.from([9, 8]));
    assert.deepEqual([...(await c.next(3) as Buffer)], [9, 8]);
    c.ws.close(4002, 'client done');
    await waitFor(() => origin.closes.length === 1, 'the origin to see the close');
    assert.deepEqual(origin.closes[0], { code: 4002, reason: 'client done' });
    await waitFor(() => w.invocations.length === 1, 'the invocation to end');
    assert.equal(w.invocations[0].subrequests, 1);
  } finally {
    await w.close();
    await origin.close();
  }
});

test('WebSocket proxy: accept: a worker bridges the origin socket to its own pair and rewrites messages', async () => {
  const origin = await startOrigin();
  const w = await serveWorker(`export default {
    async fetch(request) {
      const res = await fetch('${origin.url}/bridge', { headers: { Upgrade: 'websocket', 'x-from': 'worker' } });
      if (res.status !== 101 || !res.webSocket) return new Response('origin said ' + res.status, { status: 502 });
      const upstream = res.webSocket;
      upstream.accept();
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener('message', (e) => upstream.send(String(e.data).toUpperCase()));
      upstream.addEventListener('message', (e) => server.send('via worker: ' + e.data));
      server.addEventListener('close', (e) => upstream.close(e.code, e.reason));
      upstream.addEventListener('close', (e) => server.close(e.code, e.reason));
      return new Response(null, { status: 101, webSocket: client });
    },
  };`);
  try {
    const c = await connect(w.ws);
    assert.equal(await c.next(1), 'via worker: welcome');
    c.ws.send('abc');
    assert.equal(await c.next(2), 'via worker: origin:ABC');
    assert.equal(origin.handshakes[0]['x-from'], 'worker');
    c.ws.close(4003, 'bye');
    await waitFor(() => origin.closes.length === 1, 'the origin to see the close');
    assert.deepEqual(origin.closes[0], { code: 4003, reason: 'bye' });
    await waitFor(() => w.invocations.length === 1, 'the invocation to end');
    assert.equal(w.invocations[0].outcome, 'ok');
  } finally {
    await w.close();
    await origin.close();
  }
});

test('WebSocket proxy: fetch: an origin that refuses the upgrade answers as a plain response; an unreachable one rejects', async () => {
  const origin = await startOrigin();
  const w = await serveWorker(`export default {
    async fetch(request) {
      const res = await fetch('${origin.url}/deny', { headers: { Upgrade: 'websocket' } });
      let unreachable;
      try {
        await fetch('http://127.0.0.1:1/', { headers: { Upgrade: 'websocket' } });
      } catch (e) {
        unreachable = e.name + ': ' + e.message;
      }
      return Response.json({ status: res.status, webSocket: res.webSocket, body: await res.text(), unreachable });
    },
  };`);
  try {
    const res = await fetch(w.http);
    const out = await res.json() as Record<string, unknown>;
    assert.equal(out.status, 403);
    assert.equal(out.webSocket, null);
    assert.equal(out.body, 'Forbidden');
    assert.match(String(out.unreachable), /^TypeError: Network error while opening a WebSocket to http:\/\/127\.0\.0\.1:1\/: .*ECONNREFUSED/);
  } finally {
    await w.close();
    await origin.close();
  }
});

test('WebSocket proxy: fetch: the request signal aborts a handshake the origin does not answer', async () => {
  const origin = await startOrigin();
  const w = await serveWorker(`export default {
    async fetch() {
      const started = Date.now();
      try {
        await fetch('${origin.url}/hang', { headers: { Upgrade: 'websocket' }, signal: AbortSignal.timeout(100) });
        return new Response('connected');
      } catch (e) {
        return new Response(e.name + ' after ' + (Date.now() - started >= 90 ? 'the timeout' : 'too short a time'));
      }
    },
  };`);
  try {
    const res = await fetch(w.http);
    assert.equal(await res.text(), 'TimeoutError after the timeout');
  } finally {
    await w.close();
    await origin.close();
  }
});
