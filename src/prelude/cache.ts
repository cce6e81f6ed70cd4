// The Cache API as Workers has it: https://developers.cloudflare.com/workers/runtime-apis/cache/
// `caches.default` and `await caches.open(name)`; match / put / delete. Unlike the
// browser's Cache (https://w3c.github.io/ServiceWorker/#cache-interface), keys are
// GET requests only and the stored response's own headers (Cache-Control, Expires,
// Set-Cookie, Vary, ETag, Last-Modified) decide what is stored and for how long; that
// is the host's part (src/runtime/cache-policy.ts). Errors follow workerd's cache.c++.

import { Request } from './request.ts';
import { Response, responseFromHead, responseState } from './response.ts';
import { headerList } from './headers.ts';
import { takeBodyRef } from './body.ts';
import { DOMException } from './dom-exception.ts';
import { hostAsync } from './internal/bridge.ts';
import { PromiseReject, PromiseResolve, StringCtor, TypeErrorCtor } from './internal/primordials.ts';

type RequestInfo = Request | string | { href: string };

interface CacheQueryOptions {
  ignoreMethod?: boolean;
}

const constructing = Symbol('Cache');
// workerd's limit, which keeps the cache name small enough for a control header.
const MAX_CACHE_NAME_LENGTH = 1024;

function toRequest(input: RequestInfo): Request {
  return input instanceof Request ? input : new Request(StringCtor(input));
}

function promised<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err) {
    return PromiseReject(err);
  }
}

function notImplemented(method: string): Promise<never> {
  return PromiseReject(new DOMException(`Failed to execute '${method}' on 'Cache': the method is not implemented on Workers, nor in atoll; use put() and match().`, 'NotSupportedError'));
}

export class Cache {
  readonly #name: string | null;

  /** @internal Made by CacheStorage only. */
  constructor(token: symbol, name: string | null) {
    if (token !== constructing) throw new TypeErrorCtor('Illegal constructor');
    this.#name = name;
  }

  match(request: RequestInfo, options?: CacheQueryOptions): Promise<Response | undefined> {
    return promised(async () => {
      if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'match' on 'Cache': 1 argument required, but only 0 present.");
      const req = toRequest(request);
      const ignoreMethod = !!options?.ignoreMethod;
      if (req.method !== 'GET' && !ignoreMethod) return undefined;
      const { head } = await hostAsync('cache_match', this.#name, req.url, req.method, headerList(req.headers), ignoreMethod);
      return head === null ? undefined : responseFromHead(head);
    });
  }

  put(request: RequestInfo, response: Response): Promise<void> {
    return promised(() => {
      if (arguments.length < 2) throw new TypeErrorCtor(`Failed to execute 'put' on 'Cache': 2 arguments required, but only ${arguments.length} present.`);
      const req = toRequest(request);
      if (!(response instanceof Response)) throw new TypeErrorCtor("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
      if (req.method !== 'GET') throw new TypeErrorCtor('Cannot cache response to non-GET request.');
      const s = responseState(response);
      if (s.status === 206) throw new TypeErrorCtor('Cannot cache response to a range request (206 Partial Content).');
      const vary = s.headers.get('vary');
      if (vary !== null && vary.includes('*')) throw new TypeErrorCtor("Cannot cache response with 'Vary: *' header.");
      if (s.webSocket) throw new TypeErrorCtor('Cannot cache WebSocket upgrade response.');
      // A cached 304 would later answer unconditional requests: workerd drops it silently.
      if (s.status === 304) return PromiseResolve(undefined);
      // The body is taken now, so the caller sees it disturbed as soon as put() returns.
      const body = takeBodyRef(response);
      return hostAsync('cache_put', this.#name, req.url, req.method, headerList(req.headers), {
        status: s.status,
        statusText: s.statusText,
        headers: headerList(s.headers),
        body,
        url: '',
        redirected: false,
      });
    });
  }

  delete(request: RequestInfo, options?: CacheQueryOptions): Promise<boolean> {
    return promised(async () => {
      if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'delete' on 'Cache': 1 argument required, but only 0 present.");
      const req = toRequest(request);
      const ignoreMethod = !!options?.ignoreMethod;
      if (req.method !== 'GET' && !ignoreMethod) return false;
      return hostAsync('cache_delete', this.#name, req.url, req.method, ignoreMethod);
    });
  }

  add(): Promise<never> { return notImplemented('add'); }
  addAll(): Promise<never> { return notImplemented('addAll'); }
  matchAll(): Promise<never> { return notImplemented('matchAll'); }
  keys(): Promise<never> { return notImplemented('keys'); }

  get [Symbol.toStringTag](): string { return 'Cache'; }
}

export class CacheStorage {
  readonly #default = new Cache(constructing, null);

  /** @internal One instance, the `caches` global. */
  constructor(token: symbol) {
    if (token !== constructing) throw new TypeErrorCtor('Illegal constructor');
  }

  get default(): Cache {
    return this.#default;
  }

  open(cacheName: string): Promise<Cache> {
    return promised(async () => {
      if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'open' on 'CacheStorage': 1 argument required, but only 0 present.");
      const name = StringCtor(cacheName);
      if (name.length >= MAX_CACHE_NAME_LENGTH) throw new TypeErrorCtor('Cache name is too long.');
      return new Cache(constructing, name);
    });
  }

  get [Symbol.toStringTag](): string { return 'CacheStorage'; }
}

export const caches = new CacheStorage(constructing);
