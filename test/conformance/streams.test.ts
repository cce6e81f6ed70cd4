// ReadableStream / WritableStream / TransformStream inside a real isolate with the
// prelude: https://streams.spec.whatwg.org/ (web-streams-polyfill, checked here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate } from '../helpers/worker.ts';

// CPU limits are not under test here: a cold isolate on a loaded machine may need more than 50 ms.
const RELAXED = { limits: { cpuMs: 5000 } };

test('ReadableStream: getReader: reads enqueued chunks in order, then done; locked while a reader holds it', async () => {
  const out = await runInIsolate(`
    const rs = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
    const r = rs.getReader();
    const seen = [rs.locked];
    for (;;) { const { done, value } = await r.read(); if (done) break; seen.push(value); }
    r.releaseLock();
    seen.push(rs.locked);
    let err = null;
    rs.getReader(); try { rs.getReader(); } catch (e) { err = e.constructor.name; }
    seen.push(err, Object.prototype.toString.call(rs));
    return seen;
  `, RELAXED);
  assert.deepEqual(out, [true, 'a', 'b', false, 'TypeError', '[object ReadableStream]']);
});

test('ReadableStream: pull: is called only as the queue drains below the high-water mark (backpressure)', async () => {
  const out = await runInIsolate(`
    let pulls = 0;
    const rs = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); } }, { highWaterMark: 2 });
    await new Promise((r) => setTimeout(r, 5));
    const before = pulls;
    const r = rs.getReader();
    await r.read(); await r.read(); await r.read();
    await new Promise((r) => setTimeout(r, 5));
    return [before, pulls];
  `, RELAXED);
  // Two pulls fill the queue to the mark; three reads cause three more pulls, not more.
  assert.deepEqual(out, [2, 5]);
});

test('ReadableStream: type bytes: a BYOB reader fills the given view, readAtLeast and read({ min }) wait for enough bytes', async () => {
  const out = await runInIsolate(`
    function source() {
      let n = 0;
      return new ReadableStream({ type: 'bytes', pull(c) {
        n++;
        if (n > 4) { c.close(); c.byobRequest?.respond(0); return; }
        c.enqueue(new Uint8Array([n, n, n]));
      } });
    }
    const r1 = source().getReader({ mode: 'byob' });
    const a = await r1.read(new Uint8Array(2));
    const b = await r1.read(new Uint8Array(8));
    const r2 = source().getReader({ mode: 'byob' });
    const c = await r2.readAtLeast(7, new Uint8Array(10));
    const r3 = source().getReader({ mode: 'byob' });
    const d = await r3.read(new Uint8Array(12), { min: 12 });
    const e = await r3.read(new Uint8Array(4));
    // 3 bytes in a Uint16Array view: one whole element comes back, the odd byte waits.
    const f16 = await source().getReader({ mode: 'byob' }).read(new Uint16Array(2));
    return [Array.from(a.value), Array.from(b.value), Array.from(c.value), Array.from(d.value), e.done, e.value.byteLength, f16.value.constructor.name, f16.value.byteLength];
  `, RELAXED);
  assert.deepEqual(out, [[1, 1], [1], [1, 1, 1, 2, 2, 2, 3, 3, 3], [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4], true, 0, 'Uint16Array', 2]);
});

