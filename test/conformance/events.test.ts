// Event and EventTarget inside a real isolate (https://dom.spec.whatwg.org/#events).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate, startWorker } from '../helpers/relaxed-worker.ts';

test('Event: constructor: reads its init dictionary and starts with the spec defaults', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const e = new Event('ping', { bubbles: 1, cancelable: true });
    const d = new Event('plain');
    return {
      e: [e.type, e.bubbles, e.cancelable, e.composed, e.defaultPrevented, e.eventPhase, e.target, e.currentTarget, e.isTrusted, e.returnValue],
      d: [d.bubbles, d.cancelable, typeof d.timeStamp, d.timeStamp > 0],
      consts: [Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE, e.AT_TARGET],
      tag: Object.prototype.toString.call(e), num: new Event(42).type,
    };
  `);
  assert.deepEqual(out, {
    e: ['ping', true, true, false, false, 0, null, null, false, true],
    d: [false, false, 'number', true],
    consts: [0, 1, 2, 3, 2],
    tag: '[object Event]', num: '42',
  });
});

test('Event: bad input: no type, a non-object init, or a getter on a non-Event is a TypeError', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
    return [
      attempt(() => new Event()), attempt(() => new Event('x', 5)), attempt(() => Object.getOwnPropertyDescriptor(Event.prototype, 'type').get.call({})),
      attempt(() => Event('x')), attempt(() => new Event(Symbol('s'))),
    ];
  `);
  assert.match(out[0], /^TypeError: .*1 argument required/);
  assert.match(out[1], /^TypeError/);
  assert.match(out[2], /^TypeError: Illegal invocation/);
  assert.match(out[3], /^TypeError/);
  assert.match(out[4], /^TypeError/);
});

test('EventTarget: dispatchEvent: calls listeners in order with target and this set, once only once', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const t = new EventTarget();
    const log = [];
    function f(e) { log.push(['f', this === t, e.target === t, e.currentTarget === t, e.eventPhase]); }
    t.addEventListener('x', f);
    t.addEventListener('x', f); // a duplicate is ignored
    t.addEventListener('x', { handleEvent(e) { log.push(['obj', this !== t]); } });
    t.addEventListener('x', () => log.push(['once']), { once: true });
    t.addEventListener('y', () => log.push(['other type']));
    const e = new Event('x');
    const r1 = t.dispatchEvent(e);
    const r2 = t.dispatchEvent(new Event('x'));
    return { log, r1, r2, after: [e.eventPhase, e.currentTarget, e.target === t] };
  `);
  assert.deepEqual(out, {
    log: [['f', true, true, true, 2], ['obj', true], ['once'], ['f', true, true, true, 2], ['obj', true]],
    r1: true, r2: true, after: [0, null, true],
  });
});

test('EventTarget: dispatchEvent: listeners added or removed during dispatch, stopImmediatePropagation, preventDefault', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const t = new EventTarget();
    const log = [];
    const late = () => log.push('late');
    const removed = () => log.push('removed');
    t.addEventListener('x', () => { log.push('first'); t.addEventListener('x', late); t.removeEventListener('x', removed); });
    t.addEventListener('x', removed);
    t.addEventListener('x', (e) => { log.push('stopper'); e.preventDefault(); e.stopImmediatePropagation(); });
    t.addEventListener('x', () => log.push('never'));
    const cancelable = new Event('x', { cancelable: true });
    const r1 = t.dispatchEvent(cancelable);
    const r2 = t.dispatchEvent(new Event('x'));
    const p = new EventTarget();
    p.addEventListener('x', (e) => e.preventDefault(), { passive: true });
    const passive = new Event('x', { cancelable: true });
    const r3 = p.dispatchEvent(passive);
    return { log, r1, prevented: cancelable.defaultPrevented, r2, r3, passive: passive.defaultPrevented };
  `);
  assert.deepEqual(out, {
    log: ['first', 'stopper', 'first', 'stopper'], r1: false, prevented: true, r2: true, r3: true, passive: false,
  });
});

test('EventTarget: addEventListener: signal removes the listener; subclasses work; removeEventListener matches capture', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const t = new EventTarget();
    const ac = new AbortController();
    let n = 0;
    t.addEventListener('x', () => n++, { signal: ac.signal });
    t.dispatchEvent(new Event('x'));
    ac.abort();
    t.dispatchEvent(new Event('x'));
    t.addEventListener('x', () => n += 100, { signal: AbortSignal.abort() });
    t.dispatchEvent(new Event('x'));
    const c = () => n += 1000;
    t.addEventListener('y', c, true);
    t.removeEventListener('y', c);
    t.dispatchEvent(new Event('y'));
    t.removeEventListener('y', c, { capture: true });
    t.dispatchEvent(new Event('y'));
    class Emitter extends EventTarget { fire() { return this.dispatchEvent(new CustomEvt('go', 7)); } }
    class CustomEvt extends Event { constructor(type, detail) { super(type); this.detail = detail; } }
    const em = new Emitter();
    let detail;
    em.addEventListener('go', (e) => { detail = [e.detail, e instanceof CustomEvt, e instanceof Event, e.target === em]; });
    em.fire();
    return { n, detail };
  `);
  assert.deepEqual(out, { n: 1001, detail: [7, true, true, true] });
});

test('EventTarget: dispatchEvent: a throwing listener is reported and the rest still run', async () => {
  const w = await startWorker(`export default { async fetch() {
    const t = new EventTarget();
    let ran = false;
    t.addEventListener('x', () => { throw new RangeError('listener boom'); });
    t.addEventListener('x', () => { ran = true; });
    t.dispatchEvent(new Event('x'));
    return new Response(String(ran));
  } }`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'true');
    assert.ok(w.logs.some((l) => l.startsWith('error: Uncaught RangeError: listener boom')), w.logs.join('\n'));
  } finally {
    await w.close();
  }
});

test('EventTarget: bad input: non-Event dispatch, re-dispatch during dispatch, bad listeners and signals', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
    const t = new EventTarget();
    let inner;
    t.addEventListener('x', (e) => { inner = attempt(() => t.dispatchEvent(e)); });
    t.dispatchEvent(new Event('x'));
    return [
      attempt(() => t.dispatchEvent({ type: 'x' })), inner, attempt(() => t.addEventListener('x', 'string')),
      attempt(() => t.addEventListener('x', () => {}, { signal: {} })), attempt(() => t.addEventListener('x', null)), attempt(() => t.addEventListener()),
    ];
  `);
  assert.match(out[0], /^TypeError: .*parameter 1 is not of type 'Event'/);
  assert.match(out[1], /^InvalidStateError: /);
  assert.match(out[2], /^TypeError/);
  assert.match(out[3], /^TypeError/);
  assert.equal(out[4], 'ok');
  assert.match(out[5], /^TypeError: .*2 arguments required/);
});
