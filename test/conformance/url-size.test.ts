// Every isolate carries the prelude, so URL's share of it is watched. The budget keeps
// our URL well under core-js's (about 50 KB minified), which it replaced partly on size.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

const preludeDir = fileURLToPath(new URL('../../src/prelude/', import.meta.url));

/** Minified size of `entry`'s exports, bundled with the prelude's own esbuild options. */
function minifiedSize(contents: string): number {
  const out = buildSync({
    stdin: { contents, resolveDir: preludeDir, loader: 'ts' },
    bundle: true, write: false, format: 'iife', platform: 'neutral', target: 'es2024',
    minify: true, keepNames: true, legalComments: 'none', mainFields: ['module', 'main'], logLevel: 'silent',
  });
  return out.outputFiles[0].text.length;
}

test('URL: bundle: URL and URLSearchParams stay under 30 KB minified', (t) => {
  const size = minifiedSize("import { URL, URLSearchParams } from './url.ts'; globalThis.x = [URL, URLSearchParams];");
  t.diagnostic(`URL + URLSearchParams: ${(size / 1024).toFixed(1)} KB minified`);
  assert.ok(size < 30 * 1024, `URL + URLSearchParams grew to ${size} bytes`);
});

test('URLPattern: bundle: the polyfill stays under 22 KB minified', (t) => {
  const size = minifiedSize("import { URLPattern } from './url-pattern.ts'; globalThis.x = URLPattern;");
  t.diagnostic(`URLPattern: ${(size / 1024).toFixed(1)} KB minified`);
  assert.ok(size < 22 * 1024, `URLPattern grew to ${size} bytes`);
});
