// The host <-> isolate contract, declared once. Both the host (src/runtime) and the
// prelude (src/prelude) compile against this file; it must stay free of Node and DOM
// types because the prelude's tsconfig has neither.
//
// How calls flow:
// - The prelude calls the host through two captured callbacks. `sync(name, args)` runs a
//   SyncOps entry and returns its result (copied). `start(opId, name, args)` begins an
//   AsyncOps entry; the host later delivers `{ kind: 'complete', opId, ... }` as a task.
// - The host calls the isolate only through `task(msg)`, one TaskMessage at a time, so
//   every macrotask in the isolate has a known owner (the invocation it works for) and
//   its CPU time is charged to that owner (see docs/architecture.md, "CPU accounting").
// - Bytes cross as copies (Uint8Array). Streams and bodies cross as integer ids into a
//   per-isolate resource table: disposing the isolate frees everything it held.

/** A header list as it crosses the bridge: ordered [name, value] pairs, names lower-case. */
export type HeaderList = [string, string][];

/** The body of a message crossing the bridge: none, all bytes at once, or a stream id. */
/** A stream's `length` is set when a FixedLengthStream promised it: the Content-Length to send. */
export type BodyRef = null | { bytes: Uint8Array } | { stream: number; length?: number };

export interface RequestInit_ {
  method: string;
  url: string;
  headers: HeaderList;
  body: BodyRef;
  redirect: 'follow' | 'manual' | 'error';
  /** Workers' `cf` request options (cacheTtl, cacheEverything, ...), as plain JSON. */
  cf: unknown;
  /** `cache: 'no-store'` and friends. */
  cache: string | null;
  /** Op id of the AbortSignal registration, if the request can be aborted. */
  signal: number | null;
}

export interface ResponseHead {
  status: number;
  statusText: string;
  headers: HeaderList;
  body: BodyRef;
  url: string;
  redirected: boolean;
  /** Workers' `encodeBody`: 'manual' means the body is already encoded as Content-Encoding says. */
  encodeBody?: 'automatic' | 'manual';
  /** A 101's WebSocket: the id of a host socket of this isolate (web_socket_claim, web_socket_connect). */
  webSocket?: number;
}

/** One event of a host WebSocket, as `web_socket_receive` delivers it. */
export type WebSocketEvent =
  | { type: 'message'; data: string | Uint8Array }
  | { type: 'close'; code: number; reason: string; wasClean: boolean }
  | { type: 'error'; message: string };

/** What the host hands the isolate for one incoming request. */
export interface IncomingRequest {
  method: string;
  url: string;
  /**
   * Set by the host (WorkerIsolate.fetch) when it parsed `url` and sends its
   * serialization, an absolute URL without credentials: the prelude does not parse it again.
   */
  urlChecked?: boolean;
  headers: HeaderList;
  body: BodyRef;
  cf: Record<string, unknown>;
}

/** Bindings as described to the isolate: the prelude turns them into `env` objects. */
export type BindingSpec =
  | { type: 'plain_text'; name: string; text: string }
  | { type: 'json'; name: string; json: unknown }
  | { type: 'secret_text'; name: string; text: string }
  | { type: 'kv_namespace'; name: string; namespaceId: string }
  | { type: 'service'; name: string; service: string };

export type WorkerFormat = 'modules' | 'service-worker';

export interface CryptoKeyInfo {
  handle: number;
  type: 'secret' | 'public' | 'private';
  extractable: boolean;
  algorithm: Record<string, unknown>;
  usages: string[];
}

export interface CryptoKeyPairInfo {
  publicKey: CryptoKeyInfo;
  privateKey: CryptoKeyInfo;
}

/**
 * A Web Crypto algorithm as the prelude hands it over: its members read and copied,
 * BufferSources as bytes, `hash` normalized, a peer key (`public`) by handle. The host
 * re-checks every member; Node's webcrypto then runs the spec's own normalization.
 */
export interface CryptoAlgorithm {
  name: string;
  hash?: CryptoAlgorithm;
  public?: number;
  iv?: Uint8Array;
  additionalData?: Uint8Array;
  counter?: Uint8Array;
  salt?: Uint8Array;
  info?: Uint8Array;
  label?: Uint8Array;
  publicExponent?: Uint8Array;
  length?: number | null;
  tagLength?: number;
  iterations?: number;
  modulusLength?: number;
  saltLength?: number;
  namedCurve?: string;
}

/** Key material for importKey: bytes (raw, spki, pkcs8) or a JSON Web Key as plain data. */
export type CryptoKeyData = Uint8Array | Record<string, unknown>;

// KV metadata crosses as JSON text: the prelude serializes it (as Workers does), the
// host measures the text against the 1024-byte limit and stores it as it came.
export interface KvGetResult {
  value: Uint8Array | null;
  /** JSON text, or null. */
  metadata: string | null;
}

export interface KvListResult {
  keys: { name: string; expiration?: number; metadata?: string }[];
  list_complete: boolean;
  cursor?: string;
}

export interface KvPutOptions {
  expiration?: number | null;
  expirationTtl?: number | null;
  /** JSON text, or null. */
  metadata?: string | null;
}

