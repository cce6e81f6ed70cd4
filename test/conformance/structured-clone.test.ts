// structuredClone inside a real isolate: the types Workers (V8's serializer) clones, the
// identity and cycles the spec's memory map keeps, transfer, and DataCloneError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate } from '../helpers/relaxed-worker.ts';

test('structuredClone: clone: copies primitives, wrappers, Date, RegExp, Map, Set, arrays and objects deeply', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const src = {
      n: -0, big: 12345678901234567890n, s: 'text', u: undefined, nul: null, b: true,
      date: new Date(86400000), re: /a+b/giu, map: new Map([[1, { x: 1 }], ['k', [2]]]), set: new Set(['a', 1]),
      arr: [1, , 3], nested: { deep: { deeper: [new Date(0)] } },
      wrapped: [new Number(5), new String('s'), new Boolean(false), Object(7n)],
    };
    src.arr.extra = 'kept';
    const c = structuredClone(src);
    return {
      distinct: c !== src && c.nested !== src.nested && c.nested.deep.deeper[0] !== src.nested.deep.deeper[0] && c.map !== src.map,
      negZero: Object.is(c.n, -0), big: c.big === src.big, prims: [c.s, c.u === undefined && 'u' in c, c.nul, c.b],
      date: c.date instanceof Date && c.date.getTime(), re: c.re instanceof RegExp && String(c.re), reLast: c.re.lastIndex,
      map: c.map instanceof Map && JSON.stringify([...c.map]), set: c.set instanceof Set && [...c.set],
      hole: c.arr.length === 3 && !(1 in c.arr), extra: c.arr.extra,
      wrapped: c.wrapped.map((w) => typeof w + ':' + Object.prototype.toString.call(w) + ':' + String(w.valueOf())),
    };
  `);
  assert.deepEqual(out, {
    distinct: true, negZero: true, big: true, prims: ['text', true, null, true],
    date: 86400000, re: '/a+b/giu', reLast: 0,
    map: '[[1,{"x":1}],["k",[2]]]', set: ['a', 1], hole: true, extra: 'kept',
    wrapped: ['object:[object Number]:5', 'object:[object String]:s', 'object:[object Boolean]:false', 'object:[object BigInt]:7'],
  });
});

test('structuredClone: clone: keeps cycles and shared references, and copies buffers with their views', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const shared = { v: 1 };
    const o = { a: shared, b: shared };
    o.self = o;
    const buf = new ArrayBuffer(8);
    const u8 = new Uint8Array(buf, 2, 4); u8.set([1, 2, 3, 4]);
    const dv = new DataView(buf, 4, 2);
    const f64 = new Float64Array([Math.PI]);
    const c = structuredClone({ o, u8, dv, buf, f64, big: new BigUint64Array([2n ** 64n - 1n]) });
    const resizable = structuredClone(new ArrayBuffer(2, { maxByteLength: 16 }));
    return {
      cycle: c.o.self === c.o, shared: c.o.a === c.o.b && c.o.a !== shared,
      sameBuffer: c.u8.buffer === c.buf && c.dv.buffer === c.buf && c.buf !== buf,
      u8: [c.u8.byteOffset, ...c.u8], dv: [c.dv.byteOffset, c.dv.byteLength, c.dv instanceof DataView],
      pi: c.f64[0] === Math.PI, big: String(c.big[0]),
      independent: (u8[0] = 9, c.u8[0]),
      resizable: [resizable.resizable, resizable.maxByteLength, resizable.byteLength],
    };
  `);
  assert.deepEqual(out, {
    cycle: true, shared: true, sameBuffer: true, u8: [2, 1, 2, 3, 4], dv: [4, 2, true], pi: true,
    big: '18446744073709551615', independent: 1, resizable: [true, 16, 2],
  });
});

