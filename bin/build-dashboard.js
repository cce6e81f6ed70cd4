#!/usr/bin/env node
// `npm install` runs this (the `prepare` script): builds the dashboard's browser code
// into dist/dashboard/ with the project's Node 24 (src/dashboard/build.ts).
import { fileURLToPath } from 'node:url';
import { exec } from './node-path.js';

await exec([fileURLToPath(new URL('../src/dashboard/build.ts', import.meta.url))]);
