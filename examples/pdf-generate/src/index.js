// Generates a PDF at the edge that shows the URL it was asked for, as in the talk's
// "Generate PDF" demo: jsPDF (an npm dependency, bundled on deploy) lays out a logo
// and some text, and the worker returns the bytes. No origin is involved.
import { jsPDF } from 'jspdf';
import logo from './logo.png';

const logoBytes = new Uint8Array(logo);

export default {
  async fetch(request) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Only GET and HEAD make PDFs here.\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const url = new URL(request.url);

    const doc = new jsPDF({ unit: 'pt', format: 'a4' });
    doc.setProperties({ title: `PDF for ${url.pathname}`, creator: 'atoll pdf-generate example' });
    doc.addImage(logoBytes, 'PNG', 48, 48, 64, 64);
    doc.setFontSize(22);
    doc.text('Made at the edge', 128, 88);
    doc.setFontSize(12);
    doc.text('You asked for:', 48, 150);
    // A long URL wraps onto as many lines as it needs within the page's margins.
    doc.setFont('courier');
    doc.text(doc.splitTextToSize(url.href, 500), 48, 170);

    const pdf = doc.output('arraybuffer');
    return new Response(request.method === 'HEAD' ? null : pdf, {
      headers: {
        'content-type': 'application/pdf',
        'content-length': String(pdf.byteLength),
        'content-disposition': 'inline; filename="url.pdf"',
      },
    });
  },
};
