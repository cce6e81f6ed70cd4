// `atoll up`: the embedded platform (control plane + edge + dashboard in one process).
// It comes with its own issue; until then the command says so instead of pretending.

import type { CommandSpec } from '../command.ts';

export const upCommand: CommandSpec = {
  name: 'up',
  summary: 'run the whole platform in one process (not available yet: use atoll dev)',
  args: [],
  options: [],
  examples: [{ command: 'dev examples/hello/src/index.js', explain: 'what to run meanwhile: one worker, locally' }],
  async run() {
    process.stderr.write('atoll up: not available yet: use `atoll dev` to run a worker locally (see `atoll dev --help`).\n');
    return 1;
  },
};
