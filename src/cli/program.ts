// Builds the command-line parser (commander) from the command declarations and runs
// one command line. Usage errors come out as one line naming the command and the fix,
// with exit code 2; help and version go to stdout with exit code 0.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_USAGE, type CommandSpec, type GroupSpec } from './command.ts';

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

function configure(cmd: Command, name: string, info: ProgramInfo): Command {
  return cmd.helpOption('-h, --help', 'show this help').exitOverride().configureOutput({
    writeOut: info.stdout,
    writeErr: info.stderr,
    outputError: (text, write) => write(`${oneLine(name, text)}\n`),
  });
}

/** The command for a group (`kv`, `kv namespace`): created on first use, with its summary from `groups`. */
function parentOf(program: Command, words: string[], groups: GroupSpec[], info: ProgramInfo): Command {
  let parent = program;
  for (let i = 0; i < words.length; i++) {
    const path = words.slice(0, i + 1).join(' ');
    const found = parent.commands.find((c) => c.name() === words[i]);
    parent = found ?? configure(parent.command(words[i]).description(groups.find((g) => g.name === path)?.summary ?? ''), `atoll ${path}`, info)
      .addHelpText('after', `\nRun \`atoll ${path} COMMAND --help\` for a command's options and examples.\n`);
  }
  return parent;
}

function addCommand(program: Command, spec: CommandSpec, groups: GroupSpec[], info: ProgramInfo, done: (code: number) => void): void {
  const name = `atoll ${spec.name}`;
  const words = spec.name.split(' ');
  const parent = parentOf(program, words.slice(0, -1), groups, info);
  const cmd = configure(parent.command(words[words.length - 1]).description(spec.summary), name, info);
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
    if (o.required) opt.makeOptionMandatory();
    cmd.addOption(opt);
  }
  cmd.addHelpText('after', examplesText(spec));
  cmd.action(async (...received: unknown[]) => {
    const args = received.slice(0, spec.args.length) as (string | undefined)[];
    done(await spec.run(args, cmd.opts()));
  });
}

/**
 * Runs `argv` (the arguments after `atoll`); resolves with the exit code. A command named
 * with several words (`kv key put`) sits under its groups, which `groups` describes.
 */
export async function runProgram(commands: CommandSpec[], argv: string[], info: ProgramInfo, groups: GroupSpec[] = []): Promise<number> {
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
  for (const spec of commands) addCommand(program, spec, groups, info, (c) => { code = c; });
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
