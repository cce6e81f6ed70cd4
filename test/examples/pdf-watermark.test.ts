// examples/pdf-watermark: a PDF from the origin, stamped "Sold to <customer>" on every
// page on its way through. The origin is a fake on 127.0.0.1 serving a PDF made here
// with pdf-lib; the stamped copy is opened with pdf-lib, as a reader would.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { PDFArray, PDFDocument, PDFName, PDFRawStream, StandardFonts } from 'pdf-lib';
import { runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

const TOKEN = 'tok_ada_9f2c41';
const CUSTOMER = { id: 'cust_42', name: 'Ada Lovelace' };
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** pdf-lib writes text in standard fonts as hex strings. */
const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex').toUpperCase();

async function book(pages: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.TimesRoman);
  for (let i = 1; i <= pages; i++) pdf.addPage([420, 595]).drawText(`Chapter ${i}`, { x: 50, y: 500, size: 24, font });
  return pdf.save();
}

/** Every content stream of a page, inflated, as one string. */
function pageText(pdf: PDFDocument, index: number): string {
  const contents = pdf.getPage(index).node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((r) => pdf.context.lookup(r)) : [contents];
  return streams.map((s) => {
    const raw = Buffer.from((s as PDFRawStream).getContents());
    return (s as PDFRawStream).dict.get(PDFName.of('Filter')) ? inflateSync(raw).toString('latin1') : raw.toString('latin1');
  }).join('\n');
}

describe('examples/pdf-watermark', () => {
  let origin: FakeService;
  let ex: RunningExample;
  let original: Uint8Array;
  const auth = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    original = await book(3);
    origin = await startFake((req, res) => {
      if (req.url === '/books/engines.pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': original.length, etag: '"v1"' });
        res.end(original);
      } else if (req.url === '/books/notes.txt') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('plain notes');
      } else if (req.url === '/books/broken.pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf' });
        res.end('this is not a PDF');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such book');
      }
    });
    ex = await runExample('pdf-watermark', {
      origin: origin.url,
      kv: { CUSTOMERS: { [sha256(TOKEN)]: JSON.stringify(CUSTOMER) } },
    });
  });
  after(async () => {
    await ex?.close();
    await origin?.close();
  });

  it('GET with a token: every page carries "Sold to <name> (<id>)"; the origin got one plain GET', async () => {
    const before = origin.requests.length;
    const res = await ex.fetch('/books/engines.pdf', { headers: auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    assert.equal(res.headers.get('etag'), null, 'the origin ETag names the unmarked file');
    const bytes = new Uint8Array(await res.arrayBuffer());

    const pdf = await PDFDocument.load(bytes);
    assert.equal(pdf.getPageCount(), 3);
    const stamp = hex('Sold to Ada Lovelace (cust_42)');
    for (let i = 0; i < 3; i++) {
      const text = pageText(pdf, i);
      assert.ok(text.includes(hex(`Chapter ${i + 1}`)), `page ${i + 1} keeps its own text`);
      assert.equal(text.split(`<${stamp}> Tj`).length - 1, 2, `page ${i + 1}: the stamp at the foot and across the page`);
    }

    const calls = origin.requests.slice(before);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].method, 'GET');
    assert.equal(calls[0].url, '/books/engines.pdf');
    assert.equal(calls[0].headers.authorization, undefined, 'the token stays at the edge');
  });

  it('GET without a token or with an unknown one: 401, and the origin is not asked', async () => {
    const before = origin.requests.length;
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${TOKEN}` }]) {
      const res = await ex.fetch('/books/engines.pdf', { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="books"');
      assert.doesNotMatch(await res.text(), /%PDF/);
    }
    assert.equal(origin.requests.length, before);
  });

  it('GET of something that is not a PDF, or missing: the origin answer passes through unchanged', async () => {
    const txt = await ex.fetch('/books/notes.txt', { headers: auth });
    assert.equal(txt.status, 200);
    assert.equal(await txt.text(), 'plain notes');
    const missing = await ex.fetch('/books/nope.pdf', { headers: auth });
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), 'no such book');
  });

  it('GET of a PDF the origin broke: 502, not a crash', async () => {
    const res = await ex.fetch('/books/broken.pdf', { headers: auth });
    assert.equal(res.status, 502);
    assert.match(await res.text(), /cannot be read/);
  });

  it('POST: 405', async () => {
    const res = await ex.fetch('/books/engines.pdf', { method: 'POST', headers: auth, body: 'x' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
  });
});
