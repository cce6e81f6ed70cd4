// The control plane's REST API (docs/api.md) as the CLI calls it: bearer token, JSON in
// and out, and every failure as a UserError of one line: the API's own message for its
// errors, and what to check when the server cannot be reached or is not an atoll API.

import { UserError } from '../runtime/errors.ts';
import { loadCredentials, type Credentials } from './credentials.ts';

/** An error answer of the API: `{ "error": { "code", "message" } }` with its status. */
export class ApiFailure extends UserError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(message, code);
    this.status = status;
  }
}

export interface CallInit {
  json?: unknown;
  body?: FormData | Uint8Array<ArrayBuffer> | string;
  query?: Record<string, string | number | undefined>;
}

// A 10 MB bundle over a slow link still fits; a hung server does not hold the CLI forever.
const TIMEOUT_MS = 120_000;

export class ApiClient {
  readonly url: string;
  readonly #token: string;

  constructor(creds: Credentials) {
    this.url = creds.url.replace(/\/+$/, '');
    this.#token = creds.token;
  }

  /** The client for the stored login (or ATOLL_API_URL / ATOLL_API_TOKEN). */
  static fromLogin(): ApiClient {
    return new ApiClient(loadCredentials());
  }

  /** Calls the API and returns the Response of a 2xx answer; throws ApiFailure otherwise. */
  async send(method: string, path: string, init: CallInit = {}): Promise<Response> {
    const url = new URL(`${this.url}/api/v1${path}`);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new UserError(`cannot reach the atoll API at ${this.url} (${reason(err)}): check that it is running (atoll up) and that the URL is right (atoll login --url URL)`, 'api_unreachable');
    }
    if (res.ok) return res;
    const text = await res.text();
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      error = undefined;
    }
    if (typeof error?.message !== 'string') {
      throw new ApiFailure(res.status, 'not_atoll', `${this.url} answered ${res.status} ${res.statusText} without an atoll error: is it an atoll API? (check the URL with atoll login --url URL)`);
    }
    const hint = res.status === 401 ? ' (log in with another token: atoll login --url URL)' : '';
    throw new ApiFailure(res.status, String(error.code), `${error.message}${hint}`);
  }

  /** Calls the API and returns its JSON answer. */
  async call<T = any>(method: string, path: string, init: CallInit = {}): Promise<T> {
    const res = await this.send(method, path, init);
    try {
      return (await res.json()) as T;
    } catch {
      throw new UserError(`${this.url} answered ${method} ${path} with something other than JSON: is it an atoll API?`, 'not_atoll');
    }
  }
}

/** The cause of a failed fetch in a few words (`connect ECONNREFUSED 127.0.0.1:8788`). */
function reason(err: unknown): string {
  const e = err as Error & { cause?: Error & { code?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e.cause?.message ?? e.message;
}

/** A path segment, percent-encoded (worker names, ids, KV keys). */
export const seg = (s: string) => encodeURIComponent(s);
