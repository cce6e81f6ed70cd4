// Workers over the API: uploads become immutable versions, deployments point at one or
// split between two, rollback moves the pointer back, and bad uploads are refused whole.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { workerDefinition } from '../../src/control/definition.ts';
import { pickVersion } from '../../src/control/deployments.ts';
import type { ControlChange } from '../../src/store/control.ts';
import { assertError, HELLO, startHarness, streamRequest, upload, uploadForm, type Harness } from './harness.ts';

let h: Harness;
before(async () => { h = await startHarness({ bundleLimit: 256 * 1024 }); });
after(async () => { await h.close(); });

const meta = (extra: Record<string, unknown> = {}) => ({ main_module: 'index.js', compatibility_date: '2026-01-01', ...extra });
const put = (name: string, form: FormData, query = '') => h.call('PUT', `/api/v1/workers/${name}${query}`, { body: form });

test('Workers API: PUT: an upload is a version with id, hash, author, time and message, deployed at 100%', async () => {
  const heard: ControlChange[] = [];
  const stop = h.store.watch((c) => heard.push(c));
  const reply = await upload(h, 'hello', { metadata: { message: 'first' } });
  stop();
  const v = reply.body.version;
  assert.match(v.id, /^ver_[0-9a-f]{32}$/);
  assert.match(v.hash, /^[0-9a-f]{64}$/);
  assert.equal(v.message, 'first');
  assert.match(v.author_token_id, /^tok_/);
  assert.ok(Date.parse(v.created_at) > 0);
  assert.deepEqual(reply.body.deployment.versions, [{ version_id: v.id, percentage: 100 }]);
  assert.equal(heard.length, 1);
  assert.equal(heard[0]!.kind === 'deployment' && heard[0]!.deployment.versions[0]!.versionId, v.id);
  const got = await h.call('GET', '/api/v1/workers/hello');
  assert.equal(got.body.deployment.versions[0].version_id, v.id);
  const list = await h.call('GET', '/api/v1/workers');
  assert.deepEqual(list.body.workers.map((w: { name: string }) => w.name), ['hello']);
});

test('Workers API: PUT: the same code uploaded twice gives two versions with one hash', async () => {
  const a = await upload(h, 'twice');
  const b = await upload(h, 'twice');
  assert.notEqual(a.body.version.id, b.body.version.id);
  assert.equal(a.body.version.hash, b.body.version.hash);
  const versions = await h.call('GET', '/api/v1/workers/twice/versions');
  assert.deepEqual(versions.body.versions.map((v: { id: string }) => v.id), [b.body.version.id, a.body.version.id]);
});

test('Workers API: PUT ?deploy=false: stores a version without moving the deployment', async () => {
  const first = await upload(h, 'staged');
  const second = await upload(h, 'staged', { deploy: false, source: 'export default { fetch() { return new Response("v2"); } };' });
  assert.equal(second.body.deployment, null);
  const got = await h.call('GET', '/api/v1/workers/staged');
  assert.equal(got.body.deployment.versions[0].version_id, first.body.version.id);
});

test('Workers API: GET version: shows modules with their types and sizes, never contents', async () => {
  const form = uploadForm(meta(), [
    { name: 'index.js', content: 'import t from "./data/greeting.txt"; export default { fetch() { return new Response(t); } };' },
    { name: 'data/greeting.txt', content: 'hi there', type: 'text/plain' },
    { name: 'cfg.json', content: '{"a":1}', type: 'application/json' },
  ]);
  const reply = await put('multi', form);
  assert.equal(reply.status, 201, reply.text);
  const got = await h.call('GET', `/api/v1/workers/multi/versions/${reply.body.version.id}`);
  assert.deepEqual(got.body.version.modules, [
    { name: 'index.js', type: 'esm', size: 92 },
    { name: 'data/greeting.txt', type: 'text', size: 8 },
    { name: 'cfg.json', type: 'json', size: 7 },
  ]);
  assert.equal(got.text.includes('hi there'), false);
});

