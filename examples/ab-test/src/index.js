// A/B testing decided at the edge: a new visitor is assigned a variant there, the choice
// is kept in a cookie so they see the same one on every visit, and the page is served
// from the worker. No origin round trip, and no flicker from a script in the browser
// deciding after the page has loaded.
import a from './variants/a.html';
import b from './variants/b.html';

const VARIANTS = { a, b };
const COOKIE = 'ab-home';
const YEAR = 60 * 60 * 24 * 365;

function cookieVariant(request) {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === COOKIE && Object.hasOwn(VARIANTS, value)) return value;
  }
  return null;
}

function assign(env) {
  const percent = Math.min(100, Math.max(0, Number(env.B_PERCENT ?? 50)));
  const [roll] = crypto.getRandomValues(new Uint32Array(1));
  return (roll / 2 ** 32) * 100 < percent ? 'b' : 'a';
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== '/') return new Response('Not Found\n', { status: 404 });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    }

    const known = cookieVariant(request);
    const variant = known ?? assign(env);
    const headers = new Headers({
      'content-type': 'text/html; charset=utf-8',
      // The page depends on the cookie: shared caches must not hand one visitor's
      // variant to another.
      'cache-control': 'private, no-cache',
      vary: 'cookie',
      'x-variant': variant,
    });
    if (!known) headers.append('set-cookie', `${COOKIE}=${variant}; Path=/; Max-Age=${YEAR}; Secure; HttpOnly; SameSite=Lax`);
    return new Response(request.method === 'HEAD' ? null : VARIANTS[variant], { headers });
  },
};
