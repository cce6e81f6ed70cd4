// Edge Side Includes, the Akamai-era way of assembling pages on the CDN, done in a
// worker: HTML from the origin streams through, and each `<esi:include src="..."/>` is
// replaced with the body of a sub-request for `src`. Everything before a tag reaches the
// browser before the fragment is fetched; a tag split across chunks is still found.

const START = '<esi:include';
// A fragment may fail; the page goes on with a comment in its place.
const MAX_INCLUDES = 20;
// An opened tag not closed within this many characters is not a tag: pass it on.
const MAX_TAG = 2048;

export default {
  async fetch(request, env) {
    const response = await fetch(request);
    if (response.body === null || !(response.headers.get('Content-Type') ?? '').startsWith('text/html')) return response;

    const headers = new Headers(response.headers);
    headers.delete('Content-Length');       // the body changes
    const body = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(esiStream(request, env))
      .pipeThrough(new TextEncoderStream());
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  },
};

/** A TransformStream of text that replaces ESI include tags with their fragments. */
function esiStream(request, env) {
  const allowed = new Set([new URL(request.url).host, ...(env.ESI_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean)]);
  let pending = '';
  let includes = 0;

  async function scan(controller, final) {
    for (;;) {
      const at = pending.indexOf(START);
      if (at === -1) {
        // Hold back an end that could be the start of a tag split across chunks.
        const keep = final ? 0 : partialStart(pending);
        if (pending.length > keep) controller.enqueue(pending.slice(0, pending.length - keep));
        pending = pending.slice(pending.length - keep);
        return;
      }
      if (at > 0) controller.enqueue(pending.slice(0, at));   // stream what comes before
      pending = pending.slice(at);
      const end = pending.indexOf('>');
      if (end === -1) {
        if (!final && pending.length < MAX_TAG) return;          // the tag's end is in a later chunk
        controller.enqueue(pending.slice(0, START.length));      // not a tag after all
        pending = pending.slice(START.length);
        continue;
      }
      const tag = pending.slice(0, end + 1);
      pending = pending.slice(end + 1);
      controller.enqueue(await include(tag));
    }
  }

  async function include(tag) {
    const src = attribute(tag, 'src');
    if (src === null) return '<!-- esi:include without src -->';
    if (++includes > MAX_INCLUDES) return `<!-- esi:include ${escape(src)}: more than ${MAX_INCLUDES} includes -->`;
    let url;
    try {
      url = new URL(src, request.url);
    } catch {
      return `<!-- esi:include ${escape(src)}: not a URL -->`;
    }
    if (!allowed.has(url.host) || (url.protocol !== 'https:' && url.protocol !== 'http:')) return `<!-- esi:include ${escape(src)}: host not allowed -->`;
    // The page's own site gets the visitor's cookies and language, for personal fragments.
    const headers = new Headers({ Accept: 'text/html' });
    for (const name of ['Cookie', 'Accept-Language']) {
      const value = request.headers.get(name);
      if (value !== null && url.host === new URL(request.url).host) headers.set(name, value);
    }
    try {
      const res = await fetch(url, { headers });
      if (res.ok) return await res.text();
      await res.body?.cancel();
      return `<!-- esi:include ${escape(src)}: ${res.status} -->`;
    } catch (err) {
      return `<!-- esi:include ${escape(src)}: ${escape(err.message)} -->`;
    }
  }

  return new TransformStream({
    async transform(chunk, controller) {
      pending += chunk;
      await scan(controller, false);
    },
    async flush(controller) {
      await scan(controller, true);
    },
  });
}

/** How many characters at the end of `text` could begin `<esi:include`. */
function partialStart(text) {
  for (let n = Math.min(START.length - 1, text.length); n > 0; n--) {
    if (START.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

function attribute(tag, name) {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag);
  return m ? (m[1] ?? m[2]).replace(/&amp;/g, '&') : null;
}

/** Safe inside an HTML comment. */
function escape(text) {
  return String(text).replace(/--/g, '- -').replace(/[<>]/g, '');
}
