// FormData inside a real isolate: https://xhr.spec.whatwg.org/#interface-formdata, and
// its two encodings as bodies (multipart/form-data, application/x-www-form-urlencoded).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate as run } from '../helpers/worker.ts';

// A fresh isolate compiles the prelude paths it first uses; on a loaded machine that can
// pass the default 50 ms of CPU, which these tests are not about.
const runInIsolate = (body: string): Promise<any> => run(body, { limits: { cpuMs: 1000 } });

test('FormData: entries: append, get, getAll, has, set, delete and iteration keep insertion order', async () => {
  const v = await runInIsolate(`
    const fd = new FormData();
    fd.append('a', '1'); fd.append('b', 2); fd.append('a', '3');
    const first = [fd.get('a'), fd.getAll('a'), fd.has('b'), fd.get('none'), fd.getAll('none')];
    fd.set('a', 'only'); fd.set('c', 'new');
    const afterSet = [...fd];
    fd.delete('b');
    const seen = [];
    fd.forEach((value, name, self) => seen.push([name, value, self === fd]));
    return { first, afterSet, keys: [...fd.keys()], values: [...fd.values()], seen, tag: Object.prototype.toString.call(fd),
      sameIterator: FormData.prototype[Symbol.iterator] === FormData.prototype.entries };
  `);
  assert.deepEqual(v, {
    first: ['1', ['1', '3'], true, null, []],
    afterSet: [['a', 'only'], ['b', '2'], ['c', 'new']],
    keys: ['a', 'c'], values: ['only', 'new'], seen: [['a', 'only', true], ['c', 'new', true]],
    tag: '[object FormData]', sameIterator: true,
  });
});

test('FormData: files: a Blob becomes a File named "blob", a filename argument renames, a File keeps its name', async () => {
  const v = await runInIsolate(`
    const fd = new FormData();
    fd.append('plain', new Blob(['x'], { type: 'text/plain' }));
    fd.append('renamed', new Blob(['y']), 'y.bin');
    fd.append('file', new File(['z'], 'z.txt', { lastModified: 5 }));
    fd.append('file2', new File(['w'], 'w.txt', { lastModified: 6 }), 'other.txt');
    return [...fd].map(([n, f]) => [n, f instanceof File, f.name, f.type, f.lastModified === 5 || f.lastModified === 6 ? f.lastModified : 'now']);
  `);
  assert.deepEqual(v, [['plain', true, 'blob', 'text/plain', 'now'], ['renamed', true, 'y.bin', '', 'now'], ['file', true, 'z.txt', '', 5], ['file2', true, 'other.txt', '', 6]]);
});

test('FormData: bad input: missing arguments, a filename with a string value and a form argument throw', async () => {
  const v = await runInIsolate(`
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    const fd = new FormData();
    return [attempt(() => fd.append('a')), attempt(() => fd.append('a', 'b', 'c.txt')), attempt(() => fd.get()), attempt(() => new FormData({})),
      attempt(() => fd.forEach(null)), attempt(() => FormData.prototype.get.call({}, 'a'))];
  `);
  assert.deepEqual(v, [
    "TypeError: Failed to execute 'append' on 'FormData': 2 arguments required, but only 1 present.",
    "TypeError: Failed to execute 'append' on 'FormData': parameter 2 is not of type 'Blob'.",
    "TypeError: Failed to execute 'get' on 'FormData': 1 argument required, but only 0 present.",
    "TypeError: Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.",
    "TypeError: Failed to execute 'forEach' on 'FormData': parameter 1 is not of type 'Function'.",
    'TypeError: Illegal invocation',
  ]);
});

test('FormData: multipart: a body with a fresh boundary, escaped names and CRLF-normalized values', async () => {
  const v = await runInIsolate(`
    const fd = new FormData();
    fd.append('say "hi"\\n', 'line1\\nline2');
    fd.append('up', new File(['bytes'], 'a"b.txt', { type: 'text/plain' }));
    const r1 = new Request('http://x/', { method: 'POST', body: fd });
    const r2 = new Request('http://x/', { method: 'POST', body: fd });
    const type = r1.headers.get('content-type');
    const boundary = type.split('boundary=')[1];
    return { type: type.startsWith('multipart/form-data; boundary='), fresh: boundary !== r2.headers.get('content-type').split('boundary=')[1],
      body: (await r1.text()).split(boundary).join('BOUNDARY') };
  `);
  assert.equal(v.type, true);
  assert.equal(v.fresh, true);
  assert.equal(v.body,
    '--BOUNDARY\r\nContent-Disposition: form-data; name="say %22hi%22%0D%0A"\r\n\r\nline1\r\nline2\r\n' +
    '--BOUNDARY\r\nContent-Disposition: form-data; name="up"; filename="a%22b.txt"\r\nContent-Type: text/plain\r\n\r\nbytes\r\n' +
    '--BOUNDARY--\r\n');
});

