// Stamps "Sold to <customer>" on every page of a PDF from the origin as it passes
// through the edge, so the shop stores one copy of each book and every buyer's copy
// still carries their name (the talk's watermarking customer). pdf-lib edits the PDF.
import { PDFDocument, StandardFonts, degrees, rgb } from 'pdf-lib';

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The customer who sent the request, or null: tokens are looked up by their hash. */
async function customerOf(request, env) {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
  if (!match) return null;
  return env.CUSTOMERS.get(await sha256Hex(match[1]), 'json');
}

async function watermark(pdfBytes, customer) {
  const pdf = await PDFDocument.load(pdfBytes);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const stamp = `Sold to ${customer.name} (${customer.id})`;
  for (const page of pdf.getPages()) {
    const { width } = page.getSize();
    // A visible line at the foot of each page, and a faint one across it.
    page.drawText(stamp, { x: 36, y: 20, size: 9, font, color: rgb(0.35, 0.35, 0.35) });
    const size = Math.min(28, (width * 0.9) / font.widthOfTextAtSize(stamp, 1));
    page.drawText(stamp, { x: width * 0.08, y: 120, size, font, color: rgb(0.8, 0.1, 0.1), opacity: 0.15, rotate: degrees(35) });
  }
  pdf.setModificationDate(new Date());
  return pdf.save();
}

export default {
  async fetch(request, env) {
    if (request.method !== 'GET') {
      return new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET' } });
    }
    const customer = await customerOf(request, env);
    if (!customer) {
      return new Response('Sign in to download your books.\n', {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="books"', 'content-type': 'text/plain; charset=utf-8' },
      });
    }

    // The origin serves the same unmarked file to everyone: it never sees the token.
    const toOrigin = new Request(request);
    toOrigin.headers.delete('authorization');
    const origin = await fetch(toOrigin);
    const type = origin.headers.get('content-type') ?? '';
    if (!origin.ok || !type.startsWith('application/pdf')) return origin;

    let marked;
    try {
      marked = await watermark(await origin.arrayBuffer(), customer);
    } catch (err) {
      console.error(`cannot watermark ${request.url}: ${err}`);
      return new Response('The origin sent a PDF that cannot be read.\n', { status: 502 });
    }
    const headers = new Headers(origin.headers);
    headers.delete('content-length');
    headers.delete('etag');
    headers.delete('last-modified');
    // Each copy is for one buyer: no shared cache may keep it.
    headers.set('cache-control', 'private, no-store');
    return new Response(marked, { headers });
  },
};
