// CompressionStream / DecompressionStream inside a real isolate:
// https://compression.spec.whatwg.org/ — checked against Node's zlib on the host side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { runInIsolate } from '../helpers/worker.ts';

// CPU limits are not under test here: a cold isolate on a loaded machine may need more than 50 ms.
const RELAXED = { limits: { cpuMs: 5000 } };

const FORMATS = ['gzip', 'deflate', 'deflate-raw'] as const;
const compressOnHost = { gzip: gzipSync, deflate: deflateSync, 'deflate-raw': deflateRawSync };
const decompressOnHost = { gzip: gunzipSync, deflate: inflateSync, 'deflate-raw': inflateRawSync };

// Shared isolate-side helpers: run bytes through a stream in given chunk sizes.
const HELPERS = `
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const unhex = (s) => new Uint8Array(s.match(/../g).map((x) => parseInt(x, 16)));
  async function through(ts, bytes, chunkSize = bytes.length || 1) {
    const writer = ts.writable.getWriter();
    const writing = (async () => {
      for (let i = 0; i < bytes.length; i += chunkSize) await writer.write(bytes.subarray(i, i + chunkSize));
      await writer.close();
    })();
    const parts = [];
    for await (const c of ts.readable) parts.push(c);
    await writing;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  async function failure(ts, bytes, chunkSize) {
    try { await through(ts, bytes, chunkSize); return 'no error'; } catch (e) { return e.constructor.name + ': ' + e.message; }
  }
`;

function sample(): Buffer {
  const words = [];
  for (let i = 0; i < 4000; i++) words.push(`word${(i * 7919) % 1013} `);
  return Buffer.from(words.join('') + 'é€😀');
}

test('CompressionStream: compresses so that Node zlib inflates the same bytes, for each format', async () => {
  const input = sample();
  const out = await runInIsolate<Record<string, string>>(`${HELPERS}
    const input = unhex('${input.toString('hex')}');
    const r = {};
    for (const f of ${JSON.stringify(FORMATS)}) r[f] = hex(await through(new CompressionStream(f), input, 1000));
    return r;
  `, RELAXED);
  for (const f of FORMATS) {
    const compressed = Buffer.from(out[f], 'hex');
    assert.ok(compressed.length < input.length / 3, `${f} compressed ${input.length} to ${compressed.length} bytes`);
    assert.deepEqual(decompressOnHost[f](compressed), input, f);
  }
});

test('DecompressionStream: inflates Node zlib output fed whole, in odd chunks and one byte at a time', async () => {
  const input = sample();
  const compressed = Object.fromEntries(FORMATS.map((f) => [f, compressOnHost[f](input).toString('hex')]));
  const out = await runInIsolate<Record<string, string[]>>(`${HELPERS}
    const compressed = ${JSON.stringify(compressed)};
    const r = {};
    for (const f of ${JSON.stringify(FORMATS)}) {
      const bytes = unhex(compressed[f]);
      r[f] = [];
      for (const size of [bytes.length, 333, 1]) r[f].push(hex(await through(new DecompressionStream(f), bytes, size)));
    }
    return r;
  `, RELAXED);
  for (const f of FORMATS) for (const got of out[f]) assert.equal(got, input.toString('hex'), f);
});

test('DecompressionStream: a gzip header with FEXTRA, FNAME, FCOMMENT and FHCRC is skipped', async () => {
  const body = deflateRawSync(Buffer.from('hello, header'));
  const crc = gzipSync(Buffer.from('hello, header')).subarray(-8);
  const header = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 4 | 8 | 16 | 2, 0, 0, 0, 0, 0, 3]),
    Buffer.from([3, 0, 1, 2, 3]), Buffer.from('name\0'), Buffer.from('comment\0'), Buffer.from([0xaa, 0xbb]),
  ]);
  const gz = Buffer.concat([header, body, crc]).toString('hex');
  const out = await runInIsolate<string[]>(`${HELPERS}
    const gz = unhex('${gz}');
    const dec = new TextDecoder();
    return [dec.decode(await through(new DecompressionStream('gzip'), gz)), dec.decode(await through(new DecompressionStream('gzip'), gz, 1))];
  `, RELAXED);
  assert.deepEqual(out, ['hello, header', 'hello, header']);
});

