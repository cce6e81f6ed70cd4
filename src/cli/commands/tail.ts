// `atoll tail [WORKER]`: a worker's invocations live, as they end (requests and cron
// runs, with their console lines and exceptions), read from the API's tail endpoint
// (GET /api/v1/workers/:name/tail, Server-Sent Events) and printed one event at a time,
// in wrangler tail's shape (`pretty`) or as one JSON object a line (`json`). Runs until
// Ctrl-C, or until the server ends the tail (a one-line reason and exit 1).

import { loadConfig } from '../../config/load.ts';
import { openTail } from '../../observe/tail-client.ts';
import { formatEvent, type TailFormat } from '../../observe/tail-format.ts';
import { UserError } from '../../runtime/errors.ts';
import { loadCredentials } from '../credentials.ts';
import type { CommandSpec } from '../command.ts';
import { platformCommand, print, progress } from '../platform.ts';
import { oneOf } from '../values.ts';

const STATUSES = ['ok', 'error', 'canceled'] as const;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/;

/** Repeatable, and comma-separated values too: `--status ok --status error` = `--status ok,error`. */
function list(check: (v: string) => string) {
  return (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').map((v) => check(v.trim()))];
}

function method(value: string): string {
  if (!METHOD.test(value)) throw new Error(`"${value}" is not an HTTP method: use one such as GET or POST`);
  return value.toUpperCase();
}

function samplingRate(value: string): number {
  const n = /^\s*$/.test(value) ? NaN : Number(value);
  if (!(n > 0 && n <= 1)) throw new Error(`"${value}" is not a sampling rate: use a number above 0 and at most 1, such as 0.1 for one event in ten`);
  return n;
}

function search(value: string): string {
  if (value === '' || value.length > 200) throw new Error('the search text must be 1 to 200 characters');
  return value;
}

export const tailCommand: CommandSpec = platformCommand({
  name: 'tail',
  summary: 'stream a worker\'s requests and cron runs live, with console lines and exceptions',
  args: [{ name: 'worker', help: 'the worker (default: "name" in wrangler.toml / wrangler.json / wrangler.jsonc)', required: false }],
  options: [
    { flags: '--format <format>', help: 'pretty (a head line, then console lines and exceptions indented) or json (one event a line)', parse: oneOf(['pretty', 'json'] as const), default: 'pretty' },
    { flags: '--status <status>', help: 'only ok, error or canceled invocations (repeatable, or comma-separated)', parse: list(oneOf(STATUSES)) },
    { flags: '--method <method>', help: 'only requests with this HTTP method (repeatable, or comma-separated)', parse: list(method) },
    { flags: '--search <text>', help: 'only invocations whose URL, console lines or exceptions contain the text (any case)', parse: search },
    { flags: '--sampling-rate <rate>', help: 'the share of matching invocations to show, above 0 and at most 1', parse: samplingRate },
    { flags: '-c, --config <file>', help: 'the config file to take the worker\'s name from' },
    { flags: '-e, --env <name>', help: 'use the config\'s [env.NAME] section (its name is <name>-<NAME>)' },
  ],
  examples: [
    { command: 'tail hello', explain: 'every request and cron run of "hello" as it ends' },
    { command: 'tail hello --status error --format json', explain: 'failures only, as JSON lines (for jq)' },
    { command: 'tail --method POST --search checkout --sampling-rate 0.1', explain: 'one in ten POSTs mentioning "checkout", of the worker in wrangler.toml' },
  ],
  async run([worker], o) {
    let name = worker;
    if (name === undefined) {
      const config = loadConfig(process.cwd(), o.config ?? null, o.env ?? null);
      if (config.name === null) {
        throw new UserError(config.file === null
          ? 'no worker named: pass one (atoll tail WORKER), or run it in a folder with a wrangler.toml that has name = "..."'
          : `${config.file} has no "name": pass the worker (atoll tail WORKER) or add name = "my-worker"`, 'no_worker');
      }
      name = config.name;
    }
    const creds = loadCredentials();
    const format = o.format as TailFormat;
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const events = openTail({
        url: creds.url, token: creds.token, worker: name,
        status: o.status, method: o.method, search: o.search, samplingRate: o.samplingRate,
        signal: stop.signal,
        onReady: () => progress(`Tailing ${name}; waiting for requests and cron runs (Ctrl-C to stop)...`),
      });
      for await (const event of events) print(formatEvent(event, format));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (stop.signal.aborted) return 0;
    throw new UserError('the API ended the tail (it may have restarted); run atoll tail again', 'tail_ended');
  },
});
