// URL and URLSearchParams inside a real isolate: what tenant code sees, bad input, and
// hostile tenants. The WPT vectors are in url-wpt.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate, startWorker } from '../helpers/worker.ts';

test('URL: constructor: exposes every component of an absolute URL', async () => {
  const got = await runInIsolate(`
    const u = new URL('HTTPS://us%65r:p@ss@[::FFFF:192.168.0.1]:8443/a/./b/../c d?x=1&y=é#frag ment');
    return { href: u.href, origin: u.origin, protocol: u.protocol, username: u.username, password: u.password,
      host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash,
      tag: Object.prototype.toString.call(u), json: JSON.stringify({ u }) };
  `);
  assert.deepEqual(got, {
    href: 'https://us%65r:p%40ss@[::ffff:c0a8:1]:8443/a/c%20d?x=1&y=%C3%A9#frag%20ment',
    origin: 'https://[::ffff:c0a8:1]:8443',
    protocol: 'https:', username: 'us%65r', password: 'p%40ss',
    host: '[::ffff:c0a8:1]:8443', hostname: '[::ffff:c0a8:1]', port: '8443',
    pathname: '/a/c%20d', search: '?x=1&y=%C3%A9', hash: '#frag%20ment',
    tag: '[object URL]',
    json: '{"u":"https://us%65r:p%40ss@[::ffff:c0a8:1]:8443/a/c%20d?x=1&y=%C3%A9#frag%20ment"}',
  });
});

test('URL: constructor: resolves against a base, maps IDN hosts to punycode and IPv4 shorthands to dotted form', async () => {
  const got = await runInIsolate(`
    return [
      new URL('../x?q#h', 'http://example.com/a/b/c').href,
      new URL('//other.example/p', 'https://example.com/').href,
      new URL('https://Bücher.EXAMPLE/').hostname,
      new URL('http://0x7f.1/').hostname,
      new URL('http://3232235521/').hostname,
      new URL('https://example.com:443/').port,
      new URL('blob:https://example.com:8443/uuid').origin,
      new URL('data:text/plain,hi').origin,
    ];
  `);
  assert.deepEqual(got, [
    'http://example.com/a/x?q#h', 'https://other.example/p', 'xn--bcher-kva.example', '127.0.0.1', '192.168.0.1', '',
    'https://example.com:8443', 'null',
  ]);
});

test('URL: constructor: throws a TypeError naming what was invalid', async () => {
  const got = await runInIsolate(`
    const errors = [];
    for (const args of [['not a url'], ['/relative'], ['x', 'also not a url'], ['http://exa mple.com/'], ['http://[::1/'], ['http://256.256.256.256/'], ['https://a:99999/']]) {
      try { new URL(...args); errors.push('no error for ' + args); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
    }
    try { new URL(); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
    try { new URL(Symbol('s')); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
    try { URL('http://a/'); } catch (e) { errors.push(e.constructor.name); }
    return errors;
  `);
  assert.deepEqual(got, [
    "TypeError: Failed to construct 'URL': Invalid URL",
    "TypeError: Failed to construct 'URL': Invalid URL",
    "TypeError: Failed to construct 'URL': Invalid base URL",
    "TypeError: Failed to construct 'URL': Invalid URL",
    "TypeError: Failed to construct 'URL': Invalid URL",
    "TypeError: Failed to construct 'URL': Invalid URL",
    "TypeError: Failed to construct 'URL': Invalid URL",
    "TypeError: Failed to execute 'constructor' on 'URL': 1 argument required, but only 0 present.",
    'TypeError: Cannot convert a Symbol value to a string',
    'TypeError',
  ]);
});

test('URL: canParse and parse: agree with the constructor without throwing', async () => {
  const got = await runInIsolate(`
    return [URL.canParse('https://a/'), URL.canParse('nope'), URL.canParse('/x', 'https://a/'), URL.canParse('/x', 'nope'),
      URL.parse('/x', 'https://a/').href, URL.parse('nope'), URL.parse('https://a/') instanceof URL];
  `);
  assert.deepEqual(got, [true, false, true, false, 'https://a/x', null, true]);
});

test('URL: setters: change the URL as the spec says and ignore what does not apply', async () => {
  const got = await runInIsolate(`
    const u = new URL('https://example.com/p?q#h');
    u.protocol = 'http'; u.username = 'me'; u.password = 'p w'; u.port = '8080';
    u.pathname = '/new path'; u.search = 'a=1'; u.hash = 'top';
    const a = u.href;
    u.protocol = 'mailto'; // special to non-special: ignored
    u.port = 'abc'; // not a port: ignored
    u.host = 'other.example:9090';
    const b = u.href;
    const m = new URL('mailto:me@example.com');
    m.host = 'x'; m.pathname = '/y'; // opaque path: both ignored
    let hrefError = null;
    try { u.href = 'not a url'; } catch (e) { hrefError = e.constructor.name + ': ' + e.message; }
    return [a, b, m.href, hrefError, u.href];
  `);
  assert.deepEqual(got, [
    'http://me:p%20w@example.com:8080/new%20path?a=1#top',
    'http://me:p%20w@other.example:9090/new%20path?a=1#top',
    'mailto:me@example.com',
    "TypeError: Failed to set the 'href' property on 'URL': Invalid URL",
    'http://me:p%20w@other.example:9090/new%20path?a=1#top',
  ]);
});

