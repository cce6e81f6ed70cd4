// Key layout of the control bucket (KV `atoll_control`) and the KV data bucket
// (`atoll_kv`). A NATS KV key is a subject: tokens of [-/_=.A-Za-z0-9] joined by dots.
// Each variable part goes through `seg`: kept as it is when it is already made of
// [A-Za-z0-9_-] (ids, worker names), else written as '=' + base64url of its UTF-8, so
// any string maps to one token and two strings never share one.

export const CONTROL_BUCKET = 'atoll_control';
export const KV_BUCKET = 'atoll_kv';
export const BUNDLE_BUCKET = 'atoll_bundles';

/** One token of a key for any string (see the header). */
export function seg(value: string): string {
  return /^[A-Za-z0-9_-]+$/.test(value) ? value : `=${Buffer.from(value, 'utf8').toString('base64url')}`;
}

export function unseg(token: string): string {
  return token.startsWith('=') ? Buffer.from(token.slice(1), 'base64url').toString('utf8') : token;
}

/** Deployment sequence numbers are zero-padded so that keys sort as the numbers do. */
export const SEQ_DIGITS = 12;

export const controlKey = {
  account: (id: string) => `account.${seg(id)}`,
  token: (id: string) => `token.${seg(id)}`,
  worker: (acct: string, name: string) => `worker.${seg(acct)}.${seg(name)}`,
  version: (acct: string, worker: string, id: string) => `version.${seg(acct)}.${seg(worker)}.${seg(id)}`,
  deployment: (acct: string, worker: string, seq: number) => `deployment.${seg(acct)}.${seg(worker)}.${String(seq).padStart(SEQ_DIGITS, '0')}`,
  /** Index: a deployment id is unique; its value names the deployment key. */
  deploymentId: (id: string) => `deploymentid.${seg(id)}`,
  kvNamespace: (acct: string, id: string) => `kvns.${seg(acct)}.${seg(id)}`,
  /** Index: a namespace title is unique in its account. */
  kvTitle: (acct: string, title: string) => `kvtitle.${seg(acct)}.${seg(title)}`,
  secret: (acct: string, worker: string, name: string) => `secret.${seg(acct)}.${seg(worker)}.${seg(name)}`,
  zone: (acct: string, id: string) => `zone.${seg(acct)}.${seg(id)}`,
  /** Index: a zone hostname is unique across accounts. */
  zoneHost: (hostname: string) => `zonehost.${seg(hostname)}`,
  route: (acct: string, id: string) => `route.${seg(acct)}.${seg(id)}`,
  /** Index: a route pattern is unique across accounts. */
  routePattern: (pattern: string) => `routepattern.${seg(pattern)}`,
  schedule: (acct: string, worker: string) => `schedule.${seg(acct)}.${seg(worker)}`,
  /** A gradual rollout by location (rollout.ts), one per worker at a time. */
  rollout: (acct: string, worker: string) => `rollout.${seg(acct)}.${seg(worker)}`,
};

export type ControlKind = 'account' | 'token' | 'worker' | 'version' | 'deployment' | 'deploymentid' | 'kvns' | 'kvtitle'
  | 'secret' | 'zone' | 'zonehost' | 'route' | 'routepattern' | 'schedule' | 'rollout';

/** Tokens after the kind, by kind; a key with another count is malformed. */
export const KEY_TOKENS: Record<ControlKind, number> = {
  account: 1, token: 1, worker: 2, version: 3, deployment: 3, deploymentid: 1, kvns: 2, kvtitle: 2,
  secret: 3, zone: 2, zonehost: 1, route: 2, routepattern: 1, schedule: 2, rollout: 2,
};

/** A control key split into its kind and decoded parts, or null when no kind has that shape. */
export function parseControlKey(key: string): { kind: ControlKind; parts: string[] } | null {
  const [kind, ...rest] = key.split('.');
  if (!kind || !Object.hasOwn(KEY_TOKENS, kind)) return null;
  if (rest.length !== KEY_TOKENS[kind as ControlKind]) return null;
  return { kind: kind as ControlKind, parts: rest.map(unseg) };
}

/** The KV data bucket: one key per (namespace, key). */
export function kvDataKey(namespaceId: string, key: string): string {
  return `${seg(namespaceId)}.${Buffer.from(key, 'utf8').toString('base64url') || '='}`;
}

export function parseKvDataKey(subject: string): { namespaceId: string; key: string } | null {
  const at = subject.indexOf('.');
  if (at <= 0 || subject.indexOf('.', at + 1) !== -1) return null;
  const token = subject.slice(at + 1);
  return { namespaceId: unseg(subject.slice(0, at)), key: token === '=' ? '' : Buffer.from(token, 'base64url').toString('utf8') };
}
