// HTMLRewriter inside a real isolate, against the behaviours Workers documents:
// https://developers.cloudflare.com/workers/runtime-apis/html-rewriter/
// Streaming from real origins is in html-rewriter-streaming.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate } from '../helpers/relaxed-worker.ts';
import { htmlRewriterWasm } from '../../src/runtime/ops/html-rewriter.ts';
import { HTML_REWRITER_MAX_PAGES } from '../../src/shared/ops.ts';

// Isolate-side helpers: rewrite a string with handlers, and describe an error.
const HELPERS = `
  const rewrite = (html, build) => build(new HTMLRewriter()).transform(new Response(html)).text();
  const failure = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
`;

const run = <T>(body: string, opts?: Parameters<typeof runInIsolate>[1]) => runInIsolate<T>(HELPERS + body, opts);

test('HTMLRewriter: Element: attributes are read, set, removed and iterated', async () => {
  const out = await run<Record<string, unknown>>(`
    const seen = {};
    const html = await rewrite('<a href="/x" data-k="v" title=t>link</a>', (r) => r.on('a', {
      element(e) {
        seen.tagName = e.tagName;
        seen.href = e.getAttribute('href');
        seen.missing = e.getAttribute('nope');
        seen.has = [e.hasAttribute('data-k'), e.hasAttribute('nope')];
        seen.attributes = [...e.attributes];
        e.setAttribute('href', 'https://example.com/?a=1&b="2"').removeAttribute('title').setAttribute('rel', 'noopener');
        seen.after = [...e.attributes].map(([n]) => n);
      },
    }));
    return { html, ...seen };
  `);
  assert.equal(out.html, '<a href="https://example.com/?a=1&b=&quot;2&quot;" data-k="v" rel="noopener">link</a>');
  assert.equal(out.tagName, 'a');
  assert.equal(out.href, '/x');
  assert.equal(out.missing, null);
  assert.deepEqual(out.has, [true, false]);
  assert.deepEqual(out.attributes, [['href', '/x'], ['data-k', 'v'], ['title', 't']]);
  assert.deepEqual(out.after, ['href', 'data-k', 'rel']);
});

test('HTMLRewriter: Element: tagName can be renamed and namespaceURI tells HTML from SVG', async () => {
  const out = await run<{ html: string; ns: string[] }>(`
    const ns = [];
    const html = await rewrite('<b>bold</b><svg><circle r=1 /></svg>', (r) => r
      .on('b', { element(e) { e.tagName = 'strong'; } })
      .on('b, circle', { element(e) { ns.push(e.namespaceURI); } }));
    return { html, ns };
  `);
  assert.equal(out.html, '<strong>bold</strong><svg><circle r=1 /></svg>');
  assert.deepEqual(out.ns, ['http://www.w3.org/1999/xhtml', 'http://www.w3.org/2000/svg']);
});

test('HTMLRewriter: Element: content is escaped as text unless { html: true }', async () => {
  const out = await run<string[]>(`
    const cases = [];
    for (const method of ['before', 'after', 'prepend', 'append', 'replace', 'setInnerContent']) {
      cases.push(await rewrite('<div><p>old</p></div>', (r) => r.on('p', { element(e) { e[method]('<i>&</i>'); } })));
      cases.push(await rewrite('<div><p>old</p></div>', (r) => r.on('p', { element(e) { e[method]('<i>&amp;</i>', { html: true }); } })));
    }
    return cases;
  `);
  assert.deepEqual(out, [
    '<div>&lt;i&gt;&amp;&lt;/i&gt;<p>old</p></div>', '<div><i>&amp;</i><p>old</p></div>',
    '<div><p>old</p>&lt;i&gt;&amp;&lt;/i&gt;</div>', '<div><p>old</p><i>&amp;</i></div>',
    '<div><p>&lt;i&gt;&amp;&lt;/i&gt;old</p></div>', '<div><p><i>&amp;</i>old</p></div>',
    '<div><p>old&lt;i&gt;&amp;&lt;/i&gt;</p></div>', '<div><p>old<i>&amp;</i></p></div>',
    '<div>&lt;i&gt;&amp;&lt;/i&gt;</div>', '<div><i>&amp;</i></div>',
    '<div><p>&lt;i&gt;&amp;&lt;/i&gt;</p></div>', '<div><p><i>&amp;</i></p></div>',
  ]);
});

