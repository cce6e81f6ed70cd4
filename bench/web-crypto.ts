// Web Crypto and the small globals, timed inside a real worker isolate: each figure is
// the mean wall time of one call as tenant code sees it (async ops include the bridge
// crossing and the host's work on Node's webcrypto). A diagnostic, not a figure for
// RESULTS.md: compare runs on the same machine.
//
//   node_modules/.bin/node --no-node-snapshot bench/web-crypto.ts

import { startWorker } from '../test/helpers/worker.ts';

const worker = await startWorker(`export default { async fetch() {
  const enc = new TextEncoder();
  const kib = new Uint8Array(1024).fill(7);
  const results = {};
  async function time(name, n, fn) {
    for (let i = 0; i < Math.min(n, 50); i++) await fn(i); // warm up
    const t0 = Date.now();
    for (let i = 0; i < n; i++) await fn(i);
    results[name] = ((Date.now() - t0) * 1000 / n).toFixed(1) + ' us';
  }
  const hmac = await crypto.subtle.importKey('raw', kib.slice(0, 32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const ec = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const iv = new Uint8Array(12);
  await time('subtle.digest SHA-256 1 KiB', 2000, () => crypto.subtle.digest('SHA-256', kib));
  await time('subtle.sign HMAC SHA-256 1 KiB', 2000, () => crypto.subtle.sign('HMAC', hmac, kib));
  await time('subtle.sign ECDSA P-256', 500, () => crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ec.privateKey, kib));
  await time('subtle.encrypt AES-GCM 1 KiB', 2000, () => crypto.subtle.encrypt({ name: 'AES-GCM', iv }, aes, kib));
  await time('subtle.importKey raw HMAC', 2000, () => crypto.subtle.importKey('raw', kib.slice(0, 32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));
  await time('getRandomValues 16 bytes', 10000, () => crypto.getRandomValues(new Uint8Array(16)));
  await time('randomUUID', 10000, () => crypto.randomUUID());
  const obj = Object.fromEntries(Array.from({ length: 100 }, (_, i) => ['k' + i, { n: i, s: 'v' + i, a: [i] }]));
  await time('structuredClone 100-key object', 2000, () => structuredClone(obj));
  const latin1 = String.fromCharCode(...new Uint8Array(65536).map((_, i) => i & 255).subarray(0, 8192)).repeat(8);
  const b64 = btoa(latin1);
  await time('btoa 64 KiB', 200, () => btoa(latin1));
  await time('atob 64 KiB', 200, () => atob(b64));
  return Response.json(results);
} }`, { limits: { cpuMs: 600_000 } });
try {
  const res = await worker.fetch('/');
  const results = (await res.json()) as Record<string, string>;
  for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(34)} ${value.padStart(10)}`);
} finally {
  await worker.close();
}
