// TLS at the edge: certificates from a folder chosen by SNI, reloaded when the files
// change (a broken new one keeps the old), request.cf's TLS fields, https:// request
// URLs, X-Forwarded-Proto https to origins, WebSockets over TLS; bad certificate
// folders refused with the reason. Certificates are made at test time with the openssl
// CLI (self-signed, EC P-256, one day).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { upload } from '../control/harness.ts';
import { controlSource } from '../../src/edge/control-source.ts';
import { startEdge } from '../../src/edge/server.ts';
import { startHarness } from '../control/harness.ts';
import { eventually, startPlatform, type Platform } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Writes NAME.crt and NAME.key for `host` into `dir` (through a temp name, then renamed, as a renewal would). */
function makeCert(dir: string, name: string, host: string, cn = host): { pem: string; fingerprint: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'atoll-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${host}`, '-keyout', join(tmp, 'k'), '-out', join(tmp, 'c')], { stdio: 'ignore' });
    renameSync(join(tmp, 'k'), join(dir, `${name}.key`));
    renameSync(join(tmp, 'c'), join(dir, `${name}.crt`));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const pem = readFileSync(join(dir, `${name}.crt`), 'utf8');
  return { pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

/** The certificate a TLS client naming `servername` is shown (not verified: the test compares it). */
function peerCert(port: number, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.setTimeout(30_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

function httpsGet(port: number, host: string, path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: host, headers: { host }, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`https ${host}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const APP = `export default {
  async fetch(request) {
    if (request.headers.get('upgrade') === 'websocket') {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener('message', (e) => server.send('echo ' + e.data));
      return new Response(null, { status: 101, webSocket: client });
    }
    return Response.json({ url: request.url, cf: request.cf, proto: request.headers.get('x-forwarded-proto') });
  },
};`;

describe('Edge: TLS', () => {
  let p: Platform;
  let dir: string;
  let a: { pem: string; fingerprint: string };
  let b: { pem: string; fingerprint: string };
  let wild: { pem: string; fingerprint: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atoll-tls-'));
    a = makeCert(dir, 'a.test', 'a.test');
    b = makeCert(dir, 'b.test', 'b.test');
    wild = makeCert(dir, '_wildcard.w.test', '*.w.test');
    p = await startPlatform({ tls: { port: 0, certDir: dir } });
    await upload(p.h, 'app', { source: APP });
    for (const zone of ['a.test', 'b.test', 'w.test']) {
      assert.equal((await p.h.call('POST', '/api/v1/zones', { json: { hostname: zone, origin: p.origin.url } })).status, 201);
    }
    assert.equal((await p.h.call('POST', '/api/v1/routes', { json: { pattern: 'a.test/app/*', worker: 'app' } })).status, 201);
  });
  after(async () => {
    await p?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('TLS: SNI picks each hostname\'s certificate; a wildcard pair covers subdomains; an unknown name gets no handshake', async () => {
    const port = p.edge.tlsPort!;
    assert.equal((await peerCert(port, 'a.test')).fingerprint256, a.fingerprint);
    assert.equal((await peerCert(port, 'b.test')).fingerprint256, b.fingerprint);
    assert.equal((await peerCert(port, 'x.w.test')).fingerprint256, wild.fingerprint);
    await assert.rejects(peerCert(port, 'nobody.test'), /alert|handshake|socket hang up|ECONNRESET|disconnected before secure TLS connection/i);
  });

  test('TLS: a worker sees an https:// URL and request.cf.tlsVersion / tlsCipher; X-Forwarded-Proto is https', async () => {
    const r = await httpsGet(p.edge.tlsPort!, 'a.test', '/app/x?y=1', a.pem);
    assert.equal(r.status, 200, r.body);
    const seen = JSON.parse(r.body) as { url: string; cf: Record<string, string>; proto: string };
    assert.equal(seen.url, 'https://a.test/app/x?y=1');
    assert.match(seen.cf.tlsVersion!, /^TLSv1\.[23]$/);
    assert.ok(seen.cf.tlsCipher && seen.cf.tlsCipher.length > 3, `cipher: ${seen.cf.tlsCipher}`);
    assert.equal(seen.cf.httpProtocol, 'HTTP/1.1');
    assert.equal(seen.proto, 'https');
  });

  test('TLS: a request no route claims reaches the origin with X-Forwarded-Proto https', async () => {
    const r = await httpsGet(p.edge.tlsPort!, 'b.test', '/page', b.pem);
    assert.equal(r.status, 200);
    assert.equal(p.origin.hits.at(-1)!.headers['x-forwarded-proto'], 'https');
  });

  test('TLS: a WebSocket upgrade over TLS reaches the worker (wss://)', async () => {
    // ws hands `servername` on to tls.connect, though its types do not list it.
    const options: WebSocket.ClientOptions & { servername: string } = { servername: 'a.test', headers: { host: 'a.test' }, ca: a.pem };
    const ws = new WebSocket(`wss://127.0.0.1:${p.edge.tlsPort}/app/ws`, options);
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        ws.once('open', () => ws.send('hi'));
        ws.once('message', (d) => resolve(String(d)));
        ws.once('error', reject);
      });
      assert.equal(reply, 'echo hi');
    } finally {
      ws.terminate();
    }
  });

  test('TLS: a renewed certificate is served without a restart; a broken one keeps the previous and is logged', async () => {
    const port = p.edge.tlsPort!;
    const renewed = makeCert(dir, 'a.test', 'a.test');
    assert.notEqual(renewed.fingerprint, a.fingerprint);
    await eventually(async () => assert.equal((await peerCert(port, 'a.test')).fingerprint256, renewed.fingerprint), 20_000);
    // A key that is not the certificate's: refused, the renewed one stays.
    const other = mkdtempSync(join(tmpdir(), 'atoll-cert-other-'));
    try {
      makeCert(other, 'x', 'a.test');
      writeFileSync(join(dir, 'a.test.key'), readFileSync(join(other, 'x.key')));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    await eventually(() => {
      assert.ok(p.logs.some((l) => l.level === 'error' && /a\.test\.key is not the private key of the certificate in .*a\.test\.crt/.test(String(l.error))), 'the mismatch is logged');
    }, 20_000);
    assert.equal((await peerCert(port, 'a.test')).fingerprint256, renewed.fingerprint);
    // Garbage in the certificate file: the same.
    writeFileSync(join(dir, 'b.test.crt'), 'not a certificate\n');
    await eventually(() => {
      assert.ok(p.logs.some((l) => l.level === 'error' && /TLS certificate for "b\.test": .*b\.test\.crt .* not a usable PEM certificate/.test(String(l.error))), 'the bad file is logged');
    }, 20_000);
    assert.equal((await peerCert(port, 'b.test')).fingerprint256, b.fingerprint);
  });
});

