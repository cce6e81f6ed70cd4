// console inside a real isolate: what reaches the host log, compared line by line with
// what Node's own util.format prints for the same arguments (the output Workers
// developers know from their terminals).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { format as nodeFormat } from 'node:util';
import { startWorker } from '../helpers/relaxed-worker.ts';

// Each case is JavaScript for an argument list, evaluated both in the isolate and here.
const CASES = [
  `'plain string'`, `'a', 'b', 3`, `'%s is %d years', 'Bob', 42`, `'%i %f %d', '42.9px', '1.5e2', -0`, `'%d %i', 10n, 11n`,
  `'%s', 12n`, `'%s', -0`, `'%s', { a: 1 }`, `'%s', [1, [2, [3]]]`, `'%s', new (class Foo { toString() { return 'custom'; } })()`,
  `'%j', { a: [1, 'x'] }`, `'%o', { a: { b: 1 } }`, `'%O', { a: { b: { c: { d: 1 } } } }`, `'%c styled', 'color: red'`,
  `'100%% sure', 1`, `'%% %s'`, `'%x %s', 1`, `'trailing %s'`, `'%s'`, `'a%', 1`,
  `1, 'two', 3n, -0, NaN, null, undefined, true`, `Symbol('sym')`, `{}`, `[]`, `{ a: 1, 'b-c': 'x', [Symbol('s')]: 2 }`,
  `['a', "it's", 'say "hi"', 'both \\' " \`', 'line\\nbreak\\t\\u0001']`, `{ a: { b: { c: { d: { e: 1 } } } } }`,
  `[[[[[1]]]]]`, `new Map([['a', 1], [{ k: 1 }, [2]]])`, `new Set([1, 'x', [2]])`, `new Map()`, `new Set()`,
  `[1, , 3, , , 6]`, `Object.assign([1, 2], { extra: true })`, `new Uint8Array([1, 2, 3])`, `new Float64Array(0)`,
  `new BigInt64Array([1n])`, `new ArrayBuffer(3)`, `new Date(0)`, `new Date(NaN)`, `/ab+c/gi`, `function named() {}`,
  `() => {}`, `async function af() {}`, `function* gen() {}`, `class A {}`, `class B extends Array {}`,
  `Object.assign(function f() {}, { prop: 1 })`, `new Number(5)`, `new String('boxed')`, `new Boolean(false)`, `Object(3n)`,
  `Object.create(null)`, `Object.assign(Object.create(null), { x: 1 })`, `new (class Point { constructor() { this.x = 1; this.y = 2; } })()`,
  `new (class Empty {})()`, `{ get g() { return 1; }, set s(v) {}, get gs() { return 1; }, set gs(v) {} }`,
  `(() => { const o = { name: 'root' }; o.self = o; o.list = [o]; return o; })()`,
  `Array.from({ length: 30 }, (_, i) => i * 100)`, `Array.from({ length: 120 }, (_, i) => i)`, `Array.from({ length: 8 }, (_, i) => 'item' + i)`,
  `{ aaaaaaaaaa: 'bbbbbbbbbbbbbbbbbbbbbb', ccccccccccc: 'ddddddddddddddddddddd', eeeeeeeeee: 'fffffffffffffffffffff' }`,
  `{ outer: { inner: { deep: { deeper: 1 } }, sibling: [1, 2, 3] }, list: [{ a: 1 }, { b: 2 }] }`,
  `{ [Symbol.toStringTag]: 'Tagged', x: 1 }`, `new WeakMap()`, `'x'.repeat(10)`, `['x'.repeat(100)]`,
  `{ s: 'x'.repeat(90) }`, `[undefined, null, -0, 0]`, `{ 'key with space': 1, valid_id: 2, '1abc': 3, 42: 'n' }`,
];

test('console: log: formats every argument list exactly as Node util.format does', async () => {
  const w = await startWorker(`export default { async fetch() {
    ${CASES.map((c) => `console.log(${c});`).join('\n    ')}
    return new Response('ok');
  } }`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'ok');
    const expected = CASES.map((c) => `log: ${nodeFormat(...(new Function(`return [${c}]`)() as unknown[]))}`);
    assert.equal(w.logs.length, CASES.length);
    for (let i = 0; i < CASES.length; i++) assert.equal(w.logs[i], expected[i], `console.log(${CASES[i]})`);
  } finally {
    await w.close();
  }
});

test('console: errors: are printed with their stack, in brackets without one, cause included', async () => {
  const w = await startWorker(`export default { async fetch() {
    console.error(new TypeError('bad thing'));
    const e = new Error('no stack'); e.stack = undefined; console.log(e);
    console.log({ err: new RangeError('nested') });
    const c = new Error('outer', { cause: 'inner' }); console.log(c);
    const coded = new Error('with code'); coded.code = 'E_CODE'; console.log(coded);
    return new Response('ok');
  } }`);
  try {
    await w.fetch('/');
    assert.match(w.logs[0], /^error: TypeError: bad thing\n {4}at /);
    assert.equal(w.logs[1], 'log: [Error: no stack]');
    assert.match(w.logs[2], /^log: \{\n {2}err: RangeError: nested\n {6}at .*\n[\s\S]*\n\}$/);
    assert.match(w.logs[3], /^log: Error: outer\n {4}at [\s\S]* \{\n {2}\[cause\]: 'inner'\n\}$/);
    assert.match(w.logs[4], /^log: Error: with code\n {4}at [\s\S]* \{\n {2}code: 'E_CODE'\n\}$/);
  } finally {
    await w.close();
  }
});

