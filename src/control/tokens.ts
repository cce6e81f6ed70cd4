// API tokens: `atoll_` + 32 random bytes in base64url. Only the SHA-256 of a token is
// stored, so a copy of the database grants nothing; lookup is by that hash. A token
// belongs to one account and carries scopes; `admin` includes every other scope.

import { createHash, randomBytes } from 'node:crypto';
import type { ControlStore, Scope, TokenRecord } from '../store/control.ts';
import { SCOPES } from '../store/control.ts';
import { ApiError, badRequest } from './errors.ts';
import { newId } from './ids.ts';

const TOKEN_PREFIX = 'atoll_';
// 32 bytes in base64url, unpadded.
const TOKEN_PATTERN = /^atoll_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface IssuedToken {
  /** Shown once, to whoever asked for it; never stored. */
  token: string;
  record: TokenRecord;
}

export interface TokenSpec {
  accountId: string;
  name: string;
  scopes: Scope[];
  expiresAt: number | null;
}

export async function issueToken(store: ControlStore, spec: TokenSpec, now = Date.now()): Promise<IssuedToken> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const record: TokenRecord = {
    id: newId('tok'), accountId: spec.accountId, name: spec.name, scopes: spec.scopes,
    hash: hashToken(token), createdAt: now, expiresAt: spec.expiresAt, revokedAt: null,
  };
  await store.createToken(record);
  return { token, record };
}

export function hasScope(token: TokenRecord, scope: Scope): boolean {
  return token.scopes.includes('admin') || token.scopes.includes(scope);
}

const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message);

/** The live token an `Authorization` header carries, or a 401 that says what is wrong. */
export async function authenticate(store: ControlStore, header: string | undefined, now = Date.now()): Promise<TokenRecord> {
  if (!header) throw unauthorized('missing Authorization header; send "Authorization: Bearer <token>" with an API token');
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  if (!match) throw unauthorized('the Authorization header is not "Bearer <token>"; send "Authorization: Bearer <token>"');
  const token = match[1]!;
  if (!TOKEN_PATTERN.test(token)) throw unauthorized('the bearer token is not an atoll API token (atoll_...); check that it was copied whole');
  const record = await store.getTokenByHash(hashToken(token));
  if (!record) throw unauthorized('the API token is not known; create one with POST /api/v1/tokens or use the one atoll up printed');
  if (record.revokedAt !== null) throw unauthorized(`the API token ${record.id} ("${record.name}") was revoked; use another token`);
  if (record.expiresAt !== null && record.expiresAt <= now) {
    throw unauthorized(`the API token ${record.id} ("${record.name}") expired at ${new Date(record.expiresAt).toISOString()}; create a new one`);
  }
  return record;
}

export function requireScope(token: TokenRecord, scope: Scope): void {
  if (!hasScope(token, scope)) {
    throw new ApiError(403, 'forbidden', `this call needs the "${scope}" scope and token ${token.id} has ${token.scopes.join(', ') || 'none'}; use a token with "${scope}"`);
  }
}

/** Checks a scope list from a request body. */
export function parseScopes(value: unknown): Scope[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((s) => typeof s !== 'string')) {
    throw badRequest('invalid_scopes', `"scopes" must be a non-empty array of strings from: ${SCOPES.join(', ')}`);
  }
  for (const s of value as string[]) {
    if (!(SCOPES as readonly string[]).includes(s)) throw badRequest('invalid_scopes', `unknown scope "${s}"; use one of: ${SCOPES.join(', ')}`);
  }
  return [...new Set(value as Scope[])];
}
