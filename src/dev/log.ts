// The dev server's log. Every line is an event with fields; `pretty` renders it for a
// person at a terminal, `json` as one JSON object per line for tools (and tests).
// Errors and warnings go to stderr, everything else to stdout.

export type LogFormat = 'pretty' | 'json';
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface DevLog {
  /** `text` is the pretty form; `fields` are what the JSON form carries besides it. */
  write(level: Level, event: string, text: string, fields?: Record<string, unknown>): void;
}

export interface LogSinks {
  stdout(line: string): void;
  stderr(line: string): void;
}

const processSinks: LogSinks = {
  stdout: (line) => process.stdout.write(line),
  stderr: (line) => process.stderr.write(line),
};

export function createLog(format: LogFormat, sinks: LogSinks = processSinks): DevLog {
  return {
    write(level, event, text, fields = {}) {
      const sink = level === 'error' || level === 'warn' ? sinks.stderr : sinks.stdout;
      if (format === 'json') sink(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields, message: text })}\n`);
      else sink(`${level === 'warn' && event !== 'console' ? 'warning: ' : ''}${text}\n`);
    },
  };
}

/** Two significant digits or so: `0.04`, `0.4`, `4.2`, `42`. */
export function ms(n: number): string {
  return n < 1 ? n.toFixed(2) : n < 10 ? n.toFixed(1) : Math.round(n).toString();
}
