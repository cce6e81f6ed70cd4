// The Body mixin inside a real isolate: https://fetch.spec.whatwg.org/#body-mixin

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate as run } from '../helpers/worker.ts';

// A fresh isolate compiles the prelude paths it first uses; on a loaded machine that can
// pass the default 50 ms of CPU, which these tests are not about.
const runInIsolate = (body: string): Promise<any> => run(body, { limits: { cpuMs: 1000 } });

test('Body: init: each BodyInit type gives the right bytes and Content-Type', async () => {
  const v = await runInIsolate(`
    const describe = async (body) => { const r = new Response(body); return [r.headers.get('content-type'), await r.text()]; };
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('from a stream')); c.close(); } });
    const bytes = new Uint8Array([0, 104, 105, 0]);
    return {
      string: await describe('héllo'),
      buffer: await describe(new TextEncoder().encode('buf').buffer),
      view: await describe(new DataView(bytes.buffer, 1, 2)),
      typed: await describe(bytes.subarray(1, 3)),
      blob: await describe(new Blob(['blob text'], { type: 'text/x-blob' })),
      blobNoType: await describe(new Blob(['untyped'])),
      params: await describe(new URLSearchParams({ q: 'a b', r: 'é' })),
      stream: await describe(stream),
      other: await describe({ toString() { return 'stringified'; } }),
      explicit: await (async () => { const r = new Response('x', { headers: { 'content-type': 'text/custom' } }); return r.headers.get('content-type'); })(),
    };
  `);
  assert.deepEqual(v, {
    string: ['text/plain;charset=UTF-8', 'héllo'],
    buffer: [null, 'buf'],
    view: [null, 'hi'],
    typed: [null, 'hi'],
    blob: ['text/x-blob', 'blob text'],
    blobNoType: [null, 'untyped'],
    params: ['application/x-www-form-urlencoded;charset=UTF-8', 'q=a+b&r=%C3%A9'],
    stream: [null, 'from a stream'],
    other: ['text/plain;charset=UTF-8', 'stringified'],
    explicit: 'text/custom',
  });
});

test('Body: init: the bytes are copied, so later changes to the source do not show', async () => {
  const v = await runInIsolate(`const src = new Uint8Array([1, 2]); const r = new Response(src); src[0] = 9; return [...await r.bytes()];`);
  assert.deepEqual(v, [1, 2]);
});

test('Body: readers: text, json, arrayBuffer, bytes, blob and formData', async () => {
  const v = await runInIsolate(`
    const json = await new Response('{"a":[1,2]}').json();
    const ab = await new Response('ab').arrayBuffer();
    const bytes = await new Response('ab').bytes();
    const blob = await new Response('blobbed', { headers: { 'content-type': 'Text/Plain' } }).blob();
    const form = await new Response('a=1&b=x+y&a=2', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }).formData();
    return { json, ab: [ab instanceof ArrayBuffer, ab.byteLength], bytes: [bytes instanceof Uint8Array, [...bytes]],
      blob: [blob instanceof Blob, blob.type, await blob.text()], form: [...form] };
  `);
  assert.deepEqual(v, {
    json: { a: [1, 2] }, ab: [true, 2], bytes: [true, [97, 98]], blob: [true, 'text/plain', 'blobbed'],
    form: [['a', '1'], ['b', 'x y'], ['a', '2']],
  });
});

test('Body: text: decodes UTF-8, drops a leading BOM, and replaces invalid bytes with U+FFFD', async () => {
  const v = await runInIsolate(`return [await new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69])).text(), await new Response(new Uint8Array([0x61, 0xff, 0x62])).text()];`);
  assert.deepEqual(v, ['hi', 'a\ufffdb']);
});

test('Body: used twice: the second read rejects with a TypeError, and bodyUsed says so', async () => {
  const v = await runInIsolate(`
    const out = [];
    for (const [first, second] of [['text', 'text'], ['json', 'arrayBuffer'], ['bytes', 'blob'], ['arrayBuffer', 'formData']]) {
      const r = new Response(first === 'json' ? '1' : 'x');
      await r[first]();
      try { await r[second](); out.push('read twice'); } catch (e) { out.push([r.bodyUsed, e.name, e.message]); }
    }
    const streamed = new Response('s');
    await streamed.body.getReader().read();
    const locked = new Response('l');
    locked.body.getReader();
    let lockedErr;
    try { await locked.text(); } catch (e) { lockedErr = [locked.bodyUsed, e.name]; }
    return { out, streamedUsed: streamed.bodyUsed, lockedErr, emptyUsed: await (async () => { const r = new Response(null); await r.text(); return [r.bodyUsed, await r.text()]; })() };
  `);
  const used = [true, 'TypeError', 'Body has already been used. It can only be used once. Use tee() first if you need to read it twice.'];
  assert.deepEqual(v, { out: [used, used, used, used], streamedUsed: true, lockedErr: [false, 'TypeError'], emptyUsed: [false, ''] });
});

test('Body: bad input: invalid JSON, a disturbed stream and a locked stream are refused', async () => {
  const v = await runInIsolate(`
    const attempt = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return e.name; } };
    const disturbed = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); } });
    await disturbed.getReader().read().then(() => {});
    const locked = new ReadableStream();
    locked.getReader();
    const notBytes = new Response(new ReadableStream({ start(c) { c.enqueue('a string chunk'); c.close(); } }));
    return [
      await attempt(() => new Response('{bad json').json()),
      await attempt(() => new Response(disturbed)),
      await attempt(() => new Response(locked)),
      await attempt(() => notBytes.text()),
    ];
  `);
  assert.deepEqual(v, ['SyntaxError', 'TypeError', 'TypeError', 'TypeError']);
});

test('Body: body: a byte body becomes a ReadableStream on demand, read once', async () => {
  const v = await runInIsolate(`
    const r = new Response('streamed out');
    const s = r.body;
    const same = r.body === s;
    const reader = s.getReader();
    let text = '';
    for (;;) { const { done, value } = await reader.read(); if (done) break; text += new TextDecoder().decode(value); }
    return [same, text, r.bodyUsed];
  `);
  assert.deepEqual(v, [true, 'streamed out', true]);
});
