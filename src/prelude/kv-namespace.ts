// The Workers KV binding: https://developers.cloudflare.com/kv/api/
// `env.MY_KV` for a `kv_namespace` binding. Limits and their errors are enforced on the
// host (src/store/kv-limits.ts); this side converts values the way workerd does
// (src/workerd/api/kv.c++): keys become strings, metadata becomes JSON text, and a
// stored value is read back as text, json, arrayBuffer or a stream.

import type { BindingSpec } from '../shared/ops.ts';
import { ReadableStream } from './streams.ts';
import { exportReadable } from './internal/stream-bridge.ts';
import { hostAsync } from './internal/bridge.ts';
import { registerBinding } from './internal/env.ts';
import { ArrayIsArray, ArrayPrototypeMap, ErrorCtor, JSONParse, MapCtor, MapPrototypeSet, JSONStringify, PromiseReject, StringCtor, TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';
import { utf8Decode, utf8Encode } from './internal/utf8.ts';

type ValueType = 'text' | 'json' | 'arrayBuffer' | 'stream';
type GetOptions = ValueType | { type?: ValueType; cacheTtl?: number } | undefined | null;
type PutValue = string | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array>;

interface PutOptions {
  expiration?: number | string;
  expirationTtl?: number | string;
  metadata?: unknown;
}

interface ListOptions {
  prefix?: string | null;
  limit?: number;
  cursor?: string | null;
}

const TYPES = new Set<string>(['text', 'json', 'arrayBuffer', 'stream']);
const constructing = Symbol('KvNamespace');

function parseGetOptions(options: GetOptions): { type: ValueType; cacheTtl: number | null } {
  let type: unknown = 'text';
  let cacheTtl: number | null = null;
  if (typeof options === 'string') type = options;
  else if (options !== null && options !== undefined) {
    if (typeof options !== 'object') throw new TypeErrorCtor('KV get() options must be a type string or an object.');
    if (options.type !== undefined) type = options.type;
    if (options.cacheTtl !== undefined) cacheTtl = Number(options.cacheTtl);
  }
  if (typeof type !== 'string' || !TYPES.has(type)) {
    throw new TypeErrorCtor('Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".');
  }
  return { type: type as ValueType, cacheTtl };
}

function decodeValue(bytes: Uint8Array, type: ValueType): unknown {
  switch (type) {
    case 'text': return utf8Decode(bytes);
    case 'json': return JSONParse(utf8Decode(bytes));
    case 'arrayBuffer': {
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      return own ? bytes.buffer : bytes.slice().buffer;
    }
    case 'stream': return new ReadableStream({
      type: 'bytes',
      start(controller) {
        if (bytes.byteLength > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
  }
}

function parseMetadata(text: string | null | undefined): unknown {
  return text === null || text === undefined ? null : JSONParse(text);
}

// The host checks every limit; this one is checked here too so that an oversized value
// fails before it is copied across (copying 25 MiB costs about as much as a request's CPU).
const MAX_VALUE_BYTES = 25 * 1024 * 1024;

function sized(bytes: Uint8Array): { bytes: Uint8Array } {
  if (bytes.byteLength > MAX_VALUE_BYTES) {
    throw new ErrorCtor(`KV PUT failed: 413 Value length of ${bytes.byteLength} exceeds limit of ${MAX_VALUE_BYTES}.`);
  }
  return { bytes };
}

// No copy here: the bridge copies the bytes when the op starts, before put() returns.
function putValue(value: PutValue): { bytes: Uint8Array } | { stream: number } {
  if (typeof value === 'string') return sized(utf8Encode(value));
  if (value instanceof ArrayBuffer) return sized(new Uint8ArrayCtor(value));
  if (ArrayBuffer.isView(value)) return sized(new Uint8ArrayCtor(value.buffer as ArrayBuffer, value.byteOffset, value.byteLength));
  if (value instanceof ReadableStream) {
    if (value.locked) throw new TypeErrorCtor('This ReadableStream is currently locked to a reader.');
    return { stream: exportReadable(value) };
  }
  throw new TypeErrorCtor('KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.');
}

// Runs `fn` so that a synchronous throw becomes a rejected promise, as workerd's
// evalNow does: every KV method reports errors through its promise.
function promised<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err) {
    return PromiseReject(err);
  }
}

export class KvNamespace {
  readonly #id: string;

  /** @internal Made only by the binding factory below; `new` from tenant code throws. */
  constructor(token: symbol, namespaceId: string) {
    if (token !== constructing) throw new TypeErrorCtor('Illegal constructor');
    this.#id = namespaceId;
  }

  get(key: string | string[], options?: GetOptions): Promise<unknown> {
    return promised(async () => {
      if (ArrayIsArray(key)) return this.#getBulk(key, options, false);
      return (await this.#get(key, options)).value;
    });
  }

  getWithMetadata(key: string | string[], options?: GetOptions): Promise<unknown> {
    return promised(async () => {
      if (ArrayIsArray(key)) return this.#getBulk(key, options, true);
      return this.#get(key, options);
    });
  }

  async #get(key: string, options: GetOptions): Promise<{ value: unknown; metadata: unknown; cacheStatus: null }> {
    const { type, cacheTtl } = parseGetOptions(options);
    const result = await hostAsync('kv_get', this.#id, StringCtor(key), cacheTtl);
    if (result.value === null) return { value: null, metadata: null, cacheStatus: null };
    return { value: decodeValue(result.value, type), metadata: parseMetadata(result.metadata), cacheStatus: null };
  }

  // Bulk reads return a Map of key to value (or to { value, metadata }), text or json only.
  async #getBulk(keys: unknown[], options: GetOptions, withMetadata: boolean): Promise<Map<string, unknown>> {
    const names = ArrayPrototypeMap(keys, (k) => StringCtor(k));
    let type: unknown = 'text';
    let cacheTtl: number | null = null;
    if (typeof options === 'string') type = options;
    else if (options !== null && typeof options === 'object') {
      if (options.type !== undefined) type = options.type;
      if (options.cacheTtl !== undefined) cacheTtl = Number(options.cacheTtl);
    }
    if (type !== 'text' && type !== 'json') throw new ErrorCtor(`KV GET_BULK failed: 400 "${StringCtor(type)}" is not a valid type. Use "json" or "text"`);
    const results = await hostAsync('kv_get_bulk', this.#id, names, cacheTtl);
    const out = new MapCtor<string, unknown>();
    for (let i = 0; i < names.length; i++) {
      const r = results[i];
      let value: unknown = null;
      if (r.value !== null) {
        value = utf8Decode(r.value);
        if (type === 'json') {
          try {
            value = JSONParse(value as string);
          } catch {
            throw new ErrorCtor('KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value');
          }
        }
      }
      MapPrototypeSet(out, names[i], withMetadata ? (r.value === null ? null : { value, metadata: parseMetadata(r.metadata) }) : value);
    }
    return out;
  }

  put(key: string, value: PutValue, options?: PutOptions): Promise<void> {
    return promised(() => {
      const name = StringCtor(key);
      if (options !== undefined && options !== null && typeof options !== 'object') throw new TypeErrorCtor('KV put() options must be an object.');
      const o = options ?? {};
      const metadata = o.metadata === undefined || o.metadata === null ? null : JSONStringify(o.metadata);
      if (metadata === undefined) throw new TypeErrorCtor('KV put() metadata must be serializable to JSON.');
      const body = putValue(value);
      return hostAsync('kv_put', this.#id, name, body, {
        expiration: o.expiration === undefined ? null : Number(o.expiration),
        expirationTtl: o.expirationTtl === undefined ? null : Number(o.expirationTtl),
        metadata,
      });
    });
  }

  delete(key: string): Promise<void> {
    return promised(() => hostAsync('kv_delete', this.#id, StringCtor(key)));
  }

  list(options?: ListOptions): Promise<{ keys: { name: string; expiration?: number; metadata?: unknown }[]; list_complete: boolean; cursor?: string; cacheStatus: null }> {
    return promised(async () => {
      if (options !== undefined && options !== null && typeof options !== 'object') throw new TypeErrorCtor('KV list() options must be an object.');
      const o = options ?? {};
      const prefix = o.prefix === undefined || o.prefix === null ? null : StringCtor(o.prefix);
      const cursor = o.cursor === undefined || o.cursor === null ? null : StringCtor(o.cursor);
      const limit = o.limit === undefined ? null : Number(o.limit);
      const page = await hostAsync('kv_list', this.#id, prefix, limit, cursor);
      const keys = ArrayPrototypeMap(page.keys, (k) => {
        const out: { name: string; expiration?: number; metadata?: unknown } = { name: k.name };
        if (k.expiration !== undefined) out.expiration = k.expiration;
        if (k.metadata !== undefined) out.metadata = parseMetadata(k.metadata);
        return out;
      });
      const result: { keys: typeof keys; list_complete: boolean; cursor?: string; cacheStatus: null } = { keys, list_complete: page.list_complete, cacheStatus: null };
      if (page.cursor !== undefined) result.cursor = page.cursor;
      return result;
    });
  }

  get [Symbol.toStringTag](): string { return 'KvNamespace'; }
}

registerBinding('kv_namespace', (b) => new KvNamespace(constructing, (b as Extract<BindingSpec, { type: 'kv_namespace' }>).namespaceId));