test('Workers API: deployments: splits traffic between two versions and rollback moves back at once', async () => {
  const v1 = (await upload(h, 'gradual')).body.version.id;
  const v2 = (await upload(h, 'gradual', { deploy: false, source: 'export default { fetch() { return new Response("2"); } };' })).body.version.id;
  const split = await h.call('POST', '/api/v1/workers/gradual/deployments', {
    json: { versions: [{ version_id: v1, percentage: 90 }, { version_id: v2, percentage: 10 }], message: 'canary' },
  });
  assert.equal(split.status, 201, split.text);
  const accountId = (await h.call('GET', '/api/v1/whoami')).body.account.id;
  const current = (await h.store.getDeployment(accountId, 'gradual'))!;
  const counts = new Map<string, number>();
  for (let i = 0; i < 10_000; i++) {
    const picked = pickVersion(current, i / 10_000);
    counts.set(picked, (counts.get(picked) ?? 0) + 1);
  }
  assert.deepEqual([counts.get(v1), counts.get(v2)], [9000, 1000]);

  const full = await h.call('POST', '/api/v1/workers/gradual/deployments', { json: { versions: [{ version_id: v2 }] } });
  assert.deepEqual(full.body.deployment.versions, [{ version_id: v2, percentage: 100 }]);
  const back = await h.call('POST', '/api/v1/workers/gradual/rollback', { json: {} });
  assert.equal(back.status, 201, back.text);
  assert.deepEqual(back.body.deployment.versions, split.body.deployment.versions);
  const toV1 = await h.call('POST', '/api/v1/workers/gradual/rollback', { json: { version_id: v1, message: 'bad canary' } });
  assert.deepEqual(toV1.body.deployment.versions, [{ version_id: v1, percentage: 100 }]);
  assert.equal(toV1.body.deployment.message, 'bad canary');
  const history = await h.call('GET', '/api/v1/workers/gradual/deployments');
  assert.equal(history.body.deployments.length, 5);
  assert.equal(history.body.deployments[0].id, toV1.body.deployment.id);
});

test('Workers API: deployments: refuses splits that do not add up, repeat a version, or name an unknown one', async () => {
  const v1 = (await upload(h, 'splits')).body.version.id;
  const v2 = (await upload(h, 'splits', { deploy: false })).body.version.id;
  const post = (versions: unknown) => h.call('POST', '/api/v1/workers/splits/deployments', { json: { versions } });
  assertError(await post([{ version_id: v1, percentage: 50 }, { version_id: v2, percentage: 40 }]), 400, 'invalid_deployment', 'add up to 90');
  assertError(await post([{ version_id: v1, percentage: 50 }, { version_id: v1, percentage: 50 }]), 400, 'invalid_deployment', 'must differ');
  assertError(await post([{ version_id: v1, percentage: 0.5 }, { version_id: v2, percentage: 99.5 }]), 400, 'invalid_deployment', 'integer');
  assertError(await post([]), 400, 'invalid_deployment', 'one or two');
  assertError(await post('ver_x'), 400, 'invalid_deployment', 'one or two');
  assertError(await post([{ version_id: 'ver_nope' }]), 404, 'not_found', 'ver_nope');
  assertError(await h.call('POST', '/api/v1/workers/splits/rollback', { json: {} }), 409, 'no_previous_deployment', 'version_id');
});

test('Workers API: PUT: a syntax error is refused with file:line:col and nothing is stored', async () => {
  const form = uploadForm(meta(), [
    { name: 'index.js', content: 'import x from "./lib/util.js";\nexport default { fetch() { return x; } };' },
    { name: 'lib/util.js', content: 'export default {\n  a: 1 +;\n};' },
  ]);
  assertError(await put('broken', form), 400, 'syntax_error', /^lib\/util\.js:2:9: SyntaxError: Unexpected token ';'/);
  const cjs = uploadForm(meta({ modules: { 'old.cjs': 'commonjs' } }), [
    { name: 'index.js', content: HELLO },
    { name: 'old.cjs', content: 'module.exports = {\n  a: (;\n};' },
  ]);
  assertError(await put('broken', cjs), 400, 'syntax_error', /^old\.cjs:2:7: SyntaxError/);
  assertError(await h.call('GET', '/api/v1/workers/broken'), 404, 'not_found');
});