test('ReadableStream: BYOB reader: bad views and bad minimums are rejected with clear errors', async () => {
  const out = await runInIsolate<string[]>(`
    const rs = new ReadableStream({ type: 'bytes' });
    const r = rs.getReader({ mode: 'byob' });
    const res = [];
    const tryRead = async (p) => { try { await p; res.push('no error'); } catch (e) { res.push(e.constructor.name + ': ' + e.message); } };
    await tryRead(r.read(new ArrayBuffer(4)));
    await tryRead(r.read(new Uint8Array(0)));
    await tryRead(r.read(new Uint8Array(4), { min: 5 }));
    await tryRead(r.readAtLeast(0, new Uint8Array(4)));
    await tryRead(r.readAtLeast(2, 'nope'));
    try { new ReadableStream().getReader({ mode: 'byob' }); res.push('no error'); } catch (e) { res.push(e.constructor.name); }
    try { new ReadableStream({ type: 'bytes' }).getReader({ mode: 'nope' }); res.push('no error'); } catch (e) { res.push(e.constructor.name); }
    return res;
  `, RELAXED);
  assert.match(out[0], /^TypeError: view must be an array buffer view/);
  assert.match(out[1], /^TypeError: view must have non-zero byteLength/);
  assert.match(out[2], /^RangeError: options.min must be less than or equal/);
  assert.match(out[3], /^TypeError: Failed to execute 'readAtLeast'.*minBytes/);
  assert.match(out[4], /^TypeError: Failed to execute 'readAtLeast'.*ArrayBufferView/);
  assert.deepEqual(out.slice(5), ['TypeError', 'TypeError']);
});

test('ReadableStream: from and async iteration: iterables and async generators become streams; breaking out cancels', async () => {
  const out = await runInIsolate(`
    const got = [];
    for await (const x of ReadableStream.from([1, 2, 3])) got.push(x);
    async function* gen() { yield 'x'; yield 'y'; }
    for await (const x of ReadableStream.from(gen())) got.push(x);
    let canceled = null;
    const rs = new ReadableStream({ pull(c) { c.enqueue(0); }, cancel(reason) { canceled = reason === undefined ? 'undefined' : String(reason); } });
    for await (const x of rs) break;
    const kept = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } });
    for await (const x of kept.values({ preventCancel: true })) break;
    const rest = await kept.getReader().read();
    let fromErr = null;
    try { ReadableStream.from(5); } catch (e) { fromErr = e.constructor.name; }
    return [got, canceled, rest.value, fromErr];
  `, RELAXED);
  assert.deepEqual(out, [[1, 2, 3, 'x', 'y'], 'undefined', 2, 'TypeError']);
});

test('ReadableStream: tee: both branches see every chunk; canceling one keeps the other flowing', async () => {
  const out = await runInIsolate(`
    const [a, b] = ReadableStream.from(['p', 'q', 'r']).tee();
    const ra = [], rb = [];
    for await (const x of a) ra.push(x);
    for await (const x of b) rb.push(x);
    let canceled = false;
    const src = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); }, cancel() { canceled = true; } });
    const [c, d] = src.tee();
    // A branch's cancel settles only once both branches are canceled, so it is not awaited.
    c.cancel('no');
    const rd = [];
    for await (const x of d) rd.push(x);
    const bytes = new Response('xyz').body.tee();
    const t1 = await new Response(bytes[0]).text(), t2 = await new Response(bytes[1]).text();
    return [ra, rb, rd, canceled, t1, t2];
  `, RELAXED);
  assert.deepEqual(out, [['p', 'q', 'r'], ['p', 'q', 'r'], [1, 2], false, 'xyz', 'xyz']);
});

test('ReadableStream: pipeTo: carries every chunk, honors preventClose and an AbortSignal, propagates errors', async () => {
  const out = await runInIsolate(`
    const written = [];
    let closed = false;
    await ReadableStream.from([1, 2, 3]).pipeTo(new WritableStream({ write(c) { written.push(c); }, close() { closed = true; } }));
    let closed2 = false;
    await ReadableStream.from([4]).pipeTo(new WritableStream({ write(c) { written.push(c); }, close() { closed2 = true; } }), { preventClose: true });
    const ac = new AbortController();
    let aborted = null;
    const slow = new ReadableStream({ pull() { return new Promise((r) => setTimeout(r, 1000)); } });
    const p = slow.pipeTo(new WritableStream({ abort(r) { aborted = r.name; } }), { signal: ac.signal });
    ac.abort();
    let pipeErr = null;
    try { await p; } catch (e) { pipeErr = e.name; }
    let srcErr = null;
    const failing = new ReadableStream({ start(c) { c.error(new RangeError('boom')); } });
    try { await failing.pipeTo(new WritableStream()); } catch (e) { srcErr = e.constructor.name + ': ' + e.message; }
    let badDest = null;
    try { await ReadableStream.from([1]).pipeTo({}); } catch (e) { badDest = e.constructor.name; }
    return [written, closed, closed2, aborted, pipeErr, srcErr, badDest];
  `, RELAXED);
  assert.deepEqual(out, [[1, 2, 3, 4], true, false, 'AbortError', 'AbortError', 'RangeError: boom', 'TypeError']);
});

