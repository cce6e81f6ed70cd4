// Credentials in NATS URLs: `nats://USER:PASSWORD@host:4222` (a nats-server user) or
// `nats://TOKEN@host:4222` (an authorization token), as nats-server's own tools take
// them. The client does not read them from the URL itself, so they are taken out and
// passed as connect options; and a URL is never shown with them (redactNatsUrl).

export interface NatsAuth {
  user?: string;
  pass?: string;
  token?: string;
}

/** The servers without their credentials, and the credentials (one set for all). */
export function natsAuth(servers: string[]): { servers: string[]; auth: NatsAuth } {
  let auth: NatsAuth = {};
  let from: string | null = null;
  const bare = servers.map((s) => {
    const url = new URL(s);
    if (url.username === '' && url.password === '') return s;
    const found: NatsAuth = url.password !== ''
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : { token: decodeURIComponent(url.username) };
    if (from !== null && JSON.stringify(found) !== JSON.stringify(auth)) {
      throw new Error(`${redactNatsUrl(s)} carries other credentials than ${redactNatsUrl(from)}; one connection uses one set: give the same to every URL, or to the first only`);
    }
    auth = found;
    from = s;
    url.username = '';
    url.password = '';
    return url.href.replace(/\/$/, '');
  });
  return { servers: bare, auth };
}

/** The URL as logs and errors may show it: credentials replaced by `***`. */
export function redactNatsUrl(s: string): string {
  try {
    const url = new URL(s);
    if (url.username === '' && url.password === '') return s;
    return `${url.protocol}//***@${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return s.replace(/\/\/[^@/]*@/, '//***@');
  }
}
