// Security headers on the fly: fetch the page from the origin, add the headers a
// modern site should send, and hide what the origin runs on. Written as a
// service-worker script, the form the first Workers used; `export default { fetch }`
// works the same way.

// Added to HTML responses, replacing whatever the origin sent under these names.
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; upgrade-insecure-requests",
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains; preload',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
};

// Headers that only tell an attacker which software and version to aim at.
const REMOVE = ['X-Powered-By', 'X-AspNet-Version', 'X-AspNetMvc-Version'];

addEventListener('fetch', (event) => {
  event.respondWith(addHeaders(event.request));
});

async function addHeaders(request) {
  const response = await fetch(request);
  // A copy of the headers: the fetched response's own are immutable. Copying keeps
  // every header, and each Set-Cookie stays a separate line.
  const headers = new Headers(response.headers);
  for (const name of REMOVE) headers.delete(name);
  headers.set('Server', SERVER_NAME);

  const type = headers.get('Content-Type') ?? '';
  if (type.startsWith('text/html')) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
  }
  // The body streams through untouched.
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