test('URL: searchParams: stays in step with search and href both ways', async () => {
  const got = await runInIsolate(`
    const u = new URL('https://example.com/?a=1&b=2');
    const sp = u.searchParams;
    sp.append('c', 'x y');
    const afterAppend = u.href;
    u.search = '?z=9';
    const afterSearch = [...sp];
    u.href = 'https://example.com/?k=v';
    const afterHref = sp.get('k');
    sp.delete('k');
    return { same: u.searchParams === sp, afterAppend, afterSearch, afterHref, afterDelete: u.href };
  `);
  assert.deepEqual(got, {
    same: true,
    afterAppend: 'https://example.com/?a=1&b=2&c=x+y',
    afterSearch: [['z', '9']],
    afterHref: 'v',
    afterDelete: 'https://example.com/',
  });
});

test('URLSearchParams: constructor: accepts a string, pairs, a record and another URLSearchParams', async () => {
  const got = await runInIsolate(`
    return [
      new URLSearchParams('?a=1&a=2&b=%20+x').toString(),
      new URLSearchParams([['a', '1'], ['b', 'é']]).toString(),
      new URLSearchParams({ k: 'v', n: 1 }).toString(),
      new URLSearchParams(new URLSearchParams('x=1&y=2')).toString(),
      new URLSearchParams('a=\\uD800').get('a') === '\\uFFFD',
    ];
  `);
  assert.deepEqual(got, ['a=1&a=2&b=++x', 'a=1&b=%C3%A9', 'k=v&n=1', 'x=1&y=2', true]);
});

test('URLSearchParams: constructor: refuses pairs that are not pairs, with the platform error', async () => {
  const got = await runInIsolate(`
    const errors = [];
    for (const init of [[['a', 'b', 'c']], [['a']], [1], { [Symbol.iterator]: 5 }]) {
      try { new URLSearchParams(init); errors.push('no error'); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
    }
    return errors;
  `);
  assert.deepEqual(got, [
    "TypeError: Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements",
    "TypeError: Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements",
    "TypeError: Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.",
    "TypeError: Failed to construct 'URLSearchParams': The object's @@iterator property is not callable.",
  ]);
});

test('URLSearchParams: methods: get, getAll, has, set, delete with value, sort and size', async () => {
  const got = await runInIsolate(`
    const sp = new URLSearchParams('b=2&a=1&b=3&c=4');
    const out = [sp.get('b'), sp.getAll('b'), sp.has('b', '3'), sp.has('b', '9'), sp.get('zz'), sp.size];
    sp.set('b', 'x');
    out.push(sp.toString());
    sp.append('a', '0');
    sp.delete('a', '1');
    out.push(sp.toString());
    sp.sort();
    out.push(sp.toString(), [...sp.keys()], [...sp.values()]);
    const seen = [];
    sp.forEach(function (v, k, p) { seen.push(k + '=' + v + ':' + (p === sp) + ':' + this.tag); }, { tag: 't' });
    out.push(seen, Object.prototype.toString.call(sp.entries()));
    return out;
  `);
  assert.deepEqual(got, [
    '2', ['2', '3'], true, false, null, 4,
    'b=x&a=1&c=4',
    'b=x&c=4&a=0',
    'a=0&b=x&c=4', ['a', 'b', 'c'], ['0', 'x', '4'],
    ['a=0:true:t', 'b=x:true:t', 'c=4:true:t'], '[object URLSearchParams Iterator]',
  ]);
});

test('URLSearchParams: methods: too few arguments and wrong receivers throw TypeErrors', async () => {
  const got = await runInIsolate<string[]>(`
    const errors = [];
    const sp = new URLSearchParams();
    for (const call of [() => sp.append('a'), () => sp.get(), () => sp.set('a'), () => sp.forEach(),
        () => sp.forEach(5), () => URLSearchParams.prototype.get.call({}, 'a')]) {
      try { call(); errors.push('no error'); } catch (e) { errors.push(e.constructor.name + ': ' + e.message.replace(/ #\\w+/, ' #field')); }
    }
    return errors;
  `);
  assert.equal(got.length, 6);
  assert.deepEqual(got.slice(0, 5), [
    "TypeError: Failed to execute 'append' on 'URLSearchParams': 2 arguments required, but only 1 present.",
    "TypeError: Failed to execute 'get' on 'URLSearchParams': 1 argument required, but only 0 present.",
    "TypeError: Failed to execute 'set' on 'URLSearchParams': 2 arguments required, but only 1 present.",
    "TypeError: Failed to execute 'forEach' on 'URLSearchParams': 1 argument required, but only 0 present.",
    "TypeError: Failed to execute 'forEach' on 'URLSearchParams': The callback provided as parameter 1 is not a function.",
  ]);
  assert.match(got[5], /^TypeError: /);
});

