// Geo-targeted localization: request.cf.country says where the visitor is; the worker
// asks the origin for /{lang}/path, falls back to the default page at /path when the
// origin has no such translation (404), and keeps the answer in the edge cache, per
// language, so the next visitor from that country is served without the origin.
// A site that adds a translation needs no change here: the next cache miss finds it.

// The language of a country's pages at the origin; other countries get the default.
const LANGUAGE = {
  DE: 'de', AT: 'de', CH: 'de', LI: 'de',
  FR: 'fr', MC: 'fr', LU: 'fr',
  ES: 'es', MX: 'es', AR: 'es', CO: 'es', CL: 'es', PE: 'es',
  PT: 'pt', BR: 'pt',
  IT: 'it', NL: 'nl', JP: 'ja', CN: 'zh', TW: 'zh',
};
const DEFAULT = 'en';
const PREFIXED = new RegExp(`^/(${[...new Set(Object.values(LANGUAGE))].join('|')})(/|$)`);

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    // Only page views are localized; a URL that names its language is left alone.
    if (request.method !== 'GET' || PREFIXED.test(url.pathname)) return fetch(request);

    const lang = LANGUAGE[request.cf?.country] ?? DEFAULT;
    const cache = caches.default;
    // One cache entry per page and language.
    const key = new Request(`${url.origin}/${lang}${url.pathname}${url.search}`);
    const cached = await cache.match(key);
    if (cached) return withHeader(cached, 'X-Edge-Cache', 'HIT');

    let response = null;
    let served = DEFAULT;
    if (lang !== DEFAULT) {
      response = await fetch(`${url.origin}/${lang}${url.pathname}${url.search}`, request);
      served = lang;
      if (response.status === 404) {
        await response.body?.cancel();
        response = null;
      }
    }
    if (response === null) {
      response = await fetch(request);
      served = DEFAULT;
    }

    response = new Response(response.body, response);
    response.headers.set('X-Page-Language', served);
    const cc = response.headers.get('Cache-Control') ?? '';
    if (response.status === 200 && !/no-store|private/.test(cc)) {
      response.headers.set('Cache-Control', `public, max-age=${Number(env.CACHE_SECONDS) || 300}`);
      // The copy goes into the cache after the response, which does not wait for it.
      ctx.waitUntil(cache.put(key, response.clone()));
    }
    return withHeader(response, 'X-Edge-Cache', 'MISS');
  },
};

function withHeader(response, name, value) {
  const out = new Response(response.body, response);
  out.headers.set(name, value);
  return out;
}
