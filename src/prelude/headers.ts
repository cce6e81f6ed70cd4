// Headers: https://fetch.spec.whatwg.org/#headers-class
// Stored as an ordered list of [lower-case name, value] pairs. Iteration follows
// "sort and combine": names sorted, values joined with ", ", except Set-Cookie, whose
// values stay separate entries (https://fetch.spec.whatwg.org/#concept-header-list-sort-and-combine).
//
// Guards: Workers enforces no forbidden header names (there is no browser to protect),
// so 'request' and 'response' behave like 'none'; 'immutable' (incoming requests, fetch
// responses, Response.error/redirect) refuses every change.

import type { HeaderList } from '../shared/ops.ts';
import { ArrayIsArray, ArrayPrototypePush, ReflectApply, StringCtor, TypeErrorCtor } from './internal/primordials.ts';

export type HeadersGuard = 'none' | 'immutable' | 'request' | 'response';
export type HeadersInit = Headers | HeaderList | Record<string, string> | Iterable<Iterable<string>>;

// https://httpwg.org/specs/rfc9110.html#fields.names: a token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A header value may not contain NUL, CR or LF (https://fetch.spec.whatwg.org/#header-value),
// and is a ByteString: no code point above U+00FF (https://webidl.spec.whatwg.org/#es-ByteString).
const BAD_VALUE = /[\0\r\n]|[^\0-\xff]/;
// HTTP whitespace bytes: tab, LF, CR, space (https://fetch.spec.whatwg.org/#concept-header-value-normalize).
const EDGE_WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;

interface HeadersState {
  list: HeaderList;
  guard: HeadersGuard;
  /** The sorted-and-combined view, rebuilt after a change. */
  sorted: HeaderList | null;
}

const stateOf = new WeakMap<Headers, HeadersState>();

function st(h: Headers): HeadersState {
  const s = stateOf.get(h);
  if (!s) throw new TypeErrorCtor('Illegal invocation');
  return s;
}

function normalizeName(name: unknown, method: string): string {
  const s = StringCtor(name);
  if (!TOKEN.test(s)) throw new TypeErrorCtor(`Failed to execute '${method}' on 'Headers': Invalid name`);
  return s.toLowerCase();
}

function normalizeValue(value: unknown, method: string): string {
  const s = StringCtor(value).replace(EDGE_WS, '');
  if (BAD_VALUE.test(s)) throw new TypeErrorCtor(`Failed to execute '${method}' on 'Headers': Invalid value`);
  return s;
}

function mutable(h: Headers, method: string): HeadersState {
  const s = st(h);
  if (s.guard === 'immutable') throw new TypeErrorCtor(`Failed to execute '${method}' on 'Headers': Can't modify immutable headers.`);
  s.sorted = null;
  return s;
}

