// console: https://console.spec.whatwg.org/ with Node's formatting (internal/inspect.ts).
// Each call becomes one log line on the host, tagged there with the invocation (worker,
// version, request) whose task made the call.

import { hostSync } from './internal/bridge.ts';
import { format, inspect } from './internal/inspect.ts';
import { MapCtor } from './internal/primordials.ts';

const counts = new MapCtor<string, number>();
const timers = new MapCtor<string, number>();
const DateNow = Date.now;
let groupIndent = '';

function write(level: string, args: unknown[]): void {
  let text = format(args);
  if (groupIndent !== '') text = groupIndent + text.split('\n').join(`\n${groupIndent}`);
  hostSync('console_write', level, text);
}

const label = (v: unknown): string => (v === undefined ? 'default' : `${v as string}`);

function elapsed(name: string, method: string): string | null {
  const start = timers.get(name);
  if (start === undefined) {
    write('warn', [`Warning: No such label '${name}' for console.${method}()`]);
    return null;
  }
  return `${name}: ${DateNow() - start}ms`;
}

// https://console.spec.whatwg.org/#table, drawn as Node draws it.
function table(data: unknown, properties?: unknown): string | null {
  if (data === null || typeof data !== 'object') return null;
  const rows: [string, unknown][] = data instanceof Map ? [...data].map(([k, v]) => [inspect(k), v]) : Object.keys(data).map((k) => [k, (data as Record<string, unknown>)[k]]);
  const columns: string[] = [];
  let hasValues = false;
  for (const [, row] of rows) {
    if (row !== null && typeof row === 'object') {
      for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
    } else {
      hasValues = true;
    }
  }
  const keys = Array.isArray(properties) ? properties.map(String) : columns;
  const header = [data instanceof Map ? '(iteration index)' : '(index)', ...keys, ...(hasValues ? ['Values'] : [])];
  const body = rows.map(([index, row]) => {
    const isObj = row !== null && typeof row === 'object';
    const cells = keys.map((k) => (isObj && Object.hasOwn(row as object, k) ? inspect((row as Record<string, unknown>)[k], 0) : ''));
    return [index, ...cells, ...(hasValues ? [isObj ? '' : inspect(row, 0)] : [])];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)) + 2);
  const center = (s: string, w: number) => {
    const left = Math.floor((w - s.length) / 2);
    return ' '.repeat(left) + s + ' '.repeat(w - s.length - left);
  };
  const line = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w)).join(m) + r;
  const row = (cells: string[]) => `│${cells.map((c, i) => center(c, widths[i])).join('│')}│`;
  return [line('┌', '┬', '┐'), row(header), line('├', '┼', '┤'), ...body.map(row), line('└', '┴', '┘')].join('\n');
}

export const console = {
  log: (...args: unknown[]) => write('log', args),
  info: (...args: unknown[]) => write('info', args),
  warn: (...args: unknown[]) => write('warn', args),
  error: (...args: unknown[]) => write('error', args),
  debug: (...args: unknown[]) => write('debug', args),
  trace: (...args: unknown[]) => {
    const stack = String(new Error().stack).split('\n').slice(2).join('\n');
    write('debug', [`Trace${args.length ? `: ${format(args)}` : ''}\n${stack}`]);
  },
  dir: (value: unknown) => write('log', [inspect(value)]),
  dirxml: (...args: unknown[]) => write('log', args),
  // https://console.spec.whatwg.org/#assert
  assert: (condition?: unknown, ...args: unknown[]) => {
    if (condition) return;
    if (typeof args[0] === 'string') args[0] = `Assertion failed: ${args[0]}`;
    else args.unshift('Assertion failed');
    write('error', args);
  },
  count: (name?: unknown) => {
    const key = label(name);
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    write('info', [`${key}: ${n}`]);
  },
  countReset: (name?: unknown) => {
    counts.delete(label(name));
  },
  time: (name?: unknown) => {
    const key = label(name);
    if (timers.has(key)) write('warn', [`Warning: Label '${key}' already exists for console.time()`]);
    else timers.set(key, DateNow());
  },
  timeEnd: (name?: unknown) => {
    const key = label(name);
    const text = elapsed(key, 'timeEnd');
    timers.delete(key);
    if (text !== null) write('info', [text]);
  },
  timeLog: (name?: unknown, ...args: unknown[]) => {
    const text = elapsed(label(name), 'timeLog');
    if (text !== null) write('info', [text, ...args]);
  },
  table: (data?: unknown, properties?: unknown) => {
    const text = table(data, properties);
    write('log', text === null ? [data] : [text]);
  },
  group: (...args: unknown[]) => {
    if (args.length) write('log', args);
    groupIndent += '  ';
  },
  groupCollapsed: (...args: unknown[]) => {
    if (args.length) write('log', args);
    groupIndent += '  ';
  },
  groupEnd: () => {
    groupIndent = groupIndent.slice(0, -2);
  },
};
