// The basic URL parser and serializer: https://url.spec.whatwg.org/#concept-basic-url-parser
// A direct reading of the spec's state machine; state names follow it. The input is
// walked by UTF-16 code unit: every code point the machine tests for is ASCII, and
// wherever non-ASCII text is percent-encoded, surrogate pairs are taken whole.

import {
  ArrayPrototypePop, ArrayPrototypePush, NumberParseInt, RegExpPrototypeExec, StringFromCharCode,
  StringPrototypeCharCodeAt, StringPrototypeIndexOf, StringPrototypeSlice, StringPrototypeToLowerCase,
} from './primordials.ts';
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

/** https://url.spec.whatwg.org/#default-port */
function defaultPort(scheme: string): number | null {
  switch (scheme) {
    case 'http': case 'ws': return 80;
    case 'https': case 'wss': return 443;
    case 'ftp': return 21;
    default: return null;
  }
}

function isSpecialScheme(scheme: string): boolean {
  return scheme === 'http' || scheme === 'https' || scheme === 'ws' || scheme === 'wss' || scheme === 'ftp' || scheme === 'file';
}

export const hasOpaquePath = (url: URLRecord): boolean => typeof url.path === 'string';
const includesCredentials = (url: URLRecord): boolean => url.username !== '' || url.password !== '';
export const cannotHaveCredentialsOrPort = (url: URLRecord): boolean =>
  url.host === null || url.host === '' || url.scheme === 'file';

const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);

/** https://url.spec.whatwg.org/#windows-drive-letter (normalized: second code point is ':'). */
function isWindowsDriveLetter(s: string, normalizedOnly = false): boolean {
  return s.length === 2 && isAlpha(StringPrototypeCharCodeAt(s, 0)) && (s[1] === ':' || (!normalizedOnly && s[1] === '|'));
}

/** https://url.spec.whatwg.org/#start-with-a-windows-drive-letter, from `p` on. */
function startsWithWindowsDriveLetter(input: string, p: number): boolean {
  if (input.length - p < 2) return false;
  const c1 = StringPrototypeCharCodeAt(input, p + 1);
  if (!isAlpha(StringPrototypeCharCodeAt(input, p)) || (c1 !== 0x3a && c1 !== 0x7c)) return false;
  if (input.length - p === 2) return true;
  const c = StringPrototypeCharCodeAt(input, p + 2);
  return c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23;
}

/** https://url.spec.whatwg.org/#shorten-a-urls-path */
function shortenPath(url: URLRecord): void {
  const path = url.path as string[];
  if (url.scheme === 'file' && path.length === 1 && isWindowsDriveLetter(path[0], true)) return;
  ArrayPrototypePop(path);
}

const isSingleDot = (s: string) => s === '.' || StringPrototypeToLowerCase(s) === '%2e';
const isDoubleDot = (s: string) => {
  switch (s.length === 2 || s.length === 4 || s.length === 6 ? StringPrototypeToLowerCase(s) : '') {
    case '..': case '.%2e': case '%2e.': case '%2e%2e': return true;
    default: return false;
  }
};

const TAB_OR_NEWLINE = /[\t\n\r]/;

/** Spec step 3: tab and newline are removed wherever they appear. */
function removeTabAndNewline(input: string): string {
  if (RegExpPrototypeExec(TAB_OR_NEWLINE, input) === null) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = StringPrototypeCharCodeAt(input, i);
    if (c !== 0x09 && c !== 0x0a && c !== 0x0d) out += input[i];
  }
  return out;
}

function copyPath(url: URLRecord): string[] {
  const from = url.path as string[];
  const out: string[] = [];
  for (let i = 0; i < from.length; i++) out[i] = from[i];
  return out;
}

