// `atoll dev` on a copy of a fixture that the test edits: saved changes are served after
// a reload, broken edits keep the last good version serving and print file:line:col.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { copyFixture, startDev, type DevProcess } from './spawn-cli.ts';

describe('atoll dev: reload', () => {
  let dev: DevProcess;
  let project: ReturnType<typeof copyFixture>;
  const file = (p: string) => join(project.dir, p);

  before(async () => {
    project = copyFixture('modules-worker');
    dev = await startDev([], project.dir);
  });

  after(async () => {
    await dev?.stop();
    project?.remove();
  });

  /** Writes `text` to `path` and waits for the reload (or failure) it causes. */
  async function edit(path: string, text: string, outcome: 'loaded' | 'build_error' | 'load_error' | 'config_error') {
    const from = dev.events.length;
    const t0 = performance.now();
    writeFileSync(file(path), text);
    const e = await dev.waitFor((x) => ['loaded', 'build_error', 'load_error', 'config_error'].includes(x.event), from);
    assert.equal(e.event, outcome, `after editing ${path}: ${e.message}`);
    return { event: e, ms: performance.now() - t0 };
  }

  test('atoll dev: an edit to an imported module: is served after a reload well within a second', async (t) => {
    assert.equal(await (await dev.fetch('/')).text(), 'hello from an ES module');
    const { event, ms } = await edit('src/lib/greet.js', 'export function greet(g) {\n  return `${g} after an edit`;\n}\n', 'loaded');
    assert.equal(event.reason, 'change');
    assert.equal(await (await dev.fetch('/')).text(), 'hello after an edit');
    // The target is under a second; the bound leaves room for a loaded shared machine.
    assert.ok(ms < 5000, `reload took ${ms} ms`);
    assert.ok((event.totalMs as number) < 1000, `rebuild and isolate swap took ${event.totalMs} ms`);
    t.diagnostic(`save to reloaded: ${Math.round(ms)} ms (rebuild ${Math.round(event.buildMs as number)} ms, rebuild + new isolate ${Math.round(event.totalMs as number)} ms)`);
  });

  test('atoll dev: a request in flight during a reload: finishes on the version it started on', async () => {
    const from = dev.events.length;
    const slow = dev.fetch('/slow?ms=1500');
    // The request must have reached the worker before the edit.
    await dev.waitFor((x) => x.event === 'console' && x.message === 'slow request started', from);
    await edit('src/lib/greet.js', 'export function greet(g) {\n  return `${g} mid-flight`;\n}\n', 'loaded');
    assert.equal(await (await dev.fetch('/')).text(), 'hello mid-flight');
    const res = await slow;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello after an edit');
    await edit('src/lib/greet.js', 'export function greet(g) {\n  return `${g} after an edit`;\n}\n', 'loaded');
  });

  test('atoll dev: a syntax error: keeps serving the last good version and prints file:line:col', async () => {
    const { event } = await edit('src/lib/greet.js', 'export function greet(g) {\n  return `${g}` +;\n}\n', 'build_error');
    assert.match(event.message, /^Build failed: src\/lib\/greet\.js:2:\d+: error: Unexpected ";"/);
    assert.match(event.message, /\(still serving the last version that worked\)$/);
    const res = await dev.fetch('/');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello after an edit');
  });

  test('atoll dev: fixing the error: reloads', async () => {
    await edit('src/lib/greet.js', 'export function greet(g) {\n  return `${g} fixed`;\n}\n', 'loaded');
    assert.equal(await (await dev.fetch('/')).text(), 'hello fixed');
  });

  test('atoll dev: a top level that throws: keeps serving and says where', async () => {
    const { event } = await edit('src/lib/greet.js', 'throw new Error("top level broke");\nexport function greet() {}\n', 'load_error');
    assert.match(event.message, /The worker failed to start: .*top level broke/s);
    assert.match(event.message, /src\/lib\/greet\.js:1:\d+/);
    assert.equal(await (await dev.fetch('/')).text(), 'hello fixed');
    await edit('src/lib/greet.js', 'export function greet(g) {\n  return `${g} again`;\n}\n', 'loaded');
  });

  test('atoll dev: a folder deleted and brought back (a branch switch): is watched again', async () => {
    let from = dev.events.length;
    rmSync(file('src/lib'), { recursive: true });
    const failed = await dev.waitFor((x) => x.event === 'build_error', from);
    assert.match(failed.message, /Could not resolve "\.\/lib\/greet\.js"/);
    from = dev.events.length;
    mkdirSync(file('src/lib'));
    writeFileSync(file('src/lib/greet.js'), 'export function greet(g) {\n  return `${g} is back`;\n}\n');
    await dev.waitFor((x) => x.event === 'loaded', from);
    assert.equal(await (await dev.fetch('/')).text(), 'hello is back');
    await edit('src/lib/greet.js', 'export function greet(g) {\n  return `${g} again`;\n}\n', 'loaded');
  });

  test('atoll dev: an edit to wrangler.toml: reloads with the new vars', async () => {
    const toml = readFileSync(file('wrangler.toml'), 'utf8');
    await edit('wrangler.toml', toml.replace('GREETING = "hello"', 'GREETING = "bonjour"'), 'loaded');
    assert.equal(await (await dev.fetch('/')).text(), 'bonjour again');
  });

  test('atoll dev: a broken wrangler.toml: names the key and keeps serving', async () => {
    const toml = readFileSync(file('wrangler.toml'), 'utf8');
    const { event } = await edit('wrangler.toml', `${toml}\n[limits]\ncpu_ms = -1\n`, 'config_error');
    assert.match(event.message, /^wrangler\.toml: "limits\.cpu_ms" must be a positive whole number of milliseconds, not a number \(-1\)/);
    assert.equal(await (await dev.fetch('/')).text(), 'bonjour again');
  });
});
