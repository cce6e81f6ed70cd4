import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startWorker, runInIsolate } from '../helpers/worker.ts';
import { WASM_MAX_PAGES } from '../../src/shared/ops.ts';

// Runs `body` as the handler of a fresh worker with a generous CPU limit (so memory, not
// CPU, is what stops it); returns the response and the worker, already checked to serve
// its next request from a fresh isolate.
async function bomb(body: string, memoryMb = 128) {
  const w = await startWorker(`export default { async fetch(req) {
    if (new URL(req.url).pathname === '/ok') return new Response('fine');
    ${body}
  } }`, { limits: { cpuMs: 20_000, memoryMb } });
  try {
    const res = await w.fetch('/bomb');
    const text = await res.text();
    const next = await w.fetch('/ok');
    assert.equal(await next.text(), 'fine', 'the worker serves the next request');
    return { status: res.status, code: res.headers.get('atoll-error'), text, outcome: (await w.settled(1, 20_000))[0].outcome };
  } finally {
    await w.close();
  }
}

test('Limits: memory: a heap that grows without bound ends in 503 exceededMemory and a fresh isolate', async () => {
  const r = await bomb(`const keep = []; for (;;) keep.push(new Array(1e5).fill(1.5));`, 64);
  assert.equal(r.status, 503);
  assert.equal(r.code, 'exceededMemory');
  assert.match(r.text, /exceeded its memory limit/);
  assert.equal(r.outcome, 'exceededMemory');
});

test('Limits: memory: a hash table doubling past the heap limit is contained to its isolate', async () => {
  // V8 treats this one as fatal for the process; atoll parks the isolate instead. The
  // parked thread can keep a process from exiting, so this runs in a child process,
  // which is killed once it has reported (docs/limits.md, "Catastrophic errors").
  const helper = new URL('../helpers/worker.ts', import.meta.url).href;
  const script = `
    import { startWorker } from ${JSON.stringify(helper)};
    const w = await startWorker(\`export default { async fetch(req) {
      if (new URL(req.url).pathname === '/ok') return new Response('fine');
      const m = new Map(); for (let i = 0; ; i++) m.set(i, i);
    } }\`, { limits: { cpuMs: 20000, memoryMb: 32 } });
    const res = await w.fetch('/bomb');
    const out = { status: res.status, code: res.headers.get('atoll-error'), text: await res.text() };
    out.next = await (await w.fetch('/ok')).text();
    console.log('RESULT ' + JSON.stringify(out));
  `;
  const child = spawn(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error('no result within 60 s')), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const match = /RESULT (.*)\n/.exec(buffered);
        if (match) { clearTimeout(timer); resolve(match[1]); }
      });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`child exited (${code}) before reporting: ${buffered}`)); });
    });
    const out = JSON.parse(line) as { status: number; code: string; text: string; next: string };
    assert.equal(out.status, 503);
    assert.equal(out.code, 'exceededMemory');
    assert.match(out.text, /Worker exceeded its memory limit of 32 MB/);
    assert.equal(out.next, 'fine', 'the process survived and a fresh isolate serves');
  } finally {
    child.kill('SIGKILL');
  }
});

test('Limits: memory: huge JSON is stopped by the memory limit', async () => {
  // One parse runs to its end inside V8 whatever the limit, so the test keeps the results.
  const r = await bomb(`const s = '[' + '1,'.repeat(2e6) + '1]'; const keep = []; for (;;) keep.push(JSON.parse(s));`, 32);
  assert.equal(r.status, 503);
  assert.equal(r.code, 'exceededMemory');
});

test('Limits: memory: stack overflow is a RangeError the tenant can catch', async () => {
  // Recursing to the stack's end runs tens of thousands of interpreted calls. One CI run
  // on a loaded machine got the platform's answer instead ("The worker ...", most likely
  // the default 50 ms CPU limit); the CPU limit is not what this test is about.
  const out = await runInIsolate(`
    const down = (n) => down(n + 1) + 1;
    try { down(0); } catch (e) { return e instanceof RangeError && e.message; }
  `, { limits: { cpuMs: 1000 } });
  assert.equal(out, 'Maximum call stack size exceeded');
});

