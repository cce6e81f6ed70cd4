// Headers: https://fetch.spec.whatwg.org/#headers-class
// Stored as an ordered list of [lower-case name, value] pairs. Iteration follows
// "sort and combine": names sorted, values joined with ", ", except Set-Cookie, whose
// values stay separate entries (https://fetch.spec.whatwg.org/#concept-header-list-sort-and-combine).

import type { HeaderList } from '../shared/ops.ts';
import { ArrayIsArray, ArrayPrototypePush, StringCtor, TypeErrorCtor } from './internal/primordials.ts';

export type HeadersGuard = 'none' | 'immutable' | 'request' | 'response';
export type HeadersInit = Headers | HeaderList | Record<string, string> | Iterable<Iterable<string>>;

// https://httpwg.org/specs/rfc9110.html#fields.names: a token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A header value may not contain NUL, CR or LF (https://fetch.spec.whatwg.org/#header-value).
const BAD_VALUE = /[\0\r\n]/;
// HTTP whitespace bytes: tab, LF, CR, space.
const EDGE_WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;

const listOf = new WeakMap<Headers, HeaderList>();
const guardOf = new WeakMap<Headers, HeadersGuard>();

function normalizeName(name: unknown, method: string): string {
  const s = StringCtor(name);
  if (!TOKEN.test(s)) throw new TypeErrorCtor(`Failed to execute '${method}' on 'Headers': Invalid header name "${s}".`);
  return s.toLowerCase();
}

function normalizeValue(value: unknown, method: string): string {
  const s = StringCtor(value).replace(EDGE_WS, '');
  if (BAD_VALUE.test(s)) throw new TypeErrorCtor(`Failed to execute '${method}' on 'Headers': Invalid header value.`);
  return s;
}

function checkMutable(h: Headers, method: string): void {
  if (guardOf.get(h) === 'immutable') throw new TypeErrorCtor(`Failed to execute '${method}' on 'Headers': Can't modify immutable headers.`);
}

export class Headers {
  constructor(init?: HeadersInit) {
    listOf.set(this, []);
    guardOf.set(this, 'none');
    if (init === undefined || init === null) return;
    if (typeof init !== 'object') throw new TypeErrorCtor("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    if (init instanceof Headers) {
      for (const [n, v] of listOf.get(init)!) ArrayPrototypePush(listOf.get(this)!, [n, v]);
      return;
    }
    const iter = (init as Iterable<unknown>)[Symbol.iterator];
    if (iter !== undefined) {
      if (typeof iter !== 'function') throw new TypeErrorCtor("Failed to construct 'Headers': The object must have a callable @@iterator property.");
      for (const pair of init as Iterable<Iterable<string>>) {
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

  append(name: string, value: string): void {
    const n = normalizeName(name, 'append');
    const v = normalizeValue(value, 'append');
    checkMutable(this, 'append');
    ArrayPrototypePush(listOf.get(this)!, [n, v]);
  }

  delete(name: string): void {
    const n = normalizeName(name, 'delete');
    checkMutable(this, 'delete');
    const list = listOf.get(this)!;
    listOf.set(this, list.filter(([k]) => k !== n));
  }

  get(name: string): string | null {
    const n = normalizeName(name, 'get');
    let out: string | null = null;
    for (const [k, v] of listOf.get(this)!) {
      if (k === n) out = out === null ? v : `${out}, ${v}`;
    }
    return out;
  }

  getSetCookie(): string[] {
    const out: string[] = [];
    for (const [k, v] of listOf.get(this)!) if (k === 'set-cookie') ArrayPrototypePush(out, v);
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
    for (const [k] of listOf.get(this)!) if (k === n) return true;
    return false;
  }

  set(name: string, value: string): void {
    const n = normalizeName(name, 'set');
    const v = normalizeValue(value, 'set');
    checkMutable(this, 'set');
    const list = listOf.get(this)!;
    const idx = list.findIndex(([k]) => k === n);
    if (idx === -1) { ArrayPrototypePush(list, [n, v]); return; }
    list[idx] = [n, v];
    listOf.set(this, list.filter(([k], i) => k !== n || i === idx));
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeErrorCtor("Failed to execute 'forEach' on 'Headers': parameter 1 is not of type 'Function'.");
    for (const [n, v] of sortAndCombine(this)) Reflect.apply(callback, thisArg, [v, n, this]);
  }

  *entries(): IterableIterator<[string, string]> {
    // The spec iterates a live view; re-sorting per step keeps that observable behaviour.
    for (let i = 0; ; i++) {
      const list = sortAndCombine(this);
      if (i >= list.length) return;
      yield list[i];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [n] of this.entries()) yield n;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }
}

function sortAndCombine(h: Headers): [string, string][] {
  const list = listOf.get(h)!;
  const names = [...new Set(list.map(([n]) => n))].sort();
  const out: [string, string][] = [];
  for (const name of names) {
    if (name === 'set-cookie') {
      for (const [n, v] of list) if (n === name) out.push([n, v]);
    } else {
      out.push([name, h.get(name)!]);
    }
  }
  return out;
}

/** The header list, for crossing the bridge (names lower-case, order kept). */
export function headerList(h: Headers): HeaderList {
  return listOf.get(h)!.map(([n, v]) => [n, v] as [string, string]);
}

/** Builds Headers from a trusted list (from the host) with the given guard. */
export function headersFromList(list: HeaderList, guard: HeadersGuard): Headers {
  const h = new Headers();
  const own = listOf.get(h)!;
  for (const [n, v] of list) own.push([StringCtor(n).toLowerCase(), StringCtor(v)]);
  guardOf.set(h, guard);
  return h;
}

export function setGuard(h: Headers, guard: HeadersGuard): void {
  guardOf.set(h, guard);
}

export function getGuard(h: Headers): HeadersGuard {
  return guardOf.get(h)!;
}
