// Every host op, by name. The contract (src/shared/ops.ts) declares them; a test checks
// that each declared op has its handler here.

import type { HeaderList, RequestInit_, ResponseHead } from '../../shared/ops.ts';
import type { HostStream } from '../host-stream.ts';
import type { Invocation } from '../invocation.ts';
import type { WorkerIsolate } from '../worker-isolate.ts';
import type { KvStore } from '../../store/kv.ts';
import { consoleOps } from './console.ts';
import { timerOps } from './timers.ts';
import { streamSyncOps, streamAsyncOps } from './streams.ts';
import { responseOps } from './respond.ts';
import { fetchSyncOps, fetchAsyncOps } from './fetch.ts';
import { cryptoSyncOps, cryptoAsyncOps } from './crypto.ts';
import { kvOps } from './kv.ts';
import { cacheOps } from './cache.ts';
import { webSocketSyncOps, webSocketAsyncOps } from './web-socket.ts';
import type { WebSocket as Ws } from 'ws';
import { htmlRewriterOps } from './html-rewriter.ts';
import { serviceOps, type ServiceCall } from './service.ts';

export interface OpContext {
  worker: WorkerIsolate;
  /** The invocation whose task is running (null while the worker's top level runs). */
  inv: Invocation | null;
  opId: number;
  /** Aborted when the op's invocation ends or tenant code aborts it. */
  signal?: AbortSignal;
}

export interface OutboundResponse {
  head: Omit<ResponseHead, 'body'>;
  body: HostStream | null;
  /** An upgrade fetch the origin accepted: the open socket (web-socket-upgrade.ts). */
  webSocket?: Ws;
}

/** What the embedder (atoll dev, an edge node) provides to the runtime. */
export interface HostServices {
  /**
   * One HTTP exchange of a worker's outbound fetch, counted by the runtime first. It
   * returns a 3xx as it is: the runtime follows redirects, calling this once per hop.
   */
  fetch(ctx: OpContext, init: RequestInit_, body: HostStream | null, signal: AbortSignal): Promise<OutboundResponse>;
  /**
   * A service binding's fetch (ops/service.ts): the runtime has checked the binding is
   * the caller's, counted the sub-request and bounded the depth; the embedder runs the
   * request in the bound worker (runtime/invoke.ts) or refuses it with a clear error.
   */
  service?(ctx: OpContext, call: ServiceCall): Promise<OutboundResponse>;
  /** KV namespaces (src/store/kv.ts); a worker reaches only the ids in its bindings. */
  kv?: KvStore;
  cache?: CacheBackend;
  /** Structured log sink for platform events. */
  log(fields: Record<string, unknown>): void;
  /** A console line from tenant code. */
  console?(worker: WorkerIsolate, inv: Invocation | null, level: string, message: string): void;
  /** The isolate stopped (limit, crash); the embedder replaces it. */
  onDead?(worker: WorkerIsolate, reason: string): void;
}

/** Where a worker's cache.put/match/delete land: in memory in dev, on disk at an edge. */
export interface CacheBackend {
  /**
   * The stored response for a GET of `url`, answering the request headers as a cache
   * does (Vary, Range, If-None-Match, If-Modified-Since), or null on a miss.
   */
  match(cacheName: string | null, url: string, reqHeaders: HeaderList): Promise<OutboundResponse | null>;
  /**
   * Stores a response the caller already checked (GET, not 206, no `Vary: *`). The
   * backend decides whether it is storable and for how long, and reads `body` to its
   * end, or cancels it and stores nothing (too large).
   */
  put(cacheName: string | null, url: string, reqHeaders: HeaderList, head: Omit<ResponseHead, 'body'>, body: HostStream): Promise<void>;
  delete(cacheName: string | null, url: string): Promise<boolean>;
}

type SyncHandler = (ctx: OpContext, ...args: any[]) => unknown;
type AsyncHandler = (ctx: OpContext, ...args: any[]) => Promise<unknown>;

export const syncOps: Record<string, SyncHandler> = {
  ...consoleOps,
  ...timerOps.sync,
  ...streamSyncOps,
  ...responseOps,
  ...fetchSyncOps,
  ...cryptoSyncOps,
  ...webSocketSyncOps,
  ...htmlRewriterOps,
};

export const asyncOps: Record<string, AsyncHandler> = {
  ...timerOps.async,
  ...streamAsyncOps,
  ...fetchAsyncOps,
  ...cryptoAsyncOps,
  ...kvOps,
  ...cacheOps,
  ...webSocketAsyncOps,
  ...serviceOps,
};
