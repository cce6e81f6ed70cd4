// The autonomous system of a client address, for request.cf.asn and asOrganization.
// The data is ip-location-db's ASN table (RouteViews and DB-IP's "IP to ASN Lite",
// CC BY 4.0), shipped as CSV in the npm package @ip-location-db/asn: ~412,000 IPv4 and
// ~103,000 IPv6 ranges.
//
// Parsing the CSV takes a second or more of CPU, too long for the main thread (it serves
// requests and runs the CPU-limit watchdog) and too long for a request to wait: a worker
// thread parses it, once per process, starting at the first public address looked up,
// and hands back typed arrays (a few MB). Until it is ready, lookups answer null (those
// first requests have no asn); after that they are binary searches. IPv6 ranges are compared on their first 64 bits:
// routed prefixes are /64 or shorter.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface AsnTable {
  v4: { starts: Uint32Array; ends: Uint32Array; asns: Uint32Array; orgs: Uint32Array };
  v6: { starts: BigUint64Array; ends: BigUint64Array; asns: Uint32Array; orgs: Uint32Array };
  names: string[];
}

export interface Asn {
  asn: number;
  asOrganization: string;
}

const require = createRequire(import.meta.url);
let table: Promise<AsnTable | null> | null = null;
let ready: AsnTable | null = null;

/** The first 64 bits of an IPv6 address in text form. */
export function v6High(ip: string): bigint {
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 address in the last 32 bits does not reach the first 64.
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  let high = 0n;
  for (let i = 0; i < 4; i++) high = (high << 16n) | BigInt(parseInt(groups[i] ?? '0', 16) || 0);
  return high;
}

function v4Number(ip: string): number {
  const p = ip.split('.');
  return ((Number(p[0]) << 24) >>> 0) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3]);
}

// Index of the last range starting at or before `x`, or -1.
function floor<T extends number | bigint>(starts: ArrayLike<T>, x: T): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Starts loading the table (once per process); resolves when it is ready, or null if it cannot be. */
export function loadAsnTable(): Promise<AsnTable | null> {
  table ??= new Promise<AsnTable | null>((resolve) => {
    const files = { v4: require.resolve('@ip-location-db/asn/asn-ipv4-num.csv'), v6: require.resolve('@ip-location-db/asn/asn-ipv6.csv') };
    const worker = new Worker(new URL('./asn-worker.ts', import.meta.url), { workerData: files });
    worker.unref();
    worker.once('message', (t: AsnTable) => {
      ready = t;
      resolve(t);
      // Its heap (the files as text) goes now, not whenever the thread winds down.
      void worker.terminate();
    });
    worker.once('error', (err) => {
      process.stderr.write(`atoll: the ASN table (@ip-location-db/asn) could not be loaded, so request.cf has no asn: ${err.message}. Reinstall the npm dependencies (npm ci).\n`);
      resolve(null);
    });
  });
  return table;
}

/** Whether lookups answer yet. */
export function asnReady(): boolean {
  return ready !== null;
}

/** The AS of a public address (`family` as net.isIP says); null when the table has none or is not loaded yet. */
export function lookupAsn(ip: string, family: 4 | 6): Asn | null {
  const t = ready;
  if (!t) {
    void loadAsnTable();
    return null;
  }
  let i: number;
  let part: AsnTable['v4'] | AsnTable['v6'];
  if (family === 4) {
    const x = v4Number(ip);
    i = floor(t.v4.starts, x);
    if (i < 0 || t.v4.ends[i]! < x) return null;
    part = t.v4;
  } else {
    const x = v6High(ip);
    i = floor(t.v6.starts, x);
    if (i < 0 || t.v6.ends[i]! < x) return null;
    part = t.v6;
  }
  return { asn: part.asns[i]!, asOrganization: t.names[part.orgs[i]!]! };
}
