// Purges: which cached entries a purge request names, and the checks on a purge that
// comes from outside (the REST API, `atoll cache purge`). A purge is zone-scoped: it
// reaches only the account's entries whose host is the zone's hostname or below it.
// The request body uses Cloudflare's purge_cache field names, so scripts written for
// that API carry over: {"files": [...]}, {"prefixes": [...]}, {"tags": [...]},
// {"purge_everything": true}.

/** What to purge: plain JSON, so a cluster can send it to every location as it is. */
export type PurgeSpec = {
  accountId: string;
  /** The zone's hostname: entries for it and its subdomains are in reach. */
  zone: string;
} & PurgeTarget;

export type PurgeTarget =
  | { everything: true }
  /** URLs, each purged whole: every Vary variant, both the HTTP cache and the Cache API. */
  | { urls: string[] }
  /** `host/path` prefixes (a scheme is allowed and ignored). */
  | { prefixes: string[] }
  /** Cache-Tag values (case-insensitive). */
  | { tags: string[] };

/**
 * A purge as the API hands it to the locations: by zone id, with optional fields
 * (the shape src/cluster/purge.ts carries over NATS). Each location resolves the zone
 * and applies it with `toPurgeSpec`.
 */
export interface ZonePurge {
  accountId: string;
  zoneId: string;
  everything?: boolean;
  urls?: string[];
  prefixes?: string[];
  tags?: string[];
}

/** The target of a ZonePurge, or null when it names none. */
export function purgeTarget(m: ZonePurge): PurgeTarget | null {
  if (m.everything === true) return { everything: true };
  if (m.urls && m.urls.length > 0) return { urls: m.urls };
  if (m.prefixes && m.prefixes.length > 0) return { prefixes: m.prefixes };
  if (m.tags && m.tags.length > 0) return { tags: m.tags };
  return null;
}

/** The ZonePurge for a checked target (parsePurgeTarget). */
export function zonePurge(accountId: string, zoneId: string, target: PurgeTarget): ZonePurge {
  return { accountId, zoneId, ...target };
}

/** The most items one purge may name (Cloudflare takes 30 to 500 by plan). */
export const MAX_PURGE_ITEMS = 500;
const MAX_ITEM_LENGTH = 2048;
const MAX_TAG_LENGTH = 1024;

/**
 * The key purges match on: host name (lower case, no port), path and query, with no
 * scheme, as Cloudflare writes purge prefixes. Null when `raw` is not a URL.
 */
export function purgeKey(raw: string): string | null {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return urlPurgeKey(url);
}

/** purgeKey of an http(s) URL the caller has parsed already. */
export function urlPurgeKey(url: URL): string {
  return `${url.hostname}${url.pathname}${url.search}`;
}

/** Whether `host` is the zone's hostname or one of its subdomains. */
export function inZone(host: string, zone: string): boolean {
  return host === zone || host.endsWith(`.${zone}`);
}

export class PurgeInputError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function items(value: unknown, field: string, max: number): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PURGE_ITEMS) {
    throw new PurgeInputError('invalid_purge', `"${field}" must be a non-empty array of at most ${MAX_PURGE_ITEMS} strings`);
  }
  for (const v of value) {
    if (typeof v !== 'string' || v.length === 0 || v.length > max) {
      throw new PurgeInputError('invalid_purge', `every item of "${field}" must be a non-empty string of at most ${max} characters`);
    }
  }
  return value as string[];
}

function inZoneKey(raw: string, zone: string, field: string): string {
  const key = purgeKey(raw);
  if (key === null) throw new PurgeInputError('invalid_purge', `"${raw.slice(0, 100)}" in "${field}" is not a URL such as https://${zone}/path`);
  const host = key.slice(0, key.indexOf('/'));
  if (!inZone(host, zone)) throw new PurgeInputError('outside_zone', `"${raw.slice(0, 100)}" in "${field}" is not in the zone ${zone}; purge it through its own zone`);
  return raw;
}

/**
 * A purge request body, checked: exactly one of files, prefixes, tags or
 * purge_everything, every URL and prefix inside `zone`.
 */
export function parsePurgeTarget(body: unknown, zone: string): PurgeTarget {
  const example = '{"files":["https://example.com/a.css"]}, {"prefixes":["example.com/assets/"]}, {"tags":["product-1"]} or {"purge_everything":true}';
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new PurgeInputError('invalid_purge', `the body must be a JSON object: ${example}`);
  const b = body as Record<string, unknown>;
  const known = ['files', 'prefixes', 'tags', 'purge_everything'];
  const given = Object.keys(b).filter((k) => known.includes(k));
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new PurgeInputError('invalid_purge', `unknown field "${unknown[0]!.slice(0, 50)}"; use one of: ${example}`);
  if (given.length !== 1) throw new PurgeInputError('invalid_purge', `give exactly one of files, prefixes, tags or purge_everything: ${example}`);
  if ('purge_everything' in b) {
    if (b.purge_everything !== true) throw new PurgeInputError('invalid_purge', '"purge_everything" must be true');
    return { everything: true };
  }
  if ('files' in b) return { urls: items(b.files, 'files', MAX_ITEM_LENGTH).map((u) => inZoneKey(u, zone, 'files')) };
  if ('prefixes' in b) return { prefixes: items(b.prefixes, 'prefixes', MAX_ITEM_LENGTH).map((p) => inZoneKey(p, zone, 'prefixes')) };
  return { tags: items(b.tags, 'tags', MAX_TAG_LENGTH) };
}

/** Tags from a Cache-Tag header value: comma-separated, trimmed, lower case. */
export function splitTags(value: string | null): string[] {
  if (!value) return [];
  return value.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0 && t.length <= MAX_TAG_LENGTH);
}

/** A matcher over an entry's purge key and tags, for one spec. */
export function purgeMatcher(spec: PurgeSpec): (entryKey: string, tags: readonly string[]) => boolean {
  const zone = spec.zone.toLowerCase();
  const hostOk = (key: string) => inZone(key.slice(0, key.indexOf('/')), zone);
  if ('everything' in spec) return (key) => hostOk(key);
  if ('urls' in spec) {
    const keys = new Set(spec.urls.map(purgeKey).filter((k): k is string => k !== null));
    return (key) => hostOk(key) && keys.has(key);
  }
  if ('prefixes' in spec) {
    const prefixes = spec.prefixes.map(purgeKey).filter((k): k is string => k !== null);
    return (key) => hostOk(key) && prefixes.some((p) => key.startsWith(p));
  }
  const tags = new Set(spec.tags.map((t) => t.trim().toLowerCase()));
  return (key, entryTags) => hostOk(key) && entryTags.some((t) => tags.has(t));
}
