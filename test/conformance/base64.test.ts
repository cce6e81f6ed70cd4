// atob / btoa inside a real isolate: forgiving-base64 (https://infra.spec.whatwg.org/#forgiving-base64-decode).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate } from '../helpers/relaxed-worker.ts';

test('btoa: encodes Latin-1 strings, padding included', async () => {
  const out = await runInIsolate<string[]>(`return ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar', '\\u00ff\\u00fe\\u0000', 123, null].map((s) => btoa(s));`);
  assert.deepEqual(out, ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy', '//4A', 'MTIz', 'bnVsbA==']);
});

test('atob: decodes, forgiving whitespace and missing padding', async () => {
  const out = await runInIsolate<string[]>(`return ['', 'Zg==', 'Zg', 'Zm8', ' Zm9v\\tYmFy\\n', 'Zm 9v Yg = =', '//4A', 'YQ'].map((s) => atob(s));`);
  assert.deepEqual(out, ['', 'f', 'f', 'fo', 'foobar', 'foob', '\u00ff\u00fe\u0000', 'a']);
});

test('atob/btoa: round-trip every byte value and a 1 MiB string', async () => {
  const out = await runInIsolate<boolean[]>(`
    let all = ''; for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    const big = all.repeat(4096);
    const enc = btoa(big);
    return [atob(btoa(all)) === all, atob(enc) === big, enc.length === 4 * Math.ceil(big.length / 3)];
  // Base64 here is JavaScript, not native as on Workers: about 30 ms a MiB each way while
  // V8 still interprets it, more than the default 50 ms for this whole test.
  `, { limits: { cpuMs: 1000 } });
  assert.deepEqual(out, [true, true, true]);
});

test('atob/btoa: bad input throws InvalidCharacterError or TypeError', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (f) => { try { return 'ok:' + f(); } catch (e) { return e.name + ':' + (e.code ?? '') + ':' + e.message; } };
    return [
      attempt(() => atob('Z')), attempt(() => atob('Zm9vY')), attempt(() => atob('Zg===')), attempt(() => atob('Z=g=')),
      attempt(() => atob('Zm9v!')), attempt(() => atob('Zm9v\\u00e9')), attempt(() => atob('Zg=')), attempt(() => atob('-_==')),
      attempt(() => btoa('\\u0100')), attempt(() => btoa('\\u{1F600}')), attempt(() => atob()), attempt(() => btoa()), attempt(() => atob(Symbol('s'))),
      attempt(() => atob(undefined)), attempt(() => atob(null).length),
    ];
  `);
  for (const r of out.slice(0, 8)) assert.match(r, /^InvalidCharacterError:5:atob\(\) called with invalid base64-encoded data/);
  assert.match(out[8], /^InvalidCharacterError:5:btoa\(\) can only operate on characters in the Latin1/);
  assert.match(out[9], /^InvalidCharacterError/);
  assert.match(out[10], /^TypeError::.*1 argument required/);
  assert.match(out[11], /^TypeError::.*1 argument required/);
  assert.match(out[12], /^TypeError/);
  assert.match(out[13], /^InvalidCharacterError/, "atob(undefined) decodes 'undefined', 9 characters: not base64");
  assert.equal(out[14], 'ok:3', "atob(null) decodes 'null'");
});
