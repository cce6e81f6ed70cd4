// The basic URL parser and serializer: https://url.spec.whatwg.org/#concept-basic-url-parser
// A direct reading of the spec's state machine; state names and step numbers follow it.
// The input is walked as an array of code points, so surrogate pairs stay whole.

import { parseHost } from './url-host.ts';
import {
  C0_CONTROL_SET, FRAGMENT_SET, PATH_SET, QUERY_SET, SPECIAL_QUERY_SET, USERINFO_SET, percentEncode,
} from './percent-encode.ts';

/** https://url.spec.whatwg.org/#concept-url; `host` is kept serialised. */
export interface URLRecord {
  scheme: string;
  username: string;
  password: string;
  host: string | null;
  port: number | null;
  /** A list of segments, or a string for an opaque path. */
  path: string[] | string;
  query: string | null;
  fragment: string | null;
}

export const SCHEME_START = 1, SCHEME = 2, NO_SCHEME = 3, SPECIAL_RELATIVE_OR_AUTHORITY = 4,
  PATH_OR_AUTHORITY = 5, RELATIVE = 6, RELATIVE_SLASH = 7, SPECIAL_AUTHORITY_SLASHES = 8,
  SPECIAL_AUTHORITY_IGNORE_SLASHES = 9, AUTHORITY = 10, HOST = 11, HOSTNAME = 12, PORT = 13, FILE = 14,
  FILE_SLASH = 15, FILE_HOST = 16, PATH_START = 17, PATH = 18, OPAQUE_PATH = 19, QUERY = 20, FRAGMENT = 21;

const EOF = -1;
const fromCodePoint = String.fromCodePoint;

/** https://url.spec.whatwg.org/#default-port */
export function defaultPort(scheme: string): number | null {
  switch (scheme) {
    case 'http': case 'ws': return 80;
    case 'https': case 'wss': return 443;
    case 'ftp': return 21;
    default: return null;
  }
}

export function isSpecialScheme(scheme: string): boolean {
  return scheme === 'http' || scheme === 'https' || scheme === 'ws' || scheme === 'wss' || scheme === 'ftp' || scheme === 'file';
}

export const hasOpaquePath = (url: URLRecord): boolean => typeof url.path === 'string';
export const includesCredentials = (url: URLRecord): boolean => url.username !== '' || url.password !== '';
export const cannotHaveCredentialsOrPort = (url: URLRecord): boolean =>
  url.host === null || url.host === '' || url.scheme === 'file';

const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);

/** A code point as text, percent-encoded with `set`. */
function encodeCp(c: number, set: Uint8Array): string {
  if (c < 0x80 && set[c] === 0) return String.fromCharCode(c);
  return percentEncode(fromCodePoint(c), set);
}

/** https://url.spec.whatwg.org/#windows-drive-letter (normalized: second code point is ':'). */
function isWindowsDriveLetter(s: string, normalizedOnly = false): boolean {
  return s.length === 2 && isAlpha(s.charCodeAt(0)) && (s[1] === ':' || (!normalizedOnly && s[1] === '|'));
}

/** https://url.spec.whatwg.org/#start-with-a-windows-drive-letter, from `p` on. */
function startsWithWindowsDriveLetter(cps: number[], p: number): boolean {
  if (cps.length - p < 2) return false;
  if (!isAlpha(cps[p]) || (cps[p + 1] !== 0x3a && cps[p + 1] !== 0x7c)) return false;
  if (cps.length - p === 2) return true;
  const c = cps[p + 2];
  return c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23;
}

/** https://url.spec.whatwg.org/#shorten-a-urls-path */
function shortenPath(url: URLRecord): void {
  const path = url.path as string[];
  if (url.scheme === 'file' && path.length === 1 && isWindowsDriveLetter(path[0], true)) return;
  path.pop();
}

const isSingleDot = (s: string) => s === '.' || s.toLowerCase() === '%2e';
const isDoubleDot = (s: string) => {
  switch (s.length === 2 || s.length === 4 || s.length === 6 ? s.toLowerCase() : '') {
    case '..': case '.%2e': case '%2e.': case '%2e%2e': return true;
    default: return false;
  }
};

function codePoints(input: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input.codePointAt(i)!;
    // Tab and newline are removed wherever they appear (spec step 3).
    if (c !== 0x09 && c !== 0x0a && c !== 0x0d) out.push(c);
    if (c > 0xffff) i++;
  }
  return out;
}

