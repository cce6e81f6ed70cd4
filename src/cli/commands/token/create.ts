// `atoll token create NAME --scope S...`: a new API token, printed once.

import { SCOPES, type Scope } from '../../../store/control.ts';
import { ApiClient } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, when } from '../../platform.ts';

function scope(value: string, previous: Scope[] | undefined): Scope[] {
  if (!(SCOPES as readonly string[]).includes(value)) throw new Error(`"${value}" is not a scope: use ${SCOPES.join(', ')}`);
  return [...(previous ?? []), value as Scope];
}

function future(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`"${value}" is not a time: write it as ISO 8601, such as 2027-01-01T00:00:00Z`);
  return new Date(ms).toISOString();
}

export const tokenCreateCommand: CommandSpec = platformCommand({
  name: 'token create',
  summary: 'create an API token (shown once) with the scopes you give',
  args: [{ name: 'name', help: 'what the token is for', required: true }],
  options: [
    { flags: '--scope <scope>', help: `a scope, repeatable: ${SCOPES.join(', ')}`, parse: scope },
    { flags: '--expires <time>', help: 'when it stops working (ISO 8601; default: never)', parse: future },
    JSON_OPTION,
  ],
  examples: [{ command: 'token create "ci deploys" --scope workers:write --scope kv:write --expires 2027-06-30T00:00:00Z', explain: 'a token for CI that can deploy and write KV, until mid-2027' }],
  async run([name], o) {
    const scopes = o.scope ?? [];
    const reply = await ApiClient.fromLogin().call('POST', '/tokens', { json: { name, scopes, ...(o.expires ? { expires_at: o.expires } : {}) } });
    if (o.json) {
      printJson(reply);
      return 0;
    }
    const r = reply.record;
    print(`Created token "${r.name}" (${r.id}; ${r.scopes.join(', ')}; expires ${r.expires_at === null ? 'never' : when(r.expires_at)}).\nIt is shown this once; keep it somewhere safe:\n\n${reply.token}`);
    return 0;
  },
});
