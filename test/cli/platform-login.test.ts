// atoll login and whoami against a real control API: where the token goes, what is
// shown, and every way logging in can fail.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertFails, deadUrl, runAtoll, startPlatform, type Platform } from './platform-harness.ts';

let p: Platform;
before(async () => { p = await startPlatform(); });
after(async () => { await p?.close(); });

describe('atoll login', () => {
  test('atoll login: token on stdin: is verified and stored with mode 0600', async () => {
    const dir = join(p.configDir, '..', 'fresh');
    const r = await runAtoll(['login', '--url', p.h.api.url], { stdin: `${p.h.token}\n`, env: { ATOLL_CONFIG_DIR: dir } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Logged in to http:\/\/127\.0\.0\.1:\d+ as account "default" \(acc_\w+\) with token "bootstrap admin" \(tok_\w+; admin\)\.$/m);
    assert.ok(!r.stdout.includes(p.h.token) && !r.stderr.includes(p.h.token), 'the token is never printed');
    const file = join(dir, 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { url: p.h.api.url, token: p.h.token });
  });

  test('atoll login: ATOLL_API_TOKEN: is used instead of stdin', async () => {
    const dir = join(p.configDir, '..', 'from-env');
    const r = await runAtoll(['login', '--url', p.h.api.url, '--json'], { env: { ATOLL_CONFIG_DIR: dir, ATOLL_API_TOKEN: p.h.token } });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.url, p.h.api.url);
    assert.equal(out.account.name, 'default');
    assert.deepEqual(out.token.scopes, ['admin']);
    assert.equal(out.token.token, undefined);
  });

  test('atoll login: XDG_CONFIG_HOME: credentials go to its atoll folder', async () => {
    const xdg = join(p.configDir, '..', 'xdg');
    const r = await runAtoll(['login', '--url', p.h.api.url], { stdin: p.h.token, env: { XDG_CONFIG_HOME: xdg } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(xdg, 'atoll', 'credentials.json')).mode & 0o777, 0o600);
  });

  test('atoll login: a wrong token: the API\'s reason, nothing stored, exit 1', async () => {
    const dir = join(p.configDir, '..', 'wrong');
    const r = await runAtoll(['login', '--url', p.h.api.url], { stdin: `atoll_${'A'.repeat(43)}`, env: { ATOLL_CONFIG_DIR: dir } });
    assertFails(r, 'login', /the API token is not known/);
    assert.throws(() => statSync(join(dir, 'credentials.json')), /ENOENT/);
  });

  test('atoll login: not a token at all: says so', async () => {
    const r = await runAtoll(['login', '--url', p.h.api.url], { stdin: 'hunter2', env: { ATOLL_CONFIG_DIR: join(p.configDir, '..', 'x') } });
    assertFails(r, 'login', /is not an atoll API token/);
  });

  test('atoll login: empty stdin: says how to give a token', async () => {
    const r = await runAtoll(['login', '--url', p.h.api.url], { stdin: '', env: { ATOLL_CONFIG_DIR: join(p.configDir, '..', 'x') } });
    assertFails(r, 'login', /no API token: pipe one on stdin/);
  });

  test('atoll login: server down: names the URL and what to check', async () => {
    const url = await deadUrl();
    const r = await runAtoll(['login', '--url', url], { stdin: p.h.token, env: { ATOLL_CONFIG_DIR: join(p.configDir, '..', 'x') } });
    assertFails(r, 'login', new RegExp(`cannot reach the atoll API at ${url.replace(/\./g, '\\.')} \\(.*ECONNREFUSED.*\\): check that it is running`));
  });

  test('atoll login: a URL that is not an atoll API: says so', async () => {
    const { createServer } = await import('node:http');
    const other = createServer((_req, res) => res.writeHead(404).end('nope'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
      const r = await runAtoll(['login', '--url', url], { stdin: p.h.token, env: { ATOLL_CONFIG_DIR: join(p.configDir, '..', 'x') } });
      assertFails(r, 'login', /answered 404 Not Found without an atoll error: is it an atoll API\?/);
    } finally {
      other.close();
    }
  });

  test('atoll login: --url not http: a usage error, exit 2', async () => {
    const r = await runAtoll(['login', '--url', 'ftp://x'], { stdin: p.h.token });
    assertFails(r, 'login', /option '--url <url>' argument 'ftp:\/\/x' is invalid\. "ftp:\/\/x" is not an http: or https: URL/, 2);
  });
});

describe('atoll whoami', () => {
  test('atoll whoami: logged in: shows the API, account, token and scopes', async () => {
    const r = await p.cli(['whoami']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^API: {5}http:\/\/127\.0\.0\.1:\d+\nAccount: default \(acc_\w+\), the operator account\nToken: {3}bootstrap admin \(tok_\w+\)\nScopes: {2}admin\nExpires: never\n$/);
  });

  test('atoll whoami: --json: the account and token records', async () => {
    const r = await p.cli(['whoami', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.url, p.h.api.url);
    assert.equal(out.account.operator, true);
    assert.deepEqual(out.token.scopes, ['admin']);
  });

  test('atoll whoami: ATOLL_API_URL and ATOLL_API_TOKEN: used without a login', async () => {
    const r = await runAtoll(['whoami'], { env: { ATOLL_CONFIG_DIR: join(p.configDir, '..', 'none'), ATOLL_API_URL: p.h.api.url, ATOLL_API_TOKEN: p.h.token } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Account: default/m);
  });

  test('atoll whoami: not logged in: says to run atoll login', async () => {
    const r = await runAtoll(['whoami'], { env: { ATOLL_CONFIG_DIR: join(p.configDir, '..', 'none') } });
    assertFails(r, 'whoami', /not logged in: run `atoll login --url URL`/);
  });

  test('atoll whoami: a credentials file that is not ours: says to log in again', async () => {
    const dir = join(p.configDir, '..', 'garbled');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'credentials.json'), '{"url": 1');
    const r = await runAtoll(['whoami'], { env: { ATOLL_CONFIG_DIR: dir } });
    assertFails(r, 'whoami', /credentials\.json is not a credentials file atoll wrote: run `atoll login --url URL` again/);
  });

  test('atoll whoami: a revoked token: the API\'s reason and how to log in again', async () => {
    const made = await p.h.call('POST', '/api/v1/tokens', { json: { name: 'short-lived', scopes: ['workers:read'] } });
    await p.h.call('DELETE', `/api/v1/tokens/${made.body.record.id}`);
    const r = await runAtoll(['whoami'], { env: { ATOLL_API_URL: p.h.api.url, ATOLL_API_TOKEN: made.body.token } });
    assertFails(r, 'whoami', /the API token tok_\w+ \("short-lived"\) was revoked; use another token \(log in with another token: atoll login --url URL\)$/);
  });

  test('atoll whoami: server down: names the URL', async () => {
    const url = await deadUrl();
    const r = await runAtoll(['whoami'], { env: { ATOLL_API_URL: url, ATOLL_API_TOKEN: p.h.token } });
    assertFails(r, 'whoami', /cannot reach the atoll API at http:\/\/127\.0\.0\.1:\d+/);
  });

  test('atoll whoami: an unknown flag: a usage error, exit 2', async () => {
    const r = await p.cli(['whoami', '--jsn']);
    assertFails(r, 'whoami', /unknown option '--jsn' \(Did you mean --json\?\)/, 2);
  });
});
