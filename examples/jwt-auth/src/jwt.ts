// JSON Web Token verification with WebCrypto (RFC 7519, RFC 7515): HS256 with a shared
// secret, RS256 and ES256 with the identity provider's public keys (a JWKS, RFC 7517).
// Only these three algorithms are accepted, and each only with its own kind of key, so
// an "alg": "none" token or an HS256 token "signed" with a public key is refused.

/** Why a token was refused; the message goes into WWW-Authenticate's error_description. */
export class JwtError extends Error {}

export interface Claims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  [claim: string]: unknown;
}

export interface VerifyOptions {
  /** The HS256 secret; without one HS256 tokens are refused. */
  secret?: string;
  /** The signing key with this `kid` (RS256/ES256), or null when the JWKS has none. */
  publicKey(kid: string | undefined, alg: 'RS256' | 'ES256'): Promise<JsonWebKey | null>;
  issuer: string;
  audience: string;
  /** Seconds of clock skew allowed for exp and nbf. */
  leeway?: number;
}

const ALGORITHMS = {
  HS256: { name: 'HMAC', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
} as const;
type Alg = keyof typeof ALGORITHMS;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SIGNATURE = /^[A-Za-z0-9_-]*$/;

function base64url(segment: string): Uint8Array<ArrayBuffer> {
  const b64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function json(segment: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url(segment)));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new JwtError(`The token's ${what} is not a JSON object`);
}

/** The token's claims once its signature and claims check out; throws JwtError otherwise. */
export async function verifyJwt(token: string, opts: VerifyOptions): Promise<Claims> {
  const parts = token.split('.');
  const [h, p, s] = parts;
  if (parts.length !== 3 || !SEGMENT.test(h) || !SEGMENT.test(p) || !SIGNATURE.test(s)) throw new JwtError('The token is not a JWT (header.payload.signature)');
  const header = json(h, 'header');
  const claims = json(p, 'payload') as Claims;

  const alg = header.alg;
  if (typeof alg !== 'string' || !Object.hasOwn(ALGORITHMS, alg)) throw new JwtError(`The token's algorithm ${shown(alg)} is not accepted`);
  const algorithm = ALGORITHMS[alg as Alg];
  if (s === '') throw new JwtError('The token is not signed');

  let key: CryptoKey;
  if (alg === 'HS256') {
    if (!opts.secret) throw new JwtError('HS256 tokens are not accepted here');
    key = await crypto.subtle.importKey('raw', new TextEncoder().encode(opts.secret), algorithm, false, ['verify']);
  } else {
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const jwk = await opts.publicKey(kid, alg as 'RS256' | 'ES256');
    if (jwk === null) throw new JwtError(`No signing key ${kid === undefined ? 'without a kid' : shown(kid)} for ${alg}`);
    try {
      key = await crypto.subtle.importKey('jwk', jwk, algorithm, false, ['verify']);
    } catch {
      throw new JwtError(`The signing key ${shown(kid)} cannot be used`);
    }
  }
  // For ES256 the signature is r || s (JWS, RFC 7518 3.4), the form WebCrypto verifies.
  const signed = new TextEncoder().encode(`${h}.${p}`);
  if (!(await crypto.subtle.verify(algorithm, key, base64url(s), signed))) throw new JwtError('The signature does not match');

  checkClaims(claims, opts);
  return claims;
}

/** A value from the token, short and printable, for an error message. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return `'${text.slice(0, 64).replace(/[^\x20-\x7e]|['"\\]/g, '?')}'`;
}

function checkClaims(claims: Claims, opts: VerifyOptions): void {
  const now = Math.floor(Date.now() / 1000);
  const leeway = opts.leeway ?? 60;
  if (typeof claims.exp !== 'number') throw new JwtError('The token has no expiry (exp)');
  if (now - leeway >= claims.exp) throw new JwtError('The token expired');
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now + leeway < claims.nbf)) throw new JwtError('The token is not valid yet (nbf)');
  if (claims.iss !== opts.issuer) throw new JwtError('The token was issued by someone else (iss)');
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(opts.audience)) throw new JwtError('The token is meant for someone else (aud)');
}
