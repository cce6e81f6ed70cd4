// Control records as they sit in the control bucket: JSON, one record per key, with
// bytes (secret iv and ciphertext) in base64. Decoding checks each record's shape,
// because a record read from NATS is outside input: anyone with access to the bucket
// can write one, and a malformed one must be skipped and reported, never crash a node.

import type {
  Account, Deployment, KvNamespace, RouteRecord, SecretRecord, TokenRecord, Version, WorkerRecord, Zone,
} from '../store/control.ts';
import type { ControlKind } from './keys.ts';

export interface ScheduleRecord { accountId: string; worker: string; crons: string[]; updatedAt: number }

/** A gradual rollout by location: `to` reaches `locations[0..stage]` first, the rest serve `from`. */
export interface RolloutRecord {
  id: string;
  accountId: string;
  worker: string;
  /** The versions served before, which locations not reached yet keep serving. */
  from: { versionId: string; percentage: number }[];
  to: string;
  /** The deployment (of `to` at 100%) the rollout stages. */
  deploymentId: string;
  locations: string[];
  /** Index into `locations` of the last location reached. */
  stage: number;
  state: 'running' | 'complete' | 'rolled_back';
  stageSince: number;
  stageMs: number;
  minRequests: number;
  reason: string;
  updatedAt: number;
}
/** Index records point at the record they keep unique. */
export interface IndexRecord { key: string }

export type ControlRecord =
  | { kind: 'account'; value: Account }
  | { kind: 'token'; value: TokenRecord }
  | { kind: 'worker'; value: WorkerRecord }
  | { kind: 'version'; value: Version }
  | { kind: 'deployment'; value: Deployment }
  | { kind: 'kvns'; value: KvNamespace }
  | { kind: 'secret'; value: SecretRecord }
  | { kind: 'zone'; value: Zone }
  | { kind: 'route'; value: RouteRecord }
  | { kind: 'schedule'; value: ScheduleRecord }
  | { kind: 'rollout'; value: RolloutRecord }
  | { kind: 'deploymentid' | 'kvtitle' | 'zonehost' | 'routepattern'; value: IndexRecord };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeRecord(value: unknown): Uint8Array {
  // The holder's own property, not `v`: JSON.stringify has already turned a Buffer into
  // { type, data } by its toJSON before a replacer sees `v`.
  return encoder.encode(JSON.stringify(value, function (this: Record<string, unknown>, k: string, v: unknown) {
    const raw = this[k];
    return raw instanceof Uint8Array ? { $b64: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') } : v;
  }));
}

type Shape = Record<string, 'string' | 'number' | 'boolean' | 'array' | 'object' | 'bytes' | 'number|null'>;

const SHAPES: Record<ControlKind, Shape> = {
  account: { id: 'string', name: 'string', operator: 'boolean', createdAt: 'number' },
  token: { id: 'string', accountId: 'string', name: 'string', scopes: 'array', hash: 'string', createdAt: 'number', expiresAt: 'number|null', revokedAt: 'number|null' },
  worker: { accountId: 'string', name: 'string', createdAt: 'number', updatedAt: 'number' },
  version: {
    id: 'string', accountId: 'string', worker: 'string', hash: 'string', format: 'string', mainModule: 'string', compatibilityDate: 'string',
    compatibilityFlags: 'array', bindings: 'array', limits: 'object', message: 'string', authorTokenId: 'string', createdAt: 'number', size: 'number',
  },
  deployment: { id: 'string', accountId: 'string', worker: 'string', versions: 'array', message: 'string', authorTokenId: 'string', createdAt: 'number' },
  kvns: { id: 'string', accountId: 'string', title: 'string', createdAt: 'number' },
  secret: { accountId: 'string', worker: 'string', name: 'string', keyId: 'string', iv: 'bytes', ciphertext: 'bytes', updatedAt: 'number' },
  zone: { id: 'string', accountId: 'string', hostname: 'string', origin: 'string', createdAt: 'number' },
  route: { id: 'string', accountId: 'string', zoneId: 'string', pattern: 'string', worker: 'string', createdAt: 'number' },
  schedule: { accountId: 'string', worker: 'string', crons: 'array', updatedAt: 'number' },
  rollout: {
    id: 'string', accountId: 'string', worker: 'string', from: 'array', to: 'string', deploymentId: 'string', locations: 'array', stage: 'number',
    state: 'string', stageSince: 'number', stageMs: 'number', minRequests: 'number', reason: 'string', updatedAt: 'number',
  },
  deploymentid: { key: 'string' },
  kvtitle: { key: 'string' },
  zonehost: { key: 'string' },
  routepattern: { key: 'string' },
};

function fits(v: unknown, type: Shape[string]): boolean {
  switch (type) {
    case 'array': return Array.isArray(v);
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'bytes': return v instanceof Uint8Array;
    case 'number|null': return v === null || typeof v === 'number';
    default: return typeof v === type;
  }
}

/** Parses and checks one record; throws an Error naming the first thing wrong. */
export function decodeRecord(kind: ControlKind, bytes: Uint8Array): ControlRecord {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes), (_k, v: unknown) => {
      if (typeof v === 'object' && v !== null && typeof (v as { $b64?: unknown }).$b64 === 'string' && Object.keys(v).length === 1) {
        return new Uint8Array(Buffer.from((v as { $b64: string }).$b64, 'base64'));
      }
      return v;
    });
  } catch (err) {
    throw new Error(`not JSON in UTF-8 (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  for (const [field, type] of Object.entries(SHAPES[kind])) {
    if (!fits((value as Record<string, unknown>)[field], type)) throw new Error(`field "${field}" is not ${type === 'bytes' ? 'base64 bytes' : type}`);
  }
  if (kind === 'deployment') {
    for (const s of (value as Deployment).versions) {
      if (typeof s?.versionId !== 'string' || typeof s?.percentage !== 'number') throw new Error('a split of "versions" lacks versionId or percentage');
    }
  }
  return { kind, value } as ControlRecord;
}