test('Workers API: PUT: imports must resolve and JSON/wasm modules must parse', async () => {
  const missing = uploadForm(meta(), [{ name: 'index.js', content: 'import x from "lodash"; export default x;' }]);
  assertError(await put('imports', missing), 400, 'unresolved_import', '"lodash"');
  const json = uploadForm(meta(), [{ name: 'index.js', content: HELLO }, { name: 'c.json', content: '{nope', type: 'application/json' }]);
  assertError(await put('imports', json), 400, 'invalid_module', 'c.json');
  const wasm = uploadForm(meta(), [{ name: 'index.js', content: HELLO }, { name: 'a.wasm', content: new Uint8Array([1, 2, 3]), type: 'application/wasm' }]);
  assertError(await put('imports', wasm), 400, 'invalid_module', 'a.wasm');
});

test('Workers API: PUT: bindings must name a KV namespace of the account, a set secret, an existing service', async () => {
  const bind = (binding: unknown) => put('bound', uploadForm(meta({ bindings: [binding] }), [{ name: 'index.js', content: HELLO }]));
  assertError(await bind({ type: 'kv_namespace', name: 'CACHE', namespace_id: 'kvn_missing' }), 400, 'missing_binding', 'kvn_missing');
  assertError(await bind({ type: 'secret_text', name: 'API_KEY' }), 400, 'missing_binding', 'PUT /api/v1/workers/bound/secrets/API_KEY');
  assertError(await bind({ type: 'service', name: 'AUTH', service: 'auth' }), 400, 'missing_binding', '"auth"');
  const ns = await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'bound-cache' } });
  assert.equal((await h.call('PUT', '/api/v1/workers/bound/secrets/API_KEY', { json: { value: 's3cret' } })).status, 200);
  const ok = await put('bound', uploadForm(meta({
    bindings: [
      { type: 'kv_namespace', name: 'CACHE', namespace_id: ns.body.namespace.id },
      { type: 'secret_text', name: 'API_KEY' },
      { type: 'plain_text', name: 'GREETING', text: 'hi' },
      { type: 'service', name: 'SELF', service: 'bound' },
    ],
    limits: { cpu_ms: 20 },
  }), [{ name: 'index.js', content: HELLO }]));
  assert.equal(ok.status, 201, ok.text);
  // What the edge will run: the secret decrypted into a binding, the limits applied.
  const version = (await h.store.getVersion((await h.store.listAccounts())[0]!.id, 'bound', ok.body.version.id))!;
  const def = await workerDefinition(h.store, h.keyring, version);
  assert.deepEqual(def.bindings.find((b) => b.name === 'API_KEY'), { type: 'secret_text', name: 'API_KEY', text: 's3cret' });
  assert.deepEqual(def.bindings.find((b) => b.name === 'CACHE'), { type: 'kv_namespace', name: 'CACHE', namespaceId: ns.body.namespace.id });
  assert.equal(def.limits.cpuMs, 20);
  assert.equal(def.modules[0]!.name, 'index.js');
});

test('Workers API: PUT: module names that leave the bundle are refused', async () => {
  for (const [name, why] of [['../etc/passwd', '".."'], ['/abs.js', 'absolute'], ['a/./b.js', '"."'], ['a\\b.js', 'backslash'], ['x'.repeat(300), '1 to 256'], ['nul\0.js', 'NUL']]) {
    const form = uploadForm(meta(), [{ name: 'index.js', content: HELLO }, { name: name!, content: 'export default 1;' }]);
    assertError(await put('names', form), 400, 'invalid_module_name', why);
  }
});

test('Workers API: PUT: a bundle over the limit is refused with 413', async () => {
  const big = `export default { fetch() { return new Response(${JSON.stringify('x'.repeat(300 * 1024))}); } };`;
  assertError(await put('big', uploadForm(meta(), [{ name: 'index.js', content: big }])), 413, 'payload_too_large', '262144 bytes');
  // Far past the limit, refused from Content-Length before the body is read.
  const huge = new Response(uploadForm(meta(), [{ name: 'index.js', content: HELLO }, { name: 'blob.bin', content: new Uint8Array(4 * 1024 * 1024), type: 'application/octet-stream' }]));
  const body = new Uint8Array(await huge.arrayBuffer());
  const reply = await streamRequest(h, 'PUT', '/api/v1/workers/big', [body], { 'content-type': huge.headers.get('content-type')!, 'content-length': String(body.byteLength) });
  assert.equal(reply.status, 413);
  assert.equal(reply.body.error.code, 'payload_too_large');
  assertError(await h.call('GET', '/api/v1/workers/big'), 404, 'not_found');
});

