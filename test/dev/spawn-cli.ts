// Runs the real `atoll` CLI (bin/atoll.js) as a child process, as a user would: one
// command to completion (`runCli`), or `atoll dev` kept running with its JSON log read
// line by line (`startDev`).

import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = join(ROOT, 'test/fixtures');
const BIN = join(ROOT, 'bin/atoll.js');

/** Generous for a loaded shared machine; every wait below is bounded by it. */
export const WAIT_MS = 30_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
}

/** Runs `atoll ARGS` in `cwd` to its end (killed after WAIT_MS). */
export function runCli(args: string[], cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawnCli(args, cwd);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface LogEvent {
  level: string;
  event: string;
  message: string;
  [field: string]: unknown;
}

export interface DevProcess {
  url: string;
  /** Every JSON log event so far, stdout and stderr together, in arrival order. */
  events: LogEvent[];
  /** Lines that were not JSON (there should be none). */
  other: string[];
  /** Resolves with the first event (from index `from` on) that `match` accepts. */
  waitFor(match: (e: LogEvent) => boolean, from?: number, timeoutMs?: number): Promise<LogEvent>;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `atoll dev --port 0 --log-format json ARGS` in `cwd` and waits until it is
 * ready. The CPU limit is raised to 2 s unless ARGS set one: a fresh isolate's first
 * requests can take more than the default 50 ms on a machine shared by many test runs,
 * and only the limit tests should depend on it.
 */
export async function startDev(args: string[], cwd: string): Promise<DevProcess> {
  const cpu = args.includes('--cpu-ms') ? [] : ['--cpu-ms', '2000'];
  const child = spawnCli(['dev', '--port', '0', '--log-format', 'json', ...cpu, ...args], cwd);
  const events: LogEvent[] = [];
  const other: string[] = [];
  const waiters = new Set<() => void>();
  let exited: number | null | undefined;
  const onText = (stream: NodeJS.ReadableStream) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          events.push(JSON.parse(line) as LogEvent);
        } catch {
          other.push(line);
        }
      }
      for (const w of waiters) w();
    });
  };
  onText(child.stdout!);
  onText(child.stderr!);
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => {
    exited = code;
    for (const w of waiters) w();
    resolve(code);
  }));

  const waitFor = (match: (e: LogEvent) => boolean, from = 0, timeoutMs = WAIT_MS) => new Promise<LogEvent>((resolve, reject) => {
    const check = () => {
      const hit = events.slice(from).find(match);
      if (hit) done(() => resolve(hit));
      else if (exited !== undefined) done(() => reject(new Error(`atoll dev exited (${exited}) first; log:\n${[...events.map((e) => JSON.stringify(e)), ...other].join('\n')}`)));
    };
    const timer = setTimeout(() => done(() => reject(new Error(`no matching log event within ${timeoutMs} ms; log:\n${events.map((e) => JSON.stringify(e)).join('\n')}`))), timeoutMs);
    const done = (f: () => void) => {
      clearTimeout(timer);
      waiters.delete(check);
      f();
    };
    waiters.add(check);
    check();
  });

  const stop = async () => {
    if (exited === undefined) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
    const code = await closed;
    clearTimeout(timer);
    return code;
  };

  let ready: LogEvent;
  try {
    ready = await waitFor((e) => e.event === 'ready');
  } catch (err) {
    await stop();
    throw err;
  }
  const url = String(ready.url);
  return { url, events, other, waitFor, fetch: (path, init) => fetch(url + path, init), stop };
}

/** A copy of fixture `name` in a fresh temporary folder (for tests that edit files). */
export function copyFixture(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `atoll-${name}-`));
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
