// Response: https://fetch.spec.whatwg.org/#response-class

import type { ResponseHead } from '../shared/ops.ts';
import { Body, bodyFromRef, initBody, cloneBody, extractBody, registerContentTypeLookup, type BodyInit } from './body.ts';
import { Headers, getGuard, headersFromList, setGuard, type HeadersInit } from './headers.ts';
import { JSONStringify, RangeErrorCtor, TypeErrorCtor } from './internal/primordials.ts';
import { URL } from './url.ts';
import type { ReadableStream } from './streams.ts';

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
  /** Workers: the client side of a WebSocketPair for a 101 response. */
  webSocket?: unknown;
  /** Workers: 'manual' means the body is already encoded as Content-Encoding says. */
  encodeBody?: 'automatic' | 'manual';
  cf?: unknown;
}

type ResponseType = 'basic' | 'cors' | 'default' | 'error' | 'opaque' | 'opaqueredirect';

interface ResponseState {
  status: number;
  statusText: string;
  headers: Headers;
  type: ResponseType;
  url: string;
  redirected: boolean;
  webSocket: unknown;
  encodeBody: 'automatic' | 'manual';
  cf: unknown;
}

const stateOf = new WeakMap<Response, ResponseState>();
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
// https://fetch.spec.whatwg.org/#concept-response-status-message: a reason-phrase token.
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

// WebIDL `unsigned short` (https://webidl.spec.whatwg.org/#es-unsigned-short): truncated, modulo 2^16.
function toUint16(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) return 0;
  return ((Math.trunc(n) % 65536) + 65536) % 65536;
}

function st(r: Response): ResponseState {
  const s = stateOf.get(r);
  if (!s) throw new TypeErrorCtor('Illegal invocation');
  return s;
}

export class Response extends Body {
  constructor(body: BodyInit = null, init: ResponseInit = {}) {
    super();
    if (init !== undefined && init !== null && typeof init !== 'object') throw new TypeErrorCtor("Failed to construct 'Response': cannot convert init to a dictionary.");
    init ??= {};
    const status = init.status === undefined ? 200 : toUint16(init.status);
    const webSocket = init.webSocket ?? null;
    // Workers allow status 101 only together with a WebSocket.
    const minStatus = webSocket ? 101 : 200;
    if (status < minStatus || status > 599) {
      throw new RangeErrorCtor(`Failed to construct 'Response': The status provided (${status}) is outside the range [${minStatus}, 599].`);
    }
    const encodeBody = init.encodeBody ?? 'automatic';
    if (encodeBody !== 'automatic' && encodeBody !== 'manual') throw new TypeErrorCtor(`Failed to construct 'Response': encodeBody must be "automatic" or "manual", not "${String(encodeBody)}".`);
    const statusText = init.statusText === undefined ? '' : String(init.statusText);
    if (!REASON_PHRASE.test(statusText)) throw new TypeErrorCtor("Failed to construct 'Response': Invalid statusText.");
    const headers = new Headers(init.headers);
    setGuard(headers, 'response');
    const extracted = extractBody(body);
    if ((extracted.bytes || extracted.stream) && NULL_BODY_STATUSES.has(status)) {
      throw new TypeErrorCtor(`Failed to construct 'Response': Response with null body status (${status}) cannot have body.`);
    }
    if (extracted.contentType && !headers.has('content-type')) headers.append('content-type', extracted.contentType);
    initBody(this, extracted.bytes, extracted.stream);
    stateOf.set(this, {
      status,
      statusText,
      headers,
      type: 'default',
      url: '',
      redirected: false,
      webSocket,
      encodeBody,
      cf: init.cf,
    });
  }

  static error(): Response {
    const r = new Response(null, { status: 200 });
    const s = st(r);
    s.status = 0;
    s.type = 'error';
    setGuard(s.headers, 'immutable');
    return r;
  }

  // https://fetch.spec.whatwg.org/#dom-response-redirect
  static redirect(url: string | { href: string }, status = 302): Response {
    let parsed: string;
    try {
      parsed = new URL(String(url)).href;
    } catch {
      throw new TypeErrorCtor(`Failed to execute 'redirect' on 'Response': Invalid URL "${String(url)}".`);
    }
    status = Number(status);
    if (!REDIRECT_STATUSES.has(status)) throw new RangeErrorCtor(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`);
    const r = new Response(null, { status, headers: { location: parsed } });
    setGuard(st(r).headers, 'immutable');
    return r;
  }

  // https://fetch.spec.whatwg.org/#dom-response-json
  static json(data: unknown, init: ResponseInit = {}): Response {
    if (init !== undefined && init !== null && typeof init !== 'object') throw new TypeErrorCtor("Failed to execute 'json' on 'Response': cannot convert init to a dictionary.");
    init ??= {};
    const text = JSONStringify(data);
    if (text === undefined) throw new TypeErrorCtor("Failed to execute 'json' on 'Response': The data is not JSON serializable.");
    const headers = new Headers(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { ...init, headers });
  }

  get type(): ResponseType { return st(this).type; }
  get url(): string { return st(this).url; }
  get redirected(): boolean { return st(this).redirected; }
  get status(): number { return st(this).status; }
  get ok(): boolean { const s = st(this).status; return s >= 200 && s <= 299; }
  get statusText(): string { return st(this).statusText; }
  get headers(): Headers { return st(this).headers; }
  get webSocket(): unknown { return st(this).webSocket; }
  get cf(): unknown { return st(this).cf; }
  get encodeBody(): string { return st(this).encodeBody; }

  clone(): Response {
    const s = st(this);
    if (s.webSocket) throw new TypeErrorCtor('Cannot clone a response to a WebSocket handshake.');
    const { bytes, stream } = cloneBody(this);
    const r = new Response(null, { status: s.status === 0 ? 200 : s.status, statusText: s.statusText });
    initBody(r, bytes, stream);
    const c = st(r);
    c.status = s.status;
    c.headers = new Headers(s.headers);
    setGuard(c.headers, getGuard(s.headers));
    c.type = s.type;
    c.url = s.url;
    c.redirected = s.redirected;
    c.encodeBody = s.encodeBody;
    c.cf = s.cf;
    return r;
  }

  get [Symbol.toStringTag](): string { return 'Response'; }
}

registerContentTypeLookup((b) => {
  const s = b instanceof Response ? stateOf.get(b) : undefined;
  return s ? s.headers.get('content-type') : undefined;
});

/** A Response for a head the host sent (fetch results, cache matches). */
export function responseFromHead(head: ResponseHead, guard: 'immutable' | 'response' = 'immutable', body?: ReadableStream<Uint8Array> | null): Response {
  const { bytes, stream } = body === undefined ? bodyFromRef(head.body) : { bytes: null, stream: body };
  const r = new Response(null, { status: head.status < 200 ? 200 : head.status });
  initBody(r, bytes, stream);
  const s = st(r);
  s.status = head.status;
  s.statusText = head.statusText;
  s.headers = headersFromList(head.headers, guard);
  s.url = head.url;
  s.redirected = head.redirected;
  return r;
}

export function responseState(r: Response): ResponseState {
  return st(r);
}
