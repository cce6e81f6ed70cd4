// What the distributed mode reads from NATS is outside input: control records, bundles,
// KV entries, heartbeats, events and purges are each checked, and a bad one is refused
// with an error naming what is wrong. Keys map any string to one token and back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BundleHashMismatch, decodeBundle, encodeBundle, verifyBundle } from '../../src/cluster/bundle-codec.ts';
import { ControlState } from '../../src/cluster/control-state.ts';
import { parseEventMessage } from '../../src/cluster/events.ts';
import { controlKey, kvDataKey, parseControlKey, parseKvDataKey, seg, unseg } from '../../src/cluster/keys.ts';
import { parseNodeReport } from '../../src/cluster/locations.ts';
import { decodeEntry, encodeEntry } from '../../src/cluster/nats-kv.ts';
import { parsePurge } from '../../src/cluster/purge.ts';
import { decodeRecord, encodeRecord } from '../../src/cluster/records.ts';
import { bundleHash } from '../../src/control/upload.ts';
import type { SecretRecord, Version } from '../../src/store/control.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

test('cluster keys: any string is one key token and decodes back; ids and names stay readable', () => {
  for (const s of ['ver_1ab', 'my-worker', 'shop.example.com', 'shop.example.com/api/*', 'ünï cödé', '=x', 'a b']) {
    const t = seg(s);
    assert.match(t, /^[A-Za-z0-9_=-]+$/);
    assert.equal(unseg(t), s);
  }
  assert.equal(seg('ver_1ab'), 'ver_1ab');
  assert.deepEqual(parseControlKey(controlKey.routePattern('shop.test/*')), { kind: 'routepattern', parts: ['shop.test/*'] });
  assert.equal(parseControlKey('version.a.b'), null, 'a version key has three parts');
  assert.equal(parseControlKey('nonsense.x'), null);
  assert.deepEqual(parseKvDataKey(kvDataKey('kvn_1', 'a/b c.d')), { namespaceId: 'kvn_1', key: 'a/b c.d' });
});

test('cluster records: a secret\'s bytes survive the round trip even as Buffers; a malformed record names its field', () => {
  const secret: SecretRecord = { accountId: 'a', worker: 'w', name: 'S', keyId: 'k', iv: Buffer.from([1, 2, 3]), ciphertext: Buffer.from('xyz'), updatedAt: 1 };
  const back = decodeRecord('secret', encodeRecord(secret));
  assert.equal(back.kind, 'secret');
  assert.deepEqual([...(back.value as SecretRecord).iv], [1, 2, 3]);
  assert.equal(Buffer.from((back.value as SecretRecord).ciphertext).toString(), 'xyz');
  assert.throws(() => decodeRecord('zone', bytes('not json')), /not JSON/);
  assert.throws(() => decodeRecord('zone', bytes('[1]')), /not a JSON object/);
  assert.throws(() => decodeRecord('zone', bytes('{"id":"z","accountId":"a","hostname":"h","origin":5,"createdAt":1}')), /field "origin" is not string/);
  assert.throws(() => decodeRecord('deployment', encodeRecord({ id: 'd', accountId: 'a', worker: 'w', versions: [{}], message: '', authorTokenId: 't', createdAt: 1 })), /versionId/);
});

test('cluster state: a malformed entry is skipped and reported; the record before it stays; a good one clears the problem', () => {
  const reported: string[] = [];
  const state = new ControlState((p) => reported.push(p.subject));
  const zone = { id: 'z1', accountId: 'a', hostname: 'h.test', origin: 'http://o', createdAt: 1 };
  state.apply(controlKey.zone('a', 'z1'), encodeRecord(zone), 1);
  assert.equal(state.apply(controlKey.zone('a', 'z1'), bytes('{'), 2), null);
  assert.deepEqual(state.getZone('a', 'z1'), zone, 'the previous record stays in force');
  assert.deepEqual(reported, ['zone.a.z1']);
  assert.match(state.problems.get('zone.a.z1')!.message, /revision 2/);
  state.apply(controlKey.zone('a', 'z1'), encodeRecord({ ...zone, origin: 'http://p' }), 3);
  assert.equal(state.problems.size, 0);
  assert.equal(state.getZone('a', 'z1')?.origin, 'http://p');
});

test('cluster bundles: verifyBundle accepts exactly the uploaded code; other bytes and broken framing are refused', () => {
  const modules = [{ name: 'index.js', type: 'esm' as const, content: bytes('export default {}') }];
  const version = { id: 'ver_1', worker: 'w', format: 'modules', mainModule: 'index.js', hash: bundleHash({ format: 'modules', mainModule: 'index.js' }, modules) } as Version;
  assert.deepEqual(verifyBundle(version, encodeBundle(modules)).map((m) => m.name), ['index.js']);
  assert.throws(() => verifyBundle(version, encodeBundle([{ ...modules[0]!, content: bytes('evil()') }])), BundleHashMismatch);
  assert.throws(() => verifyBundle(version, bytes('garbage')), /does not match its hash/);
  assert.throws(() => decodeBundle(new Uint8Array([0, 0, 0, 9, 1])), /header runs past its end/);
  const extra = new Uint8Array([...encodeBundle(modules), 7]);
  assert.throws(() => decodeBundle(extra), /bytes after its last module/);
});

test('cluster messages: KV entries, heartbeats, events and purges with the wrong shape are refused, naming what is wrong', () => {
  const entry = decodeEntry(encodeEntry({ e: 5, m: '{"a":1}' }, bytes('v')));
  assert.deepEqual([entry.header.e, entry.header.m, new TextDecoder().decode(entry.value)], [5, '{"a":1}', 'v']);
  assert.throws(() => decodeEntry(new Uint8Array([1, 2, 3])), /shorter than its header/);
  assert.throws(() => decodeEntry(encodeEntry({ e: 'x' } as never, bytes(''))), /lacks e \(expiration\)/);
  assert.throws(() => parseNodeReport(bytes('{"location":"ams","node":"n","at":1,"connected":true,"serving":[{}],"problems":[]}')), /field "serving"/);
  assert.throws(() => parseNodeReport(bytes('{"location":""}')), /field "location"/);
  assert.throws(() => parseEventMessage(bytes('{"origin":"x","events":[{"time":"t"}]}')), /event 0 field "location"/);
  assert.throws(() => parseEventMessage(bytes('{"origin":"x","event":{}}')), /lacks origin or a list of events/);
  assert.throws(() => parsePurge(bytes('{"accountId":"a","zoneId":"z","urls":[1]}')), /field "urls" is not a list of strings/);
  assert.deepEqual(parsePurge(bytes('{"accountId":"a","zoneId":"z","everything":true}')), { accountId: 'a', zoneId: 'z', everything: true });
});
