// What the long-running commands (`atoll up`, `atoll edge`, `atoll control`) share: one JSON object
// per line (errors and warnings on stderr), and running until a signal.

export function jsonLog(fields: Record<string, unknown>): void {
  const line = `${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`;
  if (fields.level === 'error' || fields.level === 'warn' || fields.level === 'fatal') process.stderr.write(line);
  else process.stdout.write(line);
}

/** Resolves on Ctrl-C, SIGTERM or SIGHUP. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve());
  });
}
