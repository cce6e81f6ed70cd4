// `atoll login [--url URL]`: checks an API token against the API and stores the URL and
// token for the other commands (credentials.ts). The token comes from ATOLL_API_TOKEN,
// else stdin (a prompt that does not echo on a terminal), never from the command line,
// where it would sit in the shell's history and the process list.

import { ApiClient } from '../api-client.ts';
import type { CommandSpec } from '../command.ts';
import { saveCredentials } from '../credentials.ts';
import { JSON_OPTION, platformCommand, print, printJson, readSecret } from '../platform.ts';
import { UserError } from '../../runtime/errors.ts';
import { httpUrl } from '../values.ts';

export const loginCommand: CommandSpec = platformCommand({
  name: 'login',
  summary: 'check an API token and store it for the other commands',
  args: [],
  options: [
    { flags: '--url <url>', help: 'the control plane API (atoll up serves it on port 8788)', parse: (v: string) => httpUrl(v).href.replace(/\/+$/, ''), default: 'http://127.0.0.1:8788' },
    JSON_OPTION,
  ],
  examples: [
    { command: 'login --url http://127.0.0.1:8788 < token.txt', explain: 'log in with the token atoll up printed, kept in a file' },
    { command: 'login --url https://atoll.example.com', explain: 'type the token at the prompt (it is not shown)' },
  ],
  async run(_args, o) {
    const url = o.url as string;
    const token = (process.env.ATOLL_API_TOKEN ?? await readSecret('API token: ')).trim();
    if (token === '') throw new UserError('no API token: pipe one on stdin (atoll login --url URL < token.txt) or set ATOLL_API_TOKEN', 'no_token');
    const me = await new ApiClient({ url, token }).call('GET', '/whoami');
    const file = saveCredentials({ url, token });
    if (o.json) printJson({ url, account: me.account, token: me.token, credentials: file });
    else print(`Logged in to ${url} as account "${me.account.name}" (${me.account.id}) with token "${me.token.name}" (${me.token.id}; ${me.token.scopes.join(', ')}).\nSaved in ${file}.`);
    return 0;
  },
});
