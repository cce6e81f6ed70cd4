// JWT authentication at the edge, in front of object storage that has none of its own:
// every request must carry `Authorization: Bearer <JWT>`; a good token's claims go to
// storage in headers, anything else is a 401 with WWW-Authenticate (RFC 6750).

import { JwtError, verifyJwt, type Claims } from './jwt.ts';
import { JwksCache } from './jwks.ts';

interface Env {
  /** The HS256 secret (a secret binding; HS256 tokens are refused without it). */
  JWT_SECRET?: string;
  JWKS_URL: string;
  ISSUER: string;
  AUDIENCE: string;
  STORAGE_URL: string;
  REALM: string;
}

// Module scope outlives a request: the keys are fetched once and shared by the
// requests this isolate serves, until they go stale or a token names a new key.
const jwks = new JwksCache();

// Request headers storage may use; the rest (Authorization, cookies) stay at the edge.
const FORWARD = ['accept', 'accept-encoding', 'range', 'if-none-match', 'if-modified-since'];

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Only GET and HEAD\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const auth = request.headers.get('Authorization') ?? '';
    const match = /^Bearer +([^ ]+) *$/i.exec(auth);
    if (!match) return unauthorized(env, null);

    let claims: Claims;
    try {
      claims = await verifyJwt(match[1], {
        secret: env.JWT_SECRET,
        publicKey: (kid, alg) => jwks.key(env.JWKS_URL, kid, alg),
        issuer: env.ISSUER,
        audience: env.AUDIENCE,
      });
    } catch (err) {
      if (err instanceof JwtError) return unauthorized(env, err.message);
      // The identity provider is down or answered nonsense: not the user's fault.
      console.error('cannot check the token:', (err as Error).message);
      return new Response('Cannot check the token right now; try again shortly.\n', { status: 503, headers: { 'retry-after': '10' } });
    }

    const url = new URL(request.url);
    const headers = new Headers();
    for (const name of FORWARD) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    // Fresh headers, so a client cannot send its own X-Auth-* to storage.
    headers.set('X-Auth-Subject', String(claims.sub ?? ''));
    headers.set('X-Auth-Claims', asciiJson(claims));
    const object = await fetch(env.STORAGE_URL + url.pathname, { method: request.method, headers });

    const response = new Response(object.body, object);
    // What one user may see is not for shared caches.
    response.headers.set('Cache-Control', 'private, max-age=0');
    return response;
  },
};

/** A 401 with the challenge: a bare one without a token, error="invalid_token" with one. */
function unauthorized(env: Env, reason: string | null): Response {
  const realm = `Bearer realm="${env.REALM}"`;
  const challenge = reason === null ? realm : `${realm}, error="invalid_token", error_description="${reason.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;
  return new Response(`${reason ?? 'A bearer token is required'}\n`, {
    status: 401,
    headers: { 'WWW-Authenticate': challenge, 'content-type': 'text/plain; charset=utf-8' },
  });
}

/** JSON with non-ASCII characters escaped, as a header value must be bytes. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