test('Limits: memory: uncaught stack overflow is a 500 with the RangeError, and the isolate lives on', async () => {
  const w = await startWorker(`let n = 0; export default { fetch(req) {
    if (new URL(req.url).pathname === '/ok') return new Response('requests so far: ' + ++n);
    n++; const down = () => down() + 1; down();
  } }`);
  try {
    const res = await w.fetch('/deep');
    assert.equal(res.status, 500);
    assert.match(await res.text(), /RangeError: Maximum call stack size exceeded/);
    assert.equal(await (await w.fetch('/ok')).text(), 'requests so far: 2', 'same isolate, state kept');
  } finally {
    await w.close();
  }
});

test('Limits: memory: string and array bombs throw catchable RangeErrors', async () => {
  const out = await runInIsolate(`
    const tryIt = (f) => { try { f(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    return {
      repeat: tryIt(() => 'x'.repeat(2 ** 29)),
      fill: tryIt(() => new Array(1e9).fill(0)),
      fillOnObject: tryIt(() => Array.prototype.fill.call({ length: 1e9 }, 0)),
      from: tryIt(() => Array.from({ length: 1e9 })),
      toReversed: tryIt(() => new Array(1e9).toReversed()),
      buffer: tryIt(() => new ArrayBuffer(2 ** 31)),
      smallFill: new Array(1e6).fill(7).length,
    };
  `, { limits: { cpuMs: 5000 } }); // a refused 2 GiB ArrayBuffer first costs V8 a few full GCs
  const o = out as Record<string, unknown>;
  assert.equal(o.repeat, 'RangeError: Invalid string length');
  assert.match(String(o.fill), /^RangeError: Invalid array length: Array.prototype.fill on 1000000000 elements would exceed the worker's memory limit/);
  assert.match(String(o.fillOnObject), /^RangeError: Invalid array length/);
  assert.match(String(o.from), /^RangeError: Invalid array length: Array.from/);
  assert.match(String(o.toReversed), /^RangeError: Invalid array length/);
  assert.match(String(o.buffer), /^RangeError/);
  assert.equal(o.smallFill, 1e6, 'ordinary arrays still work');
});

// (module (memory (export "mem") 1) (func (export "grow") (result i32)
//   (loop (br_if 0 (i32.ne (memory.grow (i32.const 32)) (i32.const -1)))) (memory.size)))
const GROW_FOREVER = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x05, 0x03, 0x01, 0x00, 0x01,
  0x07, 0x0e, 0x02, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00,
  0x0a, 0x12, 0x01, 0x10, 0x00, 0x03, 0x40, 0x41, 0x20, 0x40, 0x00, 0x41, 0x7f, 0x47, 0x0d, 0x00, 0x0b, 0x3f, 0x00, 0x0b,
];

test('Limits: wasm: a module growing its memory without bound stops at the per-memory cap', async () => {
  const out = (await runInIsolate(`
    const bytes = new Uint8Array(${JSON.stringify(GROW_FOREVER)});
    const { instance } = await WebAssembly.instantiate(bytes);
    const pages = instance.exports.grow();
    return { pages, bytes: instance.exports.mem.buffer.byteLength };
  `, { limits: { cpuMs: 5000 } })) as { pages: number; bytes: number }; // each grow may copy the memory
  // It grows 32 pages at a time from 1, so it stops within 32 pages of the cap.
  assert.ok(out.pages <= WASM_MAX_PAGES && out.pages > WASM_MAX_PAGES - 32, `stopped at ${out.pages} pages`);
  assert.equal(out.bytes, out.pages * 65536);
});

