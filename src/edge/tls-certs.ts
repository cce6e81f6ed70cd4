// The certificates an edge terminates TLS with: one folder of PEM files, a pair per
// hostname (`example.com.crt` with its chain, `example.com.key`), `_wildcard.example.com`
// for `*.example.com`, and optionally `default.crt`/`default.key` for clients that name
// no known host (or none: no SNI). The TLS server asks `context(servername)` during each
// handshake (SNICallback), so a reload takes effect on the next connection, without a
// restart and without touching connections already open.
//
// Reload: the folder is watched (fs.watch), and re-read ~200 ms after the last change
// (a certificate renewal writes several files). Each pair is checked by building its
// TLS context (the key must match the certificate). A pair that fails keeps the context
// it had and the error is logged naming the file; at start, a failing pair is an error,
// so a broken deployment is seen at once rather than at the first handshake.

import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { UserError } from '../runtime/errors.ts';

const RELOAD_DELAY_MS = 200;
const WILDCARD_PREFIX = '_wildcard.';

export interface CertStore {
  /** The context for a TLS servername (exact, then `*.parent`, then default), or null. */
  context(servername: string | undefined): SecureContext | null;
  /** The hostnames served, for logs (`*.x` for wildcards). */
  hostnames(): string[];
  /** Re-reads the folder now (the watcher does this by itself). */
  reload(): void;
  close(): void;
}

interface Pair {
  /** `example.com`, `*.example.com` or `default`. */
  name: string;
  crt: string;
  key: string;
}

// The pairs in the folder; a .crt without its .key (or the reverse) is an error.
function listPairs(dir: string): { pairs: Pair[]; problems: string[] } {
  const files = new Set(readdirSync(dir));
  const pairs: Pair[] = [];
  const problems: string[] = [];
  for (const file of [...files].sort()) {
    const m = /^(.+)\.(crt|key)$/.exec(file);
    if (!m) continue;
    const [, base, ext] = m as unknown as [string, string, 'crt' | 'key'];
    const other = `${base}.${ext === 'crt' ? 'key' : 'crt'}`;
    if (!files.has(other)) {
      problems.push(`${join(dir, file)} has no ${other} beside it; each hostname needs both NAME.crt (certificate and chain) and NAME.key (its private key), PEM`);
      continue;
    }
    if (ext === 'key') continue;
    const name = (base.startsWith(WILDCARD_PREFIX) ? `*.${base.slice(WILDCARD_PREFIX.length)}` : base).toLowerCase();
    pairs.push({ name, crt: join(dir, `${base}.crt`), key: join(dir, `${base}.key`) });
  }
  return { pairs, problems };
}

function load(pair: Pair): SecureContext {
  try {
    return createSecureContext({ cert: readFileSync(pair.crt), key: readFileSync(pair.key), minVersion: 'TLSv1.2' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' || /key values mismatch/.test(e.message)
      ? `${pair.key} is not the private key of the certificate in ${pair.crt}`
      : `${pair.crt} / ${pair.key} are not a usable PEM certificate and private key (${e.message})`;
    throw new Error(`TLS certificate for "${pair.name}": ${why}`);
  }
}

export function openCertStore(dir: string, log: (fields: Record<string, unknown>) => void): CertStore {
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (err) {
    throw new UserError(`TLS: the certificate folder ${dir} cannot be used (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); point --tls-cert-dir at a folder holding NAME.crt and NAME.key files.`, 'tls_certs');
  }
  let contexts = new Map<string, SecureContext>();

  function read(strict: boolean): void {
    const { pairs, problems } = listPairs(dir);
    const next = new Map<string, SecureContext>();
    for (const pair of pairs) {
      try {
        next.set(pair.name, load(pair));
      } catch (err) {
        problems.push((err as Error).message);
        const old = contexts.get(pair.name);
        if (old) next.set(pair.name, old);
      }
    }
    if (strict && problems.length > 0) throw new UserError(`TLS: ${problems.join('; ')}.`, 'tls_certs');
    if (strict && next.size === 0) throw new UserError(`TLS: the certificate folder ${dir} holds no NAME.crt / NAME.key pair; add one per hostname (or default.crt / default.key).`, 'tls_certs');
    for (const p of problems) log({ level: 'error', msg: 'TLS certificate not loaded; the previous one (if any) is still served', error: p });
    const removed = [...contexts.keys()].filter((n) => !next.has(n));
    contexts = next;
    log({ level: 'info', msg: 'TLS certificates loaded', dir, hostnames: [...next.keys()], ...(removed.length > 0 ? { removed } : {}) });
  }

  read(true);
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        try {
          read(false);
        } catch (err) {
          log({ level: 'error', msg: 'TLS certificate folder could not be read; still serving the certificates loaded before', dir, error: (err as Error).message });
        }
      }, RELOAD_DELAY_MS);
    });
    watcher.on('error', (err) => log({ level: 'error', msg: 'TLS certificate folder is no longer watched; certificates are not reloaded until a restart', dir, error: err.message }));
  } catch (err) {
    log({ level: 'warn', msg: 'TLS certificate folder cannot be watched; certificates are not reloaded until a restart', dir, error: (err as Error).message });
  }

  return {
    context(servername) {
      const name = servername?.toLowerCase();
      if (name) {
        const exact = contexts.get(name);
        if (exact) return exact;
        const dot = name.indexOf('.');
        const wildcard = dot > 0 ? contexts.get(`*${name.slice(dot)}`) : undefined;
        if (wildcard) return wildcard;
      }
      return contexts.get('default') ?? null;
    },
    hostnames: () => [...contexts.keys()],
    reload: () => read(false),
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
