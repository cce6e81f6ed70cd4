// The global scope of a worker, assembled in one list: every global the platform adds,
// with its property descriptor. Interfaces are writable, configurable, non-enumerable,
// as WebIDL defines them on the global object.

import { Headers } from './headers.ts';
import { Request } from './request.ts';
import { Response } from './response.ts';
import { fetch } from './fetch.ts';
import { Blob } from './blob.ts';
import { File } from './file.ts';
import { FormData } from './form-data.ts';
import { FetchEvent, ExecutionContext } from './fetch-event.ts';
import { Event } from './event.ts';
import { EventTarget } from './event-target.ts';
import { DOMException } from './dom-exception.ts';
import { AbortController, AbortSignal } from './abort.ts';
import { TextDecoder, TextEncoder } from './encoding.ts';
import { TextDecoderStream, TextEncoderStream } from './encoding-stream.ts';
import { CompressionStream, DecompressionStream } from './compression.ts';
import { URL, URLSearchParams } from './url.ts';
import { URLPattern } from './url-pattern.ts';
import * as streams from './streams.ts';
import { console } from './console.ts';
import { clearInterval, clearTimeout, setInterval, setTimeout } from './timers.ts';
import { Crypto, crypto } from './crypto.ts';
import { CryptoKey } from './crypto-key.ts';
import { SubtleCrypto } from './subtle-crypto.ts';
import { structuredClone } from './structured-clone.ts';
import { atob, btoa } from './base64.ts';
import { queueMicrotask } from './queue-microtask.ts';
import { Navigator, navigator } from './navigator.ts';
import { Performance, performance } from './performance.ts';
import { Cache, CacheStorage, caches } from './cache.ts';
import { CloseEvent, ErrorEvent, MessageEvent, WebSocket, WebSocketPair } from './web-socket.ts';
import { HTMLRewriter } from './html-rewriter.ts';
import './kv-namespace.ts';
import './service-binding.ts';
import { globalTarget } from './internal/worker-state.ts';

const interfaces: Record<string, unknown> = {
  Headers, Request, Response, Blob, File, FormData, FetchEvent, ExecutionContext, Event, EventTarget, DOMException,
  AbortController, AbortSignal, TextEncoder, TextDecoder, URL, URLSearchParams, URLPattern,
  TextEncoderStream, TextDecoderStream, CompressionStream, DecompressionStream,
  Crypto, CryptoKey, SubtleCrypto, Navigator, Performance,
  WebSocket, WebSocketPair, MessageEvent, CloseEvent, ErrorEvent,
  Cache, CacheStorage, HTMLRewriter,
  ...streams,
};

const functions: Record<string, unknown> = {
  fetch, setTimeout, setInterval, clearTimeout, clearInterval, structuredClone, atob, btoa, queueMicrotask,
  addEventListener: globalTarget.addEventListener.bind(globalTarget),
  removeEventListener: globalTarget.removeEventListener.bind(globalTarget),
  dispatchEvent: globalTarget.dispatchEvent.bind(globalTarget),
};

const values: Record<string, unknown> = {
  console,
  caches,
  crypto,
  navigator,
  performance,
  self: globalThis,
};

export function installGlobals(): void {
  for (const [name, value] of Object.entries(interfaces)) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  }
  for (const [name, value] of Object.entries(functions)) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: true });
  }
  for (const [name, value] of Object.entries(values)) {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: true });
  }
}