test('Limits: wasm: memories beyond the isolate budget are refused with a RangeError', async () => {
  const out = (await runInIsolate(`
    const bytes = new Uint8Array(${JSON.stringify(GROW_FOREVER)});
    const tryIt = async (f) => { try { await f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
    const module = new WebAssembly.Module(bytes);
    const first = await tryIt(() => new WebAssembly.Instance(module));
    const second = await tryIt(() => new WebAssembly.Instance(module));
    const third = await tryIt(() => WebAssembly.instantiate(bytes));
    const memory = await tryIt(() => new WebAssembly.Memory({ initial: 1 }));
    const tooBig = await tryIt(() => new WebAssembly.Memory({ initial: ${WASM_MAX_PAGES + 1} }));
    return { first, second, third, memory, tooBig };
  `, { limits: { memoryMb: 128 } })) as Record<string, string | boolean>;
  assert.equal(out.first, 'ok');
  assert.match(String(out.second), /^RangeError: WebAssembly.Instance\(\): this worker's WebAssembly memories would exceed its memory limit of 128 MB/);
  assert.match(String(out.third), /^RangeError: WebAssembly.Instance\(\): this worker's WebAssembly memories would exceed/);
  assert.match(String(out.memory), /^RangeError: WebAssembly.Memory\(\)/);
  assert.match(String(out.tooBig), /^RangeError/);
});

test('Limits: wasm: memories that declare a small maximum fit many to an isolate', async () => {
  const n = await runInIsolate(`
    const all = [];
    for (let i = 0; i < 100; i++) all.push(new WebAssembly.Memory({ initial: 1, maximum: 16 }));
    all[0].grow(15);
    const m = all[1];
    return [all.length, all[0].buffer.byteLength, m instanceof WebAssembly.Memory, m.constructor === WebAssembly.Memory];
  `);
  assert.deepEqual(n, [100, 16 * 65536, true, true]);
});

test('Limits: wasm: a memory\'s charge is returned once it is garbage-collected', async () => {
  const out = await runInIsolate(`
    const make = () => { try { new WebAssembly.Memory({ initial: 1 }); return true; } catch { return false; } };
    const first = make();
    const beforeGc = make();
    for (let round = 0; round < 50; round++) {
      let junk = []; for (let i = 0; i < 2e5; i++) junk.push({ i }); junk = null;
      await new Promise((r) => setTimeout(r, 10));
      if (make()) return { first, beforeGc, afterGc: true, round };
    }
    return { first, beforeGc, afterGc: false };
  `, { limits: { cpuMs: 20_000 } }) as Record<string, unknown>;
  assert.equal(out.first, true);
  assert.equal(out.beforeGc, false, 'the first memory (no maximum) takes the whole budget until collected');
  assert.equal(out.afterGc, true, 'the budget comes back after the first memory is collected');
});

// A module whose own memory is shared (flags 0x03: a maximum, shared): 1 page.
const SHARED_MEMORY_MODULE = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x04, 0x01, 0x03, 0x01, 0x01];

test('Limits: waits: a worker cannot block its thread without CPU: Atomics.wait throws, shared wasm memories are refused', async () => {
  const out = (await runInIsolate(`
    const tryIt = async (f) => { try { await f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
    const started = Date.now();
    const wait = await tryIt(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10000));
    const waited = Date.now() - started;
    const memory = await tryIt(() => new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
    const bytes = new Uint8Array(${JSON.stringify(SHARED_MEMORY_MODULE)});
    const module = await tryIt(() => new WebAssembly.Module(bytes));
    const compiled = await tryIt(() => WebAssembly.compile(bytes));
    const instantiated = await tryIt(() => WebAssembly.instantiate(bytes));
    // Unshared memories and Atomics on plain buffers work as before.
    const plain = new WebAssembly.Memory({ initial: 1, maximum: 1 }).buffer.byteLength;
    const notify = Atomics.notify(new Int32Array(new SharedArrayBuffer(4)), 0);
    return { wait, waited, memory, module, compiled, instantiated, plain, notify };
  `)) as Record<string, string | number>;
  assert.match(String(out.wait), /^TypeError: Atomics.wait cannot be called in a worker/);
  assert.ok(Number(out.waited) < 1000, `Atomics.wait returned at once (${out.waited} ms)`);
  assert.match(String(out.memory), /^TypeError: WebAssembly.Memory\(\): shared WebAssembly memories are not available to workers/);
  for (const k of ['module', 'compiled', 'instantiated']) assert.match(String(out[k]), /^CompileError: WebAssembly.Module\(\): shared WebAssembly memories/, k);
  assert.equal(out.plain, 65536);
  assert.equal(out.notify, 0);
});
