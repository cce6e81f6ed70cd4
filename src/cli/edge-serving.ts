// How an edge serves clients, the same for `atoll up` and `atoll edge`: HTTPS beside
// HTTP (certificates from a folder, by SNI) and whether to believe X-Forwarded-For.
// Each is a flag or its environment variable.

import { UserError } from '../runtime/errors.ts';
import type { OptionSpec } from './command.ts';
import { setting } from './env-setting.ts';
import { port } from './values.ts';

export const EDGE_SERVING_OPTIONS: OptionSpec[] = [
  { flags: '--tls-port <port>', help: 'also serve HTTPS on this port (default: $ATOLL_TLS_PORT); needs --tls-cert-dir', parse: port },
  { flags: '--tls-cert-dir <dir>', help: 'folder of NAME.crt and NAME.key files (PEM), one pair per hostname, reloaded when they change (default: $ATOLL_TLS_CERT_DIR)' },
  { flags: '--trust-forwarded-for', help: 'take client addresses from X-Forwarded-For, only behind a proxy you run (default: $ATOLL_TRUST_FORWARDED_FOR, true or false, else false)' },
];

// A yes/no environment variable.
function yesNo(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new Error(`"${value}" is neither true nor false; set it to true or false`);
}

export interface EdgeServing {
  trustForwardedFor: boolean;
  tls?: { port: number; certDir: string };
}

/** The settings EDGE_SERVING_OPTIONS gave `atoll COMMAND`, checked together. */
export function edgeServing(command: string, o: Record<string, any>): EdgeServing {
  const tlsPort = setting<number | null>(command, o.tlsPort, 'ATOLL_TLS_PORT', port, null);
  const certDir = setting<string | null>(command, o.tlsCertDir, 'ATOLL_TLS_CERT_DIR', (v) => v, null);
  if ((tlsPort === null) !== (certDir === null)) {
    throw new UserError(tlsPort === null
      ? `atoll ${command}: --tls-cert-dir names the certificates, but no --tls-port (or ATOLL_TLS_PORT) says where to serve HTTPS; give both, or neither.`
      : `atoll ${command}: --tls-port asks for HTTPS, but no --tls-cert-dir (or ATOLL_TLS_CERT_DIR) names the folder of NAME.crt / NAME.key files; give both, or neither.`, 'usage');
  }
  return {
    trustForwardedFor: setting<boolean>(command, o.trustForwardedFor, 'ATOLL_TRUST_FORWARDED_FOR', yesNo, false),
    ...(tlsPort !== null && certDir !== null ? { tls: { port: tlsPort, certDir } } : {}),
  };
}