export class Headers {
  // https://fetch.spec.whatwg.org/#dom-headers and #concept-headers-fill
  constructor(init?: HeadersInit) {
    stateOf.set(this, { list: [], guard: 'none', sorted: null });
    if (init === undefined || init === null) return;
    if (typeof init !== 'object' && typeof init !== 'function') {
      throw new TypeErrorCtor("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    }
    const other = stateOf.get(init as Headers);
    if (other) {
      const own = st(this).list;
      for (let i = 0; i < other.list.length; i++) ArrayPrototypePush(own, [other.list[i][0], other.list[i][1]]);
      return;
    }
    const iter = (init as Iterable<unknown>)[Symbol.iterator];
    if (iter !== undefined && iter !== null) {
      if (typeof iter !== 'function') throw new TypeErrorCtor("Failed to construct 'Headers': The object must have a callable @@iterator property.");
      for (const pair of init as Iterable<Iterable<string>>) {
        if (pair === null || typeof pair !== 'object') throw new TypeErrorCtor("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
        const p = ArrayIsArray(pair) ? pair : [...pair];
        if (p.length !== 2) throw new TypeErrorCtor("Failed to construct 'Headers': Invalid value: each header must be a [name, value] pair.");
        this.append(p[0], p[1]);
      }
      return;
    }
    for (const key of Reflect.ownKeys(init)) {
      const desc = Reflect.getOwnPropertyDescriptor(init, key);
      if (!desc || !desc.enumerable) continue;
      if (typeof key === 'symbol') throw new TypeErrorCtor("Failed to construct 'Headers': Header names must be strings.");
      this.append(key, (init as Record<string, string>)[key]);
    }
  }

  // https://fetch.spec.whatwg.org/#concept-headers-append
  append(name: string, value: string): void {
    const n = normalizeName(name, 'append');
    const v = normalizeValue(value, 'append');
    ArrayPrototypePush(mutable(this, 'append').list, [n, v]);
  }

  delete(name: string): void {
    const n = normalizeName(name, 'delete');
    const s = mutable(this, 'delete');
    s.list = without(s.list, n, -1);
  }

  get(name: string): string | null {
    const n = normalizeName(name, 'get');
    const list = st(this).list;
    let out: string | null = null;
    for (let i = 0; i < list.length; i++) {
      if (list[i][0] === n) out = out === null ? list[i][1] : `${out}, ${list[i][1]}`;
    }
    return out;
  }

  // https://fetch.spec.whatwg.org/#dom-headers-getsetcookie
  getSetCookie(): string[] {
    const list = st(this).list;
    const out: string[] = [];
    for (let i = 0; i < list.length; i++) if (list[i][0] === 'set-cookie') ArrayPrototypePush(out, list[i][1]);
    return out;
  }

  /** Workers' non-standard `getAll`, kept for Set-Cookie only, as Workers does. */
  getAll(name: string): string[] {
    const n = normalizeName(name, 'getAll');
    if (n !== 'set-cookie') throw new TypeErrorCtor('getAll() can only be used with the header name "Set-Cookie".');
    return this.getSetCookie();
  }

  has(name: string): boolean {
    const n = normalizeName(name, 'has');
    const list = st(this).list;
    for (let i = 0; i < list.length; i++) if (list[i][0] === n) return true;
    return false;
  }

  // https://fetch.spec.whatwg.org/#concept-header-list-set: replace the first, drop the rest.
  set(name: string, value: string): void {
    const n = normalizeName(name, 'set');
    const v = normalizeValue(value, 'set');
    const s = mutable(this, 'set');
    for (let i = 0; i < s.list.length; i++) {
      if (s.list[i][0] === n) {
        s.list[i] = [n, v];
        s.list = without(s.list, n, i);
        return;
      }
    }
    ArrayPrototypePush(s.list, [n, v]);
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeErrorCtor("Failed to execute 'forEach' on 'Headers': parameter 1 is not of type 'Function'.");
    // Iterates a live view (https://webidl.spec.whatwg.org/#es-forEach-iterator): a
    // callback that changes the headers sees the change.
    for (let i = 0; ; i++) {
      const list = sortAndCombine(this);
      if (i >= list.length) return;
      ReflectApply(callback, thisArg, [list[i][1], list[i][0], this]);
    }
  }

  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; ; i++) {
      const list = sortAndCombine(this);
      if (i >= list.length) return;
      yield [list[i][0], list[i][1]];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [n] of this.entries()) yield n;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  declare [Symbol.iterator]: () => IterableIterator<[string, string]>;

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }
}

// Headers.prototype[@@iterator] is the same function as entries, as WebIDL defines it.
Object.defineProperty(Headers.prototype, Symbol.iterator, { value: Headers.prototype.entries, writable: true, configurable: true, enumerable: false });

/** `list` without the entries named `name`, except the one at index `keep`. */
function without(list: HeaderList, name: string, keep: number): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i < list.length; i++) if (list[i][0] !== name || i === keep) ArrayPrototypePush(out, list[i]);
  return out;
}

// https://fetch.spec.whatwg.org/#concept-header-list-sort-and-combine
function sortAndCombine(h: Headers): HeaderList {
  const s = st(h);
  if (s.sorted) return s.sorted;
  const names: string[] = [];
  for (let i = 0; i < s.list.length; i++) {
    const n = s.list[i][0];
    let seen = false;
    for (let j = 0; j < names.length; j++) if (names[j] === n) { seen = true; break; }
    if (!seen) ArrayPrototypePush(names, n);
  }
  // Insertion sort by code unit: header lists are short, and Array.prototype.sort is
  // patchable by tenant code.
  for (let i = 1; i < names.length; i++) {
    const n = names[i];
    let j = i - 1;
    while (j >= 0 && names[j] > n) { names[j + 1] = names[j]; j--; }
    names[j + 1] = n;
  }
  const out: HeaderList = [];
  for (let k = 0; k < names.length; k++) {
    const name = names[k];
    if (name === 'set-cookie') {
      for (let i = 0; i < s.list.length; i++) if (s.list[i][0] === name) ArrayPrototypePush(out, [name, s.list[i][1]]);
    } else {
      ArrayPrototypePush(out, [name, h.get(name)!]);
    }
  }
  s.sorted = out;
  return out;
}

/** The header list, for crossing the bridge (names lower-case, order kept, Set-Cookie apart). */
export function headerList(h: Headers): HeaderList {
  const list = st(h).list;
  const out: HeaderList = [];
  for (let i = 0; i < list.length; i++) ArrayPrototypePush(out, [list[i][0], list[i][1]]);
  return out;
}

/** Builds Headers from a trusted list (from the host) with the given guard. */
export function headersFromList(list: HeaderList, guard: HeadersGuard): Headers {
  const h = new Headers();
  const s = st(h);
  for (let i = 0; i < list.length; i++) ArrayPrototypePush(s.list, [StringCtor(list[i][0]).toLowerCase(), StringCtor(list[i][1])]);
  s.guard = guard;
  return h;
}

export function setGuard(h: Headers, guard: HeadersGuard): void {
  st(h).guard = guard;
}

export function getGuard(h: Headers): HeadersGuard {
  return st(h).guard;
}