test('URL: parsing: unaffected by tenant code that patches the built-ins it uses', async () => {
  const got = await runInIsolate(`
    const saved = [];
    const patch = (obj, key, value) => { saved[saved.length] = [obj, key, Object.getOwnPropertyDescriptor(obj, key)]; Object.defineProperty(obj, key, { value, configurable: true, writable: true }); };
    const boom = () => { throw new Error('patched built-in called'); };
    let out;
    try {
      for (const k of ['push', 'pop', 'slice', 'splice', 'join', 'sort']) patch(Array.prototype, k, boom);
      for (const k of ['charCodeAt', 'codePointAt', 'slice', 'indexOf', 'toLowerCase', 'toWellFormed', 'split', 'replaceAll']) patch(String.prototype, k, boom);
      patch(String.prototype, Symbol.split, boom);
      patch(RegExp.prototype, 'exec', boom);
      patch(RegExp.prototype, 'test', boom);
      patch(Number.prototype, 'toString', boom);
      patch(String, 'fromCharCode', boom);
      const u = new URL('HTTP://User:Pw@EXAMPLE.com:80/a/./b/../c%2e/%2E%2E/d?q=1 2#f g', 'https://base.example/');
      const v6 = new URL('http://[1:0::0:2]/').host;
      const v4 = new URL('http://0300.0250.1/').host;
      const sp = new URLSearchParams('b=2&a=1+1&b=3');
      sp.set('b', 'x'); sp.append('c', 'é'); sp.delete('zz'); sp.sort();
      u.search = 'k=v';
      out = [u.href, v6, v4, sp.toString(), sp.get('a'), u.searchParams.get('k')];
    } finally {
      for (const [obj, key, desc] of saved.reverse()) {
        if (desc) Object.defineProperty(obj, key, desc);
        else delete obj[key];
      }
    }
    return out;
  `);
  assert.deepEqual(got, [
    'http://User:Pw@example.com/a/d?k=v#f%20g', '[1::2]', '192.168.0.1', 'a=1+1&b=x&c=%C3%A9', '1 1', 'v',
  ]);
});

test('URL: constructor chain: leads only to the isolate\'s own Function, with nothing of the host in reach', async () => {
  const got = await runInIsolate(`
    const u = new URL('https://example.com/?a=1');
    const F = u.constructor.constructor;
    const it = u.searchParams.entries();
    return [
      F === Function,
      F('return typeof process + typeof require + typeof Buffer')(),
      Object.getPrototypeOf(Object.getPrototypeOf(it)) === Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
      it.next.constructor === Function,
      Object.getOwnPropertyNames(u).length + Object.getOwnPropertySymbols(u).length,
    ];
  `);
  assert.deepEqual(got, [true, 'undefinedundefinedundefined', true, true, 0]);
});

test('URL: parsing: a 1 MB URL with 200 000 dot segments stays within a 1 s CPU budget', async () => {
  const w = await startWorker(`export default { fetch() {
    const u = new URL('https://example.com/' + 'a/../'.repeat(200000) + 'x?' + 'q'.repeat(100000));
    return new Response(u.pathname + ' ' + u.search.length);
  } }`, { limits: { cpuMs: 1000 } });
  try {
    const res = await w.fetch('/');
    assert.equal(await res.text(), '/x 100001');
    const [inv] = await w.settled(1);
    assert.ok(inv.cpuMs < 1000, `took ${inv.cpuMs} ms of CPU`);
  } finally {
    await w.close();
  }
});

test('URL: request.url: an incoming request\'s URL parses with its host and query intact', async () => {
  const w = await startWorker(`export default { fetch(req) {
    const u = new URL(req.url);
    return Response.json({ host: u.hostname, path: u.pathname, q: u.searchParams.getAll('q') });
  } }`);
  try {
    const res = await w.fetch('/a%20b/../c?q=1&q=%E2%9C%93');
    assert.deepEqual(await res.json(), { host: '127.0.0.1', path: '/c', q: ['1', '✓'] });
  } finally {
    await w.close();
  }
});

test('URLSearchParams: as a body: a Response sends it form-encoded with the form content type', async () => {
  const got = await runInIsolate(`
    const res = new Response(new URLSearchParams({ q: 'a b', x: 'é&' }));
    return [res.headers.get('content-type'), await res.text()];
  `);
  assert.deepEqual(got, ['application/x-www-form-urlencoded;charset=UTF-8', 'q=a+b&x=%C3%A9%26']);
});
