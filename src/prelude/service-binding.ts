// Service bindings: `env.AUTH` for a `service` binding is a Fetcher
// (https://developers.cloudflare.com/workers/runtime-apis/bindings/service-bindings/http/).
// `fetch()` takes what the global fetch() takes; the host runs the request in the bound
// worker, in-process (src/runtime/ops/service.ts). The URL only has to be an absolute
// http(s) URL: its host does not decide where the request goes, the binding does.

import type { BindingSpec } from '../shared/ops.ts';
import { Request, requestState, type RequestInit } from './request.ts';
import type { Response } from './response.ts';
import { DOMException } from './dom-exception.ts';
import { sendRequest } from './fetch.ts';
import type { URL } from './url.ts';
import { registerBinding } from './internal/env.ts';
import { hostAsyncWithId } from './internal/bridge.ts';
import { PromiseCtor, TypeErrorCtor } from './internal/primordials.ts';

const constructing = Symbol('Fetcher');

export class Fetcher {
  readonly #binding: string;

  /** @internal Made only by the binding factory below; `new` from tenant code throws. */
  constructor(token: symbol, binding: string) {
    if (token !== constructing) throw new TypeErrorCtor('Illegal constructor');
    this.#binding = binding;
  }

  /** Sends the request to the bound worker; the same steps as the global fetch() (fetch.ts). */
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
    const binding = this.#binding;
    return new PromiseCtor<Response>((resolve, reject) => {
      // A Request built from the arguments; its errors (a bad URL, a bad init) reject.
      const request = new Request(input as Request, init);
      const s = requestState(request);
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(s.url)?.[1].toLowerCase();
      if (scheme !== 'http' && scheme !== 'https') {
        throw new TypeErrorCtor(`Failed to execute 'fetch' on 'Fetcher' (binding "${binding}"): ${s.url} is not an http: or https: URL.`);
      }
      if (s.signal.aborted) throw s.signal.reason;
      sendRequest(request, (opId, sent) => hostAsyncWithId(opId, 'service_fetch', binding, sent), resolve, reject);
    });
  }

  /** A deliberate gap: TCP sockets to a bound worker need a sockets API atoll does not have. */
  connect(): never {
    throw new DOMException(`Failed to execute 'connect' on 'Fetcher' (binding "${this.#binding}"): atoll does not support TCP sockets over service bindings; use fetch().`, 'NotSupportedError');
  }

  get [Symbol.toStringTag](): string { return 'Fetcher'; }
}

registerBinding('service', (b) => new Fetcher(constructing, (b as Extract<BindingSpec, { type: 'service' }>).name));
