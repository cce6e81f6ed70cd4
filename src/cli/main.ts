// The `atoll` command (bin/atoll.js starts this file under Node 24). Mistakes the user
// can fix (bad config, code that does not build) print their message and exit 1;
// anything else is a bug in atoll and prints its stack.

import { readFileSync } from 'node:fs';
import { UserError } from '../runtime/errors.ts';
import type { CommandSpec } from './command.ts';
import { controlCommand } from './commands/control.ts';
import { devCommand } from './commands/dev.ts';
import { edgeCommand } from './commands/edge.ts';
import { PLATFORM_COMMANDS, PLATFORM_GROUPS } from './commands/platform-commands.ts';
import { upCommand } from './commands/up.ts';
import { runProgram } from './program.ts';

const COMMANDS: CommandSpec[] = [devCommand, upCommand, controlCommand, edgeCommand, ...PLATFORM_COMMANDS];

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

let code: number;
try {
  code = await runProgram(COMMANDS, process.argv.slice(2), {
    version: pkg.version,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }, PLATFORM_GROUPS);
} catch (err) {
  if (err instanceof UserError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`atoll: internal error (a bug in atoll; please report it with this output):\n${(err as Error).stack ?? String(err)}\n`);
  }
  code = 1;
}
// Exit now rather than when the event loop drains: a command that failed halfway may
// still hold handles (esbuild's service process, spare isolates, a store's thread).
process.exit(code);
