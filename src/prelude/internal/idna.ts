// Domain to ASCII for the URL parser: https://url.spec.whatwg.org/#concept-domain-to-ascii
// with UTS #46 processing (https://www.unicode.org/reports/tr46/#Processing) and
// Punycode (RFC 3492). UTS #46's mapping table is not bundled (it is ~100 KB); the
// mapping is approximated with what V8's ICU gives: NFKC, then lower case, then NFKC,
// one code point at a time (close to NFKC_Casefold). Known gaps, all listed in
// docs/conformance.md: characters UTS #46 disallows but that are assigned and not
// controls pass; CheckJoiners and CheckBidi use small tables and scripts as stand-ins
// for the Canonical_Combining_Class, Joining_Type and Bidi_Class properties, which
// JavaScript regular expressions lack, so rare scripts can be judged wrongly.

import { RegExpPrototypeExec, StringPrototypeToLowerCase } from './primordials.ts';

const fromCodePoint = String.fromCodePoint;

// RFC 3492 section 5 parameters.
const BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 128;

function adapt(delta: number, numPoints: number, first: boolean): number {
  delta = first ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - TMIN) * TMAX) >> 1) {
    delta = Math.floor(delta / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + SKEW));
}

const digitValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 22 : c >= 0x41 && c <= 0x5a ? c - 0x41 : c >= 0x61 && c <= 0x7a ? c - 0x61 : BASE;
const digitChar = (d: number): number => d + 22 + 75 * (d < 26 ? 1 : 0);

/** RFC 3492 6.2; null on malformed input or overflow. */
export function punycodeDecode(input: string): string | null {
  const out: number[] = [];
  const b = input.lastIndexOf('-');
  for (let j = 0; j < (b < 0 ? 0 : b); j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) return null;
    out.push(c);
  }
  let n = INITIAL_N, i = 0, bias = INITIAL_BIAS;
  for (let p = b > 0 ? b + 1 : 0; p < input.length;) {
    const oldi = i;
    for (let w = 1, k = BASE; ; k += BASE) {
      if (p >= input.length) return null;
      const digit = digitValue(input.charCodeAt(p++));
      if (digit >= BASE) return null;
      i += digit * w;
      if (i > 0x7fffffff) return null;
      const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
      if (digit < t) break;
      w *= BASE - t;
      if (w > 0x7fffffff) return null;
    }
    bias = adapt(i - oldi, out.length + 1, oldi === 0);
    n += Math.floor(i / (out.length + 1));
    if (n > 0x10ffff) return null;
    i %= out.length + 1;
    out.splice(i++, 0, n);
  }
  return fromCodePoint(...out);
}

/** RFC 3492 6.3. */
export function punycodeEncode(input: string): string {
  const cps: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input.codePointAt(i)!;
    cps.push(c);
    if (c > 0xffff) i++;
  }
  let output = '';
  for (let i = 0; i < cps.length; i++) if (cps[i] < 0x80) output += fromCodePoint(cps[i]);
  const basic = output.length;
  let h = basic;
  if (basic > 0) output += '-';
  // The non-basic code points in order, so each round finds its next one without a scan.
  const pending = cps.filter((c) => c >= INITIAL_N).sort((a, b) => a - b);
  let next = 0;
  let n = INITIAL_N, delta = 0, bias = INITIAL_BIAS;
  while (h < cps.length) {
    while (pending[next] < n) next++;
    const m = pending[next];
    delta += (m - n) * (h + 1);
    n = m;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i];
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
          if (q < t) break;
          output += fromCodePoint(digitChar(t + ((q - t) % (BASE - t))));
          q = Math.floor((q - t) / (BASE - t));
        }
        output += fromCodePoint(digitChar(q));
        bias = adapt(delta, h + 1, h === basic);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return output;
}

// UTS #46 "ignored" code points (mapped to nothing).
const IGNORED = /[\u00AD\u034F\u180B-\u180F\u200B\u2060\u2064\uFE00-\uFE0F\uFEFF\u{1BCA0}-\u{1BCA3}\u{E0100}-\u{E01EF}]/gu;
// Disallowed: unassigned, private use, lone surrogates, controls (ASCII ones are
// refused later as forbidden domain code points), and noncharacters.
const DISALLOWED = /[\p{Cn}\p{Co}\p{Cs}\u0080-\u009F\u2028\u2029]|[\uFFFC\uFFFD]/u;
const ASCII_ONLY = /^[\x00-\x7F]*$/;
const XN_LABEL = /(^|\.)xn--/i;