describe('Edge: TLS: bad certificate folders', () => {
  test('TLS: a missing folder, a .crt without its .key, a key that does not match, and an empty folder are refused at start, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-tls-bad-'));
    const h = await startHarness();
    const start = (certDir: string) => startEdge({ source: controlSource(h.store, h.keyring), location: 'TST', port: 0, log: () => {}, tls: { port: 0, certDir } });
    try {
      await assert.rejects(start(join(dir, 'nope')), /TLS: the certificate folder .*nope cannot be used \(ENOENT\); point --tls-cert-dir at a folder/);
      await assert.rejects(start(dir), /holds no NAME\.crt \/ NAME\.key pair/);
      makeCert(dir, 'a.test', 'a.test');
      rmSync(join(dir, 'a.test.key'));
      await assert.rejects(start(dir), /a\.test\.crt has no a\.test\.key beside it/);
      makeCert(dir, 'a.test', 'a.test');
      makeCert(dir, 'b.test', 'b.test');
      writeFileSync(join(dir, 'b.test.key'), readFileSync(join(dir, 'a.test.key')));
      await assert.rejects(start(dir), /b\.test\.key is not the private key of the certificate in .*b\.test\.crt/);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('atoll up: --tls-port without --tls-cert-dir is refused, saying to give both', async () => {
    const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin/atoll.js'), 'up', '--tls-port', '0'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
    });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /--tls-port asks for HTTPS, but no --tls-cert-dir \(or ATOLL_TLS_CERT_DIR\) names the folder/);
  });
});
