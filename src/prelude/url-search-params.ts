// URLSearchParams: https://url.spec.whatwg.org/#interface-urlsearchparams and the
// application/x-www-form-urlencoded parser and serializer it is built on
// (https://url.spec.whatwg.org/#concept-urlencoded).

import type { URLRecord } from './internal/url-parser.ts';
import { FORM_SET, percentDecodeString, percentEncode } from './internal/percent-encode.ts';
import {
  ArrayPrototypePush, ArrayPrototypeSplice, ReflectApply, StringCtor, StringPrototypeIndexOf, StringPrototypeSlice,
  StringPrototypeToWellFormed, TypeErrorCtor,
} from './internal/primordials.ts';

type Pair = [string, string];

const ReflectOwnKeys = Reflect.ownKeys;
const ReflectGetOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
// Array.prototype.sort is stable, which the spec's sort needs.
const ArrayPrototypeSort = Function.prototype.call.bind(Array.prototype.sort) as <T>(arr: T[], cmp: (a: T, b: T) => number) => T[];
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));

/** WebIDL USVString conversion: lone surrogates become U+FFFD; symbols throw. */
export function toUSVString(v: unknown): string {
  if (typeof v === 'symbol') throw new TypeErrorCtor('Cannot convert a Symbol value to a string');
  return StringPrototypeToWellFormed(StringCtor(v));
}

/** Throws the platform's error when an operation gets too few arguments. */
export function requireArgs(count: number, needed: number, method: string, iface: string): void {
  if (count < needed) {
    throw new TypeErrorCtor(`Failed to execute '${method}' on '${iface}': ${needed} argument${needed > 1 ? 's' : ''} required, but only ${count} present.`);
  }
}

/** https://url.spec.whatwg.org/#concept-urlencoded-parser */
export function parseUrlencoded(input: string): Pair[] {
  const out: Pair[] = [];
  for (let start = 0; start <= input.length;) {
    let end = StringPrototypeIndexOf(input, '&', start);
    if (end < 0) end = input.length;
    if (end > start) {
      const eq = StringPrototypeIndexOf(input, '=', start);
      const nameEnd = eq < 0 || eq > end ? end : eq;
      const name = StringPrototypeSlice(input, start, nameEnd);
      const value = nameEnd === end ? '' : StringPrototypeSlice(input, nameEnd + 1, end);
      ArrayPrototypePush(out, [percentDecodeString(plusToSpace(name)), percentDecodeString(plusToSpace(value))] as Pair);
    }
    start = end + 1;
  }
  return out;
}

function plusToSpace(s: string): string {
  if (StringPrototypeIndexOf(s, '+') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) out += s[i] === '+' ? ' ' : s[i];
  return out;
}

/** https://url.spec.whatwg.org/#concept-urlencoded-serializer */
export function serializeUrlencoded(list: readonly Pair[]): string {
  let out = '';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += '&';
    out += percentEncode(list[i][0], FORM_SET, true) + '=' + percentEncode(list[i][1], FORM_SET, true);
  }
  return out;
}

type Kind = 'key' | 'value' | 'key+value';

let linkToURL: (record: URLRecord) => URLSearchParams;
let resetList: (params: URLSearchParams, query: string | null) => void;

export class URLSearchParams {
  #list: Pair[] = [];
  /** The URL whose query this object mirrors, if it is some URL's searchParams. */
  #url: URLRecord | null = null;

  static {
    linkToURL = (record) => {
      const params = new URLSearchParams();
      params.#url = record;
      if (record.query !== null) params.#list = parseUrlencoded(record.query);
      return params;
    };
    resetList = (params, query) => {
      params.#list = query === null ? [] : parseUrlencoded(query);
    };
  }

