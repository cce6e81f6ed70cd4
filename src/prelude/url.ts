// URL: https://url.spec.whatwg.org/#url-class — our own, over the spec's parser state
// machine (internal/url-parser.ts), host parser (internal/url-host.ts) and IDNA
// (internal/idna.ts). It replaced core-js's URL by measurement: smaller in the bundle and
// more WPT cases pass (docs/conformance.md has the numbers).

import {
  basicParse, cannotHaveCredentialsOrPort, FRAGMENT, HOST, HOSTNAME, hasOpaquePath, PATH_START, PORT, QUERY,
  SCHEME_START, serializeOrigin, serializePath, serializeURL, type URLRecord,
} from './internal/url-parser.ts';
import { USERINFO_SET, percentEncode } from './internal/percent-encode.ts';
import { StringCtor, StringPrototypeSlice, TypeErrorCtor } from './internal/primordials.ts';
import {
  requireArgs, resetSearchParams, searchParamsForURL, toUSVString, URLSearchParams,
} from './url-search-params.ts';

export { URLSearchParams };

/** https://url.spec.whatwg.org/#api-url-parser; null on failure. */
function apiParse(url: unknown, base: unknown): URLRecord | null {
  let parsedBase: URLRecord | null = null;
  if (base !== undefined) {
    parsedBase = basicParse(toUSVString(base), null);
    if (parsedBase === null) return null;
  }
  return basicParse(toUSVString(url), parsedBase);
}

export class URL {
  #url: URLRecord;
  /** Made on first use: most URLs never have their searchParams looked at. */
  #query: URLSearchParams | null = null;

  constructor(url: string, base?: string | URL) {
    requireArgs(arguments.length, 1, 'constructor', 'URL');
    let parsedBase: URLRecord | null = null;
    if (base !== undefined) {
      parsedBase = basicParse(toUSVString(base), null);
      if (parsedBase === null) throw new TypeErrorCtor("Failed to construct 'URL': Invalid base URL");
    }
    const parsed = basicParse(toUSVString(url), parsedBase);
    if (parsed === null) throw new TypeErrorCtor("Failed to construct 'URL': Invalid URL");
    this.#url = parsed;
  }

  /** https://url.spec.whatwg.org/#dom-url-parse */
  static parse(url: string, base?: string): URL | null {
    requireArgs(arguments.length, 1, 'parse', 'URL');
    // The record is parsed twice (once here, once by the constructor) to keep one way in.
    return apiParse(url, base) === null ? null : new URL(url, base);
  }

  /** https://url.spec.whatwg.org/#dom-url-canparse */
  static canParse(url: string, base?: string): boolean {
    requireArgs(arguments.length, 1, 'canParse', 'URL');
    return apiParse(url, base) !== null;
  }

  get href(): string {
    return serializeURL(this.#url);
  }

  set href(value: string) {
    const parsed = basicParse(toUSVString(value), null);
    if (parsed === null) throw new TypeErrorCtor(`Failed to set the 'href' property on 'URL': Invalid URL`);
    // The record object is kept (searchParams holds it); its fields are replaced.
    const url = this.#url;
    url.scheme = parsed.scheme;
    url.username = parsed.username;
    url.password = parsed.password;
    url.host = parsed.host;
    url.port = parsed.port;
    url.path = parsed.path;
    url.query = parsed.query;
    url.fragment = parsed.fragment;
    if (this.#query !== null) resetSearchParams(this.#query, url.query);
  }

  get origin(): string {
    return serializeOrigin(this.#url);
  }

  get protocol(): string {
    return this.#url.scheme + ':';
  }

  set protocol(value: string) {
    basicParse(toUSVString(value) + ':', null, this.#url, SCHEME_START);
  }

  get username(): string {
    return this.#url.username;
  }

  set username(value: string) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    this.#url.username = percentEncode(toUSVString(value), USERINFO_SET);
  }

  get password(): string {
    return this.#url.password;
  }

  set password(value: string) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    this.#url.password = percentEncode(toUSVString(value), USERINFO_SET);
  }

  get host(): string {
    const { host, port } = this.#url;
    if (host === null) return '';
    return port === null ? host : host + ':' + port;
  }

  set host(value: string) {
    if (hasOpaquePath(this.#url)) return;
    basicParse(toUSVString(value), null, this.#url, HOST);
  }

  get hostname(): string {
    return this.#url.host ?? '';
  }

  set hostname(value: string) {
    if (hasOpaquePath(this.#url)) return;
    basicParse(toUSVString(value), null, this.#url, HOSTNAME);
  }

  get port(): string {
    return this.#url.port === null ? '' : StringCtor(this.#url.port);
  }

  set port(value: string) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    const v = toUSVString(value);
    if (v === '') this.#url.port = null;
    else basicParse(v, null, this.#url, PORT);
  }

  get pathname(): string {
    return serializePath(this.#url);
  }

  set pathname(value: string) {
    if (hasOpaquePath(this.#url)) return;
    this.#url.path = [];
    basicParse(toUSVString(value), null, this.#url, PATH_START);
  }

  get search(): string {
    const { query } = this.#url;
    return query === null || query === '' ? '' : '?' + query;
  }

  /** https://url.spec.whatwg.org/#dom-url-search */
  set search(value: string) {
    const v = toUSVString(value);
    if (v === '') {
      this.#url.query = null;
      if (this.#query !== null) resetSearchParams(this.#query, null);
      return;
    }
    const input = v[0] === '?' ? StringPrototypeSlice(v, 1) : v;
    this.#url.query = '';
    basicParse(input, null, this.#url, QUERY);
    if (this.#query !== null) resetSearchParams(this.#query, this.#url.query);
  }

  get searchParams(): URLSearchParams {
    this.#query ??= searchParamsForURL(this.#url);
    return this.#query;
  }

  get hash(): string {
    const { fragment } = this.#url;
    return fragment === null || fragment === '' ? '' : '#' + fragment;
  }

  set hash(value: string) {
    const v = toUSVString(value);
    if (v === '') {
      this.#url.fragment = null;
      return;
    }
    this.#url.fragment = '';
    basicParse(v[0] === '#' ? StringPrototypeSlice(v, 1) : v, null, this.#url, FRAGMENT);
  }

  toString(): string {
    return serializeURL(this.#url);
  }

  toJSON(): string {
    return serializeURL(this.#url);
  }
}

Object.defineProperty(URL.prototype, Symbol.toStringTag, { value: 'URL', configurable: true });
