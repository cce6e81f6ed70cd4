// The host side of WebSocket handshakes, both ways:
// - in: a client's `Upgrade: websocket` request runs the worker like any request
//   (`invokeUpgrade`, for the server's 'upgrade' event); a 101 response with a
//   `webSocket` completes the handshake on the client's socket (`acceptWebSocket`), and
//   the invocation stays open until that socket closes;
// - out: a worker's fetch() with `Upgrade: websocket` opens a WebSocket to the origin
//   (`connectOrigin`, called by the outbound fetch); returned to a client as it is, the
//   origin's socket is piped to the client's here, with no isolate work per message.
// https://developers.cloudflare.com/workers/runtime-apis/websockets/

import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { HeaderList, RequestInit_, ResponseHead } from '../shared/ops.ts';
import { OpError } from './errors.ts';
import { hostStreamFromReadable } from './host-stream.ts';
import { invokeHttp, type HttpInvokeOptions } from './http.ts';
import type { Invocation } from './invocation.ts';
import type { OutboundResponse } from './ops/index.ts';
import { isSendableCloseCode, MAX_MESSAGE_BYTES, MAX_QUEUED_BYTES, socketById, socketsSettled, unadopted, type HostSocket } from './ops/web-socket.ts';
import type { WorkerIsolate } from './worker-isolate.ts';

// Headers of a 101 that belong to this one handshake, written by `ws` itself.
const HANDSHAKE = new Set(['connection', 'upgrade', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'te', 'trailer', 'host',
  'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-accept', 'sec-websocket-extensions', 'sec-websocket-protocol']);

const pendingUpgrades = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();
const noop = (): void => {};

/**
 * A response for a request node:http handed to its 'upgrade' listener: invokeHttp with
 * it completes a worker's 101 on the socket; any other answer is written to the socket
 * as a plain HTTP response, which then closes.
 */
export function upgradeResponse(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse {
  // node:http removed its own listeners from the socket: a reset must not crash the process.
  socket.on('error', noop);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => socket.end());
  pendingUpgrades.set(req, { socket, head });
  return res;
}

/**
 * An 'upgrade' listener that hands upgrades to the server's own request handler, so
 * they take the same routing to invokeHttp: `server.on('upgrade', upgradeListener(handle))`.
 */
export function upgradeListener(handler: (req: IncomingMessage, res: ServerResponse) => unknown) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void handler(req, upgradeResponse(req, socket, head));
  };
}

/** Runs the worker for a request node:http handed to its 'upgrade' listener. */
export function invokeUpgrade(worker: WorkerIsolate, req: IncomingMessage, socket: Duplex, head: Buffer, opts: HttpInvokeOptions): Promise<Invocation> {
  return invokeHttp(worker, req, upgradeResponse(req, socket, head), opts);
}

function header(list: HeaderList, name: string): string | null {
  return list.find(([n]) => n === name)?.[1] ?? null;
}

/**
 * The worker answered 101 (invokeHttp's hook): completes the handshake with the client
 * and connects its socket to the worker's. Resolves when the client's socket closes.
 */
export function acceptWebSocket(worker: WorkerIsolate, req: IncomingMessage, res: ServerResponse, head: ResponseHead): Promise<void> {
  const socket = head.webSocket === undefined ? null : socketById(worker, head.webSocket);
  if (!socket || socket.piped) {
    throw new Error("The worker's 101 response has no usable webSocket: return `new Response(null, { status: 101, webSocket: client })` with the client end of a new WebSocketPair.");
  }
  const upgrade = pendingUpgrades.get(req);
  if (!upgrade) {
    socket.abandon();
    if (req.headers.upgrade?.toLowerCase() === 'websocket') {
      throw new Error("The worker answered with a WebSocket (101), but this server does not hand WebSocket upgrades to atoll: its 'upgrade' event must call invokeUpgrade().");
    }
    throw new Error('The worker answered with a WebSocket (101), but the request is not a WebSocket upgrade (it has no "Upgrade: websocket" header).');
  }
  pendingUpgrades.delete(req);
  res.detachSocket(upgrade.socket as Socket);
  const protocol = header(head.headers, 'sec-websocket-protocol');
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: () => protocol ?? false });
  // The worker's own headers go out with the 101, as Workers sends them.
  wss.on('headers', (lines: string[]) => {
    for (const [name, value] of head.headers) if (!HANDSHAKE.has(name)) lines.push(`${name}: ${value}`);
  });
  let client: WebSocket | null = null;
  wss.handleUpgrade(req, upgrade.socket, upgrade.head, (ws) => { client = ws; });
  // Without a callback, `ws` refused the client's handshake and answered it (400, 405).
  if (!client) {
    socket.abandon();
    return Promise.resolve();
  }
  const ws: WebSocket = client;
  ws.on('error', noop);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  if (socket.ws) pipe(ws, socket);
  else socket.attach(ws);
  // The invocation ends once the worker has handled the closes (its sockets are then dropped).
  return closed.then(() => socketsSettled(socket.owner, worker.def.limits.waitUntilMs));
}

