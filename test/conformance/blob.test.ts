// Blob and File inside a real isolate: https://w3c.github.io/FileAPI/

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate as run } from '../helpers/worker.ts';

// A fresh isolate compiles the prelude paths it first uses; on a loaded machine that can
// pass the default 50 ms of CPU, which these tests are not about.
const runInIsolate = (body: string): Promise<any> => run(body, { limits: { cpuMs: 1000 } });

test('Blob: constructor: joins strings, buffers, views and blobs in order', async () => {
  const v = await runInIsolate(`
    const inner = new Blob(['<inner>']);
    const b = new Blob(['a', new Uint8Array([98, 99]).buffer, new Uint8Array([0, 100, 0]).subarray(1, 2), inner, 'é'], { type: 'Text/Plain;Charset=UTF-8' });
    return [b.size, b.type, await b.text(), new Blob().size, new Blob().type, Object.prototype.toString.call(b)];
  `);
  assert.deepEqual(v, [13, 'text/plain;charset=utf-8', 'abcd<inner>é', 0, '', '[object Blob]']);
});

test('Blob: type: a type with characters outside U+0020..U+007E becomes empty', async () => {
  const v = await runInIsolate(`return [new Blob([], { type: 'text/\\u00e9' }).type, new Blob([], { type: 'a\\nb' }).type];`);
  assert.deepEqual(v, ['', '']);
});

test('Blob: endings: "native" turns CRLF and CR into LF; "transparent" keeps them', async () => {
  const v = await runInIsolate(`return [await new Blob(['a\\r\\nb\\rc'], { endings: 'native' }).text(), await new Blob(['a\\r\\nb'], { endings: 'transparent' }).text()];`);
  assert.deepEqual(v, ['a\nb\nc', 'a\r\nb']);
});

test('Blob: bad input: non-sequence parts and unknown endings throw TypeErrors', async () => {
  const v = await runInIsolate(`
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    return [attempt(() => new Blob('abc')), attempt(() => new Blob(5)), attempt(() => new Blob([], { endings: 'dos' })), attempt(() => new Blob([], 5)),
      attempt(() => Blob.prototype.slice.call({}))];
  `);
  assert.deepEqual(v, [
    "TypeError: Failed to construct 'Blob': The provided value cannot be converted to a sequence.",
    "TypeError: Failed to construct 'Blob': The provided value cannot be converted to a sequence.",
    "TypeError: Failed to construct 'Blob': The provided value 'dos' is not a valid enum value of type EndingType.",
    "TypeError: Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.",
    'TypeError: Illegal invocation',
  ]);
});

test('Blob: slice: clamps, counts negative positions from the end, and takes a content type', async () => {
  const v = await runInIsolate(`
    const b = new Blob(['0123456789'], { type: 'text/plain' });
    const t = async (s) => [await s.text(), s.type];
    return [await t(b.slice()), await t(b.slice(2, 5)), await t(b.slice(-3)), await t(b.slice(-3, -1, 'X/Y')), await t(b.slice(5, 2)), await t(b.slice(8, 100))];
  `);
  assert.deepEqual(v, [['0123456789', ''], ['234', ''], ['789', ''], ['78', 'x/y'], ['', ''], ['89', '']]);
});

test('Blob: readers: arrayBuffer, bytes and stream give copies; the blob never changes', async () => {
  const v = await runInIsolate(`
    const src = new Uint8Array([1, 2, 3]);
    const b = new Blob([src]);
    src[0] = 9;
    const bytes = await b.bytes();
    bytes[1] = 9;
    new Uint8Array(await b.arrayBuffer())[2] = 9;
    const reader = b.stream().getReader();
    const { value } = await reader.read();
    value[0] = 7;
    return [...await b.bytes()];
  `);
  assert.deepEqual(v, [1, 2, 3]);
});

test('Blob: stream: a large blob streams in chunks of at most 64 KiB', async () => {
  const v = await runInIsolate(`
    const b = new Blob([new Uint8Array(200 * 1024)]);
    const sizes = [];
    for await (const chunk of b.stream()) sizes.push(chunk.byteLength);
    return sizes;
  `);
  assert.deepEqual(v, [65536, 65536, 65536, 8192]);
});

test('File: constructor: name, lastModified and type; a File is a Blob', async () => {
  const v = await runInIsolate(`
    const f = new File(['content'], 'notes.txt', { type: 'text/plain', lastModified: 1700000000000 });
    const now = new File([], 'x');
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    return [f.name, f.lastModified, f.type, f.size, await f.text(), f instanceof Blob, Object.prototype.toString.call(f),
      typeof now.lastModified === 'number' && now.lastModified > 0, f.slice(0, 3) instanceof File, attempt(() => new File(['x']))];
  `);
  assert.deepEqual(v, ['notes.txt', 1700000000000, 'text/plain', 7, 'content', true, '[object File]', true, false,
    "TypeError: Failed to construct 'File': 2 arguments required, but only 1 present."]);
});
