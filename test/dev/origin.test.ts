import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toOrigin, ZoneHosts } from '../../src/dev/origin.ts';
import { OpError } from '../../src/runtime/errors.ts';
import type { RequestInit_ } from '../../src/shared/ops.ts';

function init(url: string): RequestInit_ {
  return { method: 'POST', url, headers: [['host', 'ignored'], ['x-a', '1']], body: null, redirect: 'follow', cf: null, cache: null, signal: null };
}

describe('toOrigin', () => {
  const zone = new ZoneHosts();
  zone.add('127.0.0.1:8787');
  zone.add('LOCALHOST:8787');

  test('toOrigin: a fetch to the zone: goes to the origin with its path and query, without the Host header', () => {
    const out = toOrigin(init('http://localhost:8787/api/x?q=1#frag'), zone, new URL('https://origin.example:8443/ignored'));
    assert.equal(out.url, 'https://origin.example:8443/api/x?q=1');
    assert.deepEqual(out.headers, [['x-a', '1']]);
    assert.equal(out.method, 'POST');
  });

  test('toOrigin: a fetch elsewhere: is left alone', () => {
    const other = init('http://127.0.0.1:9999/');
    assert.equal(toOrigin(other, zone, new URL('http://origin.example')), other);
  });

  test('toOrigin: the zone without an origin: a TypeError that says to pass --origin', () => {
    assert.throws(() => toOrigin(init('http://127.0.0.1:8787/'), zone, null), (err) => err instanceof OpError && err.type === 'TypeError' && /start atoll dev with --origin URL/.test(err.message));
  });
});