test('WritableStream: getWriter: desiredSize follows the strategy and write waits while the sink is busy', async () => {
  const out = await runInIsolate(`
    const log = [];
    let release;
    const ws = new WritableStream({
      write(c) { log.push('sink ' + c); return new Promise((r) => { release = r; }); },
    }, new CountQueuingStrategy({ highWaterMark: 2 }));
    const w = ws.getWriter();
    log.push('ds ' + w.desiredSize);
    const p1 = w.write('a'); const p2 = w.write('b'); const p3 = w.write('c');
    log.push('ds ' + w.desiredSize);
    await new Promise((r) => setTimeout(r, 5));
    release(); await p1;
    await new Promise((r) => setTimeout(r, 5));
    release(); await p2;
    await new Promise((r) => setTimeout(r, 5));
    release(); await p3;
    await w.close();
    const bl = new ByteLengthQueuingStrategy({ highWaterMark: 16 });
    log.push('bl ' + bl.highWaterMark + ' ' + bl.size(new Uint8Array(5)));
    return log;
  `, RELAXED);
  assert.deepEqual(out, ['ds 2', 'ds -1', 'sink a', 'sink b', 'sink c', 'bl 16 5']);
});

test('TransformStream: pipeThrough: transforms, flushes, and a throwing transform errors both sides', async () => {
  const out = await runInIsolate(`
    const upper = new TransformStream({ transform(c, ctl) { ctl.enqueue(c.toUpperCase()); }, flush(ctl) { ctl.enqueue('!'); } });
    const got = [];
    for await (const x of ReadableStream.from(['a', 'b']).pipeThrough(upper)) got.push(x);
    const identity = new TransformStream();
    const w = identity.writable.getWriter(); w.write('same'); w.close();
    const same = (await identity.readable.getReader().read()).value;
    let err = null;
    const bad = new TransformStream({ transform() { throw new SyntaxError('nope'); } });
    try { for await (const x of ReadableStream.from([1]).pipeThrough(bad)) {} } catch (e) { err = e.constructor.name + ': ' + e.message; }
    let badPair = null;
    try { ReadableStream.from([1]).pipeThrough({ readable: 1, writable: 2 }); } catch (e) { badPair = e.constructor.name; }
    return [got, same, err, badPair];
  `, RELAXED);
  assert.deepEqual(out, [['A', 'B', '!'], 'same', 'SyntaxError: nope', 'TypeError']);
});

test('ReadableStream: constructor: bad underlying sources and strategies are rejected with TypeError or RangeError', async () => {
  const out = await runInIsolate<string[]>(`
    const r = [];
    const attempt = (fn) => { try { fn(); r.push('no error'); } catch (e) { r.push(e.constructor.name); } };
    attempt(() => new ReadableStream({ pull: 5 }));
    attempt(() => new ReadableStream({ type: 'nope' }));
    attempt(() => new ReadableStream({}, { highWaterMark: -1 }));
    attempt(() => new ReadableStream({ type: 'bytes' }, { size() { return 1; } }));
    attempt(() => new WritableStream({ write: 'x' }));
    attempt(() => new TransformStream({ transform: 1 }));
    attempt(() => new ReadableStream(5));
    return r;
  `, RELAXED);
  assert.deepEqual(out, ['TypeError', 'TypeError', 'RangeError', 'RangeError', 'TypeError', 'TypeError', 'TypeError']);
});