test('HTMLRewriter: Element: remove, removeAndKeepContent and removed', async () => {
  const out = await run<{ html: string; removed: boolean[] }>(`
    const removed = [];
    const html = await rewrite('<div><script>x()</script><span class=wrap><b>kept</b></span><p>p</p></div>', (r) => r
      .on('script', { element(e) { removed.push(e.removed); e.remove(); removed.push(e.removed); } })
      .on('span.wrap', { element(e) { e.removeAndKeepContent(); removed.push(e.removed); } }));
    return { html, removed };
  `);
  assert.equal(out.html, '<div><b>kept</b><p>p</p></div>');
  assert.deepEqual(out.removed, [false, true, true]);
});

test('HTMLRewriter: Element: onEndTag: the end tag can be renamed, surrounded and removed', async () => {
  const out = await run<{ html: string; names: string[] }>(`
    const names = [];
    const html = await rewrite('<div><p>a</p><em>b</em></div>', (r) => r
      .on('p', { element(e) { e.onEndTag((end) => { names.push(end.name); end.before('!'); end.after('<hr>', { html: true }); }); } })
      .on('em', { element(e) { e.tagName = 'i'; e.onEndTag(async (end) => { await new Promise((res) => setTimeout(res, 5)); end.name = 'i'; }); } })
      .on('div', { element(e) { e.onEndTag((end) => { names.push(end.name); end.remove(); }); } }));
    return { html, names };
  `);
  assert.equal(out.html, '<div><p>a!</p><hr><i>b</i>');
  assert.deepEqual(out.names, ['p', 'div']);
});

test('HTMLRewriter: Comment: text, replace, remove, before and after (element and document handlers)', async () => {
  const out = await run<{ html: string; texts: string[] }>(`
    const texts = [];
    const html = await rewrite('<!--top--><div><!--a--><!--b--><!--c--></div>', (r) => r
      .onDocument({ comments(c) { texts.push('doc:' + c.text); } })
      .on('div', { comments(c) {
        texts.push(c.text);
        if (c.text === 'a') { c.text = 'A'; c.before('<'); }
        if (c.text === 'b') { c.remove(); texts.push(String(c.removed)); }
        if (c.text === 'c') { c.replace('<b>c</b>', { html: true }); c.after('&'); }
      } }));
    return { html, texts };
  `);
  assert.equal(out.html, '<!--top--><div>&lt;<!--A--><b>c</b>&amp;</div>');
  assert.deepEqual(out.texts, ['doc:top', 'a', 'doc:A', 'b', 'true', 'doc:b', 'c', 'doc:c']);
});

test('HTMLRewriter: TextChunk: text, lastInTextNode, replace, before, after and remove', async () => {
  const out = await run<{ html: string; chunks: [string, boolean][]; removed: string }>(`
    const chunks = [];
    let removed = '';
    const html = await rewrite('<p>Hello &amp; bye</p><h1>drop</h1><span>x</span>', (r) => r
      .on('p', { text(t) { chunks.push([t.text, t.lastInTextNode]); if (t.lastInTextNode) t.after(' <end>'); } })
      .on('h1', { text(t) { t.remove(); removed += String(t.removed); } })
      .on('span', { text(t) { if (t.text) { t.before('<i>', { html: true }); t.replace('y'); t.after('</i>', { html: true }); } } }));
    return { html, chunks, removed };
  `);
  assert.equal(out.html, '<p>Hello &amp; bye &lt;end&gt;</p><h1></h1><span><i>y</i></span>');
  // The last chunk of a text node is empty and says so; the text is raw HTML (entities stay).
  assert.equal(out.chunks.map((c) => c[0]).join(''), 'Hello &amp; bye');
  assert.deepEqual(out.chunks.at(-1), ['', true]);
  assert.ok(out.chunks.slice(0, -1).every((c) => c[1] === false));
  assert.match(out.removed, /^(true)+$/);
});

