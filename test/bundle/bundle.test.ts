import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { bundleWorker, type BundleOptions } from '../../src/bundle/bundle.ts';
import { BundleError } from '../../src/bundle/errors.ts';
import { compileRules, matchRule } from '../../src/bundle/rules.ts';
import { startWorker } from '../helpers/worker.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bundle-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function options(projectDir: string, entry: string, rest: Partial<BundleOptions> = {}): BundleOptions {
  return { entry: join(projectDir, entry), projectDir, rules: [], mode: 'development', ...rest };
}

async function bundleError(opts: BundleOptions): Promise<BundleError> {
  try {
    await bundleWorker(opts);
  } catch (err) {
    assert.ok(err instanceof BundleError, `expected a BundleError, got ${(err as Error).stack}`);
    return err;
  }
  assert.fail('expected the build to fail');
}

describe('bundleWorker', () => {
  test('bundleWorker: ES modules: one main module plus a module per text, data and wasm import', async () => {
    const dir = join(FIXTURES, 'modules-worker');
    const b = await bundleWorker(options(dir, 'src/index.js', { rules: [{ type: 'Text', globs: ['**/*.md'], fallthrough: true }] }));
    assert.equal(b.format, 'modules');
    assert.equal(b.mainModule, 'index.js');
    const kinds = b.modules.map((m) => `${m.type}:${m.name.replace(/^[0-9a-f]{12}-/, '')}`).sort();
    assert.deepEqual(kinds, ['data:blob.bin', 'esm:index.js', 'text:hello.txt', 'text:notes.md', 'wasm:add.wasm']);
    // The main module imports the others by the names they are uploaded under.
    for (const m of b.modules.slice(1)) assert.ok((b.modules[0].content as string).includes(`"./${m.name}"`), m.name);
    assert.ok(b.inputs.includes(join(dir, 'src/lib/greet.js')), 'imported modules are inputs for the watcher');
    assert.ok(b.inputs.includes(join(dir, 'src/add.wasm')), 'rule-matched files are inputs too');
    assert.match(b.sourceMap, /"src\/lib\/greet\.js"/);
  });

  test('bundleWorker: the bundle runs in a real isolate: wasm, text and data imports work', async () => {
    const b = await bundleWorker(options(join(FIXTURES, 'modules-worker'), 'src/index.js', { rules: [{ type: 'Text', globs: ['**/*.md'], fallthrough: true }] }));
    const [main, ...rest] = b.modules;
    const w = await startWorker(main.content as string, { format: b.format, modules: rest, bindings: [{ type: 'plain_text', name: 'GREETING', text: 'hi' }] });
    try {
      assert.equal(await (await w.fetch('/')).text(), 'hi from an ES module');
      assert.equal(await (await w.fetch('/wasm?a=20&b=22')).text(), '42');
      assert.deepEqual(await (await w.fetch('/data')).json(), { isArrayBuffer: true, bytes: [1, 2, 3, 254, 255] });
    } finally {
      await w.close();
    }
  });

  test('bundleWorker: an entry without exports: is a service-worker script with imports inlined', async () => {
    const b = await bundleWorker(options(join(FIXTURES, 'service-worker'), 'worker.js'));
    assert.equal(b.format, 'service-worker');
    assert.equal(b.modules.length, 1);
    const code = b.modules[0].content as string;
    assert.doesNotMatch(code, /^\s*(import|export)\b/m, 'a classic script has no import or export statements');
    assert.match(code, /inlined text/);
  });

  test('bundleWorker: a TypeScript entry with an npm dependency: types stripped, package bundled', async () => {
    const b = await bundleWorker(options(join(FIXTURES, 'ts-worker'), 'src/index.ts'));
    assert.equal(b.format, 'modules');
    const code = b.modules[0].content as string;
    assert.match(code, /toUpperCase/, 'tiny-greet is inside the bundle');
    assert.doesNotMatch(code, /interface Env/);
  });

  test('bundleWorker: same sources: same hash; a change: another hash', async () => {
    const dir = project({ 'index.js': 'export default { fetch() { return new Response("a"); } };' });
    const a = await bundleWorker(options(dir, 'index.js'));
    const again = await bundleWorker(options(dir, 'index.js'));
    writeFileSync(join(dir, 'index.js'), 'export default { fetch() { return new Response("b"); } };');
    const b = await bundleWorker(options(dir, 'index.js'));
    assert.equal(a.hash, again.hash);
    assert.notEqual(a.hash, b.hash);
  });

  test('bundleWorker: process.env.NODE_ENV: is defined from the mode, as wrangler does', async () => {
    const dir = project({ 'index.js': 'export default { fetch() { return new Response(process.env.NODE_ENV); } };' });
    const b = await bundleWorker(options(dir, 'index.js', { mode: 'production' }));
    assert.match(b.modules[0].content as string, /"production"/);
  });
});