// The worker returned an origin's socket as it is: messages go between the two sockets
// here. What the origin sent before that is delivered first.
function pipe(client: WebSocket, origin: HostSocket): void {
  origin.piped = true;
  const ws = origin.ws!;
  ws.removeAllListeners('message');
  ws.removeAllListeners('close');
  for (const ev of origin.takeInbox()) {
    if (ev.type === 'message') client.send(ev.data, { binary: typeof ev.data !== 'string' });
    else if (ev.type === 'close') closeWith(client, ev.code, ev.reason);
  }
  if (ws.readyState !== WebSocket.OPEN) {
    closeWith(client, 1011, 'The origin closed the WebSocket.');
    return;
  }
  forward(client, ws);
  forward(ws, client);
}

// Relays `from` to `to`, pausing `from` while `to` has more than MAX_QUEUED_BYTES unsent.
function forward(from: WebSocket, to: WebSocket): void {
  let queued = 0;
  from.on('message', (data: RawData, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    queued += bytes.byteLength;
    if (queued > MAX_QUEUED_BYTES && !from.isPaused) from.pause();
    to.send(bytes, { binary: isBinary }, () => {
      queued -= bytes.byteLength;
      if (from.isPaused && queued <= MAX_QUEUED_BYTES / 2) from.resume();
    });
  });
  from.once('close', (code: number, reason: Buffer) => closeWith(to, code, reason.toString('utf8')));
}

function closeWith(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
  // 1005 (no code) and 1006 (no close frame) describe a closure; they are never sent.
  if (isSendableCloseCode(code)) ws.close(code, reason);
  else ws.close();
}

/** True for a request that asks for a WebSocket (RFC 6455 section 4.1). */
export function isWebSocketUpgrade(init: RequestInit_): boolean {
  return header(init.headers, 'upgrade')?.trim().toLowerCase() === 'websocket';
}

/**
 * Opens a WebSocket to the origin for a worker's upgrade fetch (the outbound fetch's
 * hook). `lookup` is the outbound address policy. The origin's 101 resolves with the
 * open socket; any other answer resolves as a plain response with its body.
 */
export function connectOrigin(init: RequestInit_, signal: AbortSignal, lookup: unknown): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(init.url);
    const target = new URL(url);
    target.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    target.hash = '';
    const headers: Record<string, string> = {};
    for (const [name, value] of init.headers) {
      if (HANDSHAKE.has(name)) continue;
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const protocols = (header(init.headers, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const ws = new WebSocket(target, protocols, {
      headers,
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      followRedirects: false,
      handshakeTimeout: 30_000,
      ...(lookup ? { lookup: lookup as never } : {}),
    });
    ws.on('error', noop);
    let head: Omit<ResponseHead, 'body'> | null = null;
    const headOf = (res: IncomingMessage): Omit<ResponseHead, 'body'> => {
      const list: HeaderList = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const name = res.rawHeaders[i].toLowerCase();
        if (name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding') list.push([name, res.rawHeaders[i + 1]]);
      }
      return { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: list, url: url.href, redirected: false };
    };
    const onAbort = (): void => {
      ws.terminate();
      reject(new OpError('DOMException:AbortError', 'The operation was aborted.'));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => signal.removeEventListener('abort', onAbort);
    ws.once('upgrade', (res: IncomingMessage) => { head = headOf(res); });
    ws.once('open', () => {
      settle();
      // Nothing listens for messages yet: the origin's first ones wait in the socket.
      ws.pause();
      // Only web_socket_connect adopts it (in a microtask); a path that does not take
      // WebSockets (the plain fetch op, given an Upgrade header) would leave it open.
      unadopted.add(ws);
      setImmediate(() => { if (unadopted.has(ws)) ws.terminate(); });
      resolve({ head: head!, body: null, webSocket: ws });
    });
    ws.once('unexpected-response', (_req: unknown, res: IncomingMessage) => {
      settle();
      resolve({ head: headOf(res), body: hostStreamFromReadable(res, Infinity, `the response body from ${url.href}`) });
    });
    ws.once('error', (err: Error) => {
      settle();
      reject(new OpError('TypeError', `Network error while opening a WebSocket to ${url.href}: ${err.message}`));
    });
  });
}
