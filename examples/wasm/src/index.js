// WebAssembly in a worker, two ways:
//  - /images/<path>?w=<width>&gray=1: an image from the origin, resized (and greyed) by
//    Photon, a Rust image library compiled to WebAssembly with wasm-bindgen and shipped
//    on npm as @cf-wasm/photon, whose workerd build imports its .wasm as a module;
//  - POST /crc32: the CRC-32 of the request body, computed by a tiny module written in
//    WebAssembly text (src/crc32.wat) and assembled by `node build.mjs`.
import { PhotonImage, SamplingFilter, grayscale, resize } from '@cf-wasm/photon';
import crc32Module from '../build/crc32.wasm';

const MAX_WIDTH = 2000;
const MAX_CRC_BYTES = 1024 * 1024;

// Instantiated once per isolate; its memory is reused by every request.
const crc32Wasm = new WebAssembly.Instance(crc32Module, {}).exports;

function crc32(bytes) {
  const { memory } = crc32Wasm;
  const missing = bytes.byteLength - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  new Uint8Array(memory.buffer).set(bytes, 0);
  return crc32Wasm.crc32(0, bytes.byteLength) >>> 0;
}

async function thumbnail(request, url) {
  const w = url.searchParams.get('w');
  const width = w === null ? null : Number(w);
  if (width !== null && !(Number.isInteger(width) && width >= 1 && width <= MAX_WIDTH)) {
    return new Response(`w must be a whole number of pixels from 1 to ${MAX_WIDTH}\n`, { status: 400 });
  }
  const origin = await fetch(new Request(url.origin + url.pathname, request));
  if (!origin.ok || !/^image\/(png|jpeg|webp|gif)/.test(origin.headers.get('content-type') ?? '')) return origin;

  let image;
  try {
    image = PhotonImage.new_from_byteslice(new Uint8Array(await origin.arrayBuffer()));
  } catch {
    return new Response('The origin sent an image that cannot be decoded.\n', { status: 502 });
  }
  const output = [];
  try {
    let current = image;
    if (width !== null && width !== current.get_width()) {
      const height = Math.max(1, Math.round((current.get_height() * width) / current.get_width()));
      current = resize(image, width, height, SamplingFilter.Triangle);
      output.push(current);
    }
    if (url.searchParams.get('gray') === '1') grayscale(current);
    const png = current.get_bytes();
    return new Response(png, {
      headers: { 'content-type': 'image/png', 'cache-control': 'public, max-age=86400', 'x-image-size': `${current.get_width()}x${current.get_height()}` },
    });
  } finally {
    // wasm-bindgen objects live in the module's memory until freed.
    image.free();
    for (const o of output) o.free();
  }
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/crc32') {
      if (request.method !== 'POST') return new Response('POST the bytes to checksum\n', { status: 405, headers: { allow: 'POST' } });
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (bytes.byteLength > MAX_CRC_BYTES) return new Response('At most 1 MiB\n', { status: 413 });
      return Response.json({ crc32: crc32(bytes).toString(16).padStart(8, '0'), bytes: bytes.byteLength });
    }
    if (url.pathname.startsWith('/images/') && request.method === 'GET') return thumbnail(request, url);
    return new Response('Not Found\n', { status: 404 });
  },
};
