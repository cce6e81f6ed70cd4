// Workers' stream extras inside a real isolate: IdentityTransformStream, FixedLengthStream
// (https://developers.cloudflare.com/workers/runtime-apis/streams/transformstream/),
// and the encoding streams (https://encoding.spec.whatwg.org/#interface-textdecoderstream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate } from '../helpers/worker.ts';

// CPU limits are not under test here: a cold isolate on a loaded machine may need more than 50 ms.
const RELAXED = { limits: { cpuMs: 5000 } };

test('IdentityTransformStream: passes ArrayBuffers and any view through as Uint8Array bytes, readable by a BYOB reader', async () => {
  const out = await runInIsolate(`
    const ts = new IdentityTransformStream();
    const w = ts.writable.getWriter();
    const buf = new Uint8Array([1, 2, 3, 4]);
    const written = (async () => {
      await w.write(buf.buffer);
      await w.write(new Uint16Array([0x0605]));
      await w.write(new DataView(new Uint8Array([9, 7, 9]).buffer, 1, 1));
      await w.write(new Uint8Array(0));
      await w.close();
    })();
    const r = ts.readable.getReader({ mode: 'byob' });
    const got = [];
    for (;;) {
      const { done, value } = await r.read(new Uint8Array(3));
      if (done) break;
      got.push(Array.from(value));
    }
    await written;
    return [got, buf.byteLength, ts instanceof TransformStream, Object.prototype.toString.call(ts)];
  `, RELAXED);
  // The writer's buffer is copied, never detached.
  assert.deepEqual(out, [[[1, 2, 3], [4], [5, 6], [7]], 4, true, '[object IdentityTransformStream]']);
});

test('IdentityTransformStream: a write resolves only once the reader took the bytes (no hidden buffering)', async () => {
  const out = await runInIsolate(`
    const ts = new IdentityTransformStream();
    const w = ts.writable.getWriter();
    let done = false;
    const p = w.write(new Uint8Array([1])).then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 10));
    const before = done;
    const r = ts.readable.getReader();
    await r.read();
    await p;
    const hwm = new IdentityTransformStream({ highWaterMark: 8 }).writable.getWriter();
    let quick = false;
    hwm.write(new Uint8Array(4)).then(() => { quick = true; });
    await new Promise((r) => setTimeout(r, 10));
    return [before, done, quick];
  `, RELAXED);
  assert.deepEqual(out, [false, true, true]);
});

test('IdentityTransformStream: a string or an object chunk errors the stream with a TypeError', async () => {
  const out = await runInIsolate<string[]>(`
    const r = [];
    for (const chunk of ['text', { byteLength: 1 }, 5]) {
      const ts = new IdentityTransformStream();
      const reading = ts.readable.getReader().read().then(() => 'no error', (e) => 'readable ' + e.constructor.name);
      try { await ts.writable.getWriter().write(chunk); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
      r.push(await reading);
    }
    try { new IdentityTransformStream({ highWaterMark: -1 }); r.push('no error'); } catch (e) { r.push(e.constructor.name); }
    return r;
  `, RELAXED);
  assert.match(out[0], /^TypeError: This TransformStream is being used as a byte stream, but received a string on its writable side/);
  assert.equal(out[1], 'readable TypeError');
  assert.match(out[2], /^TypeError: .*non-ArrayBuffer\/ArrayBufferView type/);
  assert.match(out[4], /^TypeError: /);
  assert.equal(out[6], 'RangeError');
});

test('IdentityTransformStream: canceling the readable side errors the writable side', async () => {
  const out = await runInIsolate(`
    const ts = new IdentityTransformStream();
    const w = ts.writable.getWriter();
    const pending = w.write(new Uint8Array([1])).then(() => 'written', (e) => 'rejected ' + e);
    await ts.readable.cancel('gone');
    let after;
    try { await w.write(new Uint8Array([2])); after = 'no error'; } catch (e) { after = String(e); }
    return [await pending, after];
  `, RELAXED);
  assert.deepEqual(out, ['rejected gone', 'gone']);
});

