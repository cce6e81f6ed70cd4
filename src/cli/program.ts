// Builds the command-line parser (commander) from the command declarations and runs
// one command line. Usage errors come out as one line naming the command and the fix,
// with exit code 2; help and version go to stdout with exit code 0.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_USAGE, type CommandSpec } from './command.ts';

export interface ProgramInfo {
  version: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

function examplesText(spec: CommandSpec): string {
  const lines = spec.examples.map((e) => `  # ${e.explain}\n  atoll ${e.command}`);
  return `\nExamples:\n${lines.join('\n\n')}\n`;
}

/** A commander error as one line: `atoll dev: <reason>. See `atoll dev --help`.` */
function oneLine(cmdName: string, text: string): string {
  const reason = text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  return `${cmdName}: ${reason}${/[.?!]$/.test(reason) ? '' : '.'} See \`${cmdName} --help\`.`;
}

function addCommand(program: Command, spec: CommandSpec, info: ProgramInfo, done: (code: number) => void): void {
  const name = `atoll ${spec.name}`;
  const cmd = program.command(spec.name).description(spec.summary).helpOption('-h, --help', 'show this help');
  cmd.configureOutput({
    writeOut: info.stdout,
    writeErr: info.stderr,
    outputError: (text, write) => write(`${oneLine(name, text)}\n`),
  });
  for (const a of spec.args) cmd.argument(a.required ? `<${a.name}>` : `[${a.name}]`, a.help);
  for (const o of spec.options) {
    const opt = new Option(o.flags, o.help);
    const parse = o.parse;
    if (parse) {
      opt.argParser((value: string, previous: unknown) => {
        try {
          return parse(value, previous);
        } catch (err) {
          throw new InvalidArgumentError((err as Error).message);
        }
      });
    }
    if (o.default !== undefined) opt.default(o.default);
    cmd.addOption(opt);
  }
  cmd.addHelpText('after', examplesText(spec));
  cmd.action(async (...received: unknown[]) => {
    const args = received.slice(0, spec.args.length) as (string | undefined)[];
    done(await spec.run(args, cmd.opts()));
  });
}

/** Runs `argv` (the arguments after `atoll`); resolves with the exit code. */
export async function runProgram(commands: CommandSpec[], argv: string[], info: ProgramInfo): Promise<number> {
  const program = new Command('atoll')
    .description('atoll: run Cloudflare Workers code on your own machines')
    .version(info.version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show the help of a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: info.stdout,
      writeErr: info.stderr,
      outputError: (text, write) => write(`${oneLine('atoll', text)}\n`),
    });
  program.addHelpText('after', `\nRun \`atoll COMMAND --help\` for a command's options and examples.\n`);
  let code: number | null = null;
  for (const spec of commands) addCommand(program, spec, info, (c) => { code = c; });
  for (const sub of program.commands) sub.exitOverride();
  if (argv.length === 0) {
    info.stderr(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Help and version "fail" with exit code 0 under exitOverride.
    return err.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  return code ?? 0;
}