export interface CacheMatchResult {
  head: ResponseHead | null;
}

/** Ops that return at once. Keep them cheap: the isolate thread waits for the answer. */
export interface SyncOps {
  /** One console call; `level` is log/info/warn/error/debug. */
  console_write(level: string, text: string): void;
  /** `n` bytes from the host's CSPRNG (n <= 65536, checked by both sides). */
  random_bytes(n: number): Uint8Array;
  /** Schedules a timer; completion arrives as an async op result of the same id. */
  timer_cancel(opId: number): void;
  /**
   * The response for invocation `ctxId`: head first; a stream body is pulled later.
   * `waitUntilDone` says no waitUntil work is pending, as wait_until_done would (one
   * crossing instead of two for most requests).
   */
  respond(ctxId: number, head: ResponseHead, waitUntilDone: boolean): void;
  /** The answer to a host `pull` of stream `streamId`: a chunk, or null at the end. */
  stream_chunk(streamId: number, chunk: Uint8Array | null, error: string | null): void;
  /** Stops host stream `streamId` (a request body, a fetch response body). */
  stream_cancel(streamId: number): void;
  /** Tells the host the invocation's handler failed before a response existed. */
  fail(ctxId: number, error: ErrorInfo, passThrough: boolean): void;
  /** Signals that everything `waitUntil` was given has settled for invocation `ctxId`. */
  wait_until_done(ctxId: number): void;
  /** AbortSignal fired for outbound op `opId` (a fetch in flight). */
  op_abort(opId: number): void;
  /** The isolate's CryptoKey `handle` was garbage-collected: the host forgets the key. */
  crypto_key_release(handle: number): void;
  /** crypto.DigestStream: an incremental hash (SHA-1/256/384/512, MD5) by handle. */
  crypto_hash_create(algorithm: string): number;
  crypto_hash_update(handle: number, chunk: Uint8Array): void;
  /** The digest; the handle is closed. */
  crypto_hash_digest(handle: number): Uint8Array;
  crypto_hash_free(handle: number): void;
  /** A host socket for the client end of a WebSocketPair that invocation `ctxId` returns in a 101. */
  web_socket_claim(ctxId: number): number;
  /** Sends one message on host socket `id` (queued until its handshake is done). */
  web_socket_send(id: number, data: string | Uint8Array): void;
  /** Starts the closing handshake of host socket `id`; `code` null sends none. */
  web_socket_close(id: number, code: number | null, reason: string): void;
  /** The isolate dispatched the close event of host socket `id`: the host forgets it. */
  web_socket_release(id: number): void;
  /** lol-html as WebAssembly (html-rewriter-wasm), its memory capped at HTML_REWRITER_MAX_PAGES. */
  html_rewriter_wasm(): Uint8Array;
}

/** Ops whose result arrives later as a `complete` task. */
export interface AsyncOps {
  timer_sleep(ms: number): void;
  stream_read(streamId: number): Uint8Array | null;
  fetch(init: RequestInit_): ResponseHead;
  crypto_digest(algorithm: CryptoAlgorithm, data: Uint8Array): Uint8Array;
  crypto_generate_key(algorithm: CryptoAlgorithm, extractable: boolean, usages: string[]): CryptoKeyInfo | CryptoKeyPairInfo;
  crypto_import_key(format: string, keyData: CryptoKeyData, algorithm: CryptoAlgorithm, extractable: boolean, usages: string[]): CryptoKeyInfo;
  crypto_export_key(format: string, key: number): CryptoKeyData;
  crypto_sign(algorithm: CryptoAlgorithm, key: number, data: Uint8Array): Uint8Array;
  crypto_verify(algorithm: CryptoAlgorithm, key: number, signature: Uint8Array, data: Uint8Array): boolean;
  crypto_encrypt(algorithm: CryptoAlgorithm, key: number, data: Uint8Array): Uint8Array;
  crypto_decrypt(algorithm: CryptoAlgorithm, key: number, data: Uint8Array): Uint8Array;
  crypto_derive_bits(algorithm: CryptoAlgorithm, key: number, length: number | null): Uint8Array;
  crypto_derive_key(algorithm: CryptoAlgorithm, key: number, derivedKeyType: CryptoAlgorithm, extractable: boolean, usages: string[]): CryptoKeyInfo;
  crypto_wrap_key(format: string, key: number, wrappingKey: number, wrapAlgorithm: CryptoAlgorithm): Uint8Array;
  crypto_unwrap_key(format: string, wrappedKey: Uint8Array, unwrappingKey: number, unwrapAlgorithm: CryptoAlgorithm, unwrappedKeyAlgorithm: CryptoAlgorithm, extractable: boolean, usages: string[]): CryptoKeyInfo;
  kv_get(namespaceId: string, key: string, cacheTtl: number | null): KvGetResult;
  /** get() with an array of keys (1 to 100): one result per key, in order; one sub-request. */
  kv_get_bulk(namespaceId: string, keys: string[], cacheTtl: number | null): KvGetResult[];
  /** The value as bytes, or as an isolate stream the host pulls (up to the 25 MiB limit). */
  kv_put(namespaceId: string, key: string, value: { bytes: Uint8Array } | { stream: number }, options: KvPutOptions): void;
  kv_delete(namespaceId: string, key: string): void;
  kv_list(namespaceId: string, prefix: string | null, limit: number | null, cursor: string | null): KvListResult;
  /** `cacheName` null is caches.default; `headers` are the request's (Range, conditionals, Vary). */
  cache_match(cacheName: string | null, url: string, method: string, headers: HeaderList, ignoreMethod: boolean): CacheMatchResult;
  cache_put(cacheName: string | null, url: string, method: string, req: HeaderList, head: ResponseHead): void;
  cache_delete(cacheName: string | null, url: string, method: string, ignoreMethod: boolean): boolean;
  /** The next event of host socket `id`; the host reads the peer no faster than this is called. */
  web_socket_receive(id: number): WebSocketEvent;
  /** fetch() with `Upgrade: websocket`: a 101 head with `webSocket`, or the origin's other answer. */
  web_socket_connect(init: RequestInit_): ResponseHead;
  /**
   * `env.<binding>.fetch()`: the request runs in the worker the service binding names,
   * in-process; `binding` must be one of the caller's own service bindings. One sub-request.
   */
  service_fetch(binding: string, init: RequestInit_): ResponseHead;
}

