// URL parsing speed inside a bare isolate: our URL (src/prelude/url.ts) against
// core-js-pure's, which the prelude used before (docs/conformance.md records the
// comparison that chose ours). Each implementation is bundled as the prelude bundles it
// and run in its own isolated-vm isolate, where there is no native URL to fall back on
// (in Node, core-js-pure hands out Node's own URL, so comparing there is meaningless).
// Figures are the best of 7 rounds of 20 000 `new URL(input).href`, in µs per URL.
//
//   node_modules/.bin/node --no-node-snapshot bench/url-parse.ts

import ivm from '../src/runtime/ivm.ts';
import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

const preludeDir = fileURLToPath(new URL('../src/prelude/', import.meta.url));
const bundle = (contents: string) =>
  buildSync({
    stdin: { contents, resolveDir: preludeDir, loader: 'ts' }, bundle: true, write: false, format: 'iife',
    platform: 'neutral', target: 'es2024', minify: true, keepNames: true, legalComments: 'none', mainFields: ['module', 'main'],
  }).outputFiles[0].text;

const impls: Record<string, string> = {
  atoll: bundle("import { URL } from './url.ts'; globalThis.U = URL;"),
  'core-js': bundle("import URL from 'core-js-pure/web/url'; globalThis.U = URL;"),
};
const inputs: [string, string | undefined][] = [
  ['https://user:pw@example.com:8080/a/b/c?x=1&y=2#frag', undefined],
  ['http://example.com/', undefined],
  ['https://www.example.org/some/longer/path/to/a/resource.html?query=string&with=params', undefined],
  ['http://example.com/' + 'abcdefghij/'.repeat(20), undefined],
  ['http://example.com/?' + 'abcdefghij'.repeat(20), undefined],
  ['https://münchen.example/straße?q=ü', undefined],
  ['../p/q?r=1', 'https://example.com/a/b/c'],
];

// Both isolates run round by round, interleaved, so load from other processes on a
// shared machine falls on both alike; each figure is its best round.
const runners = await Promise.all(Object.entries(impls).map(async ([name, code]) => {
  const iso = new ivm.Isolate({ memoryLimit: 128 });
  const ctx = await iso.createContext();
  await ctx.eval(code);
  await ctx.eval(`globalThis.inputs = ${JSON.stringify(inputs)}; globalThis.round = () => JSON.stringify(inputs.map(([input, base]) => {
    const t0 = Date.now();
    for (let i = 0; i < 20000; i++) new U(input, base ?? undefined).href;
    return (Date.now() - t0) / 20;
  }));`);
  return { name, size: code.length, iso, ctx, best: inputs.map(() => Infinity) };
}));
for (let r = 0; r < 7; r++) {
  for (const run of runners) {
    const times = JSON.parse((await run.ctx.eval('round()')) as string) as number[];
    run.best = run.best.map((b, i) => Math.min(b, times[i]));
  }
}
console.log(`| implementation | bundle (minified) | ${inputs.map(([i, b]) => `\`${(b ? i + ' against a base' : i).slice(0, 32)}\``).join(' | ')} |`);
console.log(`| --- | --- |${inputs.map(() => ' --- |').join('')}`);
for (const run of runners) {
  console.log(`| ${run.name} | ${(run.size / 1024).toFixed(1)} KB | ${run.best.map((b) => b.toFixed(2)).join(' | ')} |`);
  run.iso.dispose();
}