test('Workers API: PUT: bad metadata is refused naming the field', async () => {
  const form = (m: unknown) => uploadForm(m, [{ name: 'index.js', content: HELLO }]);
  assertError(await put('meta', form('{not json')), 400, 'invalid_metadata', 'not valid JSON');
  assertError(await put('meta', form([])), 400, 'invalid_metadata', 'JSON object');
  assertError(await put('meta', form({ compatibility_date: '2026-01-01' })), 400, 'invalid_metadata', 'main_module');
  assertError(await put('meta', form(meta({ compatibility_date: '2026-13-01' }))), 400, 'invalid_metadata', 'YYYY-MM-DD');
  assertError(await put('meta', form(meta({ compatibility_date: '2999-01-01' }))), 400, 'invalid_metadata', 'future');
  assertError(await put('meta', form(meta({ compatibility_flags: ['nodejs_compat'] }))), 400, 'invalid_metadata', 'nodejs_compat');
  assertError(await put('meta', form(meta({ bindings: [{ type: 'r2_bucket', name: 'B' }] }))), 400, 'invalid_metadata', 'r2_bucket');
  assertError(await put('meta', form(meta({ bindings: [{ type: 'plain_text', name: 'not an identifier', text: '' }] }))), 400, 'invalid_metadata', 'identifier');
  assertError(await put('meta', form(meta({ bindings: [{ type: 'secret_text', name: 'S', text: 'leak' }] }))), 400, 'invalid_metadata', 'secrets');
  assertError(await put('meta', form(meta({ limits: { cpu_ms: -1 } }))), 400, 'invalid_metadata', 'limits.cpu_ms');
  assertError(await put('meta', form(meta({ limits: { threads: 4 } }))), 400, 'invalid_metadata', 'limits.threads');
  assertError(await put('meta', form(meta({ main_module: 'missing.js' }))), 400, 'missing_main_module', 'missing.js');
  assertError(await put('meta', form(meta({ extra: 1 }))), 400, 'invalid_metadata', 'extra');
  const noMeta = new FormData();
  noMeta.set('index.js', new Blob([HELLO], { type: 'application/javascript+module' }), 'index.js');
  assertError(await put('meta', noMeta), 400, 'missing_metadata', '"metadata" part');
  const onlyMeta = new FormData();
  onlyMeta.set('metadata', JSON.stringify(meta()));
  assertError(await put('meta', onlyMeta), 400, 'no_modules');
});

test('Workers API: PUT: malformed multipart, wrong content type and invalid UTF-8 are 400s', async () => {
  const raw = (body: string | Uint8Array, type: string) => h.call('PUT', '/api/v1/workers/mp', { body: body as string | Uint8Array<ArrayBuffer>, headers: { 'content-type': type } });
  assertError(await raw('{"main_module":"index.js"}', 'application/json'), 400, 'invalid_multipart', 'multipart/form-data');
  assertError(await raw('--xyz\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{}', 'multipart/form-data; boundary=xyz'), 400, 'invalid_multipart', 'boundary');
  const bad = uploadForm(meta(), [{ name: 'index.js', content: new Uint8Array([0x65, 0x78, 0xff, 0xfe]) }]);
  assertError(await put('mp', bad), 400, 'invalid_utf8', 'index.js');
  const unknownType = uploadForm(meta(), [{ name: 'index.js', content: HELLO }, { name: 'README', content: 'x', type: 'application/x-unknown' }]);
  assertError(await put('mp', unknownType), 400, 'unknown_module_type', 'metadata.modules');
});