function newURLRecord(): URLRecord {
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
    while (start < end && StringPrototypeCharCodeAt(input, start) <= 0x20) start++;
    while (end > start && StringPrototypeCharCodeAt(input, end - 1) <= 0x20) end--;
    if (start !== 0 || end !== input.length) input = StringPrototypeSlice(input, start, end);
  }
  input = removeTabAndNewline(input);
  const length = input.length;
  let state = stateOverride ?? SCHEME_START;
  let buffer = '';
  let atSignSeen = false, insideBrackets = false, passwordTokenSeen = false;
  // "url is special", kept up to date wherever the scheme changes.
  let special = isSpecialScheme(url.scheme);
  // No closures over `pointer` here: a captured loop variable would live in a heap context.
  for (let pointer = 0; ; pointer++) {
    const c = pointer < length ? StringPrototypeCharCodeAt(input, pointer) : EOF;
    switch (state) {
      case SCHEME_START:
        if (isAlpha(c)) {
          buffer += StringFromCharCode(lower(c));
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
          buffer += StringFromCharCode(lower(c));
        } else if (c === 0x3a) {
          if (stateOverride !== undefined) {
            if (special !== isSpecialScheme(buffer)) return url;
            if ((includesCredentials(url) || url.port !== null) && buffer === 'file') return url;
            if (url.scheme === 'file' && url.host === '') return url;
          }
          url.scheme = buffer;
          special = isSpecialScheme(buffer);
          if (stateOverride !== undefined) {
            if (url.port === defaultPort(url.scheme)) url.port = null;
            return url;
          }
          buffer = '';
          if (url.scheme === 'file') {
            state = FILE;
          } else if (special && base !== null && base.scheme === url.scheme) {
            state = SPECIAL_RELATIVE_OR_AUTHORITY;
          } else if (special) {
            state = SPECIAL_AUTHORITY_SLASHES;
          } else if (StringPrototypeCharCodeAt(input, pointer + 1) === 0x2f) {
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
          special = isSpecialScheme(url.scheme);
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
        if (c === 0x2f && StringPrototypeCharCodeAt(input, pointer + 1) === 0x2f) {
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
        special = isSpecialScheme(url.scheme);
        if (c === 0x2f || (special && c === 0x5c)) {
          state = RELATIVE_SLASH;
        } else {
          url.username = base!.username;
          url.password = base!.password;
          url.host = base!.host;
          url.port = base!.port;
          url.path = copyPath(base!);
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
        if (special && (c === 0x2f || c === 0x5c)) {
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
        if (c === 0x2f && StringPrototypeCharCodeAt(input, pointer + 1) === 0x2f) pointer++;
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
          // The buffer splits into username and password at the first ':' ever seen.
          const colon = passwordTokenSeen ? -1 : StringPrototypeIndexOf(buffer, ':');
          if (passwordTokenSeen) {
            url.password += percentEncode(buffer, USERINFO_SET);
          } else if (colon < 0) {
            url.username += percentEncode(buffer, USERINFO_SET);
          } else {
            passwordTokenSeen = true;
            url.username += percentEncode(StringPrototypeSlice(buffer, 0, colon), USERINFO_SET);
            url.password += percentEncode(StringPrototypeSlice(buffer, colon + 1), USERINFO_SET);
          }
          buffer = '';
        } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special && c === 0x5c)) {
          if (atSignSeen && buffer === '') return null;
          pointer -= buffer.length + 1;
          buffer = '';
          state = HOST;
        } else {
          buffer += input[pointer];
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
          const host = parseHost(buffer, !special);
          if (host === null) return null;
          url.host = host;
          buffer = '';
          state = PORT;
        } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special && c === 0x5c)) {
          pointer--;
          if (special && buffer === '') return null;
          if (stateOverride !== undefined && buffer === '' && (includesCredentials(url) || url.port !== null)) return null;
          const host = parseHost(buffer, !special);
          if (host === null) return null;
          url.host = host;
          buffer = '';
          state = PATH_START;
          if (stateOverride !== undefined) return url;
        } else {
          if (c === 0x5b) insideBrackets = true;
          if (c === 0x5d) insideBrackets = false;
          buffer += input[pointer];
        }
        break;

      case PORT:
        if (isDigit(c)) {
          buffer += StringFromCharCode(c);
        } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 || (special && c === 0x5c) || stateOverride !== undefined) {
          if (buffer !== '') {
            const port = NumberParseInt(buffer, 10);
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
        special = true;
        url.host = '';
        if (c === 0x2f || c === 0x5c) {
          state = FILE_SLASH;
        } else if (base !== null && base.scheme === 'file') {
          url.host = base.host;
          url.path = copyPath(base);
          url.query = base.query;
          if (c === 0x3f) {
            url.query = '';
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== EOF) {
            url.query = null;
            if (!startsWithWindowsDriveLetter(input, pointer)) shortenPath(url);
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
            if (!startsWithWindowsDriveLetter(input, pointer) && basePath.length > 0 && isWindowsDriveLetter(basePath[0], true)) {
              ArrayPrototypePush(url.path as string[], basePath[0]);
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
          buffer += input[pointer];
        }
        break;

      case PATH_START:
        if (special) {
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
          ArrayPrototypePush(url.path as string[], '');
        }
        break;

      case PATH:
        if (c === EOF || c === 0x2f || (special && c === 0x5c) || (stateOverride === undefined && (c === 0x3f || c === 0x23))) {
          const slash = c === 0x2f || (special && c === 0x5c);
          const path = url.path as string[];
          if (isDoubleDot(buffer)) {
            shortenPath(url);
            if (!slash) ArrayPrototypePush(path, '');
          } else if (isSingleDot(buffer) && !slash) {
            ArrayPrototypePush(path, '');
          } else if (!isSingleDot(buffer)) {
            if (url.scheme === 'file' && path.length === 0 && isWindowsDriveLetter(buffer)) {
              buffer = buffer[0] + ':';
            }
            ArrayPrototypePush(path, buffer);
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
          // The spec appends one code point at a time; a run up to the next delimiter is
          // the same thing done at once (delimiters are ASCII, so no pair is split).
          let end = pointer + 1;
          while (end < length) {
            const d = StringPrototypeCharCodeAt(input, end);
            if (d === 0x2f || (special && d === 0x5c) || (stateOverride === undefined && (d === 0x3f || d === 0x23))) break;
            end++;
          }
          buffer += percentEncode(StringPrototypeSlice(input, pointer, end), PATH_SET);
          pointer = end - 1;
        }
        break;

      case OPAQUE_PATH:
        if (c === 0x3f || c === 0x23 || c === EOF) {
          // Trailing spaces of an opaque path are dropped (urltestdata.json:
          // "non-special:opaque  ?hi" parses to "non-special:opaque?hi").
          let end = (url.path as string).length;
          while (end > 0 && StringPrototypeCharCodeAt(url.path as string, end - 1) === 0x20) end--;
          url.path = StringPrototypeSlice(url.path as string, 0, end);
          if (c === 0x3f) {
            url.query = '';
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          }
        } else {
          let end = pointer + 1;
          while (end < length) {
            const d = StringPrototypeCharCodeAt(input, end);
            if (d === 0x3f || d === 0x23) break;
            end++;
          }
          url.path += percentEncode(StringPrototypeSlice(input, pointer, end), C0_CONTROL_SET);
          pointer = end - 1;
        }
        break;

      case QUERY:
        if ((stateOverride === undefined && c === 0x23) || c === EOF) {
          url.query += percentEncode(buffer, special ? SPECIAL_QUERY_SET : QUERY_SET);
          buffer = '';
          if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          }
        } else {
          // Everything up to the fragment (or the end) at once.
          let end = stateOverride === undefined ? StringPrototypeIndexOf(input, '#', pointer) : -1;
          if (end < 0) end = length;
          buffer += StringPrototypeSlice(input, pointer, end);
          pointer = end - 1;
        }
        break;

      case FRAGMENT:
        // The rest of the input, at once.
        if (c === EOF) break;
        url.fragment += percentEncode(StringPrototypeSlice(input, pointer), FRAGMENT_SET);
        pointer = length - 1;
        break;
    }
    // A state may step back onto EOF to look at it again; stop only once it is done with it.
    if (pointer >= length) break;
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
export function serializeURL(url: URLRecord): string {
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
  if (url.fragment !== null) out += '#' + url.fragment;
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
