// The edge's routing table against the control plane's matchRoute: the index it keeps
// for large zones must pick exactly the route a scan of the zone's routes picks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchRoute } from '../../src/control/routes.ts';
import type { EdgeRoute, EdgeZone } from '../../src/edge/config-source.ts';
import { RoutingTable } from '../../src/edge/routing.ts';

const zone = (id: string, hostname: string): EdgeZone => ({ id, accountId: 'acc', hostname, origin: 'http://origin.invalid' });

function routesOf(zoneId: string, patterns: string[]): EdgeRoute[] {
  return patterns.map((pattern, i) => ({ id: `${zoneId}-${i}`, accountId: 'acc', zoneId, pattern, worker: `w${i}` }));
}

test('RoutingTable: route: a zone with hundreds of routes picks what a scan of them picks', () => {
  const z = zone('z', 'example.com');
  const patterns = ['example.com/*', '*example.com/*', '*.example.com/*', 'example.com/', 'example.com/a*', '*.shop.example.com/api/*'];
  for (let i = 0; i < 60; i++) {
    patterns.push(`example.com/s${i}/*`, `example.com/s${i}/exact`, `*.example.com/s${i}/deep/*`, `h${i}.example.com/*`, `h${i}.example.com/s${i}`);
  }
  const routes = routesOf('z', patterns);
  const table = new RoutingTable({ zones: [z], routes });
  const hosts = ['example.com', 'EXAMPLE.com:8443', 'h3.example.com', 'x.h3.example.com', 'a.shop.example.com', 'shop.example.com', 'example.com.'];
  const paths = ['/', '/a', '/abc', '/s3/exact', '/s3/exact/more', '/s3/', '/s3', '/s59/deep/x', '/api/x', '/nope/x', '/s3/deep/'];
  let checked = 0;
  const winners = new Set<string>();
  for (const host of hosts) {
    for (const path of paths) {
      const expected = matchRoute(routes, host, path);
      if (expected) winners.add(expected.pattern);
      assert.equal(table.route(z, host, path)?.pattern ?? null, expected?.pattern ?? null, `${host}${path}`);
      checked++;
    }
  }
  assert.equal(checked, hosts.length * paths.length);
  // Many different patterns win: the comparison covers exact, wildcard, prefix and short paths.
  assert.ok(winners.size >= 10, [...winners].join(' '));
});

test('RoutingTable: zoneFor: picks the nearest zone; a parent zone\'s wildcard route does not reach into a child zone', () => {
  const parent = zone('p', 'example.com');
  const child = zone('c', 'shop.example.com');
  const routes = [...routesOf('p', ['*example.com/*']), ...routesOf('c', ['shop.example.com/api/*'])];
  const table = new RoutingTable({ zones: [parent, child], routes });
  assert.equal(table.zoneFor('a.shop.example.com:80')?.id, 'c');
  assert.equal(table.zoneFor('www.example.com')?.id, 'p');
  assert.equal(table.zoneFor('example.org'), null);
  assert.equal(table.route(child, 'a.shop.example.com', '/'), null);
  assert.equal(table.route(parent, 'www.example.com', '/x')?.pattern, '*example.com/*');
});

test('RoutingTable: routes added and removed one at a time pick what a table built whole from the same routes picks', () => {
  const z = zone('z', 'example.com');
  const patterns = ['example.com/*', '*.example.com/*', 'example.com/a*'];
  for (let i = 0; i < 40; i++) patterns.push(`example.com/s${i}/*`, `*.example.com/s${i}/deep/*`, `h${i}.example.com/*`);
  const all = routesOf('z', patterns);
  const table = new RoutingTable({ zones: [z], routes: all.slice(0, 60) });
  // The rest one by one; some of the first ones go, one comes back (its add twice: kept once).
  for (const r of all.slice(60)) table.addRoute(r);
  const gone = [all[0]!, all[5]!, all[9]!, all[61]!, all[2]!];
  for (const r of gone) table.removeRoute(r);
  table.addRoute(all[5]!);
  table.addRoute(all[5]!);
  table.removeRoute({ ...all[7]!, id: 'not-there' });
  const kept = all.filter((r) => !gone.includes(r) || r === all[5]);
  const whole = new RoutingTable({ zones: [z], routes: kept });
  const hosts = ['example.com', 'h4.example.com', 'x.example.com', 'h39.example.com'];
  const paths = ['/', '/a', '/abc', '/s1/x', '/s3/deep/y', '/s0/z', '/s39/deep/', '/other'];
  for (const host of hosts) {
    for (const path of paths) {
      assert.equal(table.route(z, host, path)?.id ?? null, whole.route(z, host, path)?.id ?? null, `${host}${path}`);
      assert.equal(table.route(z, host, path)?.id ?? null, matchRoute(kept, host, path)?.id ?? null, `${host}${path} (scan)`);
    }
  }
  // The removed catch-all is gone: a path only it matched now goes to the origin.
  assert.equal(table.route(z, 'example.com', '/other'), null);
});
