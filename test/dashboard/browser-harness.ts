// What the dashboard's browser tests and scripts/screenshots.ts share: a real `atoll up`
// (the CLI as a child process, ephemeral ports, a temp data folder) and Debian's
// chromium driven by playwright-core. Both are cleaned up by `close()`, whatever failed.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.ATOLL_CHROMIUM ?? '/usr/bin/chromium';

export interface Up {
  child: ChildProcess;
  api: string;
  edge: string;
  token: string;
  /** Every JSON line atoll up printed. */
  lines: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Starts `atoll up` on free ports in a fresh data folder; resolves with its first admin token. */
export function startUp(timeoutMs = 60_000): Promise<Up> {
  const data = mkdtempSync(join(tmpdir(), 'atoll-dash-'));
  const child = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin/atoll.js'), 'up', '--port', '0', '--api-port', '0', '--data', data], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test process that ends early (a failure, a timeout) takes its atoll up with it.
  const killOnExit = () => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  const close = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(data, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    let token = '';
    const timer = setTimeout(() => { void close(); reject(new Error(`atoll up did not get ready in ${timeoutMs} ms: ${stderr}`)); }, timeoutMs);
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        lines.push(parsed);
        if (typeof parsed.token === 'string') token = parsed.token;
        if (parsed.msg === 'atoll up ready') {
          clearTimeout(timer);
          resolve({ child, api: String(parsed.api), edge: String(parsed.edge), token, lines, close });
        }
      }
    });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`atoll up exited with ${code}: ${stderr}`)); });
  });
}

/** Debian's chromium, headless, kept off the network it does not need. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
