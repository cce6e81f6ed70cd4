// AbortController / AbortSignal and DOMException inside a real isolate
// (https://dom.spec.whatwg.org/#aborting-ongoing-activities, https://webidl.spec.whatwg.org/#idl-DOMException).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate } from '../helpers/relaxed-worker.ts';

test('AbortController: abort: sets aborted and reason once, fires abort once, onabort included', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const ac = new AbortController();
    const s = ac.signal;
    const log = [];
    s.addEventListener('abort', (e) => log.push(['listener', e.type, e.target === s, s.aborted]));
    s.onabort = () => log.push(['onabort']);
    const before = [s.aborted, s.reason];
    ac.abort('why');
    ac.abort('again');
    const d = new AbortController(); d.abort();
    return { before, after: [s.aborted, s.reason], log, defaultReason: [d.signal.reason instanceof DOMException, d.signal.reason.name, d.signal.reason.code],
      same: ac.signal === s, tag: String(s) + String(ac) };
  `);
  assert.deepEqual(out, {
    before: [false, null], after: [true, 'why'], log: [['listener', 'abort', true, true], ['onabort']],
    defaultReason: [true, 'AbortError', 20], same: true, tag: '[object AbortSignal][object AbortController]',
  });
});

test('AbortSignal: throwIfAborted and abort(): throw the reason, whatever it is', async () => {
  const out = await runInIsolate<unknown[]>(`
    const attempt = (f) => { try { f(); return 'no throw'; } catch (e) { return e instanceof Error ? e.name + ': ' + e.message : e; } };
    return [
      attempt(() => new AbortController().signal.throwIfAborted()),
      attempt(() => AbortSignal.abort().throwIfAborted()),
      attempt(() => AbortSignal.abort(42).throwIfAborted()),
      attempt(() => AbortSignal.abort(new TypeError('custom')).throwIfAborted()),
      AbortSignal.abort().aborted,
    ];
  `);
  assert.deepEqual(out, ['no throw', 'AbortError: This operation was aborted', 42, 'TypeError: custom', true]);
});

test('AbortSignal: timeout: aborts with a TimeoutError after the delay, not before', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const s = AbortSignal.timeout(30);
    const early = s.aborted;
    const t0 = Date.now();
    const reason = await new Promise((r) => s.addEventListener('abort', () => r(s.reason)));
    return { early, waited: Date.now() - t0, name: reason.name, isDom: reason instanceof DOMException, code: reason.code };
  `);
  assert.equal(out.early, false);
  assert.ok((out.waited as number) >= 25, `aborted after ${out.waited} ms`);
  assert.deepEqual([out.name, out.isDom, out.code], ['TimeoutError', true, 23]);
});

test('AbortSignal: any: follows the first source to abort, and is aborted at once when a source already is', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const a = new AbortController(), b = new AbortController();
    const any = AbortSignal.any([a.signal, b.signal]);
    const nested = AbortSignal.any([any]);
    let fired = 0;
    any.addEventListener('abort', () => fired++);
    const before = any.aborted;
    b.abort('b first');
    a.abort('a later');
    const pre = AbortSignal.any([new AbortController().signal, AbortSignal.abort('already')]);
    const empty = AbortSignal.any([]);
    const timed = AbortSignal.any([AbortSignal.timeout(10)]);
    await new Promise((r) => setTimeout(r, 40));
    return { before, reason: any.reason, fired, nested: [nested.aborted, nested.reason], pre: [pre.aborted, pre.reason], empty: empty.aborted, timed: timed.reason?.name };
  `);
  assert.deepEqual(out, { before: false, reason: 'b first', fired: 1, nested: [true, 'b first'], pre: [true, 'already'], empty: false, timed: 'TimeoutError' });
});

test('AbortSignal: any: a dependent nobody holds still fires its listeners after garbage collection', async () => {
  const out = await runInIsolate<Record<string, number>>(`
    const ac = new AbortController();
    let fired = 0;
    for (let i = 0; i < 200; i++) AbortSignal.any([ac.signal]).addEventListener('abort', () => fired++);
    for (let i = 0; i < 2000; i++) AbortSignal.any([ac.signal]); // unobserved: free to be collected
    // WeakRef targets live until the current job ends: collect garbage in a later one.
    await new Promise((r) => setTimeout(r, 1));
    let junk = [];
    for (let i = 0; i < 300; i++) { junk.push(new Array(10000).fill(i)); if (junk.length > 20) junk = []; }
    await new Promise((r) => setTimeout(r, 1));
    ac.abort();
    return { fired };
  `);
  assert.deepEqual(out, { fired: 200 });
});

test('AbortSignal: bad input: construction, bad timeouts and non-signals in any() are TypeErrors', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
    return [attempt(() => new AbortSignal()), attempt(() => AbortSignal.timeout(-1)), attempt(() => AbortSignal.timeout(NaN)),
      attempt(() => AbortSignal.any([{}])), attempt(() => AbortSignal.any(5)),
      attempt(() => Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get.call({}))];
  `);
  assert.match(out[0], /^TypeError: Illegal constructor/);
  assert.match(out[1], /^TypeError/);
  assert.match(out[2], /^TypeError/);
  assert.match(out[3], /^TypeError/);
  assert.match(out[4], /^TypeError/);
  assert.match(out[5], /^TypeError: Illegal invocation/);
});

test('DOMException: constructor: name, message, legacy code and constants, an Error with a stack', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const e = new DOMException('msg', 'NotFoundError');
    const d = new DOMException();
    const custom = new DOMException('m', 'CustomName');
    return {
      e: [e.name, e.message, e.code, e instanceof Error, e instanceof DOMException, String(e), Object.prototype.toString.call(e)],
      d: [d.name, d.message, d.code], custom: custom.code,
      consts: [DOMException.NOT_FOUND_ERR, DOMException.DATA_CLONE_ERR, DOMException.QUOTA_EXCEEDED_ERR, e.INVALID_STATE_ERR, DOMException.URL_MISMATCH_ERR],
      stack: typeof e.stack === 'string' && e.stack.includes('msg'),
      getters: ['name', 'message', 'code'].every((k) => typeof Object.getOwnPropertyDescriptor(DOMException.prototype, k).get === 'function'),
    };
  `);
  assert.deepEqual(out, {
    e: ['NotFoundError', 'msg', 8, true, true, 'NotFoundError: msg', '[object DOMException]'],
    d: ['Error', '', 0], custom: 0, consts: [8, 25, 22, 11, 21], stack: true, getters: true,
  });
});

test('DOMException: bad input: Symbols are TypeErrors, other values become strings, a call without new throws', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (f) => { try { const e = f(); return e.name + '|' + e.message; } catch (e) { return 'threw ' + e.name; } };
    return [attempt(() => new DOMException(Symbol('m'))), attempt(() => new DOMException('m', Symbol('n'))), attempt(() => new DOMException(42, null)),
      attempt(() => new DOMException(undefined, undefined)), attempt(() => DOMException('m'))];
  `);
  assert.deepEqual(out, ['threw TypeError', 'threw TypeError', 'null|42', 'Error|', 'threw TypeError']);
});
