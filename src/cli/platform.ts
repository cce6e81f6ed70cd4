// What the commands that talk to the platform share: errors as one line naming the
// command, `--json`, aligned tables, progress on stderr (so stdout stays the result), and
// reading a secret from stdin or a prompt that does not echo.

import { createInterface } from 'node:readline';
import { BundleError } from '../bundle/errors.ts';
import { loadConfig } from '../config/load.ts';
import { UserError } from '../runtime/errors.ts';
import type { CommandSpec, OptionSpec } from './command.ts';

export const JSON_OPTION: OptionSpec = { flags: '--json', help: 'print the result as JSON (for scripts)' };

/**
 * Declares a platform command: a UserError from its run (the API's answer, a missing
 * login, a bad file) becomes `atoll NAME: reason`, one line, exit 1 (a build error's
 * code frame follows on the next lines).
 */
export function platformCommand(spec: CommandSpec): CommandSpec {
  return {
    ...spec,
    async run(args, options) {
      try {
        return await spec.run(args, options);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        // A build error keeps its code frame under the first line, as atoll dev shows it.
        const text = err instanceof BundleError ? err.message : err.message.replace(/\s*\n\s*/g, ' ');
        throw new UserError(text.startsWith('atoll ') ? text : `atoll ${spec.name}: ${text}`, err.code);
      }
    },
  };
}

export const print = (text: string) => { process.stdout.write(`${text}\n`); };
export const printJson = (value: unknown) => { process.stdout.write(`${JSON.stringify(value, null, 2)}\n`); };
/** A step of a long operation, on stderr. */
export const progress = (text: string) => { process.stderr.write(`${text}\n`); };

/** Rows under a header, columns padded to line up; `empty` when there are no rows. */
export function table(header: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return empty;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** `2026-11-27T15:04:05.123Z` as `2026-11-27 15:04:05Z`. */
export const when = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`);

/**
 * A secret value: typed at a prompt that does not echo when stdin is a terminal, else
 * all of stdin (one trailing newline dropped, as `echo` adds it).
 */
export async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    stdin.setEncoding('utf8');
    for await (const chunk of stdin) text += chunk;
    return text.replace(/\r?\n$/, '');
  }
  // The terminal stops echoing once readline has it in raw mode, so the prompt comes
  // after that: keys typed as soon as it shows are not echoed by the terminal either.
  const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  process.stderr.write(prompt);
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('SIGINT', () => reject(new UserError('canceled', 'canceled')));
      rl.once('close', () => resolve(''));
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** `--name`, `-c` and `-e`: which worker a command acts on (wrangler's way). */
export const WORKER_OPTIONS: OptionSpec[] = [
  { flags: '--name <worker>', help: 'the worker (default: "name" in wrangler.toml / wrangler.json / wrangler.jsonc)' },
  { flags: '-c, --config <file>', help: 'the config file to take the name from' },
  { flags: '-e, --env <name>', help: 'use the config\'s [env.NAME] section (its name is <name>-<NAME>)' },
];

/** The worker named by --name, else by the config's `name`. */
export function workerName(o: Record<string, any>): string {
  if (typeof o.name === 'string') return o.name;
  const config = loadConfig(process.cwd(), o.config ?? null, o.env ?? null);
  if (config.name === null) {
    throw new UserError(config.file === null
      ? 'no worker named: pass --name WORKER, or run it in a folder with a wrangler.toml that has name = "..."'
      : `${config.file} has no "name": pass --name WORKER or add name = "my-worker"`, 'no_worker');
  }
  return config.name;
}
