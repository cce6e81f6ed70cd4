// Builds the prelude (src/prelude, code that runs inside every isolate) into one
// script with esbuild, once per process. The result is what the V8 snapshot holds.

import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const preludeDir = fileURLToPath(new URL('../prelude/', import.meta.url));

export interface PreludeBundle {
  code: string;
  hash: string;
  buildMs: number;
}

let cached: PreludeBundle | null = null;

export function preludeBundle(): PreludeBundle {
  if (cached) return cached;
  const t0 = performance.now();
  const out = buildSync({
    entryPoints: [preludeDir + 'index.ts'],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    target: 'es2024',
    minify: true,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    mainFields: ['module', 'main'],
    inject: [preludeDir + 'internal/inject-encoding.ts', preludeDir + 'internal/inject-url.ts'],
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  cached = { code, hash: createHash('sha256').update(code).digest('hex').slice(0, 16), buildMs: performance.now() - t0 };
  return cached;
}