test('HTMLRewriter: onDocument: doctype, text, comments and end', async () => {
  const out = await run<{ html: string; doctype: unknown[]; text: string }>(`
    let doctype = [];
    let text = '';
    const html = await rewrite('<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd"><p>one</p>two', (r) => r
      .onDocument({
        doctype(d) { doctype = [d.name, d.publicId, d.systemId]; },
        text(t) { text += t.text; },
        end(end) { end.append('<footer>&</footer>', { html: true }).append('<&>'); },
      }));
    const bare = [];
    await rewrite('<!doctype html>', (r) => r.onDocument({ doctype(d) { bare.push(d.name, d.publicId, d.systemId); } }));
    return { html, doctype: [doctype, bare], text };
  `);
  assert.equal(out.html, '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd"><p>one</p>two<footer>&</footer>&lt;&amp;&gt;');
  assert.deepEqual(out.doctype, [['html', '-//W3C//DTD HTML 4.01//EN', 'http://www.w3.org/TR/html4/strict.dtd'], ['html', null, null]]);
  assert.equal(out.text, 'onetwo');
});

test('HTMLRewriter: on: every selector form lol-html supports matches the right elements', async () => {
  const out = await run<Record<string, string>>(`
    const html = '<div id=d class="a b"><p id=p1 lang="en-US" data-x="foobar">1</p><p id=p2>2</p><span id=s1>3</span><p id=p3>4</p></div>';
    const result = {};
    for (const sel of ['*', 'p', 'P', '#p2', '.a', '[lang]', '[lang="en-US"]', '[class~="b"]', '[data-x^="foo"]', '[data-x$="bar"]',
      '[data-x*="oba"]', '[lang|="en"]', 'div p', 'div > span', 'p:nth-child(2)', 'span:nth-child(2n+1)', 'p:first-child',
      'p:nth-of-type(3)', 'p:first-of-type', 'p:not(#p1)', 'p, span']) {
      const ids = [];
      await rewrite(html, (r) => r.on(sel, { element(e) { ids.push(e.getAttribute('id')); } }));
      result[sel] = ids.join(',');
    }
    return result;
  `);
  assert.deepEqual(out, {
    '*': 'd,p1,p2,s1,p3', p: 'p1,p2,p3', P: 'p1,p2,p3', '#p2': 'p2', '.a': 'd', '[lang]': 'p1', '[lang="en-US"]': 'p1',
    '[class~="b"]': 'd', '[data-x^="foo"]': 'p1', '[data-x$="bar"]': 'p1', '[data-x*="oba"]': 'p1', '[lang|="en"]': 'p1',
    'div p': 'p1,p2,p3', 'div > span': 's1', 'p:nth-child(2)': 'p2', 'span:nth-child(2n+1)': 's1', 'p:first-child': 'p1',
    'p:nth-of-type(3)': 'p3', 'p:first-of-type': 'p1', 'p:not(#p1)': 'p2,p3', 'p, span': 'p1,p2,s1,p3',
  });
});

test('HTMLRewriter: on: an invalid or unsupported selector throws a TypeError at once', async () => {
  const out = await run<Record<string, string>>(`
    const result = {};
    for (const sel of ['', 'p >', '[', 'p:hover', 'div + p', 'p ~ span', 'p:last-child']) {
      result[sel] = await failure(() => new HTMLRewriter().on(sel, { element() {} }));
    }
    // The isolate's rewriter still works after the failures.
    result.after = await rewrite('<p>x</p>', (r) => r.on('p', { element(e) { e.setInnerContent('ok'); } }));
    return result;
  `);
  assert.equal(out[''], 'TypeError: Failed to execute \'on\' on \'HTMLRewriter\': invalid selector "": Parser error: The selector is empty.');
  assert.match(out['p >'], /^TypeError: .*invalid selector "p >": Parser error: Dangling combinator in selector\.$/);
  assert.match(out['['], /^TypeError: .*Unexpected end of selector/);
  assert.match(out['p:hover'], /^TypeError: .*Unsupported pseudo-class or pseudo-element in selector/);
  assert.match(out['div + p'], /^TypeError: .*Unsupported combinator `\+` in selector/);
  assert.match(out['p ~ span'], /^TypeError: .*Unsupported combinator `~` in selector/);
  assert.match(out['p:last-child'], /^TypeError: .*Unsupported pseudo-class/);
  assert.equal(out.after, '<p>ok</p>');
});

