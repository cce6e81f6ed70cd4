// The dashboard talks to the same /api/v1 as every client, with its session cookie and,
// on calls that change something, the session's CSRF token in a header.

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface Session {
  csrf: string;
  token: { id: string; name: string; scopes: string[] };
  account: { id: string; name: string; operator: boolean } | null;
}

let csrf = '';
let onSignedOut: () => void = () => {};

export function useSession(s: Session | null, signedOut?: () => void): void {
  csrf = s?.csrf ?? '';
  if (signedOut) onSignedOut = signedOut;
}

async function failure(res: Response): Promise<ApiFailure> {
  let code = 'http_error';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json() as { error?: { code?: string; message?: string } };
    if (body.error?.message) ({ code = code, message } = body.error as { code: string; message: string });
  } catch {
    // Not JSON: the status line says what there is to say.
  }
  return new ApiFailure(res.status, code, message);
}

/** Calls the API; rejects with ApiFailure carrying the API's code and message. */
export async function call(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (method !== 'GET' && method !== 'HEAD') headers.set('x-atoll-csrf', csrf);
  let payload: BodyInit | undefined;
  if (body instanceof FormData || typeof body === 'string' || body instanceof Blob) payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers.set('content-type', 'application/json');
  }
  const res = await fetch(path, { ...init, method, headers, body: payload, credentials: 'same-origin' });
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401 && path.startsWith('/api/')) onSignedOut();
    throw err;
  }
  return res;
}

export async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await call(method, path, body)).json() as Promise<T>;
}

export const get = <T>(path: string) => json<T>('GET', path);

export const enc = encodeURIComponent;
