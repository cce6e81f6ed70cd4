// Map tiles from whichever of two storage backends answers first: ask both at once,
// serve the first good answer, cancel the other, and report what happened to a stats
// service after the response, so the user never waits for the logging.

const TILE = /^\/tiles\/(\d{1,2})\/(\d{1,7})\/(\d{1,7})\.png$/;

// A promise that never settles: what a failed backend contributes to the race.
const never = new Promise(() => {});

export default {
  async fetch(request, env, ctx) {
    const match = TILE.exec(new URL(request.url).pathname);
    if (!match) return new Response('Not found: tiles are /tiles/{z}/{x}/{y}.png\n', { status: 404 });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Only GET and HEAD\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const [, z, x, y] = match;
    const key = `tiles/${z}/${x}/${y}.png`;
    const started = Date.now();

    const backends = [{ name: 'gcs', base: env.GCS_URL }, { name: 'b2', base: env.B2_URL }];
    const aborts = backends.map(() => new AbortController());
    const attempts = backends.map((b, i) =>
      fetch(`${b.base}/${key}`, { method: request.method, signal: aborts[i].signal }).then((res) => ({ ...b, i, res })));

    // Promise.race settles with whichever input settles first, good answer or not. So
    // each backend's entry settles only with a good answer, and a third entry settles
    // (with null) once both backends have failed.
    const good = attempts.map((p) => p.then(
      (a) => { if (a.res.ok) return a; a.res.body?.cancel(); return never; },
      () => never,
    ));
    const bothFailed = Promise.allSettled(attempts.map((p) => p.then((a) => { if (!a.res.ok) throw new Error(String(a.res.status)); })))
      .then((results) => (results.every((r) => r.status === 'rejected') ? null : never));
    const winner = await Promise.race([...good, bothFailed]);
    const ms = Date.now() - started;

    if (winner === null) {
      ctx.waitUntil(report(env, [{ stat: 'tile failures', count: 1 }]));
      return new Response('Neither storage backend has this tile right now\n', { status: 502, headers: { 'retry-after': '5' } });
    }
    // The slower request is no longer needed.
    aborts.forEach((a, i) => { if (i !== winner.i) a.abort(); });
    ctx.waitUntil(report(env, [
      { stat: `tiles served from ${winner.name}`, count: 1 },
      { stat: 'tile ms', value: ms },
    ]));

    const response = new Response(winner.res.body, winner.res);
    response.headers.set('X-Tile-Backend', winner.name);
    if (!response.headers.has('Cache-Control')) response.headers.set('Cache-Control', 'public, max-age=86400');
    return response;
  },
};

/** Posts stats in StatHat's EZ API shape; a failure is logged, never thrown. */
async function report(env, data) {
  try {
    const res = await fetch(env.STATHAT_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ezkey: env.STATHAT_KEY, data }),
    });
    await res.body?.cancel();
    if (!res.ok) console.warn(`stats: ${env.STATHAT_URL} answered ${res.status}`);
  } catch (err) {
    console.warn(`stats: ${err.message}`);
  }
}