test('HTMLRewriter: on and onDocument: handlers of the wrong type throw TypeErrors', async () => {
  const out = await run<string[]>(`
    return [
      await failure(() => new HTMLRewriter().on('p', null)),
      await failure(() => new HTMLRewriter().on('p', 'element')),
      await failure(() => new HTMLRewriter().on('p', { element: 'not a function' })),
      await failure(() => new HTMLRewriter().onDocument(42)),
      await failure(() => new HTMLRewriter().onDocument({ end: {} })),
      await failure(() => new HTMLRewriter().on(Symbol('p'), {})),
      await failure(() => rewrite('<p></p>', (r) => r.on('p', { element(e) { e.onEndTag('nope'); } }))),
    ];
  `);
  assert.deepEqual(out, [
    "TypeError: Failed to execute 'on' on 'HTMLRewriter': parameter 2 is not of type 'ElementHandlers'.",
    "TypeError: Failed to execute 'on' on 'HTMLRewriter': parameter 2 is not of type 'ElementHandlers'.",
    "TypeError: Failed to execute 'on' on 'HTMLRewriter': the 'element' handler is not a function.",
    "TypeError: Failed to execute 'onDocument' on 'HTMLRewriter': parameter 1 is not of type 'DocumentHandlers'.",
    "TypeError: Failed to execute 'onDocument' on 'HTMLRewriter': the 'end' handler is not a function.",
    "TypeError: Failed to execute 'on' on 'HTMLRewriter': Cannot convert a Symbol value to a string.",
    "TypeError: Failed to execute 'onEndTag' on 'Element': parameter 1 is not of type 'Function'.",
  ]);
});

test('HTMLRewriter: handlers: a class instance keeps `this`, and one rewriter transforms several responses', async () => {
  const out = await run<string[]>(`
    class Counter {
      constructor() { this.n = 0; }
      element(e) { this.n++; e.setAttribute('data-n', String(this.n)); }
    }
    const counter = new Counter();
    const rewriter = new HTMLRewriter().on('li', counter);
    const a = await rewriter.transform(new Response('<li>a<li>b')).text();
    const b = await rewriter.transform(new Response('<li>c')).text();
    return [a, b, String(counter.n)];
  `);
  assert.deepEqual(out, ['<li data-n="1">a<li data-n="2">b', '<li data-n="3">c', '3']);
});

test('HTMLRewriter: handlers: a thrown error errors the body with that error, and the next transform works', async () => {
  const out = await run<string[]>(`
    class AppError extends Error { constructor(m) { super(m); this.name = 'AppError'; } }
    const results = [];
    results.push(await failure(() => rewrite('<p>1</p>', (r) => r.on('p', { element() { throw new AppError('sync boom'); } }))));
    results.push(await failure(() => rewrite('<p>1</p>', (r) => r.on('p', { async text() { await new Promise((res) => setTimeout(res, 2)); throw new AppError('async boom'); } }))));
    results.push(await failure(() => rewrite('<p>1</p>', (r) => r.onDocument({ end() { throw new TypeError('end boom'); } }))));
    // Failures do not use up the isolate's WebAssembly memory budget (instances are reused).
    for (let i = 0; i < 30; i++) await failure(() => rewrite('<p>1</p>', (r) => r.on('p', { async element() { throw new Error('x'); } })));
    results.push(await rewrite('<p>1</p>', (r) => r.on('p', { element(e) { e.setInnerContent('2'); } })));
    return results;
  `);
  assert.deepEqual(out, ['AppError: sync boom', 'AppError: async boom', 'TypeError: end boom', '<p>2</p>']);
});

