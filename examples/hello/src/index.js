// A tiny Workers-style worker: an ES module with a fetch handler. Edit it while
// `npm start` runs and the next request sees the change.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/json') {
      return Response.json({ greeting: env.GREETING, colo: request.cf.colo, path: url.pathname });
    }
    return new Response(`${env.GREETING}! You asked for ${url.pathname} (served in ${request.cf.colo}).\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  },
};
