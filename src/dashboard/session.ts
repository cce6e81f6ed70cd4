// Dashboard sessions: a browser signs in once with an API token and then carries an
// opaque session cookie instead of the token. The cookie is HttpOnly (page scripts never
// see it), SameSite=Strict (no other site's page sends it) and Secure when the request
// came over TLS. Unsafe methods additionally need the session's CSRF token in the
// `x-atoll-csrf` header, which only the dashboard's own script can read (it gets it
// from the sign-in answer), and a cross-origin `Origin` is refused outright.
//
// Every request checks the session's token again, so revoking or expiring the token ends
// its sessions at once. Sessions (and so the tokens they act with) live only in this
// process's memory, never on disk: a restart of the control plane signs everyone out,
// which costs a sign-in, never a leak.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { ApiError } from '../control/errors.ts';
import { authenticate } from '../control/tokens.ts';
import type { ControlStore, TokenRecord } from '../store/control.ts';

export const SESSION_COOKIE = 'atoll_session';
export const CSRF_HEADER = 'x-atoll-csrf';
/** A session lasts this long after sign-in (ms), whatever its use. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 10_000;

interface Session {
  token: string;
  csrf: string;
  expiresAt: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether the request reached us over TLS (directly, or through a proxy that says so). */
export function overTls(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message);

export class Sessions {
  readonly #sessions = new Map<string, Session>();
  readonly #store: ControlStore;
  readonly #now: () => number;

  constructor(store: ControlStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** Checks an API token and opens a session for it; returns the cookie and the CSRF token. */
  async open(token: string, secure: boolean): Promise<{ record: TokenRecord; csrf: string; cookie: string }> {
    const record = await authenticate(this.#store, `Bearer ${token}`, this.#now());
    this.#sweep();
    if (this.#sessions.size >= MAX_SESSIONS) throw new ApiError(503, 'too_many_sessions', 'the control plane holds too many dashboard sessions; try again later');
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    this.#sessions.set(id, { token, csrf, expiresAt: this.#now() + SESSION_TTL_MS });
    const cookie = `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`;
    return { record, csrf, cookie };
  }

  /** The cookie header that removes the session cookie. */
  static clearCookie(secure: boolean): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
  }

  /** The session of a request's cookie, or null when it has none (or an unknown one). */
  #find(c: Context): { id: string; session: Session } | null {
    const id = cookieValue(c.req.header('cookie'), SESSION_COOKIE);
    if (!id) return null;
    const session = this.#sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return null;
    }
    return { id, session };
  }

  /**
   * The token a request acts with: its bearer token when it sends one, else its session
   * cookie's, with the CSRF checks for unsafe methods. 401 when it has neither.
   */
  async authenticate(c: Context): Promise<TokenRecord> {
    const header = c.req.header('authorization');
    if (header !== undefined || !cookieValue(c.req.header('cookie'), SESSION_COOKIE)) return authenticate(this.#store, header, this.#now());
    const found = this.#find(c);
    if (!found) throw unauthorized('the dashboard session is over (signed out, expired, or the control plane restarted); sign in again');
    this.checkCsrf(c, found.session);
    return authenticate(this.#store, `Bearer ${found.session.token}`, this.#now());
  }

  /** Unsafe methods need the session's CSRF token and, when the browser names it, our own origin. */
  checkCsrf(c: Context, session: { csrf: string }): void {
    if (SAFE_METHODS.has(c.req.method)) return;
    if (!sameOrigin(c)) {
      throw forbidden(`a request from ${c.req.header('origin')!.slice(0, 100)} may not use a dashboard session; only the dashboard's own pages may`);
    }
    const sent = c.req.header(CSRF_HEADER);
    if (!sent || !sameString(sent, session.csrf)) {
      throw forbidden(`a dashboard request that changes something needs the session's CSRF token in the ${CSRF_HEADER} header; reload the dashboard`);
    }
  }

  /** The session's CSRF token and its token, for a reloaded page. */
  async current(c: Context): Promise<{ record: TokenRecord; csrf: string }> {
    const found = this.#find(c);
    if (!found) throw unauthorized('not signed in; sign in with an API token');
    return { record: await authenticate(this.#store, `Bearer ${found.session.token}`, this.#now()), csrf: found.session.csrf };
  }

  /** Ends the request's session (a CSRF-checked unsafe call); true when there was one. */
  close(c: Context): boolean {
    const found = this.#find(c);
    if (!found) return false;
    this.checkCsrf(c, found.session);
    this.#sessions.delete(found.id);
    return true;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
  }
}

/**
 * False when the browser says the request comes from a page of another origin. Our own
 * origin is the one the request was made to, or, behind a TLS-terminating proxy, the
 * proxy's (its Host with https). No `Origin` (a non-browser client) is not a cross-site page.
 */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined || origin === new URL(c.req.url).origin) return true;
  const host = c.req.header('x-forwarded-host') ?? c.req.header('host');
  return host !== undefined && overTls(c) && origin === `https://${host}`;
}