test('structuredClone: clone: errors keep their type, message, stack and cause; DOMException its name', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const e = new RangeError('too far', { cause: { why: 'x' } });
    const c = structuredClone(e);
    const custom = new Error('m'); custom.name = 'MyError';
    const d = structuredClone(new DOMException('gone', 'AbortError'));
    return {
      type: c instanceof RangeError, message: c.message, stack: c.stack === e.stack, cause: c.cause.why, causeCopied: c.cause !== e.cause,
      customName: structuredClone(custom).name, customCtor: structuredClone(custom).constructor === Error,
      dom: [d instanceof DOMException, d.name, d.message, d.code],
      own: Object.keys(c),
    };
  `);
  assert.deepEqual(out, {
    type: true, message: 'too far', stack: true, cause: 'x', causeCopied: true, customName: 'Error', customCtor: true,
    dom: [true, 'AbortError', 'gone', 20], own: [],
  });
});

test('structuredClone: clone: objects copy own enumerable data only, and "__proto__" stays a key', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    class Point { constructor() { this.x = 1; } get y() { return 2; } }
    const withProto = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const hidden = Object.defineProperty({ shown: 1 }, 'hidden', { value: 2, enumerable: false });
    let reads = 0;
    const getter = { get g() { reads++; return 'got'; } };
    const c = structuredClone({ p: new Point(), withProto, hidden, getter, sym: { [Symbol('s')]: 1, k: 1 } });
    return {
      point: [Object.getPrototypeOf(c.p) === Object.prototype, c.p.x, c.p.y],
      proto: [Object.getPrototypeOf(c.withProto) === Object.prototype, c.withProto.polluted, Object.keys(c.withProto)],
      hidden: Object.keys(c.hidden), getter: [c.getter.g, reads, Object.getOwnPropertyDescriptor(c.getter, 'g').value],
      sym: Object.getOwnPropertySymbols(c.sym).length,
    };
  `);
  assert.deepEqual(out, {
    point: [true, 1, null], proto: [true, null, ['__proto__', 'a']], hidden: ['shown'], getter: ['got', 1, 'got'], sym: 0,
  });
});

test('structuredClone: errors: functions, symbols, promises, weak collections and platform objects throw DataCloneError', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (v) => { try { structuredClone(v); return 'cloned'; } catch (e) { return e.name + ':' + (e.code ?? '') + ': ' + e.message; } };
    return [
      attempt(function f() {}), attempt(() => 1), attempt(Symbol('s')), attempt({ nested: [Symbol.iterator] }),
      attempt(Promise.resolve()), attempt(new WeakMap()), attempt(new WeakSet()), attempt(new WeakRef({})),
      attempt(new Headers()), attempt(new Request('https://x.test/')), attempt(new AbortController().signal),
      attempt({ get boom() { throw new TypeError('from getter'); } }),
      (() => { try { structuredClone(); return 'ok'; } catch (e) { return e.name; } })(),
    ];
  `);
  for (const r of out.slice(0, 11)) assert.match(r, /^DataCloneError:25: .+could not be cloned\.$/);
  assert.match(out[0], /function f/);
  assert.match(out[2], /Symbol\(s\)/);
  assert.match(out[8], /Headers/);
  assert.equal(out[11], 'TypeError:: from getter');
  assert.equal(out[12], 'TypeError');
});

test('structuredClone: transfer: detaches transferred buffers and rejects bad transfer lists', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const buf = new Uint8Array([1, 2, 3]).buffer;
    const c = structuredClone({ buf }, { transfer: [buf] });
    const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.name; } };
    const b2 = new ArrayBuffer(1);
    return {
      moved: [...new Uint8Array(c.buf)], detached: buf.detached, byteLength: buf.byteLength,
      dup: attempt(() => structuredClone(b2, { transfer: [b2, b2] })),
      notBuffer: attempt(() => structuredClone(1, { transfer: [{}] })),
      primitive: attempt(() => structuredClone(1, { transfer: [1] })),
      notSeq: attempt(() => structuredClone(1, { transfer: 5 })),
      again: attempt(() => structuredClone(buf, { transfer: [buf] })),
      stillUsable: b2.byteLength,
    };
  `);
  assert.deepEqual(out, {
    moved: [1, 2, 3], detached: true, byteLength: 0,
    dup: 'DataCloneError', notBuffer: 'DataCloneError', primitive: 'TypeError', notSeq: 'TypeError', again: 'DataCloneError', stillUsable: 1,
  });
});

test('structuredClone: robustness: patched built-ins do not change what is cloned', async () => {
  const out = await runInIsolate<string>(`
    // Patched only around the call: the rest of the request still needs working built-ins.
    const m = new Map([[1, 2]]);
    const MapIteratorPrototype = Object.getPrototypeOf(new Map().entries());
    const saved = [Map.prototype.set, Map.prototype.has, MapIteratorPrototype.next];
    Map.prototype.set = () => { throw new Error('patched set'); };
    Map.prototype.has = () => { throw new Error('patched has'); };
    MapIteratorPrototype.next = () => ({ done: true });
    Object.defineProperty(Array.prototype, '0', { set() { throw new Error('patched index'); }, configurable: true });
    let c;
    try {
      c = structuredClone({ m, a: [1] });
    } finally {
      delete Array.prototype[0];
      [Map.prototype.set, Map.prototype.has, MapIteratorPrototype.next] = saved;
    }
    return JSON.stringify([c.m.size, [...c.m], c.a]);
  `);
  assert.equal(out, '[1,[[1,2]],[1]]');
});
