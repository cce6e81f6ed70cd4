// Commands are declared as data: their arguments, options, help and examples, and the
// handler that runs them. program.ts turns the declarations into a parser, so every
// command gets the same help layout, error wording and exit codes.

export interface ArgSpec {
  name: string;
  help: string;
  required: boolean;
}

export interface OptionSpec {
  /** As the user types it: `-c, --config <file>`, `--trust-forwarded-for`. */
  flags: string;
  help: string;
  /**
   * Checks and converts one value. Throws an Error whose message says what is wrong and
   * what to write instead; `previous` is the value so far (for repeatable options).
   */
  parse?: (value: string, previous: any) => unknown;
  default?: unknown;
  /** The command cannot run without it (a usage error names it). */
  required?: boolean;
}

export interface Example {
  command: string;
  explain: string;
}

export interface CommandSpec {
  name: string;
  /** One line for the command list. */
  summary: string;
  args: ArgSpec[];
  options: OptionSpec[];
  examples: Example[];
  /**
   * Runs the command and resolves with its exit code. `args` follow `args` above;
   * `options` are keyed by the camelCase long flag name (`--cpu-ms` is `cpuMs`).
   */
  run(args: (string | undefined)[], options: Record<string, any>): Promise<number>;
}

/** Exit code for a command line that could not be understood (as most Unix tools use). */
export const EXIT_USAGE = 2;

/** A noun that holds commands (`kv`, `kv namespace`): its name and one line for the list. */
export interface GroupSpec {
  name: string;
  summary: string;
}
