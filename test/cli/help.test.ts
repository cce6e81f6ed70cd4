// The help text of every command, as a user reads it, kept as snapshots: a change to a
// command's options or wording shows up in review. Update them with
// `node_modules/.bin/node --no-node-snapshot --test --test-update-snapshots test/cli/help.test.ts`.

import { test } from 'node:test';
import { runCli } from '../dev/spawn-cli.ts';

for (const args of [['--help'], ['dev', '--help'], ['up', '--help'], ['control', '--help'], ['edge', '--help']]) {
  test(`atoll ${args.join(' ')}: prints the help text`, async (t) => {
    const r = await runCli(args);
    t.assert.equal(r.code, 0);
    t.assert.equal(r.stderr, '');
    t.assert.snapshot(r.stdout, { serializers: [(text) => text] });
  });
}
