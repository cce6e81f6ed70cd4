// WebSockets seen from the host. Each isolate has its own table of sockets by id, so an
// id means nothing in another isolate, and a socket belongs to the invocation that
// opened it: its events are tasks that invocation owns (their CPU is charged to it),
// and the socket closes when the invocation ends or the isolate stops.
//
// A socket is a `ws` WebSocket (a client's connection, or one to an origin) or, from a
// worker's 101 until the handshake, a claim that holds what the worker already sent.
// Memory is bounded both ways: a message is at most MAX_MESSAGE_BYTES (Workers' 1 MiB);
// a peer that does not read makes send() fail past MAX_QUEUED_BYTES; a peer that floods
// a worker that does not keep up is paused (TCP pushes back) past MAX_QUEUED_BYTES.

import type { RawData, WebSocket as Ws } from 'ws';
import type { RequestInit_, ResponseHead, WebSocketEvent } from '../../shared/ops.ts';
import { OpError, rangeError, typeError } from '../errors.ts';
import type { Invocation } from '../invocation.ts';
import type { WorkerIsolate } from '../worker-isolate.ts';
import { countSubrequest, validateInit } from './fetch.ts';
import type { OpContext } from './index.ts';

/** https://developers.cloudflare.com/workers/platform/limits/ : "WebSocket message size 1 MiB". */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Bytes one socket may hold on the host in each direction. */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** Sockets one invocation may open (claims and origin connections). */
export const MAX_SOCKETS_PER_INVOCATION = 64;

// The invocation's in-flight table closes a socket when the invocation ends. Op ids are
// positive and fetch bodies use -opId: sockets live far below both.
const inflightKey = (id: number): number => -(2 ** 52) - id;

type Outgoing = { data: string | Uint8Array } | { code: number | null; reason: string };

const byteLength = (data: string | Uint8Array): number => (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);

export class HostSocket {
  readonly id: number;
  readonly owner: Invocation;
  ws: Ws | null = null;
  /** Handed to a client as it is (a proxied origin socket): the isolate uses it no more. */
  piped = false;
  /** What the worker sent before the handshake, in order. */
  #early: Outgoing[] = [];
  #outBytes = 0;
  #inbox: WebSocketEvent[] = [];
  #inBytes = 0;
  #waiter: ((ev: WebSocketEvent) => void) | null = null;
  #closeSent = false;
  #closeDelivered = false;
  /** The isolate reads this socket's events (it was accepted there). */
  #receiving = false;
  #released = false;
  readonly #table: Map<number, HostSocket>;
  readonly #ac = new AbortController();

  constructor(table: Map<number, HostSocket>, id: number, owner: Invocation) {
    this.#table = table;
    this.id = id;
    this.owner = owner;
    owner.inflight.set(inflightKey(id), this.#ac);
    this.#ac.signal.addEventListener('abort', () => this.#drop(), { once: true });
  }

  /** The connection is up: events flow, and what the worker sent early goes out. */
  attach(ws: Ws): void {
    this.ws = ws;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.#push({ type: 'message', data: isBinary ? new Uint8Array(bytes) : bytes.toString('utf8') }, bytes.byteLength);
    });
    ws.on('error', (err: Error) => this.#push({ type: 'error', message: `WebSocket error: ${err.message}` }, 0));
    ws.once('close', (code: number, reason: Buffer) => {
      this.#push({ type: 'close', code, reason: reason.toString('utf8'), wasClean: code !== 1006 }, 0);
    });
    if (ws.isPaused) ws.resume();
    const early = this.#early;
    this.#early = [];
    this.#outBytes = 0;
    for (const item of early) {
      if ('data' in item) this.#write(item.data);
      else ws.close(item.code ?? undefined, item.reason);
    }
  }