test('FormData: multipart: parses fields and files, including binary content and a preamble', async () => {
  const v = await runInIsolate(`
    const bytes = [0, 255, 13, 10, 45, 45];
    const enc = new TextEncoder();
    const head = enc.encode('preamble\\r\\n--XyZ\\r\\nContent-Disposition: form-data; name="title"\\r\\n\\r\\nhello ☀\\r\\n--XyZ\\r\\n' +
      'Content-Disposition: form-data; name="file"; filename="bin.dat"\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n');
    const tail = enc.encode('\\r\\n--XyZ\\r\\nContent-Disposition: form-data; name="untyped"; filename="u.txt"\\r\\n\\r\\nu\\r\\n--XyZ--\\r\\nepilogue');
    const body = new Uint8Array([...head, ...bytes, ...tail]);
    const fd = await new Response(body, { headers: { 'content-type': 'multipart/form-data; boundary="XyZ"' } }).formData();
    const file = fd.get('file');
    const untyped = fd.get('untyped');
    return { title: fd.get('title'), file: [file instanceof File, file.name, file.type, [...await file.bytes()]], untyped: [untyped.name, untyped.type, await untyped.text()] };
  `);
  assert.deepEqual(v, { title: 'hello ☀', file: [true, 'bin.dat', 'application/octet-stream', [0, 255, 13, 10, 45, 45]], untyped: ['u.txt', 'text/plain', 'u'] });
});

test('FormData: round trip: what a FormData body serializes, formData() reads back', async () => {
  const v = await runInIsolate(`
    const fd = new FormData();
    fd.append('a', 'x\\r\\ny'); fd.append('a', 'second'); fd.append('f', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }), 'p.png');
    const back = await new Request('http://x/', { method: 'POST', body: fd }).formData();
    const f = back.get('f');
    return [back.getAll('a'), f.name, f.type, [...await f.bytes()]];
  `);
  assert.deepEqual(v, [['x\r\ny', 'second'], 'p.png', 'image/png', [1, 2, 3]]);
});

test('FormData: bad input: formData() rejects unknown content types and malformed multipart with TypeErrors', async () => {
  const v = await runInIsolate(`
    const read = async (body, type) => { try { await new Response(body, type ? { headers: { 'content-type': type } } : {}).formData(); return 'parsed'; } catch (e) { return e.name + ': ' + e.message; } };
    return [
      await read('a=1', 'text/plain'),
      await read(new Uint8Array([97])),
      await read('--b\\r\\n', 'multipart/form-data'),
      await read('no boundary here', 'multipart/form-data; boundary=b'),
      await read('--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\nunterminated', 'multipart/form-data; boundary=b'),
      await read('--b\\r\\nContent-Disposition: attachment; name="a"\\r\\n\\r\\nx\\r\\n--b--', 'multipart/form-data; boundary=b'),
      await read('--b\\r\\nContent-Disposition: form-data\\r\\n\\r\\nx\\r\\n--b--', 'multipart/form-data; boundary=b'),
    ];
  `);
  assert.deepEqual(v, [
    'TypeError: Unrecognized Content-Type header value. FormData can only parse the following MIME types: multipart/form-data, application/x-www-form-urlencoded.',
    'TypeError: Unrecognized Content-Type header value. FormData can only parse the following MIME types: multipart/form-data, application/x-www-form-urlencoded.',
    'TypeError: Failed to parse body as FormData: the multipart/form-data Content-Type has no boundary.',
    'TypeError: Failed to parse body as FormData: the multipart boundary was not found.',
    'TypeError: Failed to parse body as FormData: the body ends before the closing boundary.',
    "TypeError: Failed to parse body as FormData: a part's Content-Disposition is not form-data.",
    'TypeError: Failed to parse body as FormData: a part has no name in its Content-Disposition.',
  ]);
});
