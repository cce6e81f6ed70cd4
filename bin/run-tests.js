#!/usr/bin/env node
// `npm test`: every test file under test/, with Node's test runner on Node 24.
// Pass file paths or globs to run a subset: `npm test -- test/prelude/headers.test.ts`.
import { exec } from './node-path.js';

const files = process.argv.slice(2);
await exec([
  '--test',
  '--test-concurrency=2',
  '--test-timeout=120000',
  '--test-reporter=spec',
  ...(files.length ? files : ['test/**/*.test.ts']),
]);
