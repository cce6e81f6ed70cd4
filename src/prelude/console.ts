// console: each call becomes one log line on the host, tagged there with the invocation
// (worker, version, request) whose task made the call.

import { hostSync } from './internal/bridge.ts';
import { format } from './internal/inspect.ts';

const counts = new Map<string, number>();
const timersByLabel = new Map<string, number>();

function write(level: string, args: unknown[]): void {
  hostSync('console_write', level, format(args));
}

export const console = {
  log: (...args: unknown[]) => write('log', args),
  info: (...args: unknown[]) => write('info', args),
  warn: (...args: unknown[]) => write('warn', args),
  error: (...args: unknown[]) => write('error', args),
  debug: (...args: unknown[]) => write('debug', args),
  trace: (...args: unknown[]) => write('debug', [...args, new Error('trace').stack]),
  dir: (value: unknown) => write('log', [value]),
  assert: (condition: unknown, ...args: unknown[]) => {
    if (!condition) write('error', ['Assertion failed', ...args]);
  },
  count: (label = 'default') => {
    const n = (counts.get(label) ?? 0) + 1;
    counts.set(label, n);
    write('log', [`${label}: ${n}`]);
  },
  countReset: (label = 'default') => { counts.delete(label); },
  time: (label = 'default') => { timersByLabel.set(label, Date.now()); },
  timeEnd: (label = 'default') => {
    const t = timersByLabel.get(label);
    timersByLabel.delete(label);
    if (t !== undefined) write('log', [`${label}: ${Date.now() - t}ms`]);
  },
  timeLog: (label = 'default', ...args: unknown[]) => {
    const t = timersByLabel.get(label);
    if (t !== undefined) write('log', [`${label}: ${Date.now() - t}ms`, ...args]);
  },
  table: (data: unknown) => write('log', [data]),
  group: (...args: unknown[]) => { if (args.length) write('log', args); },
  groupCollapsed: (...args: unknown[]) => { if (args.length) write('log', args); },
  groupEnd: () => {},
};
