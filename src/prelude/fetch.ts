// fetch(): https://fetch.spec.whatwg.org/#fetch-method
// The host does the network part (redirects, the cache, the sub-request limit); this
// side builds the Request, hands over its body, and honours the AbortSignal.

import { Request, requestState, type RequestInit } from './request.ts';
import { Response, responseFromHead } from './response.ts';
import { headerList } from './headers.ts';
import { takeBodyRef } from './body.ts';
import { onAbort } from './abort.ts';
import type { URL } from './url.ts';
import { dropOp, hostAsyncWithId, hostSync, reserveOpId } from './internal/bridge.ts';
import { PromiseCtor, PromisePrototypeThen } from './internal/primordials.ts';

export function fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
  return new PromiseCtor<Response>((resolve, reject) => {
    const request = new Request(input as Request, init);
    const s = requestState(request);
    if (s.signal.aborted) throw s.signal.reason;
    const opId = reserveOpId();
    const body = takeBodyRef(request);
    const off = onAbort(s.signal, () => {
      dropOp(opId);
      hostSync('op_abort', opId);
      reject(s.signal.reason);
    });
    const pending = hostAsyncWithId(opId, 'fetch', {
      method: s.method,
      url: s.url,
      headers: headerList(s.headers),
      body,
      redirect: s.redirect,
      cf: s.cf === undefined ? null : s.cf,
      cache: s.cache,
      signal: null,
    });
    PromisePrototypeThen(pending, (head) => {
      off();
      resolve(responseFromHead(head));
    }, (err) => {
      off();
      reject(err);
    });
  });
}
