import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { emptyConfig, loadConfig } from '../../src/config/load.ts';
import { resolveSettings, type DevFlags } from '../../src/dev/settings.ts';
import { UserError } from '../../src/runtime/errors.ts';
import { FIXTURES } from './spawn-cli.ts';

const MODULES = join(FIXTURES, 'modules-worker');

function flags(over: Partial<DevFlags> = {}): DevFlags {
  return {
    cwd: MODULES, entry: null, config: null, env: null, ip: '127.0.0.1', port: 0, vars: [], origin: null,
    cpuMs: null, memoryMb: null, trustForwardedFor: false, location: 'DEV', ...over,
  };
}

describe('resolveSettings', () => {
  test('resolveSettings: config only: entry, name, bindings and default limits', () => {
    const s = resolveSettings(loadConfig(MODULES, null), flags());
    assert.equal(s.entry, join(MODULES, 'src/index.js'));
    assert.equal(s.name, 'modules-fixture');
    assert.deepEqual(s.bindings, [
      { type: 'plain_text', name: 'GREETING', text: 'hello' },
      { type: 'json', name: 'CONFIG', json: { answer: 42 } },
    ]);
    assert.equal(s.limits.cpuMs, 50);
    assert.equal(s.limits.memoryMb, 128);
  });

  test('resolveSettings: [limits] from the config, flags over them', () => {
    const config = { ...loadConfig(MODULES, null), limits: { cpuMs: 20, memoryMb: 64 } };
    assert.deepEqual([resolveSettings(config, flags()).limits.cpuMs, resolveSettings(config, flags()).limits.memoryMb], [20, 64]);
    const s = resolveSettings(config, flags({ cpuMs: 70, memoryMb: 256 }));
    assert.deepEqual([s.limits.cpuMs, s.limits.memoryMb], [70, 256]);
  });

  test('resolveSettings: --var: replaces a [vars] entry of the same name and adds new ones', () => {
    const s = resolveSettings(loadConfig(MODULES, null), flags({ vars: [['GREETING', 'hi'], ['NEW', 'x']] }));
    assert.deepEqual(s.bindings.filter((b) => b.type === 'plain_text'), [
      { type: 'plain_text', name: 'GREETING', text: 'hi' },
      { type: 'plain_text', name: 'NEW', text: 'x' },
    ]);
  });

  test('resolveSettings: kv_namespaces: become kv_namespace bindings', () => {
    const s = resolveSettings(loadConfig(join(FIXTURES, 'ts-worker'), null), flags({ cwd: join(FIXTURES, 'ts-worker') }));
    assert.deepEqual(s.bindings, [{ type: 'kv_namespace', name: 'STORE', namespaceId: 'ts-fixture-store' }]);
  });
});

describe('resolveSettings: bad input', () => {
  function rejects(run: () => unknown, pattern: RegExp): void {
    assert.throws(run, (err) => err instanceof UserError && pattern.test(err.message));
  }

  test('resolveSettings: a var and a KV binding with one name: says to rename one', () => {
    const config = { ...loadConfig(join(FIXTURES, 'ts-worker'), null) };
    rejects(() => resolveSettings(config, flags({ vars: [['STORE', 'x']] })), /"STORE" is both a variable and a KV namespace binding: rename one of them/);
  });

  test('resolveSettings: no entry anywhere: says to pass one or set main', () => {
    rejects(() => resolveSettings(emptyConfig(MODULES), flags()), /no entry point: pass one \(atoll dev src\/index\.js\)/);
  });

  test('resolveSettings: an entry folder: is not taken for a file', () => {
    rejects(() => resolveSettings(emptyConfig(MODULES), flags({ entry: 'src' })), /entry src is a folder: pass the path of your worker's main module/);
  });
});