test('HTMLRewriter: content tokens: using one after its handler returned throws', async () => {
  const out = await run<string[]>(`
    let el, text;
    await rewrite('<p>t</p>', (r) => r.on('p', { element(e) { el = e; }, text(t) { text = t; } }));
    return [await failure(() => el.setAttribute('a', 'b')), await failure(() => text.text), await failure(() => el.tagName)];
  `);
  for (const msg of out) assert.match(msg, /^TypeError: .*This content token is no longer valid\. Content tokens are only valid during the execution of the relevant content handler\.$/);
});

test('HTMLRewriter: content: wrong types are rejected or converted as Workers do', async () => {
  const out = await run<string[]>(`
    return [
      await failure(() => rewrite('<p></p>', (r) => r.on('p', { element(e) { e.append(Symbol('x')); } }))),
      await failure(() => rewrite('<p></p>', (r) => r.on('p', { element(e) { e.append(new ReadableStream()); } }))),
      await failure(() => rewrite('<p></p>', (r) => r.on('p', { element(e) { e.append(new Response('x')); } }))),
      await failure(() => rewrite('<p></p>', (r) => r.on('p', { element(e) { e.append('x', 'html'); } }))),
      await failure(() => rewrite('<p></p>', (r) => r.on('p', { element(e) { e.setAttribute('bad name', 'v'); } }))),
      await rewrite('<p></p>', (r) => r.on('p', { element(e) { e.append(42).append(null).setAttribute('n', 7); } })),
    ];
  `);
  assert.deepEqual(out, [
    "TypeError: Failed to execute 'append' on 'Element': Cannot convert a Symbol value to a string.",
    "TypeError: Failed to execute 'append' on 'Element': content must be a string (streamed content, a ReadableStream or Response, is not supported by atoll yet).",
    "TypeError: Failed to execute 'append' on 'Element': content must be a string (streamed content, a ReadableStream or Response, is not supported by atoll yet).",
    "TypeError: Failed to execute 'append' on 'Element': parameter 2 is not of type 'ContentOptions'.",
    'TypeError: Parser error: ` ` character is forbidden in the attribute name',
    '<p n="7">42null</p>',
  ]);
});

test('HTMLRewriter: transform: keeps status and headers, drops Content-Length, passes a null-body status through, rejects what is not a usable Response', async () => {
  const out = await run<Record<string, unknown>>(`
    const src = new Response('<p>x</p>', { status: 404, statusText: 'Nope', headers: { 'content-type': 'text/html', 'content-length': '8', 'x-a': '1' } });
    const res = new HTMLRewriter().on('p', { element(e) { e.append('yz'); } }).transform(src);
    const used = new Response('<p>');
    await used.text();
    return {
      status: res.status, statusText: res.statusText, type: res.headers.get('content-type'), len: res.headers.get('content-length'),
      xa: res.headers.get('x-a'), body: await res.text(),
      notResponse: await failure(() => new HTMLRewriter().transform('<p>')),
      used: await failure(() => new HTMLRewriter().transform(used)),
      empty: await new HTMLRewriter().onDocument({ end(e) { e.append('<i>end</i>', { html: true }); } }).transform(new Response(null)).text(),
      noContent: await (async () => { const r = new HTMLRewriter().on('p', { element() {} }).transform(new Response(null, { status: 304, headers: { etag: '"1"' } })); return [r.status, r.headers.get('etag'), r.body]; })(),
      toStringTag: Object.prototype.toString.call(new HTMLRewriter()),
    };
  `);
  assert.deepEqual(out, {
    status: 404, statusText: 'Nope', type: 'text/html', len: null, xa: '1', body: '<p>xyz</p>',
    notResponse: "TypeError: Failed to execute 'transform' on 'HTMLRewriter': parameter 1 is not of type 'Response'.",
    used: "TypeError: Failed to execute 'transform' on 'HTMLRewriter': Body has already been used. It can only be used once.",
    empty: '<i>end</i>',
    noContent: [304, '"1"', null],
    toStringTag: '[object HTMLRewriter]',
  });
});

