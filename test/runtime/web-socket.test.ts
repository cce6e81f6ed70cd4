// WebSockets served by a worker: a real isolate behind node:http on 127.0.0.1 (with the
// 'upgrade' listener an embedder installs), and the `ws` package as the client.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { runInIsolate } from '../helpers/worker.ts';
import { connect, serveWorker, waitFor } from './web-socket-harness.ts';

const ECHO = `export default {
  fetch(request) {
    if (request.headers.get('upgrade') !== 'websocket') return new Response('Expected Upgrade: websocket', { status: 426 });
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.send('hello');
    server.addEventListener('message', (event) => {
      if (typeof event.data === 'string') server.send('echo:' + event.data);
      else server.send(new Uint8Array(event.data).reverse());
    });
    server.addEventListener('close', (event) => {
      console.log('close', event.code, event.reason, event.wasClean, event instanceof CloseEvent, server.readyState);
    });
    const protocols = request.headers.get('sec-websocket-protocol');
    const headers = { 'x-worker': 'echo', ...(protocols && { 'sec-websocket-protocol': protocols.split(',').pop().trim() }) };
    return new Response(null, { status: 101, webSocket: client, headers });
  },
};`;

test('WebSocket: echo worker: text and binary messages go both ways, and the close event has code and reason', async () => {
  const w = await serveWorker(ECHO);
  try {
    const c = await connect(w.ws);
    assert.equal(await c.next(1), 'hello', 'a message sent before the 101 was returned arrives first');
    c.ws.send('ping');
    assert.equal(await c.next(2), 'echo:ping');
    c.ws.send(Buffer.from([1, 2, 3]));
    assert.deepEqual([...(await c.next(3) as Buffer)], [3, 2, 1]);
    assert.equal(w.invocations.length, 0, 'the invocation stays open while the socket is');
    c.ws.close(4000, 'bye');
    assert.deepEqual(await c.closed, { code: 4000, reason: 'bye' });
    await waitFor(() => w.invocations.length === 1, 'the invocation to end');
    assert.deepEqual(w.logs, ['log: close 4000 bye true true 3']);
    assert.equal(w.invocations[0].outcome, 'ok');
    assert.ok(w.invocations[0].cpuNs > 0n, 'the messages ran as tasks charged to the invocation');
  } finally {
    await w.close();
  }
});

test('WebSocket: 101 response: the worker headers and subprotocol reach the client; a plain request gets the worker answer', async () => {
  const w = await serveWorker(ECHO);
  try {
    const { headers, protocol } = await new Promise<{ headers: Record<string, unknown>; protocol: string }>((resolve, reject) => {
      const ws = new WebSocket(w.ws, ['one', 'two']);
      let headers: Record<string, unknown> = {};
      ws.once('upgrade', (res) => { headers = res.headers; });
      ws.once('error', reject);
      ws.once('open', () => { resolve({ headers, protocol: ws.protocol }); ws.close(); });
    });
    assert.equal(headers['x-worker'], 'echo');
    assert.equal(protocol, 'two');
    const res = await fetch(w.http);
    assert.equal(res.status, 426);
    assert.equal(await res.text(), 'Expected Upgrade: websocket');
  } finally {
    await w.close();
  }
});

test('WebSocket: close: the worker closes with a code and reason the client receives; onmessage works (server wired with upgradeListener)', async () => {
  const w = await serveWorker(`export default {
    fetch() {
      const pair = new WebSocketPair();
      const server = pair[1];
      server.accept();
      server.onmessage = (event) => server.close(4001, 'done with ' + event.data);
      return new Response(null, { status: 101, webSocket: pair[0] });
    },
  };`, {}, 'listener');
  try {
    const c = await connect(w.ws);
    c.ws.send('it');
    assert.deepEqual(await c.closed, { code: 4001, reason: 'done with it' });
    await waitFor(() => w.invocations.length === 1, 'the invocation to end');
  } finally {
    await w.close();
  }
});

test('WebSocket: send: a client message over 1 MiB closes the socket with 1009', async () => {
  const w = await serveWorker(ECHO);
  try {
    const c = await connect(w.ws);
    await c.next(1);
    c.ws.send(Buffer.alloc(1024 * 1024 + 1));
    assert.equal((await c.closed).code, 1009);
  } finally {
    await w.close();
  }
});

test('WebSocket: 101 response: a worker answering 101 to a request that is no upgrade gets a clear 500', async () => {
  const w = await serveWorker(`export default {
    fetch() {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      return new Response(null, { status: 101, webSocket: client });
    },
  };`);
  try {
    const res = await fetch(w.http);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /the request is not a WebSocket upgrade/);
  } finally {
    await w.close();
  }
});

