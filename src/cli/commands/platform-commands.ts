// The commands that manage the platform through its REST API, and the nouns that group
// them (`atoll kv namespace create`: one folder per noun, one file per verb).

import type { CommandSpec, GroupSpec } from '../command.ts';
import { cachePurgeCommand } from './cache/purge.ts';
import { deployCommand } from './deploy.ts';
import { deploymentsStatusCommand } from './deployments/status.ts';
import { kvBulkDeleteCommand } from './kv/bulk/delete.ts';
import { kvBulkPutCommand } from './kv/bulk/put.ts';
import { kvKeyDeleteCommand } from './kv/key/delete.ts';
import { kvKeyGetCommand } from './kv/key/get.ts';
import { kvKeyListCommand } from './kv/key/list.ts';
import { kvKeyPutCommand } from './kv/key/put.ts';
import { kvNamespaceCreateCommand } from './kv/namespace/create.ts';
import { kvNamespaceDeleteCommand } from './kv/namespace/delete.ts';
import { kvNamespaceListCommand } from './kv/namespace/list.ts';
import { loginCommand } from './login.ts';
import { rollbackCommand } from './rollback.ts';
import { routeCreateCommand } from './route/create.ts';
import { routeDeleteCommand } from './route/delete.ts';
import { routeListCommand } from './route/list.ts';
import { secretDeleteCommand } from './secret/delete.ts';
import { secretListCommand } from './secret/list.ts';
import { secretPutCommand } from './secret/put.ts';
import { secretsKeyDropCommand } from './secrets-key/drop.ts';
import { secretsKeyRotateCommand } from './secrets-key/rotate.ts';
import { secretsKeyStatusCommand } from './secrets-key/status.ts';
import { tailCommand } from './tail.ts';
import { tokenCreateCommand } from './token/create.ts';
import { tokenListCommand } from './token/list.ts';
import { tokenRevokeCommand } from './token/revoke.ts';
import { versionsDeployCommand } from './versions/deploy.ts';
import { versionsListCommand } from './versions/list.ts';
import { versionsViewCommand } from './versions/view.ts';
import { whoamiCommand } from './whoami.ts';
import { zoneCreateCommand } from './zone/create.ts';
import { zoneDeleteCommand } from './zone/delete.ts';
import { zoneListCommand } from './zone/list.ts';

export const PLATFORM_COMMANDS: CommandSpec[] = [
  loginCommand, whoamiCommand, deployCommand,
  versionsListCommand, versionsViewCommand, versionsDeployCommand, rollbackCommand, deploymentsStatusCommand, tailCommand,
  kvNamespaceCreateCommand, kvNamespaceListCommand, kvNamespaceDeleteCommand,
  kvKeyPutCommand, kvKeyGetCommand, kvKeyListCommand, kvKeyDeleteCommand,
  kvBulkPutCommand, kvBulkDeleteCommand,
  secretPutCommand, secretListCommand, secretDeleteCommand,
  secretsKeyStatusCommand, secretsKeyRotateCommand, secretsKeyDropCommand,
  tokenCreateCommand, tokenListCommand, tokenRevokeCommand,
  zoneCreateCommand, zoneListCommand, zoneDeleteCommand,
  routeCreateCommand, routeListCommand, routeDeleteCommand,
  cachePurgeCommand,
];

export const PLATFORM_GROUPS: GroupSpec[] = [
  { name: 'versions', summary: 'list and inspect a worker\'s versions' },
  { name: 'deployments', summary: 'what a worker is serving' },
  { name: 'kv', summary: 'KV namespaces and their keys' },
  { name: 'kv namespace', summary: 'create, list and delete KV namespaces' },
  { name: 'kv key', summary: 'put, get, list and delete single keys' },
  { name: 'kv bulk', summary: 'write or delete many keys from a JSON file' },
  { name: 'secret', summary: 'a worker\'s secrets (write-only)' },
  { name: 'secrets-key', summary: 'the key that encrypts secrets at rest (operator)' },
  { name: 'token', summary: 'API tokens of your account' },
  { name: 'zone', summary: 'hostnames the edge serves, with their origins' },
  { name: 'route', summary: 'patterns that send requests to workers' },
  { name: 'cache', summary: 'the edge cache: purge cached responses' },
];
