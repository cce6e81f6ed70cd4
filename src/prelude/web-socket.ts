// WebSocket and WebSocketPair as Workers has them:
// https://developers.cloudflare.com/workers/runtime-apis/websockets/
// A pair's two ends talk to each other inside the isolate until one end (the client) is
// returned in a 101 Response; the host then connects the other end to the client's
// socket. A fetch() with `Upgrade: websocket` gives a Response whose `webSocket` is a
// host socket to the origin. Events come from the host one at a time, each asked for
// when the previous one was dispatched, so a fast peer cannot outrun the worker.

import type { HeaderList, WebSocketEvent } from '../shared/ops.ts';
import { Event, type EventInit } from './event.ts';
import { EventTarget } from './event-target.ts';
import { DOMException } from './dom-exception.ts';
import { responseFromHead, responseState, type Response } from './response.ts';
import { dropOp, hostAsync, hostAsyncWithId, hostSync, reserveOpId } from './internal/bridge.ts';
import { onAbort, type AbortSignal } from './abort.ts';
import { ArrayPrototypePush, PromiseCtor, PromisePrototypeThen, PromiseResolve, RangeErrorCtor, StringCtor, TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';
import { SafeWeakMap } from './internal/safe-collections.ts';
import { utf8Length } from './internal/utf8.ts';

/** Workers' limit on one message (https://developers.cloudflare.com/workers/platform/limits/). */
const MAX_MESSAGE_BYTES = 1024 * 1024;
const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

type Item = { type: 'message'; data: string | Uint8Array } | { type: 'close'; code: number; reason: string };

interface SocketState {
  readyState: number;
  accepted: boolean;
  /** Returned in a Response: the isolate uses this end no more. */
  handedOff: boolean;
  /** The other end of the pair, while both ends live in this isolate. */
  peer: WebSocket | null;
  /** The host socket this end talks through. */
  hostId: number | null;
  /** Came from fetch(): its host socket leads to an origin. */
  origin: boolean;
  /** What the peer sent before this end was accepted (or handed to the host). */
  inbox: Item[];
  receiving: boolean;
  handlers: Record<string, ((event: Event) => unknown) | null>;
}

const stateOf = new SafeWeakMap<WebSocket, SocketState>();

function st(ws: WebSocket): SocketState {
  const s = stateOf.get(ws);
  if (!s) throw new TypeErrorCtor('Illegal invocation');
  return s;
}

// https://html.spec.whatwg.org/multipage/comms.html#messageevent
export class MessageEvent extends Event {
  readonly #data: unknown;
  constructor(type: string, init?: EventInit & { data?: unknown }) {
    super(type, init);
    this.#data = init?.data ?? null;
  }
  get data(): unknown { return this.#data; }
  get origin(): string { return ''; }
  get lastEventId(): string { return ''; }
  get source(): null { return null; }
  get ports(): unknown[] { return []; }
  get [Symbol.toStringTag](): string { return 'MessageEvent'; }
}

// https://websockets.spec.whatwg.org/#the-closeevent-interface
export class CloseEvent extends Event {
  readonly #code: number;
  readonly #reason: string;
  readonly #wasClean: boolean;
  constructor(type: string, init?: EventInit & { code?: number; reason?: string; wasClean?: boolean }) {
    super(type, init);
    this.#code = init?.code ?? 0;
    this.#reason = StringCtor(init?.reason ?? '');
    this.#wasClean = !!init?.wasClean;
  }
  get code(): number { return this.#code; }
  get reason(): string { return this.#reason; }
  get wasClean(): boolean { return this.#wasClean; }
  get [Symbol.toStringTag](): string { return 'CloseEvent'; }
}

// https://html.spec.whatwg.org/multipage/webappapis.html#errorevent
export class ErrorEvent extends Event {
  readonly #message: string;
  readonly #error: unknown;
  constructor(type: string, init?: EventInit & { message?: string; error?: unknown }) {
    super(type, init);
    this.#message = StringCtor(init?.message ?? '');
    this.#error = init?.error;
  }
  get message(): string { return this.#message; }
  get error(): unknown { return this.#error; }
  get [Symbol.toStringTag](): string { return 'ErrorEvent'; }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes : bytes.slice()).buffer as ArrayBuffer;
}

function dispatchItem(ws: WebSocket, s: SocketState, ev: WebSocketEvent): void {
  if (ev.type === 'message') {
    const data = typeof ev.data === 'string' ? ev.data : toArrayBuffer(ev.data);
    ws.dispatchEvent(new MessageEvent('message', { data }));
  } else if (ev.type === 'close') {
    s.readyState = CLOSED;
    ws.dispatchEvent(new CloseEvent('close', { code: ev.code, reason: ev.reason, wasClean: ev.wasClean }));
  } else {
    ws.dispatchEvent(new ErrorEvent('error', { message: ev.message, error: new TypeErrorCtor(ev.message) }));
  }
}

// Host socket events, one asked for after the last one was dispatched.
function receive(ws: WebSocket, s: SocketState): void {
  if (s.receiving) return;
  s.receiving = true;
  const step = (): void => {
    PromisePrototypeThen(hostAsync('web_socket_receive', s.hostId!), (ev) => {
      try {
        dispatchItem(ws, s, ev);
      } finally {
        // Handled: the host may end the invocation (it waits for this).
        if (ev.type === 'close') hostSync('web_socket_release', s.hostId!);
        else step();
      }
    }, (err) => {
      try {
        dispatchItem(ws, s, { type: 'error', message: StringCtor((err as Error)?.message ?? err) });
        dispatchItem(ws, s, { type: 'close', code: 1006, reason: '', wasClean: false });
      } finally {
        hostSync('web_socket_release', s.hostId!);
      }
    });
  };
  step();
}

// Delivers a local pair's queued items to an accepted end, each in its own microtask.
function deliverLocal(ws: WebSocket, s: SocketState): void {
  if (!s.accepted) return;
  while (s.inbox.length > 0) {
    const item = s.inbox.shift()!;
    PromisePrototypeThen(PromiseResolve(), () => {
      if (item.type === 'message') return dispatchItem(ws, s, item);
      dispatchItem(ws, s, { ...item, wasClean: true });
      // The closing handshake completes at once between two ends in one isolate.
      const peer = s.peer;
      if (peer) {
        const p = st(peer);
        if (p.readyState !== CLOSED && p.accepted) dispatchItem(peer, p, { ...item, wasClean: true });
        p.readyState = CLOSED;
      }
    });
  }
}

function toMessage(data: unknown): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8ArrayCtor(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8ArrayCtor(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  return StringCtor(data);
}

// https://www.rfc-editor.org/rfc/rfc6455#section-7.4: the codes an endpoint may send.
function isSendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
}

function newSocket(init: Partial<SocketState>): WebSocket {
  let ws: WebSocket;
  constructing = true;
  try {
    ws = new WebSocket('');
  } finally {
    constructing = false;
  }
  stateOf.set(ws, { readyState: OPEN, accepted: false, handedOff: false, peer: null, hostId: null, origin: false, inbox: [], receiving: false, handlers: {}, ...init });
  return ws;
}

let constructing = false;

export class WebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;

  constructor(url: string) {
    if (!constructing) {
      throw new DOMException(`Failed to construct 'WebSocket': atoll opens outbound WebSockets with fetch(${quoted(url)}, { headers: { Upgrade: 'websocket' } }), as Workers does.`, 'NotSupportedError');
    }
    super();
  }

  /** Starts delivering events to this end (Workers: required before send()). */
  accept(): void {
    const s = st(this);
    if (s.handedOff) throw new TypeErrorCtor("Can't accept() a WebSocket that was returned in a Response: accept the other end of the WebSocketPair.");
    if (s.accepted) throw new TypeErrorCtor('This WebSocket was already accepted.');
    s.accepted = true;
    if (s.hostId !== null) receive(this, s);
    else deliverLocal(this, s);
  }

  send(message: ArrayBuffer | ArrayBufferView | string): void {
    const s = st(this);
    if (s.handedOff) throw new TypeErrorCtor("Can't send() on a WebSocket that was returned in a Response: use the other end of the WebSocketPair.");
    if (!s.accepted) throw new TypeErrorCtor('You must call accept() on this WebSocket before sending messages.');
    if (s.readyState !== OPEN) throw new TypeErrorCtor("Can't call WebSocket send() after close().");
    const data = toMessage(message);
    const size = typeof data === 'string' ? utf8Length(data) : data.byteLength;
    if (size > MAX_MESSAGE_BYTES) throw new RangeErrorCtor(`WebSocket message is too large: ${size} bytes; the limit is ${MAX_MESSAGE_BYTES} bytes.`);
    if (s.hostId !== null) {
      hostSync('web_socket_send', s.hostId, data);
      return;
    }
    const p = st(s.peer!);
    ArrayPrototypePush(p.inbox, { type: 'message', data });
    deliverLocal(s.peer!, p);
  }

  close(code?: number, reason?: string): void {
    const s = st(this);
    if (s.handedOff) throw new TypeErrorCtor("Can't close() a WebSocket that was returned in a Response: use the other end of the WebSocketPair.");
    const c = code === undefined ? null : Number(code);
    if (c !== null && !isSendableCloseCode(c)) throw new TypeErrorCtor(`Invalid WebSocket close code: ${StringCtor(code)}.`);
    const text = reason === undefined ? '' : StringCtor(reason);
    if (utf8Length(text) > 123) throw new DOMException('The WebSocket close reason must be at most 123 bytes in UTF-8.', 'SyntaxError');
    if (s.readyState !== OPEN) return;
    s.readyState = CLOSING;
    if (s.hostId !== null) {
      hostSync('web_socket_close', s.hostId, c, text);
      return;
    }
    const p = st(s.peer!);
    ArrayPrototypePush(p.inbox, { type: 'close', code: c ?? 1005, reason: text });
    deliverLocal(s.peer!, p);
  }

  get readyState(): number { return st(this).readyState; }
  get url(): string | null { return null; }
  get protocol(): string | null { return null; }
  get extensions(): string | null { return null; }
  get [Symbol.toStringTag](): string { return 'WebSocket'; }
}

function quoted(url: unknown): string {
  return typeof url === 'string' ? `'${url}'` : 'url';
}

// on<type> properties: https://html.spec.whatwg.org/multipage/webappapis.html#event-handler-attributes
for (const type of ['open', 'message', 'close', 'error']) {
  Object.defineProperty(WebSocket.prototype, `on${type}`, {
    configurable: true,
    enumerable: true,
    get(this: WebSocket) { return st(this).handlers[type] ?? null; },
    set(this: WebSocket, fn: unknown) {
      const s = st(this);
      const first = !(type in s.handlers);
      s.handlers[type] = typeof fn === 'function' ? (fn as (event: Event) => unknown) : null;
      if (first) this.addEventListener(type, (event) => { const h = s.handlers[type]; if (h) h.call(this, event); });
    },
  });
}

for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSING', CLOSING], ['CLOSED', CLOSED]] as const) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}

/** `new WebSocketPair()`: `0` is the client end (for the Response), `1` the server end. */
export class WebSocketPair {
  declare 0: WebSocket;
  declare 1: WebSocket;
  constructor() {
    const client = newSocket({});
    const server = newSocket({ peer: client });
    st(client).peer = server;
    Object.defineProperty(this, 0, { value: client, enumerable: true });
    Object.defineProperty(this, 1, { value: server, enumerable: true });
  }
  get [Symbol.toStringTag](): string { return 'WebSocketPair'; }
}

/**
 * The host socket id for a Response's `webSocket`, as fetch-event.ts sends the head
 * (undefined without one). The client end of a local pair gets a host socket here,
 * and what its peer already sent goes to the host, queued for the handshake.
 */
export function webSocketForResponse(response: Response, ctxId: number): number | undefined {
  const r = responseState(response);
  const ws = r.webSocket;
  if (ws === null || ws === undefined) return undefined;
  const s = ws instanceof WebSocket ? stateOf.get(ws) : undefined;
  if (!s) throw new TypeErrorCtor("The Response's webSocket must be a WebSocket (an end of a WebSocketPair).");
  if (r.status !== 101) throw new RangeErrorCtor(`Responses with a WebSocket must have status code 101, not ${r.status}.`);
  if (s.handedOff) throw new TypeErrorCtor('This WebSocket was already returned in a Response.');
  if (s.accepted) throw new TypeErrorCtor("Can't return a WebSocket that was accepted in a Response: accept the other end of the WebSocketPair and return this one.");
  if (s.hostId !== null) {
    if (!s.origin) throw new TypeErrorCtor('The other end of this WebSocketPair was already returned in a Response.');
    s.handedOff = true;
    return s.hostId;
  }
  const id = hostSync('web_socket_claim', ctxId);
  s.handedOff = true;
  const server = s.peer!;
  const p = st(server);
  p.peer = null;
  p.hostId = id;
  for (const item of s.inbox) {
    if (item.type === 'message') hostSync('web_socket_send', id, item.data);
    else hostSync('web_socket_close', id, item.code === 1005 ? null : item.code, item.reason);
  }
  s.inbox = [];
  if (p.accepted) receive(server, p);
  return id;
}

/**
 * fetch() of a request with `Upgrade: websocket` (fetch.ts sends it here). The signal
 * aborts the handshake; an open socket is closed with its request, or by close().
 */
export function connectWebSocket(method: string, url: string, headers: HeaderList, signal: AbortSignal): Promise<Response> {
  const init = { method, url, headers, body: null, redirect: 'manual' as const, cf: null, cache: null, signal: null };
  const opId = reserveOpId();
  return new PromiseCtor((resolve, reject) => {
    let settled = false;
    const off = onAbort(signal, () => {
      if (settled) return;
      settled = true;
      dropOp(opId);
      hostSync('op_abort', opId);
      reject(signal.reason);
    });
    PromisePrototypeThen(hostAsyncWithId(opId, 'web_socket_connect', init), (head) => {
      off();
      if (settled) return;
      settled = true;
      const response = responseFromHead(head, 'immutable');
      if (typeof head.webSocket === 'number') responseState(response).webSocket = newSocket({ hostId: head.webSocket, origin: true });
      resolve(response);
    }, (err) => {
      off();
      if (settled) return;
      settled = true;
      reject(err);
    });
  });
}
