// Checkers for option values. Each throws a message saying what is wrong and what to
// write instead; program.ts puts the option's name in front.

import { isIP } from 'node:net';

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new Error(`"${value}" is not a port number: use 0-65535 (0 picks a free port)`);
  return n;
}

export function integerIn(min: number, max: number, unit: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new Error(`"${value}" is not a whole number of ${unit} from ${min} to ${max}`);
    return n;
  };
}

export function ipAddress(value: string): string {
  if (value !== 'localhost' && isIP(value) === 0) throw new Error(`"${value}" is not an IP address: use one such as 127.0.0.1, 0.0.0.0 or ::1`);
  return value;
}

export function httpUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL: write it in full, such as http://127.0.0.1:3000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${value}" is not an http: or https: URL`);
  return url;
}

/** `KEY:VALUE`, repeatable: collects into a list of pairs. */
export function keyValue(value: string, previous: [string, string][] | undefined): [string, string][] {
  const at = value.indexOf(':');
  const key = value.slice(0, at);
  if (at <= 0 || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) {
    throw new Error(`"${value}" is not KEY:VALUE with KEY a binding name (letters, digits, _ and $), such as GREETING:hello`);
  }
  return [...(previous ?? []), [key, value.slice(at + 1)]];
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!choices.includes(value as T)) throw new Error(`"${value}" is not one of ${choices.join(', ')}`);
    return value as T;
  };
}

/** A colo-like location id for request.cf.colo: letters, digits and dashes. */
export function locationId(value: string): string {
  if (!/^[A-Za-z0-9-]{1,32}$/.test(value)) throw new Error(`"${value}" is not a location id: use letters, digits and dashes, such as AMS or home-lab`);
  return value;
}

/** NATS server URLs, comma-separated: `nats://host:port` (or `host:port`, which means nats://). */
export function natsUrls(value: string): string[] {
  const urls = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (urls.length === 0) throw new Error('no NATS URL: give one or more, comma-separated, such as nats://127.0.0.1:4222');
  return urls.map((u) => {
    const full = /^[a-z]+:\/\//i.test(u) ? u : `nats://${u}`;
    let url: URL;
    try {
      url = new URL(full);
    } catch {
      throw new Error(`"${u}" is not a NATS URL: write nats://HOST:PORT, such as nats://127.0.0.1:4222`);
    }
    if (!['nats:', 'tls:'].includes(url.protocol) || url.hostname === '') throw new Error(`"${u}" is not a NATS URL: write nats://HOST:PORT, such as nats://127.0.0.1:4222`);
    return full;
  });
}

/** Location ids, comma-separated, distinct, in order (`atoll deploy --stage ams,fra`). */
export function locationList(value: string): string[] {
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw new Error('no location: list one or more, comma-separated, such as ams,fra');
  for (const id of ids) locationId(id);
  if (new Set(ids).size !== ids.length) throw new Error(`"${value}" names a location twice: list each once, in the order to reach them`);
  return ids;
}