test('FixedLengthStream: carries exactly the declared bytes; too many or too few is a TypeError', async () => {
  const out = await runInIsolate<string[]>(`
    const r = [];
    const exact = new FixedLengthStream(5);
    const text = new Response(exact.readable).text();
    const w = exact.writable.getWriter();
    await w.write(new TextEncoder().encode('hel'));
    await w.write(new TextEncoder().encode('lo'));
    await w.close();
    r.push(await text);
    const over = new FixedLengthStream(2);
    over.readable.getReader().read().catch(() => {});
    try { await over.writable.getWriter().write(new Uint8Array(3)); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
    const under = new FixedLengthStream(4n);
    const uw = under.writable.getWriter();
    const readAll = new Response(under.readable).arrayBuffer().then(() => 'no error', (e) => e.constructor.name);
    await uw.write(new Uint8Array(1));
    try { await uw.close(); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
    r.push(await readAll);
    for (const bad of [-1, 1.5, 'x', NaN]) {
      try { new FixedLengthStream(bad); r.push('no error'); } catch (e) { r.push(e.constructor.name); }
    }
    return r;
  `, RELAXED);
  assert.deepEqual(out, [
    'hello',
    'TypeError: Attempt to write too many bytes through a FixedLengthStream.',
    'TypeError: FixedLengthStream did not see all expected bytes before close().',
    'TypeError',
    'RangeError', 'RangeError', 'TypeError', 'RangeError',
  ]);
});

test('TextEncoderStream: encodes string chunks, keeping a surrogate pair split across chunks whole', async () => {
  const out = await runInIsolate(`
    const ts = new TextEncoderStream();
    const chunks = ['a', '\\ud83d', '\\ude00b', '\\ud800'];
    const got = [];
    const reading = (async () => { for await (const c of ts.readable) got.push(Array.from(c)); })();
    const w = ts.writable.getWriter();
    for (const c of chunks) await w.write(c);
    await w.close();
    await reading;
    return [ts.encoding, got];
  `, RELAXED);
  assert.deepEqual(out, ['utf-8', [[0x61], [0xf0, 0x9f, 0x98, 0x80, 0x62], [0xef, 0xbf, 0xbd]]]);
});

test('TextDecoderStream: decodes byte chunks split mid-sequence, and fatal errors the stream', async () => {
  const out = await runInIsolate(`
    const bytes = new TextEncoder().encode('héllo 😀 wörld');
    const rs = new ReadableStream({ start(c) { for (const b of bytes) c.enqueue(new Uint8Array([b])); c.close(); } });
    let text = '';
    for await (const s of rs.pipeThrough(new TextDecoderStream())) text += s;
    const ds = new TextDecoderStream('utf-16le', { fatal: true, ignoreBOM: true });
    const props = [ds.encoding, ds.fatal, ds.ignoreBOM];
    let err = null;
    try {
      for await (const s of ReadableStream.from([new Uint8Array([0xff])]).pipeThrough(new TextDecoderStream('utf-8', { fatal: true }))) {}
    } catch (e) { err = e.constructor.name; }
    let chunkErr = null;
    try { for await (const s of ReadableStream.from(['str']).pipeThrough(new TextDecoderStream())) {} } catch (e) { chunkErr = e.constructor.name + ': ' + e.message; }
    let labelErr = null;
    try { new TextDecoderStream('nope'); } catch (e) { labelErr = e.constructor.name; }
    return [text, props, err, chunkErr, labelErr];
  `, RELAXED);
  assert.deepEqual(out, [
    'héllo 😀 wörld', ['utf-16le', true, true], 'TypeError',
    "TypeError: Failed to execute 'write' on 'TextDecoderStream': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.",
    'RangeError',
  ]);
});
