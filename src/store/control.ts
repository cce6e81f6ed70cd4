// The control-plane storage interface: accounts, API tokens, workers, their immutable
// versions and bundles, deployments, KV namespaces, secrets, zones and routes. The
// embedded engine is SQLite (control-sqlite.ts); a NATS JetStream engine (issue 6)
// implements the same interface, so every method is async, every write that spans
// records is one method (the engine makes it atomic), and changes are announced through
// `watch()` after they are durable (JetStream has watches; SQLite emits in process).
// Engines trust their input: src/control/ validates it first.

import type { ModuleType } from '../runtime/modules.ts';

export const SCOPES = ['workers:read', 'workers:write', 'kv:read', 'kv:write', 'logs:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Account {
  id: string;
  name: string;
  /** The operator's account (made by bootstrap) may create other accounts. */
  operator: boolean;
  createdAt: number;
}

export interface TokenRecord {
  id: string;
  accountId: string;
  name: string;
  scopes: Scope[];
  /** SHA-256 of the token, hex; the token itself is never stored. */
  hash: string;
  createdAt: number;
  /** ms since the epoch, or null for no expiry. */
  expiresAt: number | null;
  revokedAt: number | null;
}

/** A binding as a version declares it; secrets carry no value (they live in `secrets`). */
export type VersionBinding =
  | { type: 'plain_text'; name: string; text: string }
  | { type: 'json'; name: string; json: unknown }
  | { type: 'secret_text'; name: string }
  | { type: 'kv_namespace'; name: string; namespace_id: string }
  | { type: 'service'; name: string; service: string };

export interface VersionLimits {
  cpu_ms?: number;
  memory_mb?: number;
}

export interface StoredModule {
  name: string;
  type: ModuleType;
  content: Uint8Array;
}

export interface Version {
  id: string;
  accountId: string;
  worker: string;
  /** SHA-256 (hex) of the modules and metadata; the bundle is stored under it. */
  hash: string;
  format: 'modules' | 'service-worker';
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: VersionBinding[];
  limits: VersionLimits;
  message: string;
  authorTokenId: string;
  createdAt: number;
  /** Total bytes of the modules. */
  size: number;
}

export interface WorkerRecord {
  accountId: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface DeploymentSplit {
  versionId: string;
  /** 1..100; the splits of a deployment add up to 100. */
  percentage: number;
}

export interface Deployment {
  id: string;
  accountId: string;
  worker: string;
  versions: DeploymentSplit[];
  message: string;
  authorTokenId: string;
  createdAt: number;
}

export interface KvNamespace {
  id: string;
  accountId: string;
  title: string;
  createdAt: number;
}

/** A secret as stored: AES-256-GCM ciphertext (tag appended) under key `keyId`. */
export interface SecretRecord {
  accountId: string;
  worker: string;
  name: string;
  keyId: string;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  updatedAt: number;
}

export interface Zone {
  id: string;
  accountId: string;
  /** Lower case, no port. Unique across accounts. */
  hostname: string;
  origin: string;
  createdAt: number;
}

export interface RouteRecord {
  id: string;
  accountId: string;
  zoneId: string;
  /** `host/path`, as validated by src/control/routes.ts. Unique across accounts. */
  pattern: string;
  worker: string;
  createdAt: number;
}

/**
 * A write refused because a unique record already exists (a zone hostname, a route
 * pattern, a namespace title): two requests raced past the API's own check. Every
 * engine throws this, so the API answers 409 rather than 500.
 */
export class ControlConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlConflictError';
  }
}

/** What changed; listeners (the edge) reload what they need. */
export type ControlChange =
  | { kind: 'deployment'; accountId: string; worker: string; deployment: Deployment }
  | { kind: 'worker_deleted'; accountId: string; worker: string }
  | { kind: 'secrets'; accountId: string; worker: string }
  | { kind: 'zones'; accountId: string }
  /** `route` when one route was added or removed (else the edge reads them all again). */
  | { kind: 'routes'; accountId: string; route?: { before: RouteRecord | null; after: RouteRecord | null } }
  | { kind: 'kv_namespace_deleted'; accountId: string; namespaceId: string }
  | { kind: 'schedules'; accountId: string; worker: string; crons: string[] };

