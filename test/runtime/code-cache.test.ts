import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerDefinition } from '../../src/runtime/worker-isolate.ts';
import { cachedDataProduced, codeCacheKey, convertToScript, lookupCode, setCodeCacheDir, storeCachedData } from '../../src/runtime/code-cache.ts';

const services = { log: () => {}, console: () => {}, fetch: () => Promise.reject(new Error('no fetch')) };

function def(code: string, name = 'cc'): WorkerDefinition {
  return {
    name, versionId: 'v1', format: 'modules', mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: code }],
    bindings: [], compatibilityDate: '2025-01-01', compatibilityFlags: [],
    limits: { ...DEFAULT_LIMITS }, dev: false,
  };
}

async function get(d: WorkerDefinition): Promise<string> {
  const w = await WorkerIsolate.create(d, services);
  try {
    const inv = w.fetch({ method: 'GET', url: 'http://test/', headers: [], body: null, cf: {} });
    const r = await inv.result;
    if (r.kind !== 'response') throw new Error(JSON.stringify(r));
    assert.ok(r.head.body && 'bytes' in r.head.body);
    return new TextDecoder().decode(r.head.body.bytes);
  } finally {
    w.dispose();
  }
}

// Module semantics the script form must keep: strict code, top-level `this` undefined,
// no globals from top-level declarations, a live default export.
const PROBE = (tag: string) => `
  var topVar = 1; function topFn() {} let counter = 0;
  const strict = (() => { try { undeclared_${tag} = 1; return false; } catch { return true; } })();
  const self = typeof this;
  const handler = { fetch() { counter++; return new Response(JSON.stringify({ tag: ${JSON.stringify(tag)}, strict, self, leaked: typeof globalThis.topVar + typeof globalThis.topFn, counter })); } };
  export { handler as default };
`;

test('Code cache: a single-module worker runs from its script form, then from cached data, with module semantics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-cc-'));
  setCodeCacheDir(dir);
  try {
    const d = def(PROBE('a'));
    const key = codeCacheKey(PROBE('a'), 'file:///index.js');
    const expected = { tag: 'a', strict: true, self: 'undefined', leaked: 'undefinedundefined', counter: 1 };
    assert.deepEqual(JSON.parse(await get(d)), expected, 'module path');
    await convertToScript(key, PROBE('a'), 'file:///index.js');
    assert.ok(lookupCode(key), 'the script form exists after the first isolate');
    assert.deepEqual(JSON.parse(await get(d)), expected, 'script form');
    await cachedDataProduced(key);
    assert.ok(lookupCode(key)?.data, 'cached data produced after the top level ran');
    assert.deepEqual(JSON.parse(await get(d)), expected, 'script form with cached data');
    assert.deepEqual(readdirSync(dir).sort(), [`${key}.js`, `${key}.v8`]);
  } finally {
    setCodeCacheDir(null);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Code cache: entries are keyed by the whole source, not its length as V8 checks', () => {
  const a = codeCacheKey('export default { a: 1 };', 'file:///index.js');
  const b = codeCacheKey('export default { b: 1 };', 'file:///index.js');
  const c = codeCacheKey('export default { a: 1 };', 'file:///other.js');
  assert.equal(new Set([a, b, c]).size, 3);
});

test('Code cache: a corrupted file on disk is ignored, and data V8 rejects is dropped and produced again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-cc-'));
  setCodeCacheDir(dir);
  try {
    const source = PROBE('b');
    const key = codeCacheKey(source, 'file:///index.js');
    await WorkerIsolate.prepareCode(def(source), services);
    const file = join(dir, `${key}.v8`);
    const raw = readFileSync(file);
    raw[raw.length - 1] ^= 0xff;
    writeFileSync(file, raw);
    // A fresh copy of the module has an empty memory tier, as a restarted process does.
    const fresh = (await import(`../../src/runtime/code-cache.ts?fresh=${Date.now()}`)) as typeof import('../../src/runtime/code-cache.ts');
    fresh.setCodeCacheDir(dir);
    assert.equal(fresh.lookupCode(key)?.data, null, 'the corrupted data file is ignored');
    assert.ok(fresh.lookupCode(key)?.code.startsWith('"use strict";'), 'the intact script form is read');
    storeCachedData(key, new Uint8Array([1, 2, 3, 4]));
    assert.equal(JSON.parse(await get(def(source))).tag, 'b', 'garbage cached data is rejected by V8 and the worker still runs');
    await cachedDataProduced(key);
    const data = lookupCode(key)?.data;
    assert.ok(data && data.byteLength > 4, 'new data was produced after the rejection');
  } finally {
    setCodeCacheDir(null);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Code cache: workers the script form cannot express stay ES modules (import.meta, top-level await)', async () => {
  for (const [tag, code] of [
    ['meta', `const u = typeof import.meta; export default { fetch() { return new Response(u); } };`],
    ['tla', `const v = await Promise.resolve('tla'); export default { fetch() { return new Response(v); } };`],
  ]) {
    const d = def(code, tag);
    const key = codeCacheKey(code, 'file:///index.js');
    const first = await get(d);
    await convertToScript(key, code, 'file:///index.js');
    assert.equal(lookupCode(key), null, `${tag}: no script form`);
    assert.equal(await get(d), first);
  }
});

