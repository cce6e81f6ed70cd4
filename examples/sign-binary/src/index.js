// Adds a licence block for the signed-in customer to a binary downloaded through the
// edge, and signs it with ECDSA P-256, so every copy says whom it was sold to and
// anyone holding the public key can check that. The binary streams through: the
// client gets its first bytes while the origin is still sending, and the licence
// (with the binary's SHA-256, computed on the way) follows the last byte.
//
// What the client receives:
//   <the binary as the origin sent it>
//   \n-----BEGIN ATOLL LICENCE-----\n
//   <licence JSON>\n
//   <ECDSA P-256 / SHA-256 signature of the licence JSON's bytes, base64>\n
//   -----END ATOLL LICENCE-----\n

const BEGIN = '\n-----BEGIN ATOLL LICENCE-----\n';
const END = '-----END ATOLL LICENCE-----\n';
const encoder = new TextEncoder();

let keys; // { privateKey, publicJwk }, imported once per isolate

async function signingKeys(env) {
  if (keys) return keys;
  const pem = env.SIGNING_KEY;
  if (typeof pem !== 'string' || !pem.includes('BEGIN PRIVATE KEY')) {
    throw new Error('SIGNING_KEY is not set to a PKCS#8 PEM private key');
  }
  const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, '')), (c) => c.charCodeAt(0));
  const privateKey = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  // The public half, for /.well-known/licence-key.json: the private JWK without "d".
  const { d: _private, key_ops: _ops, ext: _ext, ...publicJwk } = await crypto.subtle.exportKey('jwk', privateKey);
  keys = { privateKey, publicJwk: { ...publicJwk, use: 'sig', alg: 'ES256' } };
  return keys;
}

async function sha256Hex(data) {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function customerOf(request, env) {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
  if (!match) return null;
  return env.CUSTOMERS.get(await sha256Hex(encoder.encode(match[1])), 'json');
}

function base64(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

/** Passes the binary through unchanged, hashing it, then appends the signed licence. */
function licensed(body, { privateKey }, licenceFor) {
  const digest = new crypto.DigestStream('SHA-256');
  const hashing = digest.getWriter();
  let size = 0;
  return body.pipeThrough(new TransformStream({
    async transform(chunk, controller) {
      size += chunk.byteLength;
      controller.enqueue(chunk);
      await hashing.write(chunk);
    },
    async flush(controller) {
      await hashing.close();
      const sha256 = [...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      const licence = encoder.encode(JSON.stringify(licenceFor(sha256, size)));
      const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, licence);
      controller.enqueue(encoder.encode(BEGIN));
      controller.enqueue(licence);
      controller.enqueue(encoder.encode(`\n${base64(signature)}\n${END}`));
    },
  }));
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/.well-known/licence-key.json') {
      const { publicJwk } = await signingKeys(env);
      return Response.json({ keys: [publicJwk] }, { headers: { 'cache-control': 'public, max-age=3600' } });
    }
    if (!url.pathname.startsWith('/downloads/') || request.method !== 'GET') {
      return new Response('Not Found\n', { status: 404 });
    }

    const customer = await customerOf(request, env);
    if (!customer) {
      return new Response('Sign in to download.\n', { status: 401, headers: { 'www-authenticate': 'Bearer realm="downloads"' } });
    }
    const signer = await signingKeys(env);

    const toOrigin = new Request(request);
    toOrigin.headers.delete('authorization');
    toOrigin.headers.delete('range'); // a licence is for the whole file
    const origin = await fetch(toOrigin);
    if (!origin.ok || !origin.body) return origin;

    const file = decodeURIComponent(url.pathname.slice('/downloads/'.length));
    const body = licensed(origin.body, signer, (sha256, size) => ({
      licensee: { id: customer.id, name: customer.name },
      file,
      size,
      sha256,
      issued: new Date().toISOString(),
    }));
    const headers = new Headers(origin.headers);
    for (const h of ['content-length', 'etag', 'last-modified', 'accept-ranges', 'content-encoding']) headers.delete(h);
    headers.set('content-type', 'application/octet-stream');
    headers.set('content-disposition', `attachment; filename="${file.split('/').pop().replace(/["\\]/g, '_')}"`);
    headers.set('cache-control', 'private, no-store');
    return new Response(body, { headers });
  },
};
