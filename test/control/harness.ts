// A running control API for tests: real SQLite stores in a temp dir, a real HTTP server
// on an ephemeral loopback port, the bootstrap admin token, and helpers for calls.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlApi, type ControlApi } from '../../src/control/api/server.ts';
import { bootstrap } from '../../src/control/bootstrap.ts';
import { loadKeyring, type Keyring } from '../../src/control/secrets.ts';
import { openSqliteControl, type SqliteControlStore } from '../../src/store/control-sqlite.ts';
import { openSqliteKv, type SqliteKvStore } from '../../src/store/sqlite-kv.ts';

export interface Harness {
  dir: string;
  api: ControlApi;
  store: SqliteControlStore;
  kv: SqliteKvStore;
  keyring: Keyring;
  /** The bootstrap admin token of the operator account. */
  token: string;
  logs: Record<string, unknown>[];
  call(method: string, path: string, init?: CallInit): Promise<Reply>;
  close(): Promise<void>;
}

export interface CallInit {
  token?: string | null;
  json?: unknown;
  body?: string | Uint8Array<ArrayBuffer> | FormData;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  headers: Headers;
  // Tests read fields freely; the API's JSON shapes are what they check.
  body: any;
  text: string;
}

/**
 * Calls the REST API at `url` as a test does: `token` unless the call names another (or
 * null for none), JSON bodies from `json`, the answer's JSON parsed.
 */
export function apiCaller(url: string, token: string): Harness['call'] {
  return async (method, path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const t = init.token === undefined ? token : init.token;
    if (t !== null) headers.authorization = `Bearer ${t}`;
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(url + path, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    const parsed: unknown = (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : null;
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}

export async function startHarness(options: { bundleLimit?: number; now?: () => number } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-control-'));
  const store = await openSqliteControl(join(dir, 'control'));
  const kv = await openSqliteKv(join(dir, 'kv'), { synchronous: 'normal' });
  const keyring = loadKeyring(dir, {});
  const logs: Record<string, unknown>[] = [];
  const api = await startControlApi({ store, kv, keyring, port: 0, log: (f) => logs.push(f), ...options });
  const boot = await bootstrap(store);
  assert.ok(boot);
  const call = apiCaller(api.url, boot.token);
  return {
    dir, api, store, kv, keyring, token: boot.token, logs, call,
    async close() {
      await api.close();
      await store.close();
      await kv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts the reply is an API error with this status and code, and returns its message. */
export function assertError(reply: Reply, status: number, code: string, mentions?: string | RegExp): string {
  assert.equal(reply.status, status, `expected ${status} ${code}, got ${reply.status}: ${reply.text.slice(0, 500)}`);
  assert.equal(typeof reply.body?.error?.message, 'string', `not an error body: ${reply.text.slice(0, 300)}`);
  assert.equal(reply.body.error.code, code, reply.body.error.message);
  if (mentions !== undefined) {
    if (typeof mentions === 'string') assert.ok(reply.body.error.message.includes(mentions), `message does not mention "${mentions}": ${reply.body.error.message}`);
    else assert.match(reply.body.error.message, mentions);
  }
  return reply.body.error.message as string;
}

export interface ModulePart {
  name: string;
  content: string | Uint8Array;
  type?: string;
}

/** A worker upload as multipart form data. */
export function uploadForm(metadata: unknown, modules: ModulePart[]): FormData {
  const form = new FormData();
  form.set('metadata', typeof metadata === 'string' ? metadata : JSON.stringify(metadata));
  for (const m of modules) {
    const bytes = typeof m.content === 'string' ? new TextEncoder().encode(m.content) : m.content;
    form.append(m.name, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: m.type ?? 'application/javascript+module' }), m.name);
  }
  return form;
}

export const HELLO = 'export default { fetch() { return new Response("hello"); } };';

/** Uploads (and by default deploys) a one-module worker; asserts a 201. */
export async function upload(h: Harness, name: string, options: { token?: string; source?: string; metadata?: Record<string, unknown>; deploy?: boolean } = {}): Promise<Reply> {
  const metadata = { main_module: 'index.js', compatibility_date: '2026-01-01', ...options.metadata };
  const reply = await h.call('PUT', `/api/v1/workers/${name}${options.deploy === false ? '?deploy=false' : ''}`, {
    token: options.token, body: uploadForm(metadata, [{ name: 'index.js', content: options.source ?? HELLO }]),
  });
  assert.equal(reply.status, 201, reply.text.slice(0, 500));
  return reply;
}

/** A second account (made by the operator) and its admin token. */
export async function secondAccount(h: Harness, name = 'other'): Promise<{ accountId: string; token: string }> {
  const reply = await h.call('POST', '/api/v1/accounts', { json: { name } });
  assert.equal(reply.status, 201, reply.text);
  return { accountId: reply.body.account.id, token: reply.body.token };
}

/**
 * Sends `chunks` with node:http, which reads the answer even while it is still sending
 * (a server that refuses a body early may close before taking all of it).
 */
export function streamRequest(h: Harness, method: string, path: string, chunks: Uint8Array[], headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(h.api.url + path), { method, agent: false, headers: { authorization: `Bearer ${h.token}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      // The server may close right after its answer; 'close' comes either way.
      res.on('close', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