/** UTS #46 section 4 step 1 (Map), approximated as the file header says. */
function mapDomain(domain: string): string {
  let out = '';
  for (const ch of domain.replace(IGNORED, '')) {
    if (ch === '\u3002' || ch === '\uFF0E' || ch === '\uFF61') { out += '.'; continue; }
    out += ch.normalize('NFKC').toLowerCase().normalize('NFKC');
  }
  return out;
}

// Viramas (Canonical_Combining_Class 9), for the CONTEXTJ rules of RFC 5892 appendix A.
const VIRAMA = /[\u094D\u09CD\u0A4D\u0ACD\u0B4D\u0BCD\u0C4D\u0CCD\u0D3B\u0D3C\u0D4D\u0DCA\u0E3A\u0EBA\u0F84\u1039\u103A\u1714\u1715\u1734\u17D2\u1A60\u1B44\u1BAA\u1BAB\u1BF2\u1BF3\u2D7F\uA806\uA82C\uA8C4\uA953\uA9C0\uAAF6\uABED\u{10A3F}\u{11046}\u{11070}\u{1107F}\u{110B9}\u{11133}\u{11134}\u{111C0}\u{11235}\u{112EA}\u{1134D}\u{11442}\u{114C2}\u{115BF}\u{1163F}\u{116B6}\u{1172B}\u{11839}\u{1193D}\u{1193E}\u{119E0}\u{11A34}\u{11A47}\u{11A99}\u{11C3F}\u{11D44}\u{11D45}\u{11D97}]$/u;

// Stand-ins for Bidi_Class (RFC 5893): right-to-left letters by script, Arabic digits.
const RTL = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Imperial_Aramaic}\p{Script=Phoenician}\p{Script=Kharoshthi}\p{Script=Avestan}\p{Script=Old_South_Arabian}\p{Script=Mende_Kikakui}]/u;
const AN = /[\u0600-\u0605\u0660-\u0669\u066B\u066C\u06DD\u0890\u0891\u08E2\u{10D30}-\u{10D39}\u{10E60}-\u{10E7E}]/u;
const NSM = /[\p{Mn}\p{Me}]/u;
const EN = /[0-9\u06F0-\u06F9\u00B2\u00B3\u00B9\u2070-\u2079\u2080-\u2089]/u;
const L = /[\p{L}\p{Mc}\p{Nd}\p{Nl}\p{No}]/u;

type BidiClass = 'L' | 'R' | 'AN' | 'EN' | 'NSM' | 'ON';
function bidiClass(ch: string): BidiClass {
  if (AN.test(ch)) return 'AN';
  if (EN.test(ch)) return 'EN';
  if (NSM.test(ch)) return 'NSM';
  if (RTL.test(ch)) return 'R';
  if (L.test(ch)) return 'L';
  return 'ON'; // ES, CS, ET, ON and BN all behave alike in the rules below
}

/** RFC 5893 section 2, for a label of a Bidi domain name. */
function bidiValid(label: string): boolean {
  const classes: BidiClass[] = [];
  for (const ch of label) classes.push(bidiClass(ch));
  if (classes.length === 0) return true;
  let end = classes.length - 1;
  while (end > 0 && classes[end] === 'NSM') end--;
  if (classes[0] === 'R') {
    // Rules 2-4.
    if (classes.includes('L')) return false;
    if (!['R', 'EN', 'AN'].includes(classes[end])) return false;
    return !(classes.includes('EN') && classes.includes('AN'));
  }
  if (classes[0] !== 'L') return false; // rule 1
  // Rules 5-6.
  if (classes.includes('R') || classes.includes('AN')) return false;
  return classes[end] === 'L' || classes[end] === 'EN';
}

/** UTS #46 section 4.1 validity criteria, non-transitional, CheckHyphens=false. */
function labelValid(label: string, fromPunycode: boolean): boolean {
  if (label.normalize('NFC') !== label) return false;
  if (label.startsWith('xn--')) return false; // step 3 when CheckHyphens is false
  if (/^\p{M}/u.test(label)) return false;
  if (DISALLOWED.test(label)) return false;
  // A decoded label must already be in mapped form.
  if (fromPunycode && mapDomain(label) !== label) return false;
  if (label.indexOf('\u200C') >= 0 || label.indexOf('\u200D') >= 0) return joinersValid(label);
  return true;
}

