// examples/pwned-passwords on atoll with a fake Pwned Passwords range API and a fake
// origin: the API sees only the first 5 hex digits of the SHA-1, the origin sees the
// form and the verdict header, and forms without a password pass through unasked.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex').toUpperCase();

const LEAKED = 'password';           // SHA-1 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8
const SAFE = 'correct horse battery staple lava';
const PADDED = 'tr0ub4dor&3-lamp';   // listed, but only as a padding entry (count 0)

let api: FakeService;
let origin: FakeService;
let worker: RunningExample;
let apiDown = false;

before(async () => {
  api = await startFake((req, res) => {
    if (apiDown) {
      res.writeHead(503);
      res.end();
      return;
    }
    const prefix = req.url.slice('/range/'.length);
    // The breached hashes with this prefix, as the real API lists them.
    const lines = ['0018A45C4D1DEF81644B54AB7F969B88D65:1', '00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2'];
    for (const [pw, n] of [[LEAKED, 3730471], [PADDED, 0]] as const) {
      if (sha1(pw).startsWith(prefix)) lines.push(`${sha1(pw).slice(5)}:${n}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(lines.join('\r\n'));
  });
  origin = await startFake((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`origin saw ${req.method} ${req.url}`);
  });
  worker = await runExample('pwned-passwords', { origin: origin.url, vars: { PWNED_API: api.url } });
});

beforeEach(() => {
  apiDown = false;
  api.requests.length = 0;
  origin.requests.length = 0;
});

after(async () => {
  await worker?.close();
  await api?.close();
  await origin?.close();
});

function postForm(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return worker.fetch('/login', { method: 'POST', body: new URLSearchParams(fields), headers });
}

describe('examples/pwned-passwords', () => {
  test('a breached password: the origin gets the form untouched and Exposed-Password: yes with the count', async () => {
    const res = await postForm({ user: 'ada', password: LEAKED });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'origin saw POST /login');
    assert.equal(origin.requests.length, 1);
    const got = origin.requests[0];
    assert.equal(got.headers['exposed-password'], 'yes');
    assert.equal(got.headers['exposed-password-count'], '3730471');
    assert.equal(got.text, 'user=ada&password=password');
    assert.match(String(got.headers['content-type']), /^application\/x-www-form-urlencoded/);
  });

  test('k-anonymity: the range API gets one GET with the first 5 hex digits and nothing else about the password', async () => {
    await (await postForm({ user: 'ada', password: LEAKED })).arrayBuffer();
    assert.equal(api.requests.length, 1);
    const call = api.requests[0];
    assert.equal(call.method, 'GET');
    assert.equal(call.url, '/range/5BAA6');
    assert.equal(call.headers['add-padding'], 'true');
    assert.equal(call.body.length, 0);
    const everything = JSON.stringify(call.headers) + call.url;
    for (const secret of [LEAKED, sha1(LEAKED), sha1(LEAKED).slice(5), sha1(LEAKED).toLowerCase()]) {
      assert.ok(!everything.includes(secret), `the API saw ${secret}`);
    }
  });

  test('a password not in any breach: Exposed-Password: no, and no count', async () => {
    await (await postForm({ password: SAFE })).arrayBuffer();
    assert.equal(api.requests[0].url, `/range/${sha1(SAFE).slice(0, 5)}`);
    assert.equal(origin.requests[0].headers['exposed-password'], 'no');
    assert.equal(origin.requests[0].headers['exposed-password-count'], undefined);
  });

  test('a padding entry (count 0) is not a breach', async () => {
    await (await postForm({ password: PADDED })).arrayBuffer();
    assert.equal(origin.requests[0].headers['exposed-password'], 'no');
  });

  test('a multipart form is checked too, and reaches the origin whole', async () => {
    const form = new FormData();
    form.set('user', 'ada');
    form.set('password', LEAKED);
    const res = await worker.fetch('/signup', { method: 'POST', body: form });
    await res.arrayBuffer();
    assert.equal(origin.requests[0].headers['exposed-password'], 'yes');
    assert.match(origin.requests[0].text, /name="password"\r\n\r\npassword\r\n/);
  });

  test('a POST without a password asks nothing and adds no verdict', async () => {
    await (await postForm({ user: 'ada', comment: 'hi' })).arrayBuffer();
    await (await postForm({ user: 'ada', password: '' })).arrayBuffer();
    assert.equal(api.requests.length, 0);
    assert.equal(origin.requests.length, 2);
    for (const r of origin.requests) assert.equal(r.headers['exposed-password'], undefined);
    assert.equal(origin.requests[0].text, 'user=ada&comment=hi');
  });

  test('a client cannot send its own verdict: the header is removed on GET and replaced on POST', async () => {
    await (await worker.fetch('/account', { headers: { 'exposed-password': 'no', 'exposed-password-count': '0' } })).arrayBuffer();
    await (await postForm({ password: LEAKED }, { 'exposed-password': 'no' })).arrayBuffer();
    assert.equal(origin.requests[0].method, 'GET');
    assert.equal(origin.requests[0].headers['exposed-password'], undefined);
    assert.equal(origin.requests[0].headers['exposed-password-count'], undefined);
    assert.equal(origin.requests[1].headers['exposed-password'], 'yes');
    assert.equal(api.requests.length, 1, 'only the POST asked the API');
  });

  test('a malformed multipart body is not parsed, asks nothing, and still reaches the origin', async () => {
    const res = await worker.fetch('/login', { method: 'POST', body: 'password=password', headers: { 'content-type': 'multipart/form-data; boundary=nope' } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(api.requests.length, 0);
    assert.equal(origin.requests[0].text, 'password=password');
    assert.equal(origin.requests[0].headers['exposed-password'], undefined);
  });

  test('when the range API fails the login still goes through, marked unknown', async () => {
    apiDown = true;
    const res = await postForm({ password: LEAKED });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(api.requests.length, 1);
    assert.equal(origin.requests[0].headers['exposed-password'], 'unknown');
  });
});
