// `atoll kv key put KEY [VALUE]`: writes one value, given inline or read from a file.

import { readFileSync } from 'node:fs';
import { UserError } from '../../../../runtime/errors.ts';
import type { CommandSpec } from '../../../command.ts';
import { platformCommand, print } from '../../../platform.ts';
import { integerIn } from '../../../values.ts';
import { openTarget, TARGET_OPTIONS } from '../target.ts';

function json(value: string): string {
  try {
    JSON.parse(value);
  } catch {
    throw new Error(`"${value}" is not JSON: write it as JSON text, such as '{"v":1}'`);
  }
  return value;
}

export const kvKeyPutCommand: CommandSpec = platformCommand({
  name: 'kv key put',
  summary: 'write one value into a KV namespace',
  args: [
    { name: 'key', help: 'the key', required: true },
    { name: 'value', help: 'the value as text (or give --path)', required: false },
  ],
  options: [
    ...TARGET_OPTIONS,
    { flags: '--path <file>', help: 'read the value from this file (bytes as they are)' },
    { flags: '--ttl <seconds>', help: 'expire the key this many seconds from now (at least 60)', parse: integerIn(1, 2 ** 31, 'seconds') },
    { flags: '--expiration <time>', help: 'expire the key at this time, in seconds since the epoch', parse: integerIn(1, 2 ** 40, 'seconds') },
    { flags: '--metadata <json>', help: 'metadata kept with the key (JSON, at most 1024 bytes)', parse: json },
  ],
  examples: [
    { command: 'kv key put greeting hello --binding MY_KV', explain: 'set "greeting" in the namespace bound as MY_KV in wrangler.toml' },
    { command: 'kv key put avatar/1 --path avatar.png --namespace-id kvn_0123 --ttl 3600', explain: 'store a file for an hour' },
    { command: 'kv key put greeting hello --binding MY_KV --local', explain: 'the same in atoll dev\'s local store' },
  ],
  async run([key, value], o) {
    if ((value === undefined) === (o.path === undefined)) throw new UserError('give the value as an argument or with --path FILE (one of the two)', 'usage');
    let bytes: Uint8Array;
    if (o.path !== undefined) {
      try {
        bytes = new Uint8Array(readFileSync(o.path));
      } catch (err) {
        throw new UserError(`cannot read --path ${o.path} (${(err as NodeJS.ErrnoException).code}): give a file that exists`, 'bad_file');
      }
    } else {
      bytes = new TextEncoder().encode(value);
    }
    const target = await openTarget(o);
    try {
      await target.put([{ key: key!, value: bytes, expiration: o.expiration, expirationTtl: o.ttl, metadata: o.metadata }]);
      print(`Wrote "${key}" (${bytes.byteLength} bytes) to ${target.label}.`);
    } finally {
      await target.close();
    }
    return 0;
  },
});
