// Host parsing and serialising: https://url.spec.whatwg.org/#host-parsing
// Hosts are kept serialised (a domain, "1.2.3.4", "[::1]", an opaque host or ""),
// which is all the URL interface ever shows of them.

import { domainToASCII } from './idna.ts';
import {
  ArrayPrototypeJoin, ArrayPrototypePop, ArrayPrototypePush, NumberParseInt, NumberPrototypeToString,
  RegExpPrototypeExec, StringPrototypeCharCodeAt, StringPrototypeIndexOf, StringPrototypeSlice,
} from './primordials.ts';
import { C0_CONTROL_SET, percentDecodeString, percentEncode } from './percent-encode.ts';

const FORBIDDEN_HOST = /[\x00\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\x00-\x20#%/:<>?@[\\\]^|\x7F]/;
const DECIMAL = /^[0-9]+$/, HEX = /^[0-9a-fA-F]+$/, OCTAL = /^[0-7]+$/;

const matches = (re: RegExp, s: string): boolean => RegExpPrototypeExec(re, s) !== null;

/** Splits on '.' (String.prototype.split would consult a patchable Symbol.split). */
function splitDots(input: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let dot = StringPrototypeIndexOf(input, '.'); dot >= 0; dot = StringPrototypeIndexOf(input, '.', start)) {
    ArrayPrototypePush(parts, StringPrototypeSlice(input, start, dot));
    start = dot + 1;
  }
  ArrayPrototypePush(parts, StringPrototypeSlice(input, start));
  return parts;
}

/** https://url.spec.whatwg.org/#concept-host-parser; null on failure. */
export function parseHost(input: string, isOpaque: boolean): string | null {
  // 1. IPv6 address.
  if (input[0] === '[') {
    if (input[input.length - 1] !== ']') return null;
    const pieces = parseIPv6(StringPrototypeSlice(input, 1, -1));
    return pieces === null ? null : '[' + serializeIPv6(pieces) + ']';
  }
  // 2. Opaque host: https://url.spec.whatwg.org/#concept-opaque-host-parser
  if (isOpaque) return matches(FORBIDDEN_HOST, input) ? null : percentEncode(input, C0_CONTROL_SET);
  // 4-6. Domain.
  const ascii = domainToASCII(percentDecodeString(input));
  if (ascii === null || ascii === '' || matches(FORBIDDEN_DOMAIN, ascii)) return null;
  // 7. A domain ending in a number is an IPv4 address, or nothing.
  if (endsInANumber(ascii)) {
    const v4 = parseIPv4(ascii);
    return v4 === null ? null : serializeIPv4(v4);
  }
  return ascii;
}

/** https://url.spec.whatwg.org/#ends-in-a-number-checker */
function endsInANumber(input: string): boolean {
  const parts = splitDots(input);
  if (parts[parts.length - 1] === '') {
    if (parts.length === 1) return false;
    ArrayPrototypePop(parts);
  }
  const last = parts[parts.length - 1];
  if (matches(DECIMAL, last)) return true;
  return parseIPv4Number(last) !== null;
}

/** https://url.spec.whatwg.org/#ipv4-number-parser */
function parseIPv4Number(input: string): number | null {
  if (input === '') return null;
  let radix = 10;
  if (input.length >= 2 && input[0] === '0' && (input[1] === 'x' || input[1] === 'X')) {
    radix = 16;
    input = StringPrototypeSlice(input, 2);
  } else if (input.length >= 2 && input[0] === '0') {
    radix = 8;
    input = StringPrototypeSlice(input, 1);
  }
  if (input === '') return 0;
  if (!matches(radix === 10 ? DECIMAL : radix === 16 ? HEX : OCTAL, input)) return null;
  return NumberParseInt(input, radix);
}

