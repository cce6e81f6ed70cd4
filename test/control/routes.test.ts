import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/control/errors.ts';
import { matchRoute, normalizePattern, parsePattern, patternInZone } from '../../src/control/routes.ts';

const routes = [
  'shop.example.com/api/*',
  'shop.example.com/api/v2/*',
  'shop.example.com/api/exact',
  'shop.example.com/*',
  '*.example.com/*',
  '*example.com/static/*',
  '*.shop.example.com/*',
].map((pattern) => ({ pattern, worker: pattern }));

const winner = (host: string, path: string) => matchRoute(routes, host, path)?.pattern ?? null;

test('matchRoute: exact host beats any wildcard host, whatever the path length', () => {
  assert.equal(winner('shop.example.com', '/static/logo.png'), 'shop.example.com/*');
});

test('matchRoute: the longer literal path wins on the same host', () => {
  assert.equal(winner('shop.example.com', '/api/v2/users'), 'shop.example.com/api/v2/*');
  assert.equal(winner('shop.example.com', '/api/v1/users'), 'shop.example.com/api/*');
  assert.equal(winner('shop.example.com', '/about'), 'shop.example.com/*');
});

test('matchRoute: an exact path beats a prefix and matches only itself', () => {
  assert.equal(winner('shop.example.com', '/api/exact'), 'shop.example.com/api/exact');
  assert.equal(winner('shop.example.com', '/api/exactly'), 'shop.example.com/api/*');
});

test('matchRoute: of two wildcard hosts the longer suffix wins', () => {
  assert.equal(winner('a.shop.example.com', '/x'), '*.shop.example.com/*');
  assert.equal(winner('blog.example.com', '/x'), '*.example.com/*');
});

test('matchRoute: "*.host" matches subdomains only, "*host" also the host itself', () => {
  assert.equal(winner('example.com', '/static/a.css'), '*example.com/static/*');
  assert.equal(winner('example.com', '/other'), null);
  // For a subdomain both match; "*.x" is the narrower of the two at the same suffix.
  assert.equal(matchRoute([{ pattern: '*example.com/*' }, { pattern: '*.example.com/*' }], 'a.example.com', '/')?.pattern, '*.example.com/*');
  assert.equal(winner('notexample.com', '/static/a.css'), null);
});

test('matchRoute: host case, port and trailing dot do not matter; list order does not either', () => {
  assert.equal(winner('SHOP.Example.COM:8787', '/api/v2/x'), 'shop.example.com/api/v2/*');
  assert.equal(winner('shop.example.com.', '/about'), 'shop.example.com/*');
  assert.equal(matchRoute([...routes].reverse(), 'shop.example.com', '/api/v2/x')?.pattern, 'shop.example.com/api/v2/*');
});

test('matchRoute: no route for another host or a path outside every pattern', () => {
  assert.equal(winner('example.org', '/'), null);
  assert.equal(matchRoute([{ pattern: 'a.example.com/api/*' }], 'a.example.com', '/ap'), null);
  assert.equal(matchRoute([], 'a.example.com', '/'), null);
});

function refused(pattern: string, mentions: string) {
  assert.throws(() => parsePattern(pattern), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'invalid_route_pattern');
    assert.ok(err.message.includes(mentions), err.message);
    assert.ok(err.message.includes('e.g. "shop.example.com/api/*"'), 'the message shows how to write one');
    return true;
  });
}

test('parsePattern: refuses malformed patterns naming what is wrong', () => {
  refused('https://example.com/*', 'scheme');
  refused('example.com', 'no path');
  refused('example.com:8080/*', 'port');
  refused('shop.*.example.com/*', 'inside its host');
  refused('example.com/a*/b', 'inside its path');
  refused('example.com/a?b=1', 'query');
  refused('exa mple.com/*', 'invalid host');
  refused('example.com/a b', 'percent-encode');
  refused('', '1 to 1024');
  refused(`example.com/${'a'.repeat(2000)}`, '1 to 1024');
});

test('normalizePattern: lower-cases the host and keeps the path as written', () => {
  assert.equal(normalizePattern('Shop.Example.COM/API/*'), 'shop.example.com/API/*');
  assert.equal(normalizePattern('*.Example.com/*'), '*.example.com/*');
});

test('patternInZone: a pattern lies in the zone of its host or of a parent domain', () => {
  assert.equal(patternInZone('shop.example.com/*', 'example.com'), true);
  assert.equal(patternInZone('*.example.com/*', 'example.com'), true);
  assert.equal(patternInZone('example.com/*', 'shop.example.com'), false);
  assert.equal(patternInZone('badexample.com/*', 'example.com'), false);
});
