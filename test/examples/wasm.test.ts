// examples/wasm: Photon (Rust compiled to WebAssembly, from npm) resizing an image from a
// fake origin, and a CRC-32 module assembled from WebAssembly text by the example's
// build script (wabt) before the worker starts, checked against zlib's crc32.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { EXAMPLES, runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
  return Buffer.concat([len, Buffer.from(type), data, crc]);
}

/** A width x height RGB PNG: red grows left to right, green top to bottom, blue fixed. */
function gradientPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      raw[o] = Math.round((x * 255) / (width - 1));
      raw[o + 1] = Math.round((y * 255) / (height - 1));
      raw[o + 2] = 200;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Decodes an 8-bit RGB or RGBA PNG (what Photon writes) into pixels, undoing the row filters. */
function decodePng(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG signature');
  let at = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, '8 bits a channel');
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9]];
      assert.ok(channels, `colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][filter];
      pixels[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

describe('examples/wasm', () => {
  let origin: FakeService;
  let ex: RunningExample;
  const original = gradientPng(64, 48);

  before(async () => {
    // The module from WebAssembly text is built now, as the README says to: node build.mjs.
    execFileSync(process.execPath, [join(EXAMPLES, 'wasm', 'build.mjs')], { stdio: 'pipe' });
    assert.ok(existsSync(join(EXAMPLES, 'wasm', 'build', 'crc32.wasm')));
    origin = await startFake((req, res) => {
      if (req.url === '/images/gradient.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(original);
      } else if (req.url === '/images/broken.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end('not a png');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such image');
      }
    });
    ex = await runExample('wasm', { origin: origin.url });
  });
  after(async () => {
    await ex?.close();
    await origin?.close();
  });

  it('GET /images/gradient.png?w=32: a 32x24 PNG made by Photon; the origin got the image path without the query', async () => {
    const before = origin.requests.length;
    const res = await ex.fetch('/images/gradient.png?w=32');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('x-image-size'), '32x24');
    const img = decodePng(Buffer.from(await res.arrayBuffer()));
    assert.equal(img.width, 32);
    assert.equal(img.height, 24);
    // The gradient survives the resize: red grows to the right, green downwards.
    const px = (x: number, y: number) => [...img.pixels.subarray((y * 32 + x) * img.channels, (y * 32 + x) * img.channels + 3)];
    assert.ok(px(31, 0)[0] > px(0, 0)[0] + 200, `red: ${px(0, 0)} -> ${px(31, 0)}`);
    assert.ok(px(0, 23)[1] > px(0, 0)[1] + 200, `green: ${px(0, 0)} -> ${px(0, 23)}`);
    const calls = origin.requests.slice(before);
    assert.deepEqual(calls.map((c) => `${c.method} ${c.url}`), ['GET /images/gradient.png']);
  });

  it('GET /images/gradient.png?gray=1: full size, every pixel grey', async () => {
    const res = await ex.fetch('/images/gradient.png?gray=1');
    assert.equal(res.status, 200);
    const img = decodePng(Buffer.from(await res.arrayBuffer()));
    assert.deepEqual([img.width, img.height], [64, 48]);
    for (let i = 0; i < img.width * img.height; i++) {
      const [r, g, b] = img.pixels.subarray(i * img.channels, i * img.channels + 3);
      assert.ok(r === g && g === b, `pixel ${i} is ${r},${g},${b}`);
    }
  });

  it('GET /images with a bad width: 400 and no origin call; a missing image: the origin 404; a broken one: 502', async () => {
    const before = origin.requests.length;
    for (const w of ['0', '-3', '2.5', 'wide', '5000']) {
      const res = await ex.fetch(`/images/gradient.png?w=${w}`);
      assert.equal(res.status, 400, w);
      assert.match(await res.text(), /whole number of pixels from 1 to 2000/);
    }
    assert.equal(origin.requests.length, before);
    const missing = await ex.fetch('/images/nope.png?w=10');
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), 'no such image');
    const broken = await ex.fetch('/images/broken.png');
    assert.equal(broken.status, 502);
    await broken.arrayBuffer();
  });

  it('POST /crc32: the CRC-32 from the WebAssembly text module equals zlib\'s, for small and multi-page bodies', async () => {
    const bodies = [
      Buffer.alloc(0),
      Buffer.from('The quick brown fox jumps over the lazy dog'),
      Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff)),
    ];
    for (const body of bodies) {
      const res = await ex.fetch('/crc32', { method: 'POST', body });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { crc32: crc32(body).toString(16).padStart(8, '0'), bytes: body.length });
    }
    // The well-known check value.
    assert.equal((await (await ex.fetch('/crc32', { method: 'POST', body: '123456789' })).json() as any).crc32, 'cbf43926');
  });

  it('/crc32 with GET: 405; with a body over 1 MiB: 413', async () => {
    assert.equal((await ex.fetch('/crc32')).status, 405);
    const big = await ex.fetch('/crc32', { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1) });
    assert.equal(big.status, 413);
    await big.arrayBuffer();
  });
});
