// Lava Millions: Mega Millions picks (5 different white balls from 1-70 and one Mega
// Ball from 1-25) made from the bytes of a randomness API (a camera pointed at a wall of
// lava lamps), served as an HTML page. No backend: one sub-request and some arithmetic.

interface Env {
  RANDOM_URL: string;
}

const WHITE = { count: 5, max: 70 };
const MEGA = { count: 1, max: 25 };
const BYTES_PER_CALL = 32;
const MAX_CALLS = 3;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== '/') return new Response('Not found\n', { status: 404 });
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Only GET\n', { status: 405, headers: { allow: 'GET, HEAD' } });

    let white: number[];
    let mega: number[];
    try {
      const bytes = new RandomBytes(env.RANDOM_URL);
      white = (await draw(bytes, WHITE.count, WHITE.max)).sort((a, b) => a - b);
      mega = await draw(bytes, MEGA.count, MEGA.max);
    } catch (err) {
      console.error('no randomness:', (err as Error).message);
      return page('<p class="error">The lava lamps are not answering. Try again in a moment.</p>', 502);
    }
    return page(`<ol class="white">${white.map((n) => `<li>${n}</li>`).join('')}</ol>\n<p class="mega">Mega Ball: <b>${mega[0]}</b></p>`, 200);
  },
};

/**
 * `count` different numbers from 1 to `max`, without modulo bias: a byte is used only
 * when it is below the largest multiple of `max` that fits in a byte (for 70: 210), so
 * every remainder is equally likely; other bytes and repeats are skipped.
 */
async function draw(bytes: RandomBytes, count: number, max: number): Promise<number[]> {
  const limit = 256 - (256 % max);
  const picked: number[] = [];
  while (picked.length < count) {
    const b = await bytes.next();
    if (b >= limit) continue;
    const n = (b % max) + 1;
    if (!picked.includes(n)) picked.push(n);
  }
  return picked;
}

/** Bytes from the randomness API, fetched BYTES_PER_CALL at a time as they are used. */
class RandomBytes {
  #url: string;
  #buffer = new Uint8Array(0);
  #at = 0;
  #calls = 0;

  constructor(url: string) {
    this.#url = url;
  }

  async next(): Promise<number> {
    if (this.#at === this.#buffer.length) {
      if (this.#calls++ === MAX_CALLS) throw new Error(`still short of random bytes after ${MAX_CALLS} calls`);
      const res = await fetch(`${this.#url}?bytes=${BYTES_PER_CALL}`, { headers: { accept: 'application/octet-stream' } });
      if (!res.ok) throw new Error(`${this.#url} answered ${res.status}`);
      this.#buffer = new Uint8Array(await res.arrayBuffer());
      this.#at = 0;
      if (this.#buffer.length === 0) throw new Error(`${this.#url} sent no bytes`);
    }
    return this.#buffer[this.#at++];
  }
}

function page(body: string, status: number): Response {
  const html = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Lava Millions</title>
<style>body{font-family:system-ui;text-align:center}li{display:inline-block;margin:.3em;padding:.8em;border-radius:50%;background:#eee}b{color:#c00}</style>
<h1>Lava Millions</h1>
<p>Your Mega Millions numbers, from lava lamps:</p>
${body}
</html>
`;
  // A new draw on every visit: no cache may keep one.
  return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}
