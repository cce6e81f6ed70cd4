// The first start of a platform: one operator account and an admin token for it. The
// token is returned once (`atoll up` prints it); only its hash is kept.

import type { Account, ControlStore } from '../store/control.ts';
import { newId } from './ids.ts';
import { issueToken } from './tokens.ts';

export interface Bootstrapped {
  account: Account;
  token: string;
}

/**
 * Creates the operator account and its admin token; null once that was done. A start
 * killed between the two writes gets its token on the next start.
 */
export async function bootstrap(store: ControlStore, name = 'default', now = Date.now()): Promise<Bootstrapped | null> {
  let account = (await store.listAccounts()).find((a) => a.operator);
  if (account && (await store.listTokens(account.id)).length > 0) return null;
  if (!account) {
    account = { id: newId('acc'), name, operator: true, createdAt: now };
    await store.createAccount(account);
  }
  const { token } = await issueToken(store, { accountId: account.id, name: 'bootstrap admin', scopes: ['admin'], expiresAt: null }, now);
  return { account, token };
}