  send(data: string | Uint8Array): void {
    if (this.#closeSent || this.#closeDelivered) throw typeError("Can't call WebSocket send() after close().");
    const n = byteLength(data);
    if (n > MAX_MESSAGE_BYTES) throw rangeError(`WebSocket message is too large: ${n} bytes; the limit is ${MAX_MESSAGE_BYTES} bytes.`);
    if (this.#outBytes + n > MAX_QUEUED_BYTES) {
      throw new OpError('Error', `WebSocket send() failed: the peer is not reading, and ${this.#outBytes} bytes are already queued for it (the limit is ${MAX_QUEUED_BYTES}).`);
    }
    if (this.ws) this.#write(data);
    else {
      this.#outBytes += n;
      this.#early.push({ data });
    }
  }

  close(code: number | null, reason: string): void {
    if (this.#closeSent || this.#closeDelivered) return;
    this.#closeSent = true;
    if (this.ws) this.ws.close(code ?? undefined, reason);
    else this.#early.push({ code, reason });
  }

  /** The next event; the peer is read again once the queue is below half its bound. */
  next(): Promise<WebSocketEvent> {
    this.#receiving = true;
    if (this.#waiter) throw typeError('This WebSocket is already being read.');
    if (this.#closeDelivered) throw typeError('This WebSocket is closed.');
    const ev = this.#inbox.shift();
    if (!ev) return new Promise((resolve) => { this.#waiter = resolve; });
    if (ev.type === 'message') {
      this.#inBytes -= byteLength(ev.data);
      if (this.ws?.isPaused && this.#inBytes <= MAX_QUEUED_BYTES / 2) this.ws.resume();
    }
    if (ev.type === 'close') this.#closeDelivered = true;
    return Promise.resolve(ev);
  }

  /** Events already queued for the isolate, taken (a socket being piped to a client). */
  takeInbox(): WebSocketEvent[] {
    const out = this.#inbox;
    this.#inbox = [];
    this.#inBytes = 0;
    return out;
  }

  #write(data: string | Uint8Array): void {
    const n = byteLength(data);
    this.#outBytes += n;
    this.ws!.send(data, { binary: typeof data !== 'string' }, () => { this.#outBytes -= n; });
  }

  #push(ev: WebSocketEvent, bytes: number): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      if (ev.type === 'close') this.#closeDelivered = true;
      waiter(ev);
      return;
    }
    this.#inbox.push(ev);
    this.#inBytes += bytes;
    if (this.#inBytes > MAX_QUEUED_BYTES && this.ws && !this.ws.isPaused) this.ws.pause();
  }

  /**
   * True while the isolate still has events of this socket to handle: its invocation
   * stays open for them (see `socketsSettled`).
   */
  get held(): boolean {
    return this.#receiving && !this.#released && !this.piped;
  }

  /** The isolate dispatched the close event: the socket is forgotten. */
  release(): void {
    this.#released = true;
    this.#forget();
  }

  #forget(): void {
    if (this.#table.get(this.id) === this) this.#table.delete(this.id);
    if (this.owner.inflight.get(inflightKey(this.id)) === this.#ac) this.owner.inflight.delete(inflightKey(this.id));
    const sockets = owned.get(this.owner);
    sockets?.delete(this);
    if (sockets && ![...sockets].some((s) => s.held)) settledWaiters.get(this.owner)?.();
  }

  // The invocation ended (or the isolate stopped) with the socket still open.
  #drop(): void {
    this.#released = true;
    this.#forget();
    if (this.piped) return;
    if (this.ws) this.ws.close(1011, 'The worker that handled this WebSocket has stopped.');
    this.#early = [];
  }

  /** Closes the socket from the host (the request it was claimed for cannot take it). */
  abandon(): void {
    this.#ac.abort();
  }
}

/** Origin sockets not yet taken by a worker: closed after this turn (web-socket-upgrade.ts). */
export const unadopted = new WeakSet<Ws>();

const owned = new WeakMap<Invocation, Set<HostSocket>>();
const settledWaiters = new WeakMap<Invocation, () => void>();

/**
 * Resolves once the isolate has handled the close of every socket `inv` accepted (so a
 * worker bridging two sockets sees both closes), or after `timeoutMs`.
 */
export function socketsSettled(inv: Invocation, timeoutMs: number): Promise<void> {
  const sockets = owned.get(inv);
  if (!sockets || ![...sockets].some((s) => s.held)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      settledWaiters.delete(inv);
      resolve();
    }
    settledWaiters.set(inv, done);
  });
}

const tables = new WeakMap<WorkerIsolate, { next: number; sockets: Map<number, HostSocket> }>();
const openCount = new WeakMap<Invocation, number>();

function tableOf(worker: WorkerIsolate) {
  let t = tables.get(worker);
  if (!t) tables.set(worker, (t = { next: 1, sockets: new Map() }));
  return t;
}

/** A new socket of `worker`, owned by `owner`; `ws` is null for a claim not yet connected. */
export function registerSocket(worker: WorkerIsolate, owner: Invocation, ws: Ws | null): HostSocket {
  if (owner.ended) {
    ws?.terminate();
    throw typeError('This request has already ended: it cannot open a WebSocket.');
  }
  const n = openCount.get(owner) ?? 0;
  if (n >= MAX_SOCKETS_PER_INVOCATION) {
    ws?.terminate();
    throw rangeError(`Too many WebSockets in this request (the limit is ${MAX_SOCKETS_PER_INVOCATION}).`);
  }
  if (ws) unadopted.delete(ws);
  openCount.set(owner, n + 1);
  const t = tableOf(worker);
  const s = new HostSocket(t.sockets, t.next++, owner);
  t.sockets.set(s.id, s);
  let mine = owned.get(owner);
  if (!mine) owned.set(owner, (mine = new Set()));
  mine.add(s);
  if (ws) s.attach(ws);
  return s;
}

/** The socket `id` of `worker`, or null: ids from another isolate find nothing here. */
export function socketById(worker: WorkerIsolate, id: unknown): HostSocket | null {
  if (!Number.isInteger(id)) return null;
  return tables.get(worker)?.sockets.get(id as number) ?? null;
}

function socketOf(ctx: OpContext, id: unknown): HostSocket {
  const s = socketById(ctx.worker, id);
  if (!s || s.piped) throw typeError('This WebSocket is closed.');
  return s;
}

// https://www.rfc-editor.org/rfc/rfc6455#section-7.4: the codes an endpoint may send.
export function isSendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
}

function invocationById(ctx: OpContext, ctxId: unknown): Invocation | null {
  return typeof ctxId === 'number' ? ctx.worker.invocation(ctxId) : null;
}

export const webSocketSyncOps = {
  web_socket_claim(ctx: OpContext, ctxId: number): number {
    const inv = invocationById(ctx, ctxId);
    if (!inv || inv.responded) throw typeError('A WebSocket can only be returned in the response to the request being handled.');
    return registerSocket(ctx.worker, inv, null).id;
  },
  web_socket_send(ctx: OpContext, id: number, data: string | Uint8Array): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw typeError('WebSocket send(): the message must be a string or bytes.');
    socketOf(ctx, id).send(data);
  },
  web_socket_release(ctx: OpContext, id: number): void {
    socketById(ctx.worker, id)?.release();
  },
  web_socket_close(ctx: OpContext, id: number, code: number | null, reason: string): void {
    if (code !== null && !isSendableCloseCode(code)) throw typeError(`Invalid WebSocket close code: ${String(code)}.`);
    if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) throw new OpError('DOMException:SyntaxError', 'The WebSocket close reason must be a string of at most 123 bytes in UTF-8.');
    socketOf(ctx, id).close(code, reason);
  },
};

export const webSocketAsyncOps = {
  web_socket_receive(ctx: OpContext, id: number): Promise<WebSocketEvent> {
    return socketOf(ctx, id).next();
  },
  async web_socket_connect(ctx: OpContext, rawInit: unknown): Promise<ResponseHead> {
    const init: RequestInit_ = { ...validateInit(rawInit), body: null };
    if (!URL.canParse(init.url) || !/^https?:$/.test(new URL(init.url).protocol)) {
      throw typeError(`Fetch API cannot load: ${init.url}. Only http: and https: URLs are supported.`);
    }
    if (init.method !== 'GET') throw typeError(`A WebSocket upgrade request must use the GET method, not ${init.method}.`);
    countSubrequest(ctx);
    const res = await ctx.worker.services.fetch(ctx, init, null, ctx.signal!);
    if (res.webSocket) {
      const s = registerSocket(ctx.worker, ctx.inv!, res.webSocket);
      return { ...res.head, body: null, webSocket: s.id };
    }
    if (res.head.status === 101) throw typeError(`${init.url} answered 101 Switching Protocols, but no WebSocket connection came with it.`);
    return { ...res.head, body: res.body ? { stream: ctx.worker.addHostStream(res.body) } : null };
  },
};
