// Builds build/crc32.wasm from src/crc32.wat with wabt (WABT's wat2wasm, compiled to
// JavaScript; an npm package). Run it before `atoll dev` or `atoll deploy`:
//   node build.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'src', 'crc32.wat');
const out = join(here, 'build', 'crc32.wasm');

const wabt = await initWabt();
const module = wabt.parseWat(source, readFileSync(source, 'utf8'));
try {
  module.validate();
  const { buffer } = module.toBinary({});
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, buffer);
  console.log(`Wrote ${out} (${buffer.length} bytes)`);
} finally {
  module.destroy();
}
