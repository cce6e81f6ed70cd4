// Route patterns and the match the edge runs for every request. A pattern is
// `host/path`, written as on Workers:
//   host: `shop.example.com` (that host), `*.example.com` (its subdomains, not itself),
//         `*example.com` (itself and its subdomains)
//   path: starts with `/`; a trailing `*` makes it a prefix; no other `*`.
// The most specific match wins (docs/api.md, "Routes: which one wins"):
//   1. an exact host beats a wildcard host; of two wildcards, the longer suffix wins;
//   2. then the longer literal path wins;
//   3. at the same literal path, an exact path beats a prefix.
// Two distinct valid patterns never tie, so the winner does not depend on list order.

import { badRequest } from './errors.ts';

export interface ParsedPattern {
  /** Lower-case host, without the wildcard. */
  host: string;
  hostWildcard: 'none' | 'subdomains' | 'apex_and_subdomains';
  /** The path up to a trailing `*`. */
  path: string;
  pathPrefix: boolean;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_PATTERN = 1024;
const PATH_CHARS = /^\/[A-Za-z0-9\-._~!$&'()+,;=:@%/]*$/;

function hostOk(host: string): boolean {
  return host.length <= 253 && host.split('.').every((l) => LABEL.test(l));
}

/** Parses a pattern, or throws a 400 naming what is wrong and how to write it. */
export function parsePattern(pattern: string): ParsedPattern {
  const bad = (why: string) => badRequest('invalid_route_pattern',
    `route pattern "${pattern.slice(0, 200)}" ${why}; write it as host/path, e.g. "shop.example.com/api/*" or "*.example.com/*"`);
  if (pattern.length === 0 || pattern.length > MAX_PATTERN) throw bad(`must be 1 to ${MAX_PATTERN} characters`);
  if (/^[a-z]+:\/\//i.test(pattern)) throw bad('has a scheme; leave out "http://" or "https://"');
  const slash = pattern.indexOf('/');
  if (slash < 0) throw bad('has no path; add one, "/*" for the whole host');
  let host = pattern.slice(0, slash).toLowerCase();
  const rawPath = pattern.slice(slash);
  if (host.includes(':')) throw bad('has a port; routes match any port, leave it out');
  let hostWildcard: ParsedPattern['hostWildcard'] = 'none';
  if (host.startsWith('*.')) {
    hostWildcard = 'subdomains';
    host = host.slice(2);
  } else if (host.startsWith('*')) {
    hostWildcard = 'apex_and_subdomains';
    host = host.slice(1);
  }
  if (host.includes('*')) throw bad('has a "*" inside its host; a wildcard may only start the host');
  if (!hostOk(host)) throw bad(`has an invalid host "${host}"; use letters, digits, hyphens and dots`);
  if (rawPath.includes('?') || rawPath.includes('#')) throw bad('has a query or fragment; routes match paths only');
  const pathPrefix = rawPath.endsWith('*');
  const path = pathPrefix ? rawPath.slice(0, -1) : rawPath;
  if (path.includes('*')) throw bad('has a "*" inside its path; a wildcard may only end the path');
  if (!PATH_CHARS.test(path)) throw bad('has characters a URL path cannot hold; percent-encode them');
  return { host, hostWildcard, path, pathPrefix };
}

/** The pattern in its stored form: host lower-cased. */
export function normalizePattern(pattern: string): string {
  const p = parsePattern(pattern);
  const host = p.hostWildcard === 'subdomains' ? `*.${p.host}` : p.hostWildcard === 'apex_and_subdomains' ? `*${p.host}` : p.host;
  return `${host}${p.path}${p.pathPrefix ? '*' : ''}`;
}

function hostMatches(p: ParsedPattern, host: string): boolean {
  switch (p.hostWildcard) {
    case 'none': return host === p.host;
    case 'subdomains': return host.endsWith(`.${p.host}`);
    case 'apex_and_subdomains': return host === p.host || host.endsWith(`.${p.host}`);
  }
}

/** Larger is more specific; compares in the order of the rules above. */
function specificity(p: ParsedPattern): number[] {
  return [
    p.hostWildcard === 'none' ? 1 : 0,
    p.host.length,
    // `*.x` (subdomains only) is narrower than `*x` for the same suffix.
    p.hostWildcard === 'subdomains' ? 1 : 0,
    p.path.length,
    p.pathPrefix ? 0 : 1,
  ];
}

function moreSpecific(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

/** Lower case, without port or trailing dot, as patterns store hosts. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && !h.endsWith(']')) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

const parsedCache = new WeakMap<object, ParsedPattern>();

/**
 * The most specific route whose pattern matches `host` (a Host header, port allowed)
 * and `path` (the URL path, without query), or null. Pure: routes are not changed.
 */
export function matchRoute<R extends { pattern: string }>(routes: readonly R[], host: string, path: string): R | null {
  const h = normalizeHost(host);
  let best: R | null = null;
  let bestRank: number[] = [];
  for (const route of routes) {
    let p = parsedCache.get(route);
    if (!p) {
      p = parsePattern(route.pattern);
      parsedCache.set(route, p);
    }
    if (!hostMatches(p, h)) continue;
    if (p.pathPrefix ? !path.startsWith(p.path) : path !== p.path) continue;
    const rank = specificity(p);
    if (!best || moreSpecific(rank, bestRank)) {
      best = route;
      bestRank = rank;
    }
  }
  return best;
}

/** True when the pattern's host lies within the zone's hostname (itself or below it). */
export function patternInZone(pattern: string, zoneHostname: string): boolean {
  const p = parsePattern(pattern);
  return p.host === zoneHostname || p.host.endsWith(`.${zoneHostname}`);
}
