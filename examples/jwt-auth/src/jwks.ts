// The identity provider's public keys, fetched from its JWKS URL and kept for as long
// as its Cache-Control says (10 minutes when it says nothing). A token that names a key
// the cached set lacks fetches the set again (the provider rotated its keys), at most
// once every 30 seconds, so made-up kids cannot hammer the provider.

const DEFAULT_MAX_AGE_S = 600;
const MIN_REFETCH_MS = 30_000;

interface Jwk extends JsonWebKey {
  kid?: string;
  use?: string;
}

const KTY = { RS256: 'RSA', ES256: 'EC' } as const;

export class JwksCache {
  #url = '';
  #keys: Jwk[] = [];
  #fetchedAt = -Infinity;
  #expiresAt = -Infinity;

  /** The key for a token with this kid and alg, or null when the provider has none. */
  async key(url: string, kid: string | undefined, alg: 'RS256' | 'ES256'): Promise<JsonWebKey | null> {
    const now = Date.now();
    if (url !== this.#url || now >= this.#expiresAt) await this.#fetch(url);
    let key = this.#find(kid, alg);
    if (key === null && Date.now() - this.#fetchedAt >= MIN_REFETCH_MS) {
      await this.#fetch(url);
      key = this.#find(kid, alg);
    }
    return key;
  }

  #find(kid: string | undefined, alg: 'RS256' | 'ES256'): Jwk | null {
    const fits = this.#keys.filter((k) => k.kty === KTY[alg] && (k.alg === undefined || k.alg === alg) && (k.use === undefined || k.use === 'sig')
      && (alg !== 'ES256' || k.crv === 'P-256'));
    // Without a kid, only a set with one key of this type is unambiguous.
    if (kid === undefined) return fits.length === 1 ? fits[0] : null;
    return fits.find((k) => k.kid === kid) ?? null;
  }

  async #fetch(url: string): Promise<void> {
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`the JWKS at ${url} answered ${res.status}`);
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error(`the JWKS at ${url} has no "keys" list`);
    const maxAge = /max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '');
    this.#url = url;
    this.#keys = body.keys.filter((k): k is Jwk => k !== null && typeof k === 'object');
    this.#fetchedAt = Date.now();
    this.#expiresAt = this.#fetchedAt + (maxAge ? Number(maxAge[1]) : DEFAULT_MAX_AGE_S) * 1000;
  }
}
