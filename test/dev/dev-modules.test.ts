// `atoll dev` on an ES-modules worker (wrangler.toml), spawned as a real process in
// front of a real origin server: bindings, module types, request.cf, the request log,
// limits, exceptions, and the origin.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, startDev, type DevProcess } from './spawn-cli.ts';

const FIXTURE = join(FIXTURES, 'modules-worker');

describe('atoll dev: ES modules worker with an origin', () => {
  let dev: DevProcess;
  let origin: Server;
  const originSaw: { method?: string; url?: string; host?: string }[] = [];

  before(async () => {
    origin = createServer(async (req, res) => {
      originSaw.push({ method: req.method, url: req.url, host: req.headers.host });
      let body = '';
      for await (const chunk of req) body += chunk;
      res.writeHead(200, { 'content-type': 'text/plain', 'x-from': 'origin' });
      res.end(`origin answered ${req.method} ${req.url}${body ? ` with ${body}` : ''}`);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    dev = await startDev(['--var', 'EXTRA:from-the-flag', '--var', 'GREETING:overridden', '--origin', originUrl, '--location', 'AMS', '--cpu-ms', '300'], FIXTURE);
  });

  after(async () => {
    assert.equal(await dev?.stop(), 0, 'atoll dev exits 0 on SIGTERM');
    origin?.close();
  });

  test('atoll dev: --port 0: logs the real address it listens on', () => {
    assert.match(dev.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(dev.url, 'http://127.0.0.1:0');
  });

  test('atoll dev: modules importing each other: are bundled and served', async () => {
    const res = await dev.fetch('/');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'overridden from an ES module');
  });

  test('atoll dev: vars: [vars] strings and JSON values, with --var on top', async () => {
    assert.deepEqual(await (await dev.fetch('/env')).json(), { GREETING: 'overridden', CONFIG: { answer: 42 }, EXTRA: 'from-the-flag' });
  });

  test('atoll dev: text imports: by the default rule and by a rule in the config', async () => {
    assert.equal(await (await dev.fetch('/text')).text(), 'text file\n# notes\n');
  });

  test('atoll dev: a .wasm import: is a WebAssembly.Module', async () => {
    assert.equal(await (await dev.fetch('/wasm?a=40&b=2')).text(), '42');
  });

  test('atoll dev: a .bin import: is an ArrayBuffer of the file', async () => {
    assert.deepEqual(await (await dev.fetch('/data')).json(), { isArrayBuffer: true, bytes: [1, 2, 3, 254, 255] });
  });

  test('atoll dev: request.cf and client headers: colo from --location, forged addresses and country ignored', async () => {
    const res = await dev.fetch('/meta', { headers: { 'cf-ipcountry': 'nl', 'x-forwarded-for': '203.0.113.9', 'cf-connecting-ip': '198.51.100.1' } });
    const body = (await res.json()) as { cf: Record<string, unknown>; ip: string; xff: string };
    assert.equal(body.cf.colo, 'AMS');
    assert.equal(body.cf.country, 'XX', 'a loopback client has no country; CF-IPCountry from the client is not believed');
    assert.equal(body.cf.httpProtocol, 'HTTP/1.1');
    assert.equal(body.ip, '127.0.0.1', 'without --trust-forwarded-for the socket address counts');
    assert.equal(body.xff, '127.0.0.1');
  });

  test('atoll dev: each request: one log line with method, path, status, CPU ms and wall ms', async () => {
    const from = dev.events.length;
    await (await dev.fetch('/wasm?a=1&b=1')).text();
    const e = await dev.waitFor((x) => x.event === 'request' && x.path === '/wasm?a=1&b=1', from);
    assert.equal(e.method, 'GET');
    assert.equal(e.status, 200);
    assert.ok(typeof e.cpuMs === 'number' && e.cpuMs > 0, `the request's CPU time is charged: ${e.cpuMs}`);
    assert.ok((e.wallMs as number) > 0 && (e.wallMs as number) >= (e.cpuMs as number) * 0.5, `wall ${e.wallMs} ms, cpu ${e.cpuMs} ms`);
    assert.match(e.message, /^GET \/wasm\?a=1&b=1 200 cpu [\d.]+ ms wall [\d.]+ ms$/);
  });

  test('atoll dev: caches.default: keeps a response between requests (in memory)', async () => {
    assert.equal(await (await dev.fetch('/cache')).text(), 'miss');
    assert.equal(await (await dev.fetch('/cache')).text(), 'hit: stored');
  });

  test('atoll dev: console.log: reaches the terminal', async () => {
    const from = dev.events.length;
    await (await dev.fetch('/log')).text();
    const e = await dev.waitFor((x) => x.event === 'console', from);
    assert.equal(e.message, 'hello from the worker log');
  });

  test('atoll dev: an uncaught exception: 500 with the stack, and the log points into the source file', async () => {
    const from = dev.events.length;
    const res = await dev.fetch('/throw');
    assert.equal(res.status, 500);
    assert.match(await res.text(), /Error: boom from the worker\n\s+at .*src\/index\.js:\d+:\d+/, 'the body shows the stack in the source file too');
    const e = await dev.waitFor((x) => x.event === 'exception', from);
    assert.match(e.message, /Error: boom from the worker\n\s+at .*src\/index\.js:\d+:\d+/);
  });

  test('atoll dev: fetch to the worker\'s own host: goes to --origin, not back into the worker', async () => {
    const res = await dev.fetch('/own?q=1');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-from'), 'origin');
    assert.equal(await res.text(), 'origin answered GET /from-worker?q=1');
    const seen = originSaw.find((o) => o.url === '/from-worker?q=1');
    assert.equal(seen?.host, `127.0.0.1:${(origin.address() as AddressInfo).port}`, 'the origin sees its own Host');
  });

  test('atoll dev: passThroughOnException then a throw: the origin answers the request', async () => {
    const res = await dev.fetch('/pass?x=y');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'origin answered GET /pass?x=y');
    const post = await dev.fetch('/pass', { method: 'POST', body: 'the unread body' });
    assert.equal(await post.text(), 'origin answered POST /pass with the unread body', 'a body the worker did not read goes along');
  });

  test('atoll dev: a runaway loop: 503 exceededCpu, then the next request is served by a fresh isolate', async () => {
    const from = dev.events.length;
    const res = await dev.fetch('/spin');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('atoll-error'), 'exceededCpu');
    await res.text();
    const e = await dev.waitFor((x) => x.event === 'request' && x.path === '/spin', from);
    assert.equal(e.outcome, 'exceededCpu');
    const again = await dev.fetch('/');
    assert.equal(again.status, 200);
    assert.equal(await again.text(), 'overridden from an ES module');
  });
});

