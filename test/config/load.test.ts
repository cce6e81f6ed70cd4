import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/config/read.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A folder holding `files`; returns its path. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function configError(dir: string, file: string | null, env: string | null = null): string {
  try {
    loadConfig(dir, file, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${(err as Error).stack}`);
    return err.message;
  }
  assert.fail('expected the config to be rejected');
}

describe('loadConfig', () => {
  test('loadConfig: wrangler.toml: reads the honoured keys with paths resolved from its folder', () => {
    const c = loadConfig(join(FIXTURES, 'modules-worker'), null);
    assert.equal(c.name, 'modules-fixture');
    assert.equal(c.main, join(FIXTURES, 'modules-worker/src/index.js'));
    assert.equal(c.compatibilityDate, '2025-01-01');
    assert.deepEqual(c.vars, { GREETING: 'hello', CONFIG: { answer: 42 } });
    assert.deepEqual(c.rules, [{ type: 'Text', globs: ['**/*.md'], fallthrough: true }]);
    assert.deepEqual(c.warnings, []);
  });

  test('loadConfig: wrangler.jsonc: accepts comments and trailing commas', () => {
    const c = loadConfig(join(FIXTURES, 'ts-worker'), null);
    assert.equal(c.main, join(FIXTURES, 'ts-worker/src/index.ts'));
    assert.deepEqual(c.kvNamespaces, [{ binding: 'STORE', id: 'ts-fixture-store' }]);
  });

  test('loadConfig: wrangler.json: is preferred to wrangler.toml, as wrangler does', () => {
    const dir = project({ 'wrangler.toml': 'name = "from-toml"\n', 'wrangler.json': '{ "name": "from-json" }' });
    assert.equal(loadConfig(dir, null).name, 'from-json');
  });

  test('loadConfig: no config file: returns an empty config for the folder', () => {
    const dir = project({});
    const c = loadConfig(dir, null);
    assert.equal(c.file, null);
    assert.equal(c.main, null);
    assert.equal(c.dir, dir);
  });

  test('loadConfig: limits, compatibility_flags and kv preview_id: are read', () => {
    const dir = project({
      'wrangler.toml': [
        'compatibility_flags = ["nodejs_compat"]',
        'kv_namespaces = [{ binding = "A", id = "prod", preview_id = "dev" }, { binding = "B" }]',
        '[limits]', 'cpu_ms = 20', 'memory_mb = 64',
      ].join('\n'),
    });
    const c = loadConfig(dir, null);
    assert.deepEqual(c.compatibilityFlags, ['nodejs_compat']);
    assert.deepEqual(c.limits, { cpuMs: 20, memoryMb: 64 });
    assert.deepEqual(c.kvNamespaces, [{ binding: 'A', id: 'dev' }, { binding: 'B', id: 'B' }]);
  });

  test('loadConfig: unknown and unsupported keys: become warnings naming the key', () => {
    const dir = project({ 'wrangler.toml': 'name = "w"\nworkers_dev = true\nnmae = "typo"\n' });
    const c = loadConfig(dir, null);
    assert.equal(c.warnings.length, 2);
    assert.match(c.warnings[0], /wrangler\.toml: "workers_dev" is not used by atoll dev yet; ignored/);
    assert.match(c.warnings[1], /wrangler\.toml: "nmae" is not a known setting; ignored \(check the spelling\)/);
  });
});

describe('loadConfig: environments', () => {
  const toml = [
    'name = "app"', 'main = "src/index.js"', 'compatibility_date = "2025-01-01"',
    'kv_namespaces = [{ binding = "KV", id = "top" }]',
    '[vars]', 'STAGE = "top"',
    '[env.staging]', 'main = "src/staging.js"',
    '[env.staging.vars]', 'STAGE = "staging"',
    '[env.bare]', 'compatibility_date = "2025-06-01"',
  ].join('\n');

  test('loadConfig: --env: the section overrides the top level and the name gets the environment', () => {
    const dir = project({ 'wrangler.toml': toml });
    const c = loadConfig(dir, null, 'staging');
    assert.equal(c.name, 'app-staging');
    assert.equal(c.main, join(dir, 'src/staging.js'));
    assert.equal(c.compatibilityDate, '2025-01-01', 'inherited');
    assert.deepEqual(c.vars, { STAGE: 'staging' });
  });

  test('loadConfig: --env: bindings are not inherited, as in wrangler', () => {
    const c = loadConfig(project({ 'wrangler.toml': toml }), null, 'bare');
    assert.deepEqual(c.vars, {});
    assert.deepEqual(c.kvNamespaces, []);
    assert.equal(c.compatibilityDate, '2025-06-01');
  });

  test('loadConfig: no --env: the top level, and [env] sections are not warned about', () => {
    const c = loadConfig(project({ 'wrangler.toml': toml }), null);
    assert.equal(c.name, 'app');
    assert.deepEqual(c.vars, { STAGE: 'top' });
    assert.deepEqual(c.warnings, []);
  });

  test('loadConfig: --env: a bad key in the section is named with its env prefix', () => {
    const dir = project({ 'wrangler.toml': `${toml}\n[env.broken.limits]\ncpu_ms = "fast"\n` });
    assert.match(configError(dir, null, 'broken'), /^wrangler\.toml: "env\.broken\.limits\.cpu_ms" must be a positive whole number/);
  });

  test('loadConfig: an unknown --env: names the environments there are', () => {
    const msg = configError(project({ 'wrangler.toml': toml }), null, 'prod');
    assert.equal(msg, 'wrangler.toml has no environment "prod" (it has: staging, bare): add [env.prod] or pick one of those with --env.');
  });

  test('loadConfig: --env without environments or without a config: says what to do', () => {
    assert.match(configError(project({ 'wrangler.toml': 'name = "x"' }), null, 'prod'), /^wrangler\.toml has no environments \(\[env\.NAME\] sections\), so --env prod names nothing/);
    assert.match(configError(project({}), null, 'prod'), /^--env prod needs a config file with \[env\.prod\]/);
  });
});

describe('loadConfig: bad input', () => {
  test('loadConfig: TOML syntax error: names the file, line and column', () => {
    const msg = configError(join(FIXTURES, 'bad-config'), 'syntax.toml');
    assert.match(msg, /^syntax\.toml:4:\d+: invalid TOML: .+\. Fix the syntax at that position\.$/);
  });

  test('loadConfig: JSONC syntax error: names the file, line and column', () => {
    const msg = configError(join(FIXTURES, 'bad-config'), 'syntax.jsonc');
    assert.match(msg, /^syntax\.jsonc:4:\d+: invalid JSON: PropertyNameExpected\. Fix the syntax/);
  });

  test('loadConfig: wrong type: names the file, the key, what was found and an example', () => {
    const msg = configError(join(FIXTURES, 'bad-config'), 'limits.toml');
    assert.equal(msg, 'limits.toml: "limits.cpu_ms" must be a positive whole number of milliseconds, not a string ("fast"). Example: [limits] cpu_ms = 50');
  });

  test('loadConfig: kv namespace without a binding: names the entry', () => {
    const msg = configError(join(FIXTURES, 'bad-config'), 'kv.json');
    assert.match(msg, /^kv\.json: "kv_namespaces\[0\]\.binding" must be a non-empty string, not empty\. Example: kv_namespaces = /);
  });

  test('loadConfig: ESModule rule: explains that atoll always bundles', () => {
    const msg = configError(join(FIXTURES, 'bad-config'), 'rules.toml');
    assert.match(msg, /^rules\.toml: "rules\[0\]\.type" is a rule for unbundled uploads \(no_bundle\), which atoll does not do/);
  });

  test('loadConfig: missing -c file: says so and what to pass', () => {
    const msg = configError(join(FIXTURES, 'bad-config'), 'nope.toml');
    assert.match(msg, /^Config file nope\.toml does not exist: pass -c with the path of a wrangler\.toml/);
  });

  test('loadConfig: file of another type: names the accepted names', () => {
    const dir = project({ 'config.yaml': 'name: x\n' });
    assert.match(configError(dir, 'config.yaml'), /has an unknown type: name it wrangler\.json, wrangler\.jsonc, wrangler\.toml/);
  });

  test('loadConfig: top level not a table: says what it is', () => {
    const dir = project({ 'wrangler.json': '[1, 2]' });
    assert.equal(configError(dir, null), 'wrangler.json: the top level must be a table of settings (an object), not a list.');
  });

  test('loadConfig: bad values: each names its key', () => {
    const cases: [string, RegExp][] = [
      ['compatibility_date = "yesterday"', /"compatibility_date" must be a date written YYYY-MM-DD, not a string \("yesterday"\)/],
      ['main = 3', /"main" must be a non-empty string, not a number \(3\)/],
      ['vars = "x"', /"vars" must be a table, not a string/],
      ['[vars]\n"bad-name" = "x"', /"vars\.bad-name" is not a valid binding name/],
      ['[limits]\ncpu = 5', /"limits\.cpu" is not a known setting here: use "cpu_ms", "memory_mb"/],
      ['[[rules]]\ntype = "Text"\nglobs = "*.md"', /"rules\[0\]\.globs" must be a list, not a string/],
      ['[[rules]]\ntype = "Txt"\nglobs = ["*.md"]', /"rules\[0\]\.type" must be one of "Text", "Data", "CompiledWasm", not "Txt"/],
      ['compatibility_flags = "nodejs_compat"', /"compatibility_flags" must be a list/],
    ];
    for (const [toml, expected] of cases) {
      const dir = project({ 'wrangler.toml': toml });
      assert.match(configError(dir, null), new RegExp(`^wrangler\\.toml: ${expected.source}`), toml);
    }
  });
});