export function newURLRecord(): URLRecord {
  return { scheme: '', username: '', password: '', host: null, port: null, path: [], query: null, fragment: null };
}

/**
 * The basic URL parser. Without `url`, parses `input` into a new record (null on
 * failure). With `url` and `stateOverride`, updates `url` in place, as the setters do;
 * the result is then only meaningful as failure (null) or not.
 */
export function basicParse(
  input: string,
  base: URLRecord | null,
  url?: URLRecord,
  stateOverride?: number,
): URLRecord | null {
  if (!url) {
    url = newURLRecord();
    // 1.2-1.3: strip leading and trailing C0 control or space.
    let start = 0, end = input.length;
    while (start < end && input.charCodeAt(start) <= 0x20) start++;
    while (end > start && input.charCodeAt(end - 1) <= 0x20) end--;
    if (start !== 0 || end !== input.length) input = input.slice(start, end);
  }
  const cps = codePoints(input);
  let state = stateOverride ?? SCHEME_START;
  let buffer = '';
  let atSignSeen = false, insideBrackets = false, passwordTokenSeen = false;
  const special = () => isSpecialScheme(url.scheme);

  for (let pointer = 0; ; pointer++) {
    const c = pointer < cps.length ? cps[pointer] : EOF;
    switch (state) {
      case SCHEME_START:
        if (isAlpha(c)) {
          buffer += String.fromCharCode(lower(c));
          state = SCHEME;
        } else if (stateOverride === undefined) {
          state = NO_SCHEME;
          pointer--;
        } else {
          return null;
        }
        break;

      case SCHEME:
        if (isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e) {
          buffer += String.fromCharCode(lower(c));
        } else if (c === 0x3a) {
          if (stateOverride !== undefined) {
            if (special() !== isSpecialScheme(buffer)) return url;
            if ((includesCredentials(url) || url.port !== null) && buffer === 'file') return url;
            if (url.scheme === 'file' && url.host === '') return url;
          }
          url.scheme = buffer;
          if (stateOverride !== undefined) {
            if (url.port === defaultPort(url.scheme)) url.port = null;
            return url;
          }
          buffer = '';
          if (url.scheme === 'file') {
            state = FILE;
          } else if (special() && base !== null && base.scheme === url.scheme) {
            state = SPECIAL_RELATIVE_OR_AUTHORITY;
          } else if (special()) {
            state = SPECIAL_AUTHORITY_SLASHES;
          } else if (cps[pointer + 1] === 0x2f) {
            state = PATH_OR_AUTHORITY;
            pointer++;
          } else {
            url.path = '';
            state = OPAQUE_PATH;
          }
        } else if (stateOverride === undefined) {
          buffer = '';
          state = NO_SCHEME;
          pointer = -1;
        } else {
          return null;
        }
        break;

      case NO_SCHEME:
        if (base === null || (hasOpaquePath(base) && c !== 0x23)) return null;
        if (hasOpaquePath(base) && c === 0x23) {
          url.scheme = base.scheme;
          url.path = base.path;
          url.query = base.query;
          url.fragment = '';
          state = FRAGMENT;
        } else if (base.scheme !== 'file') {
          state = RELATIVE;
          pointer--;
        } else {
          state = FILE;
          pointer--;
        }
        break;

      case SPECIAL_RELATIVE_OR_AUTHORITY:
        if (c === 0x2f && cps[pointer + 1] === 0x2f) {
          state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          pointer++;
        } else {
          state = RELATIVE;
          pointer--;
        }
        break;

      case PATH_OR_AUTHORITY:
        if (c === 0x2f) {
          state = AUTHORITY;
        } else {
          state = PATH;
          pointer--;
        }
        break;

      case RELATIVE:
        url.scheme = base!.scheme;
        if (c === 0x2f || (special() && c === 0x5c)) {
          state = RELATIVE_SLASH;
        } else {
          url.username = base!.username;
          url.password = base!.password;
          url.host = base!.host;
          url.port = base!.port;
          url.path = (base!.path as string[]).slice();
          url.query = base!.query;
          if (c === 0x3f) {
            url.query = '';
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== EOF) {
            url.query = null;
            shortenPath(url);
            state = PATH;
            pointer--;
          }
        }
        break;

      case RELATIVE_SLASH:
        if (special() && (c === 0x2f || c === 0x5c)) {
          state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
        } else if (c === 0x2f) {
          state = AUTHORITY;
        } else {
          url.username = base!.username;
          url.password = base!.password;
          url.host = base!.host;
          url.port = base!.port;
          state = PATH;
          pointer--;
        }
        break;

      case SPECIAL_AUTHORITY_SLASHES:
        state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
        if (c === 0x2f && cps[pointer + 1] === 0x2f) pointer++;
        else pointer--;
        break;

      case SPECIAL_AUTHORITY_IGNORE_SLASHES:
        if (c !== 0x2f && c !== 0x5c) {
          state = AUTHORITY;
          pointer--;
        }
        break;

      case AUTHORITY:
        if (c === 0x40) {
          if (atSignSeen) buffer = '%40' + buffer;
          atSignSeen = true;
          // 1.3: split the buffer into username and password at the first ':'.
          const bufferCps = codePoints(buffer);
          for (let i = 0; i < bufferCps.length; i++) {
            const cp = bufferCps[i];
            if (cp === 0x3a && !passwordTokenSeen) {
              passwordTokenSeen = true;
              continue;
            }
            if (passwordTokenSeen) url.password += encodeCp(cp, USERINFO_SET);
            else url.username += encodeCp(cp, USERINFO_SET);
          }
          buffer = '';
        } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special() && c === 0x5c)) {
          if (atSignSeen && buffer === '') return null;
          pointer -= codePoints(buffer).length + 1;
          buffer = '';
          state = HOST;
        } else {
          buffer += fromCodePoint(c);
        }
        break;

      case HOST:
      case HOSTNAME:
        if (stateOverride !== undefined && url.scheme === 'file') {
          pointer--;
          state = FILE_HOST;
        } else if (c === 0x3a && !insideBrackets) {
          if (buffer === '') return null;
          if (stateOverride === HOSTNAME) return null;
          const host = parseHost(buffer, !special());
          if (host === null) return null;
          url.host = host;
          buffer = '';
          state = PORT;
        } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special() && c === 0x5c)) {
          pointer--;
          if (special() && buffer === '') return null;
          if (stateOverride !== undefined && buffer === '' && (includesCredentials(url) || url.port !== null)) return null;
          const host = parseHost(buffer, !special());
          if (host === null) return null;
          url.host = host;
          buffer = '';
          state = PATH_START;
          if (stateOverride !== undefined) return url;
        } else {
          if (c === 0x5b) insideBrackets = true;
          if (c === 0x5d) insideBrackets = false;
          buffer += fromCodePoint(c);
        }
        break;

      case PORT:
        if (isDigit(c)) {
          buffer += String.fromCharCode(c);
        } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special() && c === 0x5c) || stateOverride !== undefined) {
          if (buffer !== '') {
            const port = parseInt(buffer, 10);
            if (port > 65535) return null;
            url.port = port === defaultPort(url.scheme) ? null : port;
            buffer = '';
            if (stateOverride !== undefined) return url;
          }
          if (stateOverride !== undefined) return null;
          state = PATH_START;
          pointer--;
        } else {
          return null;
        }
        break;

      case FILE:
        url.scheme = 'file';
        url.host = '';
        if (c === 0x2f || c === 0x5c) {
          state = FILE_SLASH;
        } else if (base !== null && base.scheme === 'file') {
          url.host = base.host;
          url.path = (base.path as string[]).slice();
          url.query = base.query;
          if (c === 0x3f) {
            url.query = '';
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== EOF) {
            url.query = null;
            if (!startsWithWindowsDriveLetter(cps, pointer)) shortenPath(url);
            else url.path = [];
            state = PATH;
            pointer--;
          }
        } else {
          state = PATH;
          pointer--;
        }
        break;

      case FILE_SLASH:
        if (c === 0x2f || c === 0x5c) {
          state = FILE_HOST;
        } else {
          if (base !== null && base.scheme === 'file') {
            url.host = base.host;
            const basePath = base.path as string[];
            if (!startsWithWindowsDriveLetter(cps, pointer) && basePath.length > 0 && isWindowsDriveLetter(basePath[0], true)) {
              (url.path as string[]).push(basePath[0]);
            }
          }
          state = PATH;
          pointer--;
        }
        break;

      case FILE_HOST:
        if (c === EOF || c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23) {
          pointer--;
          if (stateOverride === undefined && isWindowsDriveLetter(buffer)) {
            // The buffer is kept: the path state takes it as the first segment.
            state = PATH;
          } else if (buffer === '') {
            url.host = '';
            if (stateOverride !== undefined) return url;
            state = PATH_START;
          } else {
            let host = parseHost(buffer, false);
            if (host === null) return null;
            if (host === 'localhost') host = '';
            url.host = host;
            if (stateOverride !== undefined) return url;
            buffer = '';
            state = PATH_START;
          }
        } else {
          buffer += fromCodePoint(c);
        }
        break;

      case PATH_START:
        if (special()) {
          state = PATH;
          if (c !== 0x2f && c !== 0x5c) pointer--;
        } else if (stateOverride === undefined && c === 0x3f) {
          url.query = '';
          state = QUERY;
        } else if (stateOverride === undefined && c === 0x23) {
          url.fragment = '';
          state = FRAGMENT;
        } else if (c !== EOF) {
          state = PATH;
          if (c !== 0x2f) pointer--;
        } else if (stateOverride !== undefined && url.host === null) {
          (url.path as string[]).push('');
        }
        break;

      case PATH:
        if (c === EOF || c === 0x2f || (special() && c === 0x5c) || (stateOverride === undefined && (c === 0x3f || c === 0x23))) {
          const slash = c === 0x2f || (special() && c === 0x5c);
          const path = url.path as string[];
          if (isDoubleDot(buffer)) {
            shortenPath(url);
            if (!slash) path.push('');
          } else if (isSingleDot(buffer) && !slash) {
            path.push('');
          } else if (!isSingleDot(buffer)) {
            if (url.scheme === 'file' && path.length === 0 && isWindowsDriveLetter(buffer)) {
              buffer = buffer[0] + ':';
            }
            path.push(buffer);
          }
          buffer = '';
          if (c === 0x3f) {
            url.query = '';
            state = QUERY;
          }
          if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          }
        } else {
          buffer += encodeCp(c, PATH_SET);
        }
        break;

      case OPAQUE_PATH:
        if (c === 0x3f || c === 0x23 || c === EOF) {
          // Trailing spaces of an opaque path are dropped (urltestdata.json:
          // "non-special:opaque  ?hi" parses to "non-special:opaque?hi").
          let end = (url.path as string).length;
          while (end > 0 && (url.path as string).charCodeAt(end - 1) === 0x20) end--;
          url.path = (url.path as string).slice(0, end);
          if (c === 0x3f) {
            url.query = '';
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          }
        } else {
          url.path += encodeCp(c, C0_CONTROL_SET);
        }
        break;

      case QUERY:
        if ((stateOverride === undefined && c === 0x23) || c === EOF) {
          url.query += percentEncode(buffer, special() ? SPECIAL_QUERY_SET : QUERY_SET);
          buffer = '';
          if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          }
        } else {
          buffer += fromCodePoint(c);
        }
        break;

      case FRAGMENT:
        if (c !== EOF) url.fragment += encodeCp(c, FRAGMENT_SET);
        break;
    }
    // A state may step back onto EOF to look at it again; stop only once it is done with it.
    if (pointer >= cps.length) break;
  }
  return url;
}

