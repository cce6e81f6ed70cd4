// Record ids: a short type prefix (so a pasted id says what it is) and 16 random bytes.

import { randomBytes } from 'node:crypto';

export type IdPrefix = 'acc' | 'tok' | 'ver' | 'dep' | 'kvn' | 'zone' | 'route';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}
