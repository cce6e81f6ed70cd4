// The help text of every platform command and group, as a user reads it, kept as
// snapshots: a change to a command's options or wording shows up in review. Update them
// with `node_modules/.bin/node --no-node-snapshot --test --test-update-snapshots test/cli/platform-help.test.ts`.

import { test } from 'node:test';
import { PLATFORM_COMMANDS, PLATFORM_GROUPS } from '../../src/cli/commands/platform-commands.ts';
import { runAtoll } from './platform-harness.ts';

for (const spec of PLATFORM_COMMANDS) {
  const args = [...spec.name.split(' '), '--help'];
  test(`atoll ${args.join(' ')}: prints the help text with an example`, async (t) => {
    const r = await runAtoll(args);
    t.assert.equal(r.code, 0);
    t.assert.equal(r.stderr, '');
    t.assert.match(r.stdout, /\nExamples:\n {2}# .+\n {2}atoll \w+/);
    t.assert.snapshot(r.stdout, { serializers: [(text) => text] });
  });
}

for (const group of PLATFORM_GROUPS) {
  test(`atoll ${group.name} --help: lists its commands`, async (t) => {
    const r = await runAtoll([...group.name.split(' '), '--help']);
    t.assert.equal(r.code, 0);
    t.assert.match(r.stdout, new RegExp(`^Usage: atoll ${group.name} \\[options\\] \\[command\\]\\n\\n${group.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    t.assert.snapshot(r.stdout, { serializers: [(text) => text] });
  });
}