test('HTMLRewriter: async handlers: the parser waits for each promise, in document order', async () => {
  const out = await run<{ html: string; order: string[] }>(`
    const order = [];
    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const html = await rewrite('<p id=1>a</p><p id=2>b</p><p id=3>c</p>', (r) => r.on('p', {
      async element(e) {
        const id = e.getAttribute('id');
        order.push('start ' + id);
        await sleep(id === '1' ? 20 : 1);
        e.setAttribute('done', id);
        order.push('end ' + id);
      },
      text(t) { if (t.text) order.push('text ' + t.text); },
    }));
    return { html, order };
  `);
  assert.equal(out.html, '<p id=1 done="1">a</p><p id=2 done="2">b</p><p id=3 done="3">c</p>');
  assert.deepEqual(out.order, ['start 1', 'end 1', 'text a', 'start 2', 'end 2', 'text b', 'start 3', 'end 3', 'text c']);
});

test('HTMLRewriter: async handlers: tenant code replacing the global Promise does not stop the parser waiting', async () => {
  const out = await run<string>(`
    const NativePromise = Promise;
    globalThis.Promise = function FakePromise() {};
    try {
      return await rewrite('<p>a</p><p>b</p>', (r) => r.on('p', {
        async element(e) { await null; await null; e.setAttribute('done', '1'); },
      }));
    } finally {
      globalThis.Promise = NativePromise;
    }
  `);
  assert.equal(out, '<p done="1">a</p><p done="1">b</p>');
});

test('HTMLRewriter: async handlers: 12 concurrent transforms in one 128 MB isolate each get the right output', async () => {
  // Each transform in flight holds an instance charged at 8 MiB: 12 fit in the budget.
  const ids = Array.from({ length: 12 }, (_, i) => i);
  const out = await run<string[]>(`
    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const one = (i) => rewrite('<ul>' + '<li>x</li>'.repeat(5) + '</ul>', (r) => r.on('li', {
      async element(e) { await sleep((i * 7) % 5); e.setInnerContent(String(i)); },
    }));
    return Promise.all(${JSON.stringify(ids)}.map(one));
  `, { limits: { memoryMb: 128 } });
  assert.deepEqual(out, ids.map((i) => '<ul>' + `<li>${i}</li>`.repeat(5) + '</ul>'));
});

test('HTMLRewriter: memory: a tag too large for the 8 MiB cap errors that body clearly; the isolate keeps working', async () => {
  const out = await run<string[]>(`
    const huge = '<p title="' + 'x'.repeat(20 * 1024 * 1024) + '">';
    return [
      await failure(() => rewrite(huge, (r) => r.on('p', { element() {} }))),
      await rewrite('<p>x</p>', (r) => r.on('p', { element(e) { e.setInnerContent('ok'); } })),
    ];
  `, { limits: { cpuMs: 10_000 } }); // lol-html rescans the growing tag: ~0.8 s of CPU before it gives up
  assert.match(out[0], /^RangeError: HTMLRewriter: lol-html stopped \(RuntimeError: unreachable\), most likely because it needed more than its memory limit of 8 MiB/);
  assert.equal(out[1], '<p>ok</p>');
});

test('HTMLRewriter: html_rewriter_wasm op: the module sent to isolates cannot grow its memory past the cap', () => {
  // The root tsconfig has no WebAssembly types: the few members used here.
  type Memory = { buffer: ArrayBuffer; grow(pages: number): number };
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: { memory: Memory } } } }).WebAssembly;
  const module = new wasm.Module(htmlRewriterWasm());
  const imports = { __wbindgen_placeholder__: new Proxy({}, { get: () => () => 0 }) };
  const memory = new wasm.Instance(module, imports).exports.memory;
  const pages = memory.buffer.byteLength / 65536;
  assert.equal(memory.grow(HTML_REWRITER_MAX_PAGES - pages), pages);
  assert.throws(() => memory.grow(1), /Maximum memory size exceeded/);
});