describe('bundleWorker: bad input', () => {
  test('bundleWorker: syntax error: reports file:line:col with the line and a caret', async () => {
    const dir = project({ 'index.js': 'import "./lib.js";\nexport default {};\n', 'lib.js': 'const a = 1;\nconst b = (a +;\n' });
    const err = await bundleError(options(dir, 'index.js'));
    assert.match(err.message, /^lib\.js:2:\d+: error: Unexpected ";"\n {4}const b = \(a \+;\n {4}\s*\^/);
    assert.deepEqual(err.files, [join(dir, 'lib.js')]);
  });

  test('bundleWorker: TypeScript syntax error: reports the .ts file and position', async () => {
    const dir = project({ 'index.ts': 'export default {\n  fetch(req: Request {\n  },\n};\n' });
    const err = await bundleError(options(dir, 'index.ts'));
    assert.match(err.message, /^index\.ts:2:\d+: error: /);
  });

  test('bundleWorker: missing import: names the importing file and the path', async () => {
    const dir = project({ 'index.js': 'import x from "./nope.js";\nexport default { fetch() { return new Response(x); } };\n' });
    const err = await bundleError(options(dir, 'index.js'));
    assert.match(err.message, /^index\.js:1:15: error: Could not resolve "\.\/nope\.js"/);
  });

  test('bundleWorker: an entry that is gone: names it relative to the project', async () => {
    const dir = project({});
    const err = await bundleError(options(dir, 'src/index.js'));
    assert.equal(err.message, 'error: Could not resolve "src/index.js"');
  });

  test('bundleWorker: a Node.js built-in import: says workers do not have them', async () => {
    const dir = project({ 'index.js': 'import fs from "node:fs";\nexport default { fetch() { return new Response(String(fs)); } };\n' });
    const err = await bundleError(options(dir, 'index.js'));
    assert.match(err.message, /Could not resolve "node:fs"\. Node\.js built-in modules are not available to workers/);
  });
});

describe('module rules', () => {
  test('compileRules: a user rule without fallthrough: replaces the default of its type', () => {
    const rules = compileRules([{ type: 'Text', globs: ['**/*.md'], fallthrough: false }]);
    assert.equal(matchRule(rules, './README.md'), 'Text');
    assert.equal(matchRule(rules, './a.txt'), null, 'the default Text rule is gone');
    assert.equal(matchRule(rules, './a.wasm'), 'CompiledWasm', 'other defaults stay');
  });

  test('compileRules: fallthrough: keeps the default of its type', () => {
    const rules = compileRules([{ type: 'Text', globs: ['**/*.md'], fallthrough: true }]);
    assert.equal(matchRule(rules, './a.txt'), 'Text');
    assert.equal(matchRule(rules, 'pkg/dist/x.wasm?module'), 'CompiledWasm');
    assert.equal(matchRule(rules, './a.js'), null);
  });

  test('compileRules: globs: ** spans folders, * stays within one', () => {
    const rules = compileRules([{ type: 'Data', globs: ['assets/*.dat'], fallthrough: false }]);
    assert.equal(matchRule(rules, './assets/a.dat'), 'Data');
    assert.equal(matchRule(rules, './assets/deep/a.dat'), null);
  });
});
