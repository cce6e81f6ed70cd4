// The real `atoll` command, spawned as a process: help, usage errors, config errors.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURES, runCli } from '../dev/spawn-cli.ts';

const BAD = join(FIXTURES, 'bad-config');

/** Asserts a usage error: exit 2, one line on stderr that names the command and `pattern`. */
async function usageError(args: string[], pattern: RegExp): Promise<void> {
  const r = await runCli(args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line for ${args.join(' ')}, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(r.stdout, '');
}

describe('atoll', () => {
  test('atoll: --help: lists the commands and how to get their help', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: atoll/m);
    assert.match(r.stdout, /^ {2}dev \[options\] \[entry\] +run a worker locally/m);
    assert.match(r.stdout, /^ {2}up \[options\] +run the whole platform/m);
    assert.match(r.stdout, /Run `atoll COMMAND --help`/);
  });

  test('atoll: no command: prints the usage to stderr and exits 2', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Usage: atoll/m);
  });

  test('atoll: --version: prints the package version', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  test('atoll: every command: has --help with options and an example', async () => {
    for (const cmd of ['dev', 'up']) {
      const r = await runCli([cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, new RegExp(`^Usage: atoll ${cmd}`, 'm'));
      assert.match(r.stdout, /\nExamples:\n {2}# .+\n {2}atoll \w+/);
    }
    const dev = await runCli(['dev', '--help']);
    for (const flag of ['--port', '--ip', '--var', '--origin', '--cpu-ms', '--memory-mb', '--trust-forwarded-for', '-c, --config', '--location']) {
      assert.ok(dev.stdout.includes(flag), `dev --help mentions ${flag}`);
    }
  });

  test('atoll: unknown command: one line with a suggestion, exit 2', async () => {
    await usageError(['deve'], /^atoll: unknown command 'deve' \(Did you mean dev\?\)\. See `atoll --help`\.$/);
  });

});

describe('atoll dev: bad flags', () => {
  const cases: [string[], RegExp][] = [
    [['--prot', '80'], /^atoll dev: unknown option '--prot' \(Did you mean --port\?\)\. See `atoll dev --help`\.$/],
    [['--port', 'abc'], /^atoll dev: option '--port <port>' argument 'abc' is invalid\. "abc" is not a port number: use 0-65535/],
    [['--port', '70000'], /^atoll dev: option '--port <port>' argument '70000' is invalid\. .*0-65535/],
    [['--ip', 'nowhere'], /^atoll dev: option '--ip <address>' argument 'nowhere' is invalid\. "nowhere" is not an IP address/],
    [['--var', 'NOVALUE'], /^atoll dev: option '--var <KEY:VALUE>' argument 'NOVALUE' is invalid\. "NOVALUE" is not KEY:VALUE/],
    [['--var', '1X:y'], /is not KEY:VALUE with KEY a binding name/],
    [['--origin', 'ftp://example.com'], /^atoll dev: option '--origin <url>' argument 'ftp:\/\/example\.com' is invalid\. .*not an http: or https: URL/],
    [['--origin', 'localhost:3000x'], /--origin <url>.* is invalid/],
    [['--cpu-ms', '0'], /^atoll dev: option '--cpu-ms <n>' argument '0' is invalid\. "0" is not a whole number of milliseconds from 1 to 300000/],
    [['--memory-mb', 'lots'], /^atoll dev: option '--memory-mb <n>' argument 'lots' is invalid\. .*megabytes/],
    [['--log-format', 'xml'], /^atoll dev: option '--log-format <format>' argument 'xml' is invalid\. "xml" is not one of pretty, json/],
    [['--location', 'a b'], /"a b" is not a location id/],
    [['--port'], /^atoll dev: option '--port <port>' argument missing\. See/],
    [['a.js', 'b.js'], /^atoll dev: too many arguments for 'dev'\. Expected 1 argument but got 2: a\.js, b\.js\. See/],
  ];
  for (const [args, pattern] of cases) {
    test(`atoll dev: ${args.join(' ')}: one-line reason, exit 2`, async () => {
      await usageError(['dev', ...args], pattern);
    });
  }
});

describe('atoll dev: bad config and entry', () => {
  /** Runs `atoll dev` in `cwd` expecting a startup failure: exit 1 and `pattern` on stderr. */
  async function fails(args: string[], cwd: string, pattern: RegExp): Promise<void> {
    const r = await runCli(['dev', '--port', '0', ...args], cwd);
    assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /internal error/);
  }

  test('atoll dev: -c with a TOML syntax error: names file:line:col, exits 1', async () => {
    await fails(['-c', 'syntax.toml'], BAD, /^syntax\.toml:4:\d+: invalid TOML: /);
  });

  test('atoll dev: -c with a JSONC syntax error: names file:line:col, exits 1', async () => {
    await fails(['-c', 'syntax.jsonc'], BAD, /^syntax\.jsonc:4:\d+: invalid JSON: /);
  });

  test('atoll dev: a key of the wrong type: names the file, the key and an example', async () => {
    await fails(['-c', 'limits.toml'], BAD, /^limits\.toml: "limits\.cpu_ms" must be a positive whole number of milliseconds, not a string \("fast"\)\. Example: \[limits\] cpu_ms = 50$/m);
  });

  test('atoll dev: main pointing at a missing file: names the key and the path', async () => {
    await fails(['-c', 'missing-main.toml'], BAD, /^missing-main\.toml: "main" points to missing\.js, which does not exist: fix the path or create the file\.$/m);
  });

  test('atoll dev: -c naming no file: says so', async () => {
    await fails(['-c', 'absent.toml'], BAD, /^Config file absent\.toml does not exist: pass -c with the path/);
  });

  test('atoll dev: --env naming no environment: names the config and what to add', async () => {
    await fails(['--env', 'prod'], join(FIXTURES, 'modules-worker'), /^wrangler\.toml has no environments \(\[env\.NAME\] sections\), so --env prod names nothing: add \[env\.prod\] or drop --env\.$/m);
  });

  test('atoll dev: no config and no entry: says what to pass', async () => {
    await fails([], join(FIXTURES, 'modules-worker', 'src'), /^atoll dev: no entry point: pass one \(atoll dev src\/index\.js\), or run it in a folder with a wrangler\.toml/);
  });

  test('atoll dev: an entry that does not exist: names it', async () => {
    await fails(['nope.js'], BAD, /^atoll dev: entry nope\.js does not exist/);
  });

  test('atoll dev: a port in use: names the port and the flag to change it', async () => {
    const { createServer } = await import('node:net');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await runCli(['dev', 'index.js', '--port', String(port)], BAD);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`atoll dev: cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is in use: pick another with --port`));
    } finally {
      busy.close();
    }
  });
});