test('Workers API: worker names and missing workers get clear errors', async () => {
  assertError(await put('Bad_Name!', uploadForm(meta(), [{ name: 'index.js', content: HELLO }])), 400, 'invalid_worker_name', 'lower-case');
  assertError(await h.call('GET', '/api/v1/workers/ghost'), 404, 'not_found', 'GET /api/v1/workers');
  assertError(await h.call('DELETE', '/api/v1/workers/ghost'), 404, 'not_found');
  assertError(await h.call('GET', '/api/v1/workers/ghost/versions'), 404, 'not_found');
  assertError(await h.call('GET', '/api/v1/workers/hello/versions/ver_nope'), 404, 'not_found', 'ver_nope');
});

test('Workers API: DELETE: removes the worker with its versions, unless a deployed worker calls it', async () => {
  await upload(h, 'doomed');
  await upload(h, 'caller', { metadata: { bindings: [{ type: 'service', name: 'DOOMED', service: 'doomed' }] } });
  assertError(await h.call('DELETE', '/api/v1/workers/doomed'), 409, 'worker_in_use', '"caller"');
  await upload(h, 'caller');
  const reply = await h.call('DELETE', '/api/v1/workers/doomed');
  assert.deepEqual(reply.body, { deleted: 'doomed' });
  assertError(await h.call('GET', '/api/v1/workers/doomed/versions'), 404, 'not_found');
});

test('Workers API: service-worker uploads: one script, compiled as a script', async () => {
  const sw = uploadForm({ body_part: 'worker.js', compatibility_date: '2026-01-01' }, [
    { name: 'worker.js', content: 'addEventListener("fetch", (e) => e.respondWith(new Response("sw")));', type: 'application/javascript' },
  ]);
  const ok = await put('sw', sw);
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.version.format, 'service-worker');
  const broken = uploadForm({ body_part: 'worker.js', compatibility_date: '2026-01-01' }, [{ name: 'worker.js', content: 'addEventListener(\n"fetch" =>', type: 'application/javascript' }]);
  assertError(await put('sw', broken), 400, 'syntax_error', /^worker\.js:2:/);
});

test('Workers API: rollback: refused when the old version binds a KV namespace deleted since', async () => {
  const ns = (await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'short-lived' } })).body.namespace.id;
  await upload(h, 'rolls', { metadata: { bindings: [{ type: 'kv_namespace', name: 'DATA', namespace_id: ns }] } });
  await upload(h, 'rolls');
  assert.equal((await h.call('DELETE', `/api/v1/kv/namespaces/${ns}`)).status, 200);
  assertError(await h.call('POST', '/api/v1/workers/rolls/rollback', { json: {} }), 400, 'missing_binding', ns);
  const current = await h.call('GET', '/api/v1/workers/rolls/deployments');
  assert.equal(current.body.deployments.length, 2, 'no deployment was added');
});

test('Workers API: PUT: invalid UTF-8 in the metadata part or a module name is a 400 invalid_utf8', async () => {
  const boundary = 'atoll-test-boundary';
  const bytes = (...pieces: (string | number[])[]) => Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const part = (headers: Buffer, body: Buffer) => bytes(`--${boundary}\r\n`, [...headers], '\r\n\r\n', [...body], '\r\n');
  const send = (parts: Buffer[]) => h.call('PUT', '/api/v1/workers/utf', {
    body: new Uint8Array(Buffer.concat([...parts, bytes(`--${boundary}--\r\n`)])),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const module = part(bytes('Content-Disposition: form-data; name="index.js"; filename="index.js"\r\nContent-Type: application/javascript+module'), bytes(HELLO));
  const badMeta = part(bytes('Content-Disposition: form-data; name="metadata"'), bytes('{"main_module":"index.js","compatibility_date":"2026-01-01","message":"', [0xff], '"}'));
  assertError(await send([badMeta, module]), 400, 'invalid_utf8', '"metadata" part');
  const goodMeta = part(bytes('Content-Disposition: form-data; name="metadata"'), bytes(JSON.stringify(meta())));
  const badName = part(bytes('Content-Disposition: form-data; name="lib', [0xff], '.js"; filename="x"\r\nContent-Type: application/javascript+module'), bytes('export default 1;'));
  assertError(await send([goodMeta, module, badName]), 400, 'invalid_utf8', 'module name');
});