/** https://url.spec.whatwg.org/#concept-ipv4-parser */
function parseIPv4(input: string): number | null {
  const parts = splitDots(input);
  if (parts[parts.length - 1] === '' && parts.length > 1) ArrayPrototypePop(parts);
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const n = parseIPv4Number(parts[i]);
    if (n === null) return null;
    ArrayPrototypePush(numbers, n);
  }
  for (let i = 0; i < numbers.length - 1; i++) if (numbers[i] > 255) return null;
  const last = numbers[numbers.length - 1];
  if (last >= 256 ** (5 - numbers.length)) return null;
  let ipv4 = last;
  for (let i = 0; i < numbers.length - 1; i++) ipv4 += numbers[i] * 256 ** (3 - i);
  return ipv4;
}

function serializeIPv4(address: number): string {
  const out: number[] = [0, 0, 0, 0];
  for (let i = 3; i >= 0; i--) {
    out[i] = address % 256;
    address = Math.floor(address / 256);
  }
  return ArrayPrototypeJoin(out, '.');
}

const hexDigit = (c: string | undefined): number => (c !== undefined && c.length === 1 && matches(HEX, c) ? NumberParseInt(c, 16) : -1);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** https://url.spec.whatwg.org/#concept-ipv6-parser; null on failure. */
function parseIPv6(input: string): number[] | null {
  const address = [0, 0, 0, 0, 0, 0, 0, 0];
  let pieceIndex = 0;
  let compress: number | null = null;
  let p = 0;
  if (input[p] === ':') {
    if (input[p + 1] !== ':') return null;
    p += 2;
    compress = ++pieceIndex;
  }
  while (p < input.length) {
    if (pieceIndex === 8) return null;
    if (input[p] === ':') {
      if (compress !== null) return null;
      p++;
      compress = ++pieceIndex;
      continue;
    }
    let value = 0, length = 0;
    while (length < 4 && hexDigit(input[p]) >= 0) {
      value = value * 0x10 + hexDigit(input[p]);
      p++;
      length++;
    }
    if (input[p] === '.') {
      // An IPv4 address in the last two pieces.
      if (length === 0) return null;
      p -= length;
      if (pieceIndex > 6) return null;
      let numbersSeen = 0;
      while (p < input.length) {
        let ipv4Piece: number | null = null;
        if (numbersSeen > 0) {
          if (input[p] === '.' && numbersSeen < 4) p++;
          else return null;
        }
        if (!isDigit(input[p])) return null;
        while (isDigit(input[p])) {
          const number = StringPrototypeCharCodeAt(input, p) - 0x30;
          if (ipv4Piece === null) ipv4Piece = number;
          else if (ipv4Piece === 0) return null;
          else ipv4Piece = ipv4Piece * 10 + number;
          if (ipv4Piece > 255) return null;
          p++;
        }
        address[pieceIndex] = address[pieceIndex] * 0x100 + ipv4Piece!;
        numbersSeen++;
        if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
      }
      if (numbersSeen !== 4) return null;
      break;
    } else if (input[p] === ':') {
      p++;
      if (p >= input.length) return null;
    } else if (p < input.length) {
      return null;
    }
    address[pieceIndex++] = value;
  }
  if (compress !== null) {
    let swaps = pieceIndex - compress;
    pieceIndex = 7;
    while (pieceIndex !== 0 && swaps > 0) {
      const t = address[pieceIndex];
      address[pieceIndex] = address[compress + swaps - 1];
      address[compress + swaps - 1] = t;
      pieceIndex--;
      swaps--;
    }
  } else if (pieceIndex !== 8) {
    return null;
  }
  return address;
}

/** https://url.spec.whatwg.org/#concept-ipv6-serializer */
function serializeIPv6(address: number[]): string {
  // The first longest run of two or more zero pieces is compressed.
  let compress = -1, best = 1;
  for (let i = 0; i < 8;) {
    if (address[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && address[j] === 0) j++;
    if (j - i > best) { best = j - i; compress = i; }
    i = j;
  }
  let out = '';
  let ignore0 = false;
  for (let i = 0; i < 8; i++) {
    if (ignore0 && address[i] === 0) continue;
    ignore0 = false;
    if (compress === i) {
      out += i === 0 ? '::' : ':';
      ignore0 = true;
      continue;
    }
    out += NumberPrototypeToString(address[i], 16);
    if (i !== 7) out += ':';
  }
  return out;
}