// Stand-ins for Joining_Type, which JavaScript regular expressions lack: right-joining
// Arabic letters from a table, other letters of joining scripts dual-joining.
const JOIN_R = /[\u0622-\u0625\u0627\u0629\u062F-\u0632\u0648\u0671-\u0673\u0675-\u0677\u0688-\u0699\u06C0\u06C3-\u06CB\u06CD\u06CF\u06D2\u06D3\u06D5\u06EE\u06EF\u0710\u0715-\u0719\u071E\u0728\u072A\u072C\u072F\u074D\u0759-\u075B\u076B\u076C\u0771\u0773\u0774\u0778\u0779\u08AA-\u08AC\u08AE\u08B1\u08B2\u08B9]/u;
const JOIN_D = /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Mandaic}\p{Script=Adlam}]/u;
const JOIN_T = /[\p{Mn}\p{Me}\p{Cf}]/u;

function joiningType(ch: string): 'R' | 'D' | 'T' | 'U' {
  if (JOIN_T.test(ch)) return 'T';
  if (JOIN_R.test(ch)) return 'R';
  if (ch !== '\u0621' && /\p{L}/u.test(ch) && JOIN_D.test(ch)) return 'D';
  return 'U';
}

/** CheckJoiners: RFC 5892 appendix A.1 (ZWNJ) and A.2 (ZWJ). */
function joinersValid(label: string): boolean {
  const chars = [...label];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] !== '\u200C' && chars[i] !== '\u200D') continue;
    if (i > 0 && VIRAMA.test(chars[i - 1])) continue;
    if (chars[i] === '\u200D') return false;
    // ZWNJ between a left- or dual-joining and a right- or dual-joining letter.
    let before = i - 1;
    while (before >= 0 && joiningType(chars[before]) === 'T') before--;
    let after = i + 1;
    while (after < chars.length && joiningType(chars[after]) === 'T') after++;
    if (before < 0 || joiningType(chars[before]) !== 'D') return false;
    if (after >= chars.length || !['R', 'D'].includes(joiningType(chars[after]))) return false;
  }
  return true;
}

/**
 * UTS #46 ToASCII with CheckHyphens, UseSTD3ASCIIRules and VerifyDnsLength false,
 * CheckBidi and CheckJoiners true, non-transitional. Null on failure.
 */
function toASCII(domain: string): string | null {
  const labels = mapDomain(domain).normalize('NFC').split('.');
  const unicode: string[] = [];
  let ok = true;
  for (const label of labels) {
    if (/^xn--/i.test(label)) {
      if (!ASCII_ONLY.test(label)) return null;
      const decoded = punycodeDecode(label.slice(4).toLowerCase());
      if (decoded === null || decoded === '' || ASCII_ONLY.test(decoded)) return null;
      ok &&= labelValid(decoded, true);
      unicode.push(decoded);
    } else {
      ok &&= labelValid(label, false);
      unicode.push(label);
    }
  }
  if (!ok) return null;
  // A Bidi domain name has a right-to-left label; then its labels must pass RFC 5893.
  // Like ICU (and as toascii.json's "1.ي" and "ي.1" show), only labels from the first
  // right-to-left one on are held to it.
  const firstRTL = unicode.findIndex((l) => [...l].some((ch) => { const c = bidiClass(ch); return c === 'R' || c === 'AN'; }));
  if (firstRTL >= 0) {
    for (let i = firstRTL; i < unicode.length; i++) if (!bidiValid(unicode[i])) return null;
  }
  return unicode.map((l) => (ASCII_ONLY.test(l) ? l : 'xn--' + punycodeEncode(l))).join('.');
}

/** https://url.spec.whatwg.org/#concept-domain-to-ascii with beStrict false; null on failure. */
export function domainToASCII(domain: string): string | null {
  // The spec's fast path: ASCII with no "xn--" label is only lower-cased. It is the
  // common case, so it alone avoids built-ins tenant code could have patched.
  if (RegExpPrototypeExec(ASCII_ONLY, domain) !== null && RegExpPrototypeExec(XN_LABEL, domain) === null) {
    return StringPrototypeToLowerCase(domain);
  }
  const result = toASCII(domain);
  if (result === null || result === '') return null;
  return result;
}