test('DecompressionStream: corrupt, truncated, trailing or mis-checksummed input errors the stream with a TypeError', async () => {
  const input = sample();
  const gz = gzipSync(input);
  const z = deflateSync(input);
  const raw = deflateRawSync(input);
  const flip = (b: Buffer, i: number) => { const c = Buffer.from(b); c[i < 0 ? c.length + i : i] ^= 0xff; return c.toString('hex'); };
  const cases: [string, string, string][] = [
    ['gzip', 'bad magic', flip(gz, 0)],
    ['gzip', 'bad crc', flip(gz, -6)],
    ['gzip', 'bad size', flip(gz, -2)],
    ['gzip', 'truncated', gz.subarray(0, gz.length - 3).toString('hex')],
    ['gzip', 'cut in the body', gz.subarray(0, 40).toString('hex')],
    ['gzip', 'trailing', Buffer.concat([gz, Buffer.from([1])]).toString('hex')],
    ['gzip', 'empty', ''],
    ['deflate', 'bad header', flip(z, 0)],
    ['deflate', 'bad adler', flip(z, -1)],
    ['deflate', 'trailing', Buffer.concat([z, Buffer.from([0])]).toString('hex')],
    ['deflate-raw', 'garbage', 'ffffffff'],
    ['deflate-raw', 'trailing', Buffer.concat([raw, Buffer.from([7])]).toString('hex')],
    ['deflate-raw', 'truncated', raw.subarray(0, raw.length - 1).toString('hex')],
  ];
  const out = await runInIsolate<string[]>(`${HELPERS}
    const r = [];
    for (const [f, , data] of ${JSON.stringify(cases)}) {
      const bytes = data ? unhex(data) : new Uint8Array(0);
      r.push(await failure(new DecompressionStream(f), bytes, 4096));
    }
    return r;
  `, RELAXED);
  cases.forEach(([f, what], i) => assert.match(out[i], /^TypeError: Decompression failed: /, `${f} ${what}: ${out[i]}`));
});

test('CompressionStream: constructor: an unknown format or a non-BufferSource chunk is a TypeError', async () => {
  const out = await runInIsolate<string[]>(`${HELPERS}
    const r = [];
    for (const f of ['br', 'GZIP', undefined]) {
      try { new CompressionStream(f); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
      try { new DecompressionStream(f); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
    }
    // A transform stream runs a write only once its readable side is read.
    const cs = new CompressionStream('gzip');
    const read = cs.readable.getReader().read();
    try { await cs.writable.getWriter().write('text'); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
    try { await read; r.push('no error'); } catch (e) { r.push('readable: ' + e.constructor.name); }
    const ds = new DecompressionStream('deflate');
    ds.readable.getReader().read().catch(() => {});
    try { await ds.writable.getWriter().write({ length: 3 }); r.push('no error'); } catch (e) { r.push(e.constructor.name + ': ' + e.message); }
    return r;
  `, RELAXED);
  assert.equal(out[0], "TypeError: Failed to construct 'CompressionStream': Unsupported compression format: 'br'");
  assert.equal(out[1], "TypeError: Failed to construct 'DecompressionStream': Unsupported compression format: 'br'");
  assert.match(out[2], /^TypeError: .*'GZIP'/);
  assert.match(out[4], /^TypeError: .*'undefined'/);
  assert.equal(out[6], "TypeError: Failed to execute 'write' on 'CompressionStream': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
  assert.equal(out[7], 'readable: TypeError');
  assert.match(out[8], /^TypeError: Failed to execute 'write' on 'DecompressionStream'/);
});

test('DecompressionStream: a decompression bomb comes out in chunks of at most ~4 MB', async () => {
  // 16 MB of zeros compress to ~16 KB; the worker only counts the output.
  const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024)).toString('hex');
  const out = await runInIsolate<{ total: number; largest: number }>(`${HELPERS}
    const ds = new DecompressionStream('gzip');
    const w = ds.writable.getWriter();
    w.write(unhex('${bomb}'));
    w.close();
    let total = 0, largest = 0;
    for await (const c of ds.readable) { total += c.length; largest = Math.max(largest, c.length); }
    return { total, largest };
  `, RELAXED);
  assert.equal(out.total, 16 * 1024 * 1024);
  assert.ok(out.largest <= 4.2 * 1024 * 1024, `largest output chunk ${out.largest} bytes`);
});

test('CompressionStream: works in a pipeThrough chain with a Response body', async () => {
  const out = await runInIsolate<string>(`
    const body = new Response('atoll '.repeat(1000)).body.pipeThrough(new CompressionStream('gzip')).pipeThrough(new DecompressionStream('gzip'));
    const text = await new Response(body).text();
    return text.length + ':' + text.slice(0, 12);
  `, RELAXED);
  assert.equal(out, '6000:atoll atoll ');
});
