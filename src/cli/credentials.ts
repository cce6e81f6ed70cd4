// Where `atoll login` keeps the API's URL and token: `credentials.json` in the user's
// config folder ($ATOLL_CONFIG_DIR, else $XDG_CONFIG_HOME/atoll, else ~/.config/atoll),
// readable by the user alone (folder 0700, file 0600). ATOLL_API_URL with ATOLL_API_TOKEN
// take the place of the file (for CI, where nothing should be written).

import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../runtime/errors.ts';

export interface Credentials {
  url: string;
  token: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ATOLL_CONFIG_DIR) return env.ATOLL_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'atoll');
}

export const credentialsFile = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'credentials.json');

/** Writes the credentials so that only the user can read them; replaces the file whole. */
export function saveCredentials(creds: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = credentialsFile(env);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  // The mode of a new file is masked by the umask; set it outright.
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/** The credentials to call the API with; a UserError saying how to log in when there are none. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  if (env.ATOLL_API_URL && env.ATOLL_API_TOKEN) return { url: env.ATOLL_API_URL, token: env.ATOLL_API_TOKEN };
  const file = credentialsFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code}): fix its permissions or run \`atoll login\` again`, 'not_logged_in');
    throw new UserError('not logged in: run `atoll login --url URL` with an API token on stdin (or set ATOLL_API_URL and ATOLL_API_TOKEN)', 'not_logged_in');
  }
  let creds: Partial<Credentials>;
  try {
    creds = JSON.parse(text) as Partial<Credentials>;
  } catch {
    creds = {};
  }
  if (typeof creds.url !== 'string' || typeof creds.token !== 'string') {
    throw new UserError(`${file} is not a credentials file atoll wrote: run \`atoll login --url URL\` again`, 'not_logged_in');
  }
  return { url: creds.url, token: creds.token };
}