test('WebSocket: Response: a webSocket on a non-101 response is refused with a clear error', async () => {
  const w = await serveWorker(`export default {
    fetch() {
      const [client] = Object.values(new WebSocketPair());
      return new Response(null, { status: 200, webSocket: client });
    },
  };`);
  try {
    const res = await fetch(w.http);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /RangeError: Responses with a WebSocket must have status code 101, not 200/);
  } finally {
    await w.close();
  }
});

test('WebSocket: methods: misuse throws errors worded as Workers words them', async () => {
  const out = await runInIsolate<Record<string, string>>(`
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    const [client, server] = Object.values(new WebSocketPair());
    const r = {};
    r.sendBeforeAccept = attempt(() => server.send('x'));
    server.accept();
    r.acceptTwice = attempt(() => server.accept());
    r.tooLarge = attempt(() => server.send(new Uint8Array(1024 * 1024 + 1)));
    r.badCode = attempt(() => server.close(999));
    r.reservedCode = attempt(() => server.close(1005));
    r.longReason = attempt(() => server.close(1000, 'x'.repeat(124)));
    r.status101 = attempt(() => new Response(null, { status: 101 }));
    r.construct = attempt(() => new WebSocket('wss://example.com'));
    r.readyState = String(server.readyState);
    server.close(1000, 'ok');
    r.afterClose = attempt(() => server.send('x'));
    r.closeTwice = attempt(() => server.close());
    return r;
  `);
  assert.deepEqual(out, {
    sendBeforeAccept: 'TypeError: You must call accept() on this WebSocket before sending messages.',
    acceptTwice: 'TypeError: This WebSocket was already accepted.',
    tooLarge: 'RangeError: WebSocket message is too large: 1048577 bytes; the limit is 1048576 bytes.',
    badCode: 'TypeError: Invalid WebSocket close code: 999.',
    reservedCode: 'TypeError: Invalid WebSocket close code: 1005.',
    longReason: 'SyntaxError: The WebSocket close reason must be at most 123 bytes in UTF-8.',
    status101: "RangeError: Failed to construct 'Response': The status provided (101) is outside the range [200, 599].",
    construct: "NotSupportedError: Failed to construct 'WebSocket': atoll opens outbound WebSockets with fetch('wss://example.com', { headers: { Upgrade: 'websocket' } }), as Workers does.",
    readyState: '1',
    afterClose: "TypeError: Can't call WebSocket send() after close().",
    closeTwice: 'no error',
  });
});

test('WebSocketPair: both ends in one worker: messages and the close reach the other end', async () => {
  const out = await runInIsolate<string[]>(`
    const [a, b] = Object.values(new WebSocketPair());
    const seen = [];
    a.accept();
    b.accept();
    b.addEventListener('message', (e) => seen.push('b got ' + e.data + ' ' + (e instanceof MessageEvent)));
    a.addEventListener('message', (e) => seen.push('a got ' + new Uint8Array(e.data).join(',')));
    a.onclose = (e) => seen.push('a closed ' + e.code + ' ' + a.readyState);
    b.onclose = (e) => seen.push('b closed ' + e.code + ' ' + e.reason);
    a.send('hi');
    b.send(new Uint8Array([7, 8]));
    a.close(3000, 'end');
    await new Promise((r) => setTimeout(r, 10));
    return seen;
  `);
  assert.deepEqual(out, ['b got hi true', 'a got 7,8', 'b closed 3000 end', 'a closed 3000 3']);
});

test('WebSocket: upgrade request: a worker that answers without a WebSocket sends a plain response, and the connection closes', async () => {
  const w = await serveWorker(`export default {
    fetch(request) {
      return new Response('no sockets for ' + new URL(request.url).pathname, { status: 403, headers: { 'x-why': 'policy' } });
    },
  };`);
  try {
    const answer = await new Promise<{ status: number; why: unknown; body: string; connection: unknown }>((resolve, reject) => {
      const ws = new WebSocket(`${w.ws}/room`);
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => { body += chunk; });
        res.on('end', () => resolve({ status: res.statusCode!, why: res.headers['x-why'], body, connection: res.headers.connection }));
      });
    });
    assert.deepEqual(answer, { status: 403, why: 'policy', body: 'no sockets for /room', connection: 'close' });
    await waitFor(() => w.invocations.length === 1, 'the invocation to end');
  } finally {
    await w.close();
  }
});
