// The snapshot's warm-up swallows its own failures (a failed warm-up must not stop every
// isolate from starting), so a change that breaks it would only show as slower cold
// starts. This runs the request-path part as the warm-up does, in a context without
// WebAssembly and SharedArrayBuffer (the warm-up context has neither), and fails loudly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import ivm from '../../src/runtime/ivm.ts';
import { preludeBundle } from '../../src/runtime/prelude-bundle.ts';
import { CONTEXT_WARMUP, REQUEST_PATH_WARMUP } from '../../src/runtime/snapshot-warmup.ts';

test('snapshot warm-up: the request path (boot, a fetch task, its end) runs without an error where the snapshot warms up', async () => {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = await isolate.createContext();
    await context.eval('delete globalThis.WebAssembly; delete globalThis.SharedArrayBuffer;');
    await (await isolate.compileScript(preludeBundle().code, { filename: 'atoll:prelude.js' })).run(context);
    const outcome = await context.eval(`(() => { try { ${REQUEST_PATH_WARMUP}; return 'ok'; } catch (e) { return String(e && e.stack || e); } })()`);
    assert.equal(outcome, 'ok');
  } finally {
    isolate.dispose();
  }
});

test('snapshot warm-up: the spare-context warm-up runs without an error and leaves no global behind', async () => {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = await isolate.createContext();
    await (await isolate.compileScript(preludeBundle().code, { filename: 'atoll:prelude.js' })).run(context);
    const names = 'JSON.stringify(Reflect.ownKeys(globalThis).map(String).sort())';
    const before = await context.eval(names);
    const outcome = await context.eval(`(() => { try { ${CONTEXT_WARMUP}; return 'ok'; } catch (e) { return String(e && e.stack || e); } })()`);
    assert.equal(outcome, 'ok');
    assert.equal(await context.eval(names), before);
  } finally {
    isolate.dispose();
  }
});