test('Code cache: after a first request it is produced again, holding the functions the handler compiled', async () => {
  // The handler calls functions the top level never runs: the data made after the top
  // level lacks their code; the data made after a request has it, so it is larger.
  const helpers = Array.from({ length: 40 }, (_, i) => `function part${i}(s) { return s.split('').map((c) => c.charCodeAt(0) + ${i}).join('-'); }`).join('\n');
  const source = `${helpers}
    export default { fetch(request) { let out = ''; ${Array.from({ length: 40 }, (_, i) => `out += part${i}('x');`).join(' ')} return new Response(out.length + ' refresh'); } };`;
  const d = def(source, 'refresh');
  const key = codeCacheKey(source, 'file:///index.js');
  await WorkerIsolate.prepareCode(d, services);
  const before = lookupCode(key)?.data;
  assert.ok(before, 'prepareCode made the data after the top level');
  const w = await WorkerIsolate.create(d, services);
  try {
    const inv = w.fetch({ method: 'GET', url: 'http://test/', headers: [], body: null, cf: {} });
    const r = await inv.result;
    assert.equal(r.kind, 'response');
    await w.end(inv);
    const deadline = Date.now() + 5000;
    while (lookupCode(key)?.data === before && Date.now() < deadline) await new Promise((f) => setTimeout(f, 20));
  } finally {
    w.dispose();
  }
  const after = lookupCode(key)?.data;
  assert.ok(after && after !== before, 'the data was produced again once the isolate was idle');
  assert.ok(after.byteLength > before.byteLength, `it holds the handler's functions too (${before.byteLength} -> ${after.byteLength} bytes)`);
  assert.match(await get(d), /^\d+ refresh$/, 'a later isolate runs from the new data');
  assert.equal(lookupCode(key)?.data, after, 'V8 took the new data (rejected data would be dropped)');
});

test('Code cache: the folder on disk stays within its cap, least recently used dropped first, across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-cc-'));
  const filename = 'file:///index.js';
  const folderBytes = () => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  try {
    const sources = Array.from({ length: 6 }, (_, i) => `export default { fetch() { return new Response(${JSON.stringify('x'.repeat(1000) + i)}); } };`);
    const keys = sources.map((src) => codeCacheKey(src, filename));
    // Every source leaves the same bytes on disk (script form + data): the cap holds 4.5.
    setCodeCacheDir(dir);
    await convertToScript(keys[0], sources[0], filename);
    storeCachedData(keys[0], new Uint8Array(1000));
    const perKey = folderBytes();
    const cap = Math.floor(perKey * 4.5);
    setCodeCacheDir(dir, cap);
    for (const [i, src] of sources.entries()) {
      await convertToScript(keys[i], src, filename);
      storeCachedData(keys[i], new Uint8Array(1000).fill(i));
      if (i === 3) assert.ok(lookupCode(keys[0]), 'key 0 read again: now the most recently used');
    }
    assert.ok(folderBytes() <= cap, `the folder holds ${folderBytes()} bytes, within the cap of ${cap}`);
    const kept = (k: string) => readdirSync(dir).includes(`${k}.js`);
    assert.deepEqual(keys.map(kept), [true, false, false, true, true, true], 'the least recently used (1, 2) went; 0 was read again and stays');

    // A restarted process indexes what is there, oldest first, and applies its own cap;
    // a write a crash cut short (.tmp) is removed.
    writeFileSync(join(dir, `${keys[5]}.v8.tmp`), 'partial');
    const old = new Date(Date.now() - 60_000);
    for (const ext of ['js', 'v8']) utimesSync(join(dir, `${keys[3]}.${ext}`), old, old);
    const fresh = (await import(`../../src/runtime/code-cache.ts?restart=${Date.now()}`)) as typeof import('../../src/runtime/code-cache.ts');
    fresh.setCodeCacheDir(dir, Math.floor(perKey * 3.5));
    assert.ok(folderBytes() <= perKey * 3.5, `after the restart the folder holds ${folderBytes()} bytes`);
    assert.equal(kept(keys[3]), false, 'the file untouched longest went first');
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no partial write is left');
    assert.ok(fresh.lookupCode(keys[5])?.data, 'the newest entry is still served from disk');
  } finally {
    setCodeCacheDir(null);
    rmSync(dir, { recursive: true, force: true });
  }
});
