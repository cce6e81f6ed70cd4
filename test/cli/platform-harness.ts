// What the platform CLI tests share: a real control API (the control plane's own test
// harness: SQLite stores in a temp dir, an ephemeral loopback port, the bootstrap admin
// token), a private config folder per test file, and the real `atoll` spawned with the
// stdin and environment a test gives it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startHarness, type Harness } from '../control/harness.ts';
import { ROOT, WAIT_MS, type CliResult } from '../dev/spawn-cli.ts';

export interface Platform {
  h: Harness;
  /** ATOLL_CONFIG_DIR of the logged-in CLI. */
  configDir: string;
  /** Runs `atoll ARGS` logged in as the bootstrap admin (after login()). */
  cli(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Makes a project folder holding `files`; returns its path. */
  project(files: Record<string, string>): string;
  close(): Promise<void>;
}

export interface RunOptions {
  cwd?: string;
  stdin?: string;
  env?: Record<string, string | undefined>;
}

/** Runs `atoll ARGS` with only the ATOLL_* variables `env` gives (none inherited). */
export function runAtoll(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('ATOLL_')) delete env[k];
  Object.assign(env, options.env);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin/atoll.js'), ...args], {
      cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function startPlatform(): Promise<Platform> {
  const h = await startHarness();
  const root = mkdtempSync(join(tmpdir(), 'atoll-cli-'));
  const configDir = join(root, 'config');
  let n = 0;
  const cli = (args: string[], options: RunOptions = {}) => runAtoll(args, { ...options, env: { ATOLL_CONFIG_DIR: configDir, ...options.env } });
  const login = await cli(['login', '--url', h.api.url], { stdin: `${h.token}\n` });
  assert.equal(login.code, 0, login.stderr);
  return {
    h, configDir, cli,
    project(files) {
      const dir = join(root, `project-${n++}`);
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      return dir;
    },
    async close() {
      await h.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

// The steps `atoll deploy` reports on stderr before it may fail.
const PROGRESS = /^(Bundling|Bundled|Uploading|Uploaded|Activating) /;

/**
 * Asserts a failure a user can act on: exit `code`, and the reason as one line on stderr
 * naming the command and matching `pattern` (after any progress lines).
 */
export function assertFails(r: CliResult, command: string, pattern: RegExp, code = 1): void {
  assert.equal(r.code, code, `exit code; stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  const reason = lines.pop()!;
  for (const l of lines) assert.match(l, PROGRESS, `one line of reason, got:\n${r.stderr}`);
  assert.ok(reason.startsWith(`atoll ${command}: `), `names the command: ${reason}`);
  assert.match(reason, pattern);
  assert.doesNotMatch(r.stderr, /internal error/);
}

/** A port where nothing listens (the server that held it is closed). */
export async function deadUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}
