// Request: https://fetch.spec.whatwg.org/#request-class

import type { IncomingRequest } from '../shared/ops.ts';
import { Body, bodyFromRef, initBody, bodyState, cloneBody, extractBody, registerContentTypeLookup, type BodyInit } from './body.ts';
import { Headers, getGuard, headersFromList, setGuard, type HeadersInit } from './headers.ts';
import { AbortSignal, createSignal } from './abort.ts';
import { URL } from './url.ts';
import { ReflectConstruct, TypeErrorCtor } from './internal/primordials.ts';

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit;
  redirect?: 'follow' | 'manual' | 'error';
  signal?: AbortSignal | null;
  cf?: unknown;
  cache?: string;
  integrity?: string;
  duplex?: 'half';
  // Accepted and ignored, as on Workers (no browser context here).
  mode?: string;
  credentials?: string;
  referrer?: string;
  referrerPolicy?: string;
  keepalive?: boolean;
}

interface RequestState {
  method: string;
  url: string;
  headers: Headers;
  redirect: 'follow' | 'manual' | 'error';
  /** Made on first read for an incoming request (nothing aborts it). */
  signal: AbortSignal | null;
  cf: unknown;
  cache: string | null;
  integrity: string;
}

const stateOf = new WeakMap<Request, RequestState>();
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// https://fetch.spec.whatwg.org/#concept-method-normalize, plus PATCH: Workers upper-cases
// every method it knows (the upper_case_all_http_methods flag, default since 2024-10-14).
const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH']);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const CACHE_MODES = new Set(['no-store', 'no-cache', 'default', 'reload', 'force-cache', 'only-if-cached']);

function st(r: Request): RequestState {
  const s = stateOf.get(r);
  if (!s) throw new TypeErrorCtor('Illegal invocation');
  return s;
}

function fail(msg: string): never {
  throw new TypeErrorCtor(`Failed to construct 'Request': ${msg}`);
}

// https://fetch.spec.whatwg.org/#dom-request steps 25.1-25.4: validated and normalized.
function normalizeMethod(method: unknown): string {
  const m = String(method);
  if (!TOKEN.test(m)) fail(`'${m}' is not a valid HTTP method.`);
  const upper = m.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) fail(`'${m}' HTTP method is unsupported.`);
  return NORMALIZED.has(upper) ? upper : m;
}

// https://fetch.spec.whatwg.org/#dom-request
export class Request extends Body {
  constructor(input: Request | string | URL, init: RequestInit = {}) {
    super();
    if (arguments.length === 0) fail('1 argument required, but only 0 present.');
    if (init !== undefined && init !== null && typeof init !== 'object') fail('cannot convert init to a dictionary.');
    init ??= {};
    let base: RequestState | null = null;
    let url: string;
    if (input instanceof Request) {
      base = st(input);
      url = base.url;
    } else {
      let parsed: URL;
      try {
        parsed = new URL(String(input));
      } catch {
        fail(`Invalid URL "${String(input)}": a Request needs an absolute URL.`);
      }
      if (parsed.username || parsed.password) fail('Request cannot be constructed from a URL that includes credentials.');
      url = parsed.href;
    }
    const method = init.method !== undefined ? normalizeMethod(init.method) : base?.method ?? 'GET';
    const redirect = init.redirect ?? base?.redirect ?? 'follow';
    if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') fail(`Invalid redirect value "${redirect}".`);
    const cache = init.cache ?? base?.cache ?? null;
    if (cache !== null && !CACHE_MODES.has(cache)) fail(`Invalid cache mode "${cache}".`);
    const headers = new Headers(init.headers ?? (base ? base.headers : undefined));
    setGuard(headers, 'request');
    let bytes: Uint8Array | null = null;
    let stream = null;
    const inputHasBody = input instanceof Request && (bodyState(input).bytes !== null || bodyState(input).stream !== null);
    // Steps 34-35: neither a new body nor one taken from the input may go with GET or HEAD.
    if ((method === 'GET' || method === 'HEAD') && ((init.body !== undefined && init.body !== null) || inputHasBody)) {
      fail('Request with GET/HEAD method cannot have body.');
    }
    if (init.signal !== undefined && init.signal !== null && !(init.signal instanceof AbortSignal)) {
      fail("member signal is not of type AbortSignal.");
    }
    if (init.body !== undefined && init.body !== null) {
      const extracted = extractBody(init.body);
      bytes = extracted.bytes;
      stream = extracted.stream;
      if (extracted.contentType && !headers.has('content-type')) headers.append('content-type', extracted.contentType);
    } else if (input instanceof Request) {
      if (input.bodyUsed) fail('Cannot construct a Request with a Request object that has already been used.');
      const s = bodyState(input);
      bytes = s.bytes;
      stream = s.stream;
      // The new request takes the old one's body (spec step 41: the input body is disturbed).
      if (stream || bytes) s.consumed = true;
    }
    initBody(this, bytes, stream);
    const signal = init.signal !== undefined ? init.signal : (input instanceof Request ? input.signal : undefined);
    stateOf.set(this, {
      method,
      url,
      headers,
      redirect,
      signal: signal instanceof AbortSignal ? AbortSignal.any([signal]) : createSignal(),
      cf: init.cf !== undefined ? init.cf : base?.cf,
      cache,
      integrity: String(init.integrity ?? base?.integrity ?? ''),
    });
  }