/** https://url.spec.whatwg.org/#url-path-serializer */
export function serializePath(url: URLRecord): string {
  if (typeof url.path === 'string') return url.path;
  let out = '';
  for (let i = 0; i < url.path.length; i++) out += '/' + url.path[i];
  return out;
}

/** https://url.spec.whatwg.org/#concept-url-serializer */
export function serializeURL(url: URLRecord, excludeFragment = false): string {
  let out = url.scheme + ':';
  if (url.host !== null) {
    out += '//';
    if (includesCredentials(url)) {
      out += url.username;
      if (url.password !== '') out += ':' + url.password;
      out += '@';
    }
    out += url.host;
    if (url.port !== null) out += ':' + url.port;
  } else if (typeof url.path !== 'string' && url.path.length > 1 && url.path[0] === '') {
    // 3: keeps "web+demo:/.//not-a-host/" from reparsing with a host.
    out += '/.';
  }
  out += serializePath(url);
  if (url.query !== null) out += '?' + url.query;
  if (!excludeFragment && url.fragment !== null) out += '#' + url.fragment;
  return out;
}

/** https://url.spec.whatwg.org/#concept-url-origin, serialised. */
export function serializeOrigin(url: URLRecord): string {
  switch (url.scheme) {
    case 'blob': {
      const pathURL = basicParse(serializePath(url), null);
      if (pathURL !== null && (pathURL.scheme === 'http' || pathURL.scheme === 'https')) return serializeOrigin(pathURL);
      return 'null';
    }
    case 'ftp': case 'http': case 'https': case 'ws': case 'wss':
      return url.scheme + '://' + url.host + (url.port !== null ? ':' + url.port : '');
    default:
      return 'null';
  }
}
