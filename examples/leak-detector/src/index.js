// Data-leak detection at the edge: every text response from the origin is scanned for
// a canary (a value planted in the database that no page should ever contain) and for
// payment card numbers. The page is held back until it has been scanned whole; on the
// first hit the user gets a 403 at once (the rest of the page is not awaited) and
// PagerDuty is paged in ctx.waitUntil, after the 403 has gone out.

// Text responses are scanned; images, video and other binaries pass through untouched.
const SCANNED = /^(text\/|application\/(json|xml|javascript)\b|application\/[^;]*\+(json|xml)\b)/i;

// 13 to 19 digits, optionally grouped with spaces or dashes, not part of a longer number.
const CARD = /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g;

export default {
  async fetch(request, env, ctx) {
    const response = await fetch(request);
    if (response.body === null || !SCANNED.test(response.headers.get('Content-Type') ?? '')) return response;

    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const chunks = [];
    // The end of what was scanned, kept so a secret split across two chunks is found.
    const overlap = Math.max(env.CANARY?.length ?? 0, 40);
    let tail = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      const text = tail + decoder.decode(value, { stream: true });
      const leak = findLeak(text, env.CANARY);
      if (leak !== null) {
        // Nothing of the page has been sent; the rest of it is not wanted either.
        reader.cancel().catch(() => {});
        ctx.waitUntil(page(env, request, response, leak));
        return new Response('Forbidden\n', { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
      }
      tail = text.slice(-overlap);
    }
    // Clean: the page as the origin sent it, every header included.
    return new Response(concat(chunks), response);
  },
};

/** What leaked, described without repeating it, or null. */
function findLeak(text, canary) {
  if (canary && text.includes(canary)) return { kind: 'canary', detail: 'the canary value' };
  for (const [candidate] of text.matchAll(CARD)) {
    const digits = candidate.replace(/[ -]/g, '');
    if (isCardNumber(digits)) return { kind: 'card number', detail: `a card number ending in ${digits.slice(-4)}` };
  }
  return null;
}

/** A major network's prefix and length, and a valid Luhn check digit. */
function isCardNumber(digits) {
  const brand = /^4\d{12}(\d{3}){0,2}$/.test(digits)          // Visa
    || /^(5[1-5]\d\d|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)\d{12}$/.test(digits) // Mastercard
    || /^3[47]\d{13}$/.test(digits)                              // American Express
    || /^6(011|5\d\d)\d{12,15}$/.test(digits);                   // Discover
  if (!brand) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Triggers a PagerDuty incident (Events API v2); one incident per leaking page and kind. */
async function page(env, request, response, leak) {
  const url = new URL(request.url);
  const event = {
    routing_key: env.PAGERDUTY_ROUTING_KEY,
    event_action: 'trigger',
    dedup_key: `leak:${leak.kind}:${url.host}${url.pathname}`,
    payload: {
      summary: `Data leak blocked: ${url.host}${url.pathname} contained ${leak.detail}`,
      source: url.host,
      severity: 'critical',
      component: 'origin',
      class: 'data leak',
      custom_details: {
        kind: leak.kind,
        found: leak.detail,
        method: request.method,
        url: url.href,
        origin_status: response.status,
        client_ip: request.headers.get('CF-Connecting-IP'),
        user_agent: request.headers.get('User-Agent'),
        country: request.cf?.country,
      },
    },
  };
  try {
    const res = await fetch(env.PAGERDUTY_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    if (res.status !== 202) console.error(`PagerDuty answered ${res.status}: ${await res.text()}`);
    else await res.body?.cancel();
  } catch (err) {
    console.error(`PagerDuty could not be reached: ${err.message}`);
  }
}
