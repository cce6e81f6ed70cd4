// TextEncoder / TextDecoder inside a real isolate: https://encoding.spec.whatwg.org/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate } from '../helpers/worker.ts';

// CPU limits are not under test here: a cold isolate on a loaded machine may need more than 50 ms.
const RELAXED = { limits: { cpuMs: 5000 } };

test('TextEncoder: encode: writes UTF-8, turns lone surrogates into U+FFFD and sizes the buffer exactly', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const e = new TextEncoder();
    const enc = (s) => Array.from(e.encode(s));
    return {
      ascii: enc('hi'), twoByte: enc('é'), threeByte: enc('€'), fourByte: enc('😀'),
      lone: enc('a\\ud800b'), trailingLone: enc('\\udc00'), empty: enc(), undef: enc(undefined),
      number: enc(12), bufferSize: e.encode('é€😀x').buffer.byteLength, encoding: e.encoding,
      tag: Object.prototype.toString.call(e),
    };
  `, RELAXED);
  assert.deepEqual(out, {
    ascii: [104, 105], twoByte: [0xc3, 0xa9], threeByte: [0xe2, 0x82, 0xac], fourByte: [0xf0, 0x9f, 0x98, 0x80],
    lone: [0x61, 0xef, 0xbf, 0xbd, 0x62], trailingLone: [0xef, 0xbf, 0xbd], empty: [], undef: [],
    number: [0x31, 0x32], bufferSize: 10, encoding: 'utf-8', tag: '[object TextEncoder]',
  });
});

test('TextEncoder: encodeInto: stops before a code point that does not fit and reports read/written', async () => {
  const out = await runInIsolate<unknown[]>(`
    const e = new TextEncoder();
    const r = [];
    for (const [s, n] of [['abc', 8], ['a€b', 3], ['😀x', 3], ['😀x', 5], ['\\ud800', 3]]) {
      const buf = new Uint8Array(n);
      const { read, written } = e.encodeInto(s, buf);
      r.push([read, written, Array.from(buf.subarray(0, written))]);
    }
    const view = new Uint8Array(new ArrayBuffer(8), 2, 4);
    e.encodeInto('zz', view);
    r.push(Array.from(new Uint8Array(view.buffer)));
    return r;
  `, RELAXED);
  assert.deepEqual(out, [
    [3, 3, [97, 98, 99]],
    [1, 1, [97]],
    [0, 0, []],
    [3, 5, [0xf0, 0x9f, 0x98, 0x80, 0x78]],
    [1, 3, [0xef, 0xbf, 0xbd]],
    [0, 0, 122, 122, 0, 0, 0, 0],
  ]);
});

test('TextEncoder: encodeInto: a destination that is not a Uint8Array is a TypeError', async () => {
  const out = await runInIsolate<string[]>(`
    const r = [];
    for (const d of [new Uint16Array(4), new ArrayBuffer(4), null, 'x']) {
      try { new TextEncoder().encodeInto('a', d); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
    }
    return r;
  `, RELAXED);
  for (const line of out) assert.match(line, /^TypeError: Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'/);
});

test('TextDecoder: decode: replaces invalid sequences with U+FFFD as the spec\'s maximal-subpart rule says', async () => {
  const out = await runInIsolate<string[]>(`
    const d = new TextDecoder();
    const cases = [
      [0x68, 0xc3, 0xa9], [0xff], [0xc3], [0xe2, 0x82], [0xe2, 0x28, 0xa1], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80],
      [0xc0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbf, 0xbd], [0xf0, 0x9f, 0x98, 0x80, 0x41],
    ];
    return cases.map((c) => Array.from(d.decode(new Uint8Array(c))).map((ch) => ch.codePointAt(0).toString(16)).join(' '));
  `, RELAXED);
  assert.deepEqual(out, [
    '68 e9', 'fffd', 'fffd', 'fffd', 'fffd 28 fffd', 'fffd', 'fffd fffd fffd',
    'fffd fffd', 'fffd fffd fffd fffd', 'fffd', '1f600 41',
  ]);
});

test('TextDecoder: decode: stream keeps a multi-byte sequence split across chunks, at every split point', async () => {
  const out = await runInIsolate<{ split: string[]; flushed: string; large: boolean }>(`
    const text = 'aé€😀z';
    const bytes = new TextEncoder().encode(text);
    const split = [];
    for (let i = 0; i <= bytes.length; i++) {
      const d = new TextDecoder();
      split.push(d.decode(bytes.subarray(0, i), { stream: true }) + d.decode(bytes.subarray(i)));
    }
    // One byte at a time, then a cut sequence flushed at the end as one U+FFFD.
    const d = new TextDecoder();
    let s = '';
    for (const b of [0xf0, 0x9f, 0x98, 0x80, 0xe2, 0x82]) s += d.decode(new Uint8Array([b]), { stream: true });
    s += d.decode();
    // A large non-ASCII text decodes in batches without losing anything.
    const big = 'ñ€😀'.repeat(20000);
    return { split, flushed: s, large: new TextDecoder().decode(new TextEncoder().encode(big)) === big };
  `, RELAXED);
  assert.deepEqual(out.split, Array(12).fill('aé€😀z'));
  assert.equal(out.flushed, '😀\ufffd');
  assert.equal(out.large, true);
});

test('TextDecoder: decode: fatal throws a TypeError on invalid bytes but not on a real U+FFFD', async () => {
  const out = await runInIsolate<string[]>(`
    const d = new TextDecoder('utf-8', { fatal: true });
    const r = [d.fatal, d.decode(new Uint8Array([0xef, 0xbf, 0xbd]))];
    for (const c of [[0xff], [0xc3], [0xed, 0xa0, 0x80]]) {
      try { d.decode(new Uint8Array(c)); r.push('no error'); } catch (e) { r.push(e.name + ': ' + e.message); }
    }
    // A sequence cut at the end of a streamed chunk is not an error until the end.
    r.push(d.decode(new Uint8Array([0xc3]), { stream: true }) + d.decode(new Uint8Array([0xa9])));
    try { d.decode(new Uint8Array([0xc3]), { stream: true }); d.decode(); r.push('no error'); } catch (e) { r.push(e.name); }
    return r;
  `, RELAXED);
  assert.equal(out[0], true as unknown as string);
  assert.equal(out[1], '\ufffd');
  for (const line of out.slice(2, 5)) assert.equal(line, "TypeError: Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid for encoding utf-8");
  assert.equal(out[5], 'é');
  assert.equal(out[6], 'TypeError');
});

test('TextDecoder: decode: strips one leading BOM per stream unless ignoreBOM', async () => {
  const out = await runInIsolate<string[]>(`
    const bom = [0xef, 0xbb, 0xbf];
    const r = [];
    const d = new TextDecoder();
    r.push(d.decode(new Uint8Array([...bom, 0x61, ...bom])));
    r.push(d.decode(new Uint8Array([...bom, 0x62])));
    r.push(d.decode(new Uint8Array([0xef]), { stream: true }) + d.decode(new Uint8Array([0xbb, 0xbf, 0x63]), { stream: true }) + d.decode(new Uint8Array(bom)));
    r.push(new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([...bom, 0x64])));
    r.push(new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x65, 0])));
    return r.map((s) => Array.from(s).map((c) => c.codePointAt(0).toString(16)).join(' '));
  `, RELAXED);
  assert.deepEqual(out, ['61 feff', '62', '63 feff', 'feff 64', '65']);
});

test('TextDecoder: constructor: accepts the standard labels of the bundled encodings', async () => {
  const out = await runInIsolate<string[]>(`
    const labels = ['utf-8', ' UTF8 ', 'unicode-1-1-utf-8', 'utf-16', 'UTF-16LE', 'utf-16be', 'latin1', 'ascii', 'iso-8859-1', 'windows-1252', 'us-ascii'];
    return labels.map((l) => new TextDecoder(l).encoding);
  `, RELAXED);
  assert.deepEqual(out, ['utf-8', 'utf-8', 'utf-8', 'utf-16le', 'utf-16le', 'utf-16be', 'windows-1252', 'windows-1252', 'windows-1252', 'windows-1252', 'windows-1252']);
});

test('TextDecoder: decode: utf-16le/be and windows-1252 decode as the standard defines', async () => {
  const out = await runInIsolate<string[]>(`
    const hex = (s) => Array.from(s).map((c) => c.codePointAt(0).toString(16)).join(' ');
    const le = new TextDecoder('utf-16le');
    const be = new TextDecoder('utf-16be');
    const stream = new TextDecoder('utf-16le');
    const parts = [[0x3d], [0xd8, 0x00], [0xde, 0x41, 0x00]].map((p) => stream.decode(new Uint8Array(p), { stream: true })).join('') + stream.decode();
    return [
      hex(le.decode(new Uint8Array([0x41, 0, 0x3d, 0xd8, 0, 0xde]))),
      hex(be.decode(new Uint8Array([0, 0x41, 0xd8, 0x3d, 0xde, 0]))),
      hex(le.decode(new Uint8Array([0x00, 0xdc, 0x41, 0x00]))),
      hex(le.decode(new Uint8Array([0x41, 0x00, 0x42]))),
      hex(parts),
      hex(new TextDecoder('latin1').decode(new Uint8Array([0x41, 0x80, 0x9f, 0xe9, 0x81]))),
    ];
  `, RELAXED);
  assert.deepEqual(out, ['41 1f600', '41 1f600', 'fffd 41', '41 fffd', '1f600 41', '41 20ac 178 e9 81']);
});

test('TextDecoder: constructor: a bad label, an unbundled encoding or bad options throw clearly', async () => {
  const out = await runInIsolate<string[]>(`
    const r = [];
    for (const [label, opts] of [['utf-9', undefined], ['shift_jis', undefined], ['replacement', undefined], ['utf-8', 5]]) {
      try { new TextDecoder(label, opts); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
    }
    try { new TextDecoder().decode('text'); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
    return r;
  `, RELAXED);
  assert.equal(out[0], "RangeError: Failed to construct 'TextDecoder': The encoding label provided ('utf-9') is invalid.");
  assert.match(out[1], /^RangeError: Failed to construct 'TextDecoder': The encoding 'shift_jis' is not supported: atoll bundles only/);
  assert.equal(out[2], "RangeError: Failed to construct 'TextDecoder': The encoding label provided ('replacement') is invalid.");
  assert.equal(out[3], "TypeError: Failed to construct 'TextDecoder': The provided value is not of type 'TextDecoderOptions'.");
  assert.equal(out[4], "TypeError: Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
});

test('TextDecoder: decode: accepts every BufferSource and reads only the view\'s window', async () => {
  const out = await runInIsolate<string[]>(`
    const buf = new TextEncoder().encode('xxhiyy').buffer;
    const d = new TextDecoder();
    return [d.decode(buf), d.decode(new Uint8Array(buf, 2, 2)), d.decode(new DataView(buf, 2, 2)), d.decode(new Uint16Array(buf, 2, 1)), d.decode(), d.decode(null)];
  `, RELAXED);
  assert.deepEqual(out, ['xxhiyy', 'hi', 'hi', 'hi', '', '']);
});
