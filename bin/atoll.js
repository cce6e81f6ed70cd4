#!/usr/bin/env node
// The `atoll` command: re-runs the CLI under Node 24 with --no-node-snapshot.
import { fileURLToPath } from 'node:url';
import { exec } from './node-path.js';

await exec([fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)), ...process.argv.slice(2)]);
