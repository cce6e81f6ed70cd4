// A whole website served from KV, with no origin at all (as Discord moved its site into a
// worker): each path is a KV key, the Content-Type comes from the extension, every file
// has a strong ETag so browsers revalidate with a 304, and a missing page is the site's
// own 404 page. Feature flags live in KV too: the site reads them at /api/flags, and the
// "maintenance" flag swaps every page for the maintenance page without a deploy.

const TYPES = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  webmanifest: 'application/manifest+json',
};

function contentType(key) {
  const ext = /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}

/** "/" and "/docs/" are their index.html; "/about" is "/about.html" if there is no "/about". */
function keysFor(pathname) {
  if (pathname.endsWith('/')) return [`${pathname}index.html`];
  if (/\.[a-z0-9]+$/i.test(pathname)) return [pathname];
  return [pathname, `${pathname}.html`, `${pathname}/index.html`];
}

async function etagOf(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  const hex = [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `"${hex}"`;
}

/** If-None-Match matches by the weak comparison (RFC 9110 13.1.2): W/ is ignored. */
function notModified(request, etag) {
  const header = request.headers.get('if-none-match');
  if (header === null) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

async function flags(env) {
  return (await env.FLAGS.get('flags', 'json')) ?? {};
}

async function serve(request, key, bytes, status = 200) {
  const etag = await etagOf(bytes);
  const headers = new Headers({
    'content-type': contentType(key),
    etag,
    // Pages revalidate on every visit (cheap: a 304); other files are cached for an hour.
    'cache-control': key.endsWith('.html') ? 'public, no-cache' : 'public, max-age=3600',
  });
  if (status === 200 && notModified(request, etag)) return new Response(null, { status: 304, headers });
  headers.set('content-length', String(bytes.byteLength));
  return new Response(request.method === 'HEAD' ? null : bytes, { status, headers });
}

export default {
  async fetch(request, env) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const url = new URL(request.url);
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return new Response('Bad Request: the path is not valid percent-encoding\n', { status: 400 });
    }

    const flagSet = await flags(env);
    if (pathname === '/api/flags') {
      return Response.json(flagSet, { headers: { 'cache-control': 'no-store' } });
    }
    if (flagSet.maintenance === true) {
      const page = await env.SITE.get('/maintenance.html', 'arrayBuffer');
      const res = await serve(request, '/maintenance.html', page ?? new TextEncoder().encode('Down for maintenance\n'), 503);
      res.headers.set('retry-after', '300');
      res.headers.set('cache-control', 'no-store');
      return res;
    }

    for (const key of keysFor(pathname)) {
      const bytes = await env.SITE.get(key, 'arrayBuffer');
      if (bytes !== null) return serve(request, key, bytes);
    }
    const notFound = await env.SITE.get('/404.html', 'arrayBuffer');
    if (notFound !== null) return serve(request, '/404.html', notFound, 404);
    return new Response('Not Found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  },
};
