// examples/edge-side-includes on atoll with a fake origin that streams a page with
// include tags (one split across chunks) and serves the fragments: the first bytes reach
// the browser while the origin is still sending, each tag is replaced by its fragment
// in place, and what is not an include passes through untouched.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gate, runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

let origin: FakeService;
let worker: RunningExample;
let hold = gate();
let sendingPage = false;

const HOLD = Symbol('hold');
const PAGES: Record<string, { type: string; chunks: (string | typeof HOLD)[] }> = {
  '/': {
    type: 'text/html; charset=utf-8',
    chunks: [
      '<!doctype html><html><body><header>Welcome</header><esi:inc',
      HOLD,
      'lude src="/fragments/nav" /><main>',
      "<esi:include src='/fragments/cart?items=2&amp;currency=EUR'/></main>",
      '<footer><esi:include src="/fragments/missing"/>© atoll</footer></body></html>',
    ],
  },
  '/tricky': {
    type: 'text/html',
    // "<es" at a chunk's end that is not a tag; a foreign host; a tag without src; an unclosed tag at the end.
    chunks: ['<p>This was <es', 'tablished> in 2019</p>', '<esi:include src="http://evil.test/steal"/>', '<esi:include alt="x"/>', 'café ünïcode <esi:include src="/x'],
  },
  '/notes.txt': { type: 'text/plain', chunks: ['<esi:include src="/fragments/nav"/>'] },
};

before(async () => {
  origin = await startFake(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/fragments/nav') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<nav>Home | Lamps | Cart</nav>');
      return;
    }
    if (url.pathname === '/fragments/cart') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<div class="cart">${url.searchParams.get('items')} items in ${url.searchParams.get('currency')} for ${req.headers.cookie ?? 'nobody'}</div>`);
      return;
    }
    const page = PAGES[url.pathname];
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>404</h1>');
      return;
    }
    res.writeHead(200, { 'content-type': page.type, 'x-origin': 'yes', etag: '"page"' });
    res.flushHeaders();
    sendingPage = true;
    for (const chunk of page.chunks) {
      if (chunk === HOLD) await hold.promise;
      else {
        res.write(chunk);
        await sleep(30);
      }
    }
    sendingPage = false;
    res.end();
  });
  worker = await runExample('edge-side-includes', { origin: origin.url });
});

beforeEach(() => {
  hold = gate();
  origin.requests.length = 0;
});

after(async () => {
  hold.open();
  await worker?.close();
  await origin?.close();
});

describe('examples/edge-side-includes', () => {
  test('the first bytes arrive while the origin is still sending; every tag is replaced in place', async (t) => {
    t.after(() => hold.open());
    const res = await worker.fetch('/', { headers: { cookie: 'sid=42' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('x-origin'), 'yes');
    assert.equal(res.headers.get('content-length'), null);

    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('Welcome</header>')) {
      const { done, value } = await reader.read();
      assert.ok(!done, `the page ended early: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    assert.ok(sendingPage, 'the origin was still sending');
    assert.ok(!text.includes('<esi:'), 'a split tag is not passed on half-way');
    hold.open();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.equal(text, '<!doctype html><html><body><header>Welcome</header>'
      + '<nav>Home | Lamps | Cart</nav><main>'
      + '<div class="cart">2 items in EUR for sid=42</div></main>'
      + '<footer><!-- esi:include /fragments/missing: 404 -->© atoll</footer></body></html>');
  });

  test('each fragment is one GET to the origin, with the visitor\'s cookie', async (t) => {
    t.after(() => hold.open());
    hold.open();
    await (await worker.fetch('/', { headers: { cookie: 'sid=7' } })).text();
    const fragments = origin.requests.filter((r) => r.url.startsWith('/fragments/'));
    assert.deepEqual(fragments.map((r) => `${r.method} ${r.url}`), [
      'GET /fragments/nav', 'GET /fragments/cart?items=2&currency=EUR', 'GET /fragments/missing',
    ]);
    assert.ok(fragments.every((r) => r.headers.cookie === 'sid=7'));
  });

  test('what is not an include passes untouched: a "<es" split across chunks, UTF-8, an unclosed tag; a foreign host and a missing src become comments', async () => {
    const res = await worker.fetch('/tricky');
    assert.equal(await res.text(), '<p>This was <established> in 2019</p>'
      + '<!-- esi:include http://evil.test/steal: host not allowed -->'
      + '<!-- esi:include without src -->'
      + 'café ünïcode <esi:include src="/x');
    assert.ok(origin.requests.every((r) => !r.url.includes('steal')));
  });

  test('only HTML is processed: a text file with a tag in it is served as is', async () => {
    const res = await worker.fetch('/notes.txt');
    assert.equal(await res.text(), '<esi:include src="/fragments/nav"/>');
    assert.equal(origin.requests.length, 1);
  });

  test('an origin 404 keeps its status', async () => {
    const res = await worker.fetch('/nowhere');
    assert.equal(res.status, 404);
    assert.equal(await res.text(), '<h1>404</h1>');
  });
});
