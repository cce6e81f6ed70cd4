// examples/pdf-generate: a PDF made at the edge with jsPDF that shows the URL asked for.
// The PDF is parsed here with pdf-lib, as a reader would open it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import { runExample, type RunningExample } from './harness.ts';

/** The text shown on a jsPDF page: its content stream is not compressed by default. */
function pageContent(pdf: PDFDocument, page: number): string {
  const contents = pdf.getPage(page).node.Contents();
  assert.ok(contents instanceof PDFRawStream, 'one content stream');
  return Buffer.from(contents.getContents()).toString('latin1');
}

describe('examples/pdf-generate', () => {
  let ex: RunningExample;
  before(async () => { ex = await runExample('pdf-generate'); });
  after(async () => { await ex?.close(); });

  it('GET: answers a one-page PDF that shows the requested URL, with the logo', async () => {
    const res = await ex.fetch('/invoices/2026/11?customer=ada');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="url.pdf"');
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.headers.get('content-length'), String(bytes.length));
    assert.equal(Buffer.from(bytes.subarray(0, 5)).toString(), '%PDF-');

    const pdf = await PDFDocument.load(bytes);
    assert.equal(pdf.getPageCount(), 1);
    assert.equal(pdf.getTitle(), 'PDF for /invoices/2026/11');
    const text = pageContent(pdf, 0);
    assert.match(text, /\(Made at the edge\) Tj/);
    assert.ok(text.includes(`(${ex.url}/invoices/2026/11?customer=ada) Tj`), text);
    // The logo is drawn as an image XObject of 64x64 pixels.
    assert.match(text, /\/I0 Do/);
    const xobjects = pdf.getPage(0).node.Resources()?.lookup(PDFName.of('XObject'));
    const image = pdf.context.lookup((xobjects as any).get(PDFName.of('I0'))) as PDFRawStream;
    assert.equal(image.dict.get(PDFName.of('Width'))?.toString(), '64');
    assert.equal(image.dict.get(PDFName.of('Subtype'))?.toString(), '/Image');
  });

  it('GET: a URL longer than the page is wide wraps onto more lines, all of it shown', async () => {
    const long = '/' + 'a-very-long-path-segment/'.repeat(12);
    const res = await ex.fetch(long);
    assert.equal(res.status, 200);
    const text = pageContent(await PDFDocument.load(await res.arrayBuffer()), 0);
    const lines = [...text.matchAll(/\((.*?)\) Tj/g)].map((m) => m[1]).filter((l) => l !== 'Made at the edge' && l !== 'You asked for:');
    assert.ok(lines.length > 1, `wrapped: ${lines.join(' | ')}`);
    assert.equal(lines.join(''), ex.url + long);
  });

  it('HEAD: the same headers and no body', async () => {
    const res = await ex.fetch('/x', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  it('POST: 405 with Allow, no PDF', async () => {
    const res = await ex.fetch('/x', { method: 'POST', body: 'hello' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    assert.doesNotMatch(await res.text(), /%PDF/);
  });
});