export type ControlListener = (change: ControlChange) => void;

export interface NewVersion {
  version: Version;
  /** Stored once per hash; an upload of the same code again stores nothing new. */
  modules: StoredModule[];
  /** Deploy the version at 100% in the same write, or leave the deployment as it is. */
  deployment: Deployment | null;
}

export interface ControlStore {
  createAccount(account: Account): Promise<void>;
  getAccount(id: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;

  createToken(token: TokenRecord): Promise<void>;
  getTokenByHash(hash: string): Promise<TokenRecord | null>;
  listTokens(accountId: string): Promise<TokenRecord[]>;
  /** False when the account has no such token. */
  revokeToken(accountId: string, id: string, at: number): Promise<boolean>;

  /** Creates the worker when it is new. */
  createVersion(input: NewVersion): Promise<void>;
  getWorker(accountId: string, name: string): Promise<WorkerRecord | null>;
  listWorkers(accountId: string): Promise<WorkerRecord[]>;
  /** Removes the worker with its versions, deployments, secrets and routes. */
  deleteWorker(accountId: string, name: string): Promise<boolean>;
  getVersion(accountId: string, worker: string, id: string): Promise<Version | null>;
  /** Newest first. */
  listVersions(accountId: string, worker: string): Promise<Version[]>;
  getModules(hash: string): Promise<StoredModule[]>;

  createDeployment(deployment: Deployment): Promise<void>;
  /** The worker's current deployment (its newest). */
  getDeployment(accountId: string, worker: string): Promise<Deployment | null>;
  /** Newest first. */
  listDeployments(accountId: string, worker: string): Promise<Deployment[]>;
  /** Every current deployment of the account (or of all accounts), for edges and checks. */
  listCurrentDeployments(accountId?: string): Promise<Deployment[]>;

  createKvNamespace(ns: KvNamespace): Promise<void>;
  getKvNamespace(accountId: string, id: string): Promise<KvNamespace | null>;
  listKvNamespaces(accountId: string): Promise<KvNamespace[]>;
  deleteKvNamespace(accountId: string, id: string): Promise<boolean>;

  /** Creates or replaces; creates the worker when it is new (secrets may precede its first upload). */
  putSecret(secret: SecretRecord): Promise<void>;
  getSecrets(accountId: string, worker: string): Promise<SecretRecord[]>;
  deleteSecret(accountId: string, worker: string, name: string): Promise<boolean>;
  /** Every secret of every account, for key rotation. */
  listAllSecrets(): Promise<SecretRecord[]>;

  createZone(zone: Zone): Promise<void>;
  getZone(accountId: string, id: string): Promise<Zone | null>;
  getZoneByHostname(hostname: string): Promise<Zone | null>;
  /** All zones of the account, or of every account when none is given. */
  listZones(accountId?: string): Promise<Zone[]>;
  /** Removes the zone and its routes. */
  deleteZone(accountId: string, id: string): Promise<boolean>;

  createRoute(route: RouteRecord): Promise<void>;
  getRouteByPattern(pattern: string): Promise<RouteRecord | null>;
  listRoutes(accountId?: string): Promise<RouteRecord[]>;
  deleteRoute(accountId: string, id: string): Promise<boolean>;

  /** Replaces the worker's cron triggers (empty: none). False when the worker does not exist. */
  setSchedules(accountId: string, worker: string, crons: string[], at: number): Promise<boolean>;
  /** The worker's cron expressions, as set. */
  getSchedules(accountId: string, worker: string): Promise<string[]>;
  /** Every worker with cron triggers, for the scheduler. */
  listSchedules(): Promise<{ accountId: string; worker: string; crons: string[] }[]>;

  /** Calls `listener` after each durable change; returns the unsubscribe function. */
  watch(listener: ControlListener): () => void;
  close(): Promise<void>;
}
