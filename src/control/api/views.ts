// Records as the API shows them: snake_case, times as ISO strings, no hashes of tokens,
// no secret values.

import type { Account, Deployment, KvNamespace, RouteRecord, TokenRecord, Version, WorkerRecord, Zone } from '../../store/control.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const accountJson = (a: Account) => ({ id: a.id, name: a.name, operator: a.operator, created_at: iso(a.createdAt) });

export const tokenJson = (t: TokenRecord) => ({
  id: t.id, name: t.name, scopes: t.scopes, created_at: iso(t.createdAt), expires_at: iso(t.expiresAt), revoked_at: iso(t.revokedAt),
});

export const workerJson = (w: WorkerRecord) => ({ name: w.name, created_at: iso(w.createdAt), updated_at: iso(w.updatedAt) });

export const versionJson = (v: Version) => ({
  id: v.id, worker: v.worker, hash: v.hash, format: v.format, main_module: v.mainModule, compatibility_date: v.compatibilityDate,
  compatibility_flags: v.compatibilityFlags, bindings: v.bindings, limits: v.limits, message: v.message,
  author_token_id: v.authorTokenId, created_at: iso(v.createdAt), size: v.size,
});

export const deploymentJson = (d: Deployment) => ({
  id: d.id, worker: d.worker, versions: d.versions.map((s) => ({ version_id: s.versionId, percentage: s.percentage })),
  message: d.message, author_token_id: d.authorTokenId, created_at: iso(d.createdAt),
});

export const namespaceJson = (n: KvNamespace) => ({ id: n.id, title: n.title, created_at: iso(n.createdAt) });

export const zoneJson = (z: Zone) => ({ id: z.id, hostname: z.hostname, origin: z.origin, created_at: iso(z.createdAt) });

export const routeJson = (r: RouteRecord) => ({ id: r.id, zone_id: r.zoneId, pattern: r.pattern, worker: r.worker, created_at: iso(r.createdAt) });