describe('atoll dev: without an origin, pretty log', () => {
  test('atoll dev: pretty log, fetch to itself and passThroughOnException without --origin: clear errors', async () => {
    const { spawn } = await import('node:child_process');
    const { ROOT } = await import('./spawn-cli.ts');
    const child = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin/atoll.js'), 'dev', '--port', '0', '--cpu-ms', '2000', '--trust-forwarded-for'], { cwd: FIXTURE });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    try {
      const deadline = Date.now() + 30_000;
      while (!/Ready on (http:\/\/\S+)/.test(out)) {
        assert.ok(Date.now() < deadline, `not ready in time:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /Ready on (http:\/\/\S+)/.exec(out)![1];
      assert.match(out, /^Loaded src\/index\.js \(ES modules, 5 modules\) in \d+(\.\d+)? ms$/m);

      const own = await fetch(`${url}/own`);
      assert.equal(own.status, 500);
      assert.match(await own.text(), /reaches this worker itself: start atoll dev with --origin URL/);

      const pass = await fetch(`${url}/pass`);
      assert.equal(pass.status, 502);
      assert.match(await pass.text(), /no origin to pass the request to: start it with --origin URL/);

      const meta = (await (await fetch(`${url}/meta`, { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' } })).json()) as { ip: string; xff: string; cf: { colo: string } };
      assert.equal(meta.ip, '203.0.113.9', '--trust-forwarded-for takes the rightmost address outside private networks');
      assert.equal(meta.xff, '203.0.113.9, 10.0.0.1, 127.0.0.1');
      assert.equal(meta.cf.colo, 'DEV');
      // 193.0.6.139 is www.ripe.net, in Amsterdam: the IP database places it in NL.
      const geo = (await (await fetch(`${url}/meta`, { headers: { 'x-forwarded-for': '193.0.6.139' } })).json()) as { cf: { country: string; continent: string } };
      assert.deepEqual([geo.cf.country, geo.cf.continent], ['NL', 'EU']);
      const bad = await fetch(`${url}/meta`, { headers: { 'x-forwarded-for': 'nonsense' } });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /The X-Forwarded-For header holds "nonsense", which is not an IP address/);

      while (!/^GET \/meta 200 /m.test(out)) {
        assert.ok(Date.now() < deadline, `no request line:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(out, /^GET \/meta 200 cpu [\d.]+ ms wall [\d.]+ ms$/m);
      assert.match(out, /^GET \/own 500 cpu [\d.]+ ms wall [\d.]+ ms \[exception\]$/m);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('close', r));
    }
  });
});
