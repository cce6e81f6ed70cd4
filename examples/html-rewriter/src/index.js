// Rewrites an origin's HTML page as it streams through the edge, with HTMLRewriter:
// http:// links and images become https://, ads and a tracking script are removed, a
// banner goes in at the top of <body> and a script at the end of <head>. Each chunk is
// rewritten as it arrives, so the visitor's browser starts on the page before the
// origin has finished sending it. Anything that is not HTML passes through untouched.

class UpgradeToHttps {
  constructor(attribute) {
    this.attribute = attribute;
  }
  element(element) {
    const value = element.getAttribute(this.attribute);
    if (value?.startsWith('http://')) element.setAttribute(this.attribute, `https://${value.slice('http://'.length)}`);
  }
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export default {
  async fetch(request, env) {
    const response = await fetch(request);
    if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) return response;

    const banner = `<div class="edge-banner" role="status">${escapeHtml(env.BANNER)}</div>`;
    return new HTMLRewriter()
      .on('a[href^="http://"]', new UpgradeToHttps('href'))
      .on('img[src^="http://"], script[src^="http://"]', new UpgradeToHttps('src'))
      .on('.ad, [data-ad], script[src*="tracker"]', { element: (el) => el.remove() })
      .on('head', { element: (el) => el.append(`<script src="${escapeHtml(env.SCRIPT_URL)}" defer></script>`, { html: true }) })
      .on('body', { element: (el) => el.prepend(banner, { html: true }) })
      .transform(response);
  },
};