  /** https://url.spec.whatwg.org/#dom-urlsearchparams-urlsearchparams */
  constructor(init: unknown = '') {
    if (init !== null && (typeof init === 'object' || typeof init === 'function')) {
      const iteratorMethod = (init as Record<symbol, unknown>)[Symbol.iterator];
      if (iteratorMethod !== undefined && iteratorMethod !== null) {
        if (typeof iteratorMethod !== 'function') {
          throw new TypeErrorCtor("Failed to construct 'URLSearchParams': The object's @@iterator property is not callable.");
        }
        for (const pair of init as Iterable<unknown>) {
          if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function') || typeof (pair as Record<symbol, unknown>)[Symbol.iterator] !== 'function') {
            throw new TypeErrorCtor("Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.");
          }
          const items: unknown[] = [];
          for (const item of pair as Iterable<unknown>) ArrayPrototypePush(items, item);
          if (items.length !== 2) {
            throw new TypeErrorCtor("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements");
          }
          ArrayPrototypePush(this.#list, [toUSVString(items[0]), toUSVString(items[1])] as Pair);
        }
      } else {
        // A record<USVString, USVString>: own enumerable properties, in order.
        const keys = ReflectOwnKeys(init);
        for (let i = 0; i < keys.length; i++) {
          const desc = ReflectGetOwnPropertyDescriptor(init, keys[i]);
          if (desc === undefined || !desc.enumerable) continue;
          ArrayPrototypePush(this.#list, [toUSVString(keys[i]), toUSVString((init as Record<PropertyKey, unknown>)[keys[i]])] as Pair);
        }
      }
    } else {
      const s = toUSVString(init);
      this.#list = parseUrlencoded(s[0] === '?' ? StringPrototypeSlice(s, 1) : s);
    }
  }

  /** https://url.spec.whatwg.org/#concept-urlsearchparams-update */
  #update(): void {
    if (this.#url === null) return;
    const query = serializeUrlencoded(this.#list);
    this.#url.query = query === '' ? null : query;
  }

  get size(): number {
    return this.#list.length;
  }

  append(name: string, value: string): void {
    requireArgs(arguments.length, 2, 'append', 'URLSearchParams');
    ArrayPrototypePush(this.#list, [toUSVString(name), toUSVString(value)] as Pair);
    this.#update();
  }

  delete(name: string, value?: string): void {
    requireArgs(arguments.length, 1, 'delete', 'URLSearchParams');
    const n = toUSVString(name);
    const v = value === undefined ? undefined : toUSVString(value);
    const list = this.#list;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i][0] === n && (v === undefined || list[i][1] === v)) ArrayPrototypeSplice(list, i, 1);
    }
    this.#update();
  }

  get(name: string): string | null {
    requireArgs(arguments.length, 1, 'get', 'URLSearchParams');
    const n = toUSVString(name);
    const list = this.#list;
    for (let i = 0; i < list.length; i++) if (list[i][0] === n) return list[i][1];
    return null;
  }

  getAll(name: string): string[] {
    requireArgs(arguments.length, 1, 'getAll', 'URLSearchParams');
    const n = toUSVString(name);
    const out: string[] = [];
    const list = this.#list;
    for (let i = 0; i < list.length; i++) if (list[i][0] === n) ArrayPrototypePush(out, list[i][1]);
    return out;
  }

  has(name: string, value?: string): boolean {
    requireArgs(arguments.length, 1, 'has', 'URLSearchParams');
    const n = toUSVString(name);
    const v = value === undefined ? undefined : toUSVString(value);
    const list = this.#list;
    for (let i = 0; i < list.length; i++) if (list[i][0] === n && (v === undefined || list[i][1] === v)) return true;
    return false;
  }

  /** https://url.spec.whatwg.org/#dom-urlsearchparams-set */
  set(name: string, value: string): void {
    requireArgs(arguments.length, 2, 'set', 'URLSearchParams');
    const n = toUSVString(name);
    const v = toUSVString(value);
    const list = this.#list;
    let found = false;
    for (let i = 0; i < list.length; i++) {
      if (list[i][0] !== n) continue;
      if (!found) {
        list[i] = [n, v];
        found = true;
      } else {
        ArrayPrototypeSplice(list, i--, 1);
      }
    }
    if (!found) ArrayPrototypePush(list, [n, v] as Pair);
    this.#update();
  }

  /** https://url.spec.whatwg.org/#dom-urlsearchparams-sort: stable, by code units of the name. */
  sort(): void {
    ArrayPrototypeSort(this.#list, (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.#update();
  }

  toString(): string {
    return serializeUrlencoded(this.#list);
  }

  forEach(callback: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void {
    requireArgs(arguments.length, 1, 'forEach', 'URLSearchParams');
    if (typeof callback !== 'function') {
      throw new TypeErrorCtor("Failed to execute 'forEach' on 'URLSearchParams': The callback provided as parameter 1 is not a function.");
    }
    // Live, as WebIDL iterable declarations are: entries added during the walk are seen.
    for (let i = 0; i < this.#list.length; i++) {
      const pair = this.#list[i];
      ReflectApply(callback, thisArg, [pair[1], pair[0], this]);
    }
  }

  entries(): IterableIterator<Pair> {
    return new URLSearchParamsIterator('key+value', () => this.#list) as unknown as IterableIterator<Pair>;
  }

  keys(): IterableIterator<string> {
    return new URLSearchParamsIterator('key', () => this.#list) as unknown as IterableIterator<string>;
  }

  values(): IterableIterator<string> {
    return new URLSearchParamsIterator('value', () => this.#list) as unknown as IterableIterator<string>;
  }

  declare [Symbol.iterator]: () => IterableIterator<Pair>;
}

/** https://webidl.spec.whatwg.org/#es-default-iterator-object: an index into the live list. */
class URLSearchParamsIterator {
  #source: () => Pair[];
  #kind: Kind;
  #index = 0;
  constructor(kind: Kind, source: () => Pair[]) {
    this.#source = source;
    this.#kind = kind;
  }

  next(): IteratorResult<unknown> {
    const list = this.#source();
    if (this.#index >= list.length) return { value: undefined, done: true };
    const pair = list[this.#index++];
    return { value: this.#kind === 'key' ? pair[0] : this.#kind === 'value' ? pair[1] : [pair[0], pair[1]], done: false };
  }
}

Object.setPrototypeOf(URLSearchParamsIterator.prototype, IteratorPrototype);
Object.defineProperty(URLSearchParamsIterator.prototype, Symbol.toStringTag, { value: 'URLSearchParams Iterator', configurable: true });
Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
  value: URLSearchParams.prototype.entries, writable: true, configurable: true, enumerable: false,
});
Object.defineProperty(URLSearchParams.prototype, Symbol.toStringTag, { value: 'URLSearchParams', configurable: true });

/** The searchParams object of a URL whose record is `record`. */
export function searchParamsForURL(record: URLRecord): URLSearchParams {
  return linkToURL(record);
}

/** After the URL's query changed by other means, the list is reparsed from it. */
export function resetSearchParams(params: URLSearchParams, query: string | null): void {
  resetList(params, query);
}
