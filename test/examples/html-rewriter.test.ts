// examples/html-rewriter: an origin page rewritten as it streams. The fake origin sends
// the first half of its page and holds the rest until the test has read the rewritten
// start of it, which proves the first bytes arrive before the origin finishes.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gate, runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

const FIRST = `<!doctype html>
<html><head><title>Lagoon shop</title>
<script src="http://cdn.example/tracker.js"></script>
<script src="http://cdn.example/app.js"></script>
</head><body>
<a href="http://example.com/walks">Walks</a>
<a href="https://example.com/already">Already secure</a>
<a href="/relative">Relative</a>
<div class="ad">BUY A DRONE</div>
`;
const REST = `<p data-ad="1">Sponsored</p>
<img src="http://img.example/rex.png" alt="Rex">
<p>${'Rex likes long walks. '.repeat(500)}</p>
<p id="end">The end</p>
</body></html>
`;

describe('examples/html-rewriter', () => {
  let origin: FakeService;
  let ex: RunningExample;
  let release = gate();

  before(async () => {
    origin = await startFake(async (req, res) => {
      if (req.url === '/shop') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(FIRST + REST), 'x-origin': 'yes' });
        res.write(FIRST);
        await release.promise;
        res.end(REST);
      } else if (req.url === '/style.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        res.end('a { color: red } /* http://example.com <body> */');
      } else {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<html><body>gone</body></html>');
      }
    });
    ex = await runExample('html-rewriter', { origin: origin.url, vars: { BANNER: 'Walks are free & <fun> this weekend' } });
  });
  after(async () => {
    release.open();
    await ex?.close();
    await origin?.close();
  });

  it('GET of an HTML page: the rewritten start arrives while the origin still holds the rest', async () => {
    release = gate();
    const res = await ex.fetch('/shop');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('x-origin'), 'yes', 'the origin headers are kept');
    assert.equal(res.headers.get('content-length'), null, 'the length changed, so it is not sent');

    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // The banner goes in at <body>, which the origin has already sent.
    while (!text.includes('edge-banner')) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the body ended before the banner: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    assert.ok(!text.includes('The end'), 'the held part has not been sent yet');
    release.open();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();

    // Links, images and scripts upgraded; https and relative links as they were.
    assert.match(text, /<a href="https:\/\/example\.com\/walks">Walks<\/a>/);
    assert.match(text, /<a href="https:\/\/example\.com\/already">/);
    assert.match(text, /<a href="\/relative">/);
    assert.match(text, /<img src="https:\/\/img\.example\/rex\.png" alt="Rex">/);
    assert.match(text, /<script src="https:\/\/cdn\.example\/app\.js"><\/script>/);
    assert.doesNotMatch(text, /http:\/\//);
    // Ads and the tracker gone, with their content.
    assert.doesNotMatch(text, /BUY A DRONE|Sponsored|tracker\.js/);
    // The banner first in <body>, its text escaped; the script last in <head>.
    assert.match(text, /<body><div class="edge-banner" role="status">Walks are free &#38; &#60;fun&#62; this weekend<\/div>\n<a /);
    assert.match(text, /<script src="\/_edge\/analytics\.js" defer><\/script><\/head>/);
    // The rest of the page, intact.
    assert.ok(text.includes('Rex likes long walks. '.repeat(500)));
    assert.match(text, /<p id="end">The end<\/p>\n<\/body><\/html>\n$/);
  });

  it('GET of something that is not HTML: passed through byte for byte', async () => {
    const res = await ex.fetch('/style.css');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/css');
    assert.equal(await res.text(), 'a { color: red } /* http://example.com <body> */');
  });

  it('an origin error page is rewritten too, and keeps its status', async () => {
    const res = await ex.fetch('/missing');
    assert.equal(res.status, 404);
    assert.match(await res.text(), /<body><div class="edge-banner" role="status">.*<\/div>gone<\/body>/);
  });

  it('the origin got each request once, as the client sent it', () => {
    assert.deepEqual(origin.requests.map((r) => `${r.method} ${r.url}`), ['GET /shop', 'GET /style.css', 'GET /missing']);
  });
});