test('console: methods: levels, assert, count, time, group, dir, table and trace', async () => {
  const w = await startWorker(`export default { async fetch() {
    console.info('i'); console.warn('w'); console.debug('d');
    console.assert(true, 'never'); console.assert(false, 'failed %s', 'here'); console.assert(0); console.assert(false, { a: 1 });
    console.count(); console.count(); console.count('x'); console.countReset(); console.count();
    console.time('t'); console.timeEnd('t'); console.timeEnd('missing');
    console.group('Group'); console.log('inside\\nlines'); console.group(); console.log('deeper'); console.groupEnd(); console.groupEnd(); console.log('out');
    console.dir('str'); console.dir({ a: { b: { c: { d: 1 } } } });
    console.table([{ a: 1, b: 'x' }, { a: 2, c: true }]); console.table([1, 2]); console.table('not tabular');
    (function traced() { console.trace('here %d', 1); })();
    return new Response('ok');
  } }`);
  try {
    await w.fetch('/');
    const [info, warn, debug, a1, a2, a3, c1, c2, cx, c3, t, tMissing, g, gInside, gDeeper, gOut, dir1, dir2, table1, table2, table3, trace] = w.logs;
    assert.deepEqual([info, warn, debug], ['info: i', 'warn: w', 'debug: d']);
    assert.deepEqual([a1, a2, a3], ['error: Assertion failed: failed here', 'error: Assertion failed', "error: Assertion failed { a: 1 }"]);
    assert.deepEqual([c1, c2, cx, c3], ['info: default: 1', 'info: default: 2', 'info: x: 1', 'info: default: 1']);
    assert.match(t, /^info: t: \d+ms$/);
    assert.equal(tMissing, "warn: Warning: No such label 'missing' for console.timeEnd()");
    assert.deepEqual([g, gInside, gDeeper, gOut], ['log: Group', 'log:   inside\n  lines', 'log:     deeper', 'log: out']);
    assert.equal(dir1, "log: 'str'");
    assert.equal(dir2, 'log: { a: { b: { c: [Object] } } }');
    assert.equal(table1, [
      'log: ┌─────────┬───┬─────┬──────┐',
      '│ (index) │ a │ b   │ c    │'.replace('│ b   │ c    │', '│  b  │  c   │'),
      '├─────────┼───┼─────┼──────┤',
      "│    0    │ 1 │ 'x' │      │",
      '│    1    │ 2 │     │ true │',
      '└─────────┴───┴─────┴──────┘',
    ].join('\n'));
    assert.match(table2, /│ \(index\) │ Values │/);
    assert.equal(table3, 'log: not tabular');
    assert.match(trace, /^debug: Trace: here 1\n {4}at traced /);
  } finally {
    await w.close();
  }
});

test('console: robustness: hostile values do not break logging', async () => {
  const w = await startWorker(`export default { async fetch() {
    const throwing = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
    console.log('before', throwing, 'after');
    console.log({ get boom() { throw new Error('getter'); } });
    console.log(Object.defineProperty({}, Symbol.toStringTag, { get() { throw new Error('tag'); } }));
    console.log('x'.repeat(20000).length);
    return new Response('ok');
  } }`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'ok');
    assert.equal(w.logs[0], 'log: before [object could not be inspected] after');
    assert.equal(w.logs[1], 'log: { boom: [Getter] }');
    assert.equal(w.logs[2], 'log: {}');
    assert.equal(w.logs[3], 'log: 20000');
  } finally {
    await w.close();
  }
});

test('console ops: the host bounds what it keeps and prints, per request and for the global scope', async () => {
  const { consoleOps, MAX_LINES_KEPT, MAX_LINES_PRINTED } = await import('../../src/runtime/ops/console.ts');
  const printed: string[] = [];
  const worker = { services: { console: (_w: unknown, _i: unknown, level: string, message: string) => printed.push(`${level}: ${message}`) } };
  const inv = { logs: [] as { level: string; message: string }[] };
  const ctx = { worker, inv, opId: 0 } as never;
  consoleOps.console_write(ctx, 'shout', { not: 'a string' } as never);
  consoleOps.console_write(ctx, 'warn', 'x'.repeat(20000));
  assert.equal(printed[0], 'log: [object Object]', 'unknown levels are log; text is a string');
  assert.ok(printed[1].startsWith('warn: xxx') && printed[1].endsWith('… [truncated]') && printed[1].length < 16500);
  for (let i = 0; i < MAX_LINES_PRINTED + 50; i++) consoleOps.console_write(ctx, 'log', `line ${i}`);
  assert.equal(inv.logs.length, MAX_LINES_KEPT);
  assert.equal(printed.length, MAX_LINES_PRINTED + 1);
  assert.equal(printed.at(-1), `warn: [console output truncated: more than ${MAX_LINES_PRINTED} lines in one request]`);
  const global = { worker, inv: null, opId: 0 } as never;
  printed.length = 0;
  for (let i = 0; i < MAX_LINES_PRINTED + 5; i++) consoleOps.console_write(global, 'log', 'top level');
  assert.equal(printed.length, MAX_LINES_PRINTED + 1);
  assert.match(printed.at(-1)!, /in the global scope/);
});
