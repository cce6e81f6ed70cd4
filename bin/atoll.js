#!/usr/bin/env node
// The `atoll` command. The CLI needs Node 24 started with --no-node-snapshot (for
// isolated-vm): when this process already is one it runs the CLI in place, otherwise
// it starts one (the project's own Node when the system's is older).
import { fileURLToPath } from 'node:url';
import module from 'node:module';
import { compileCacheDir, exec, installed } from './node-path.js';

const main = new URL('../src/cli/main.ts', import.meta.url);
// Installed under node_modules, the CLI runs in a child started with bin/strip-types.js.
const ready = Number(process.versions.node.split('.')[0]) >= 24 && process.execArgv.includes('--no-node-snapshot') && !installed;
if (ready) {
  module.enableCompileCache(compileCacheDir());
  await import(main.href);
}
else await exec([fileURLToPath(main), ...process.argv.slice(2)]);