export type SyncOpName = keyof SyncOps;
export type AsyncOpName = keyof AsyncOps;

/**
 * Largest WebAssembly.Memory, in 64 KiB pages (128 MiB): the host sets it as a V8 flag,
 * the prelude charges a memory without a declared maximum at this size.
 */
export const WASM_MAX_PAGES = 2048;

/**
 * Largest memory of one HTMLRewriter's WebAssembly instance, in 64 KiB pages (8 MiB): each
 * transform in flight holds one, charged against the isolate's WebAssembly budget (16 at
 * once in a 128 MB worker).
 */
export const HTML_REWRITER_MAX_PAGES = 128;

/** Prefix of the message of an error a host op throws; the rest is JSON ErrorInfo. */
export const OP_ERROR_MARK = '\u0000atoll-op-error:';

/** Errors cross the bridge by type, not as strings: see `ErrorCode`. */
export interface ErrorInfo {
  /** The constructor the isolate should build: TypeError, RangeError, DOMException:<name>, Error. */
  type: string;
  message: string;
  stack?: string;
}

/** Messages the host sends into the isolate, one per macrotask. */
export type TaskMessage =
  | { kind: 'fetch'; ctxId: number; request: IncomingRequest }
  | { kind: 'scheduled'; ctxId: number; cron: string; scheduledTime: number }
  | { kind: 'complete'; opId: number; ok: true; value: unknown }
  | { kind: 'complete'; opId: number; ok: false; error: ErrorInfo }
  | { kind: 'pull'; streamId: number }
  | { kind: 'cancel'; streamId: number; reason: string }
  | { kind: 'end'; ctxId: number };

/** Configuration the host passes once, after booting the prelude, before tenant code runs. */
export interface WorkerSetup {
  format: WorkerFormat;
  bindings: BindingSpec[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** True in `atoll dev`: uncaught exceptions also go into the response body. */
  dev: boolean;
  /** The isolate's heap limit; the prelude bounds WebAssembly memory and array bombs by it. */
  memoryMb: number;
}

/**
 * Sync ops the prelude posts without waiting for the host (an isolated-vm callback with
 * `ignored: true`): each carries the ids it needs, returns nothing, and the host handles
 * its own errors. They are the per-request crossings of the warm path, so not blocking
 * the isolate thread on the main thread for them matters.
 */
export const POST_OPS = ['respond', 'fail', 'wait_until_done', 'stream_chunk'] as const satisfies readonly SyncOpName[];
export type PostOpName = (typeof POST_OPS)[number];

export const SYNC_OPS = [
  'console_write', 'random_bytes', 'timer_cancel', 'respond', 'stream_chunk', 'stream_cancel',
  'fail', 'wait_until_done', 'op_abort', 'crypto_key_release', 'web_socket_claim', 'web_socket_send', 'web_socket_close', 'web_socket_release',
  'crypto_hash_create', 'crypto_hash_update', 'crypto_hash_digest', 'crypto_hash_free', 'html_rewriter_wasm',
] as const satisfies readonly SyncOpName[];

export const ASYNC_OPS = [
  'timer_sleep', 'stream_read', 'fetch', 'crypto_digest', 'crypto_generate_key', 'crypto_import_key',
  'crypto_export_key', 'crypto_sign', 'crypto_verify', 'crypto_encrypt', 'crypto_decrypt', 'crypto_derive_bits',
  'crypto_derive_key', 'crypto_wrap_key', 'crypto_unwrap_key', 'kv_get', 'kv_get_bulk', 'kv_put', 'kv_delete', 'kv_list',
  'cache_match', 'cache_put', 'cache_delete', 'web_socket_receive', 'web_socket_connect', 'service_fetch',
] as const satisfies readonly AsyncOpName[];
