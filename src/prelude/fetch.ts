// fetch(): https://fetch.spec.whatwg.org/#fetch-method
// The host does the network part (redirects, the sub-request limit, the connection);
// this side builds the Request, hands over its body (a stream is pulled by the host as
// it sends), and honours the AbortSignal before and after the response head arrives.

import type { BodyRef, RequestInit_, ResponseHead } from '../shared/ops.ts';
import { Request, requestState, type RequestInit } from './request.ts';
import { Response, responseFromHead } from './response.ts';
import { headerList } from './headers.ts';
import { registerHostBody, takeBodyRef } from './body.ts';
import { onAbort, type AbortSignal } from './abort.ts';
import { ReadableStream } from './streams.ts';
import { connectWebSocket } from './web-socket.ts';
import type { URL } from './url.ts';
import { dropOp, hostAsync, hostAsyncWithId, hostSync, reserveOpId } from './internal/bridge.ts';
import { PromiseCtor, PromisePrototypeThen, TypeErrorCtor } from './internal/primordials.ts';

export function fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
  return new PromiseCtor<Response>((resolve, reject) => {
    // Step 2: a Request built from the arguments; its errors reject the promise.
    const request = new Request(input as Request, init);
    const s = requestState(request);
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(s.url)?.[1].toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') {
      throw new TypeErrorCtor(`Fetch API cannot load: ${s.url}. Only http: and https: URLs are supported.`);
    }
    // Step 5: an already-aborted signal rejects at once, and no sub-request is made.
    if (s.signal.aborted) throw s.signal.reason;
    // Workers: a WebSocket to the origin, as the Response's `webSocket` (web-socket.ts).
    if (s.headers.get('upgrade')?.trim().toLowerCase() === 'websocket') {
      resolve(connectWebSocket(s.method, s.url, headerList(s.headers), s.signal));
      return;
    }
    sendRequest(request, (opId, sent) => hostAsyncWithId(opId, 'fetch', sent), resolve, reject);
  });
}

/**
 * Hands `request` to the host through the op `start` begins (the network for fetch(), a
 * bound worker for a service binding) and settles with the Response: the body goes
 * over (a stream is pulled as the host sends it), and the AbortSignal is honoured
 * before and after the response head arrives.
 */
export function sendRequest(
  request: Request,
  start: (opId: number, init: RequestInit_) => Promise<ResponseHead>,
  resolve: (response: Response) => void,
  reject: (reason: unknown) => void,
): void {
  const s = requestState(request);
  const opId = reserveOpId();
  const body = takeBodyRef(request, true);
  let settled = false;
  const off = onAbort(s.signal, () => {
    if (settled) return;
    settled = true;
    dropOp(opId);
    hostSync('op_abort', opId);
    reject(s.signal.reason);
  });
  const pending = start(opId, {
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
    if (settled) return;
    settled = true;
    // Workers semantics: the headers of a fetch response are immutable.
    resolve(responseFromHead(head, 'immutable', head.body === null ? null : responseBody(head.body, opId, s.signal)));
  }, (err) => {
    off();
    if (settled) return;
    settled = true;
    reject(err);
  });
}

/**
 * The body of a fetch response: read from the host chunk by chunk; an abort of the
 * request's signal after the head arrived errors it with the signal's reason and
 * closes the host connection (https://fetch.spec.whatwg.org/#abort-fetch step 4).
 */
export function responseBody(ref: Exclude<BodyRef, null>, opId: number, signal: AbortSignal): ReadableStream<Uint8Array> {
  let finished = false;
  let controllerRef: { error(e: unknown): void } | null = null;
  const off = onAbort(signal, () => {
    if (finished) return;
    finished = true;
    if ('stream' in ref) hostSync('stream_cancel', ref.stream);
    // Handed to the host as a passthrough body, the stream is closed through its op.
    hostSync('op_abort', opId);
    controllerRef?.error(signal.reason);
  });
  const done = (): void => {
    finished = true;
    off();
  };
  const readable = new ReadableStream<Uint8Array>({
    type: 'bytes',
    start(controller) {
      controllerRef = controller;
      if ('bytes' in ref) {
        if (ref.bytes.byteLength > 0) controller.enqueue(ref.bytes);
        controller.close();
        done();
      }
    },
    async pull(controller) {
      if (finished || !('stream' in ref)) return;
      let chunk: Uint8Array | null;
      try {
        // A byte stream refuses empty chunks, and a pull that enqueues nothing is not called again.
        do chunk = await hostAsync('stream_read', ref.stream);
        while (chunk !== null && chunk.byteLength === 0 && !finished);
      } catch (err) {
        if (finished) return;
        done();
        throw err;
      }
      // The signal fired while the read was on its way: the stream is already errored.
      if (finished) return;
      if (chunk === null) {
        done();
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      controller.enqueue(chunk);
    },
    cancel() {
      if (finished) return;
      done();
      if ('stream' in ref) hostSync('stream_cancel', ref.stream);
    },
  });
  if ('stream' in ref) registerHostBody(readable, ref.stream, signal);
  return readable;
}