  get method(): string { return st(this).method; }
  get url(): string { return st(this).url; }
  get headers(): Headers { return st(this).headers; }
  get redirect(): string { return st(this).redirect; }
  get signal(): AbortSignal {
    const s = st(this);
    return s.signal ??= createSignal();
  }
  get cf(): unknown { return st(this).cf; }
  get cache(): string | undefined { return st(this).cache ?? undefined; }
  get integrity(): string { return st(this).integrity; }
  get keepalive(): boolean { return false; }
  get destination(): string { return ''; }
  get mode(): string { return 'navigate'; }
  get credentials(): string { return 'same-origin'; }
  get referrer(): string { return 'about:client'; }
  get referrerPolicy(): string { return ''; }
  get duplex(): string { return 'half'; }

  clone(): Request {
    const s = st(this);
    const { bytes, stream } = cloneBody(this);
    const r = new Request(s.url, { method: s.method, headers: s.headers, redirect: s.redirect, signal: this.signal, cf: s.cf, integrity: s.integrity });
    initBody(r, bytes, stream);
    st(r).cache = s.cache;
    setGuard(st(r).headers, getGuard(s.headers));
    return r;
  }

  get [Symbol.toStringTag](): string { return 'Request'; }
}

registerContentTypeLookup((b) => {
  const s = b instanceof Request ? stateOf.get(b) : undefined;
  return s ? s.headers.get('content-type') : undefined;
});

/** The Request a handler receives for an incoming HTTP request (immutable headers). */
export function requestFromIncoming(incoming: IncomingRequest): Request {
  const { bytes, stream } = bodyFromRef(incoming.body);
  if (!incoming.urlChecked) {
    const r = new Request(incoming.url, { method: incoming.method });
    const s = st(r);
    s.headers = headersFromList(incoming.headers, 'immutable');
    s.cf = incoming.cf;
    initBody(r, bytes, stream);
    return r;
  }
  // On every request's path: the host parsed the URL already, so the constructor (which
  // would parse it again and make headers and a signal only to replace them) is skipped.
  const method = normalizeMethod(incoming.method);
  const r = ReflectConstruct(Body, [], Request) as Request;
  initBody(r, bytes, stream);
  stateOf.set(r, {
    method,
    url: incoming.url,
    headers: headersFromList(incoming.headers, 'immutable'),
    redirect: 'follow',
    signal: null,
    cf: incoming.cf,
    cache: null,
    integrity: '',
  });
  return r;
}

export function requestState(r: Request): RequestState & { signal: AbortSignal } {
  const s = st(r);
  s.signal ??= createSignal();
  return s as RequestState & { signal: AbortSignal };
}
