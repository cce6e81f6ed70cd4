// Runs an unsaved draft of a worker once: its modules go through the same checks as an
// upload (names, types, syntax in a throwaway isolate, bindings of the account), then
// into a fresh isolate of its own with the normal limits, which gets one request and is
// disposed after it. Nothing is stored or deployed. The caller gets the response (body
// up to 1 MiB), the console lines, the exceptions, the outcome and the CPU time.
//
// The draft is tenant code like any other: it runs in its own isolate under its CPU and
// memory limits, fetches the internet under the edge's address policy (no loopback or
// private addresses), and reaches only the KV namespaces it binds, which the checks
// make sure belong to the caller's account. As at the edge, the worker's secrets are
// bound. TypeScript modules (.ts, .mts) are compiled to JavaScript first.

import * as esbuild from 'esbuild';
import { randomBytes } from 'node:crypto';
import { checkDeployable } from '../control/deploy-checks.ts';
import { decryptSecret, type Keyring } from '../control/secrets.ts';
import { ApiError, badRequest } from '../control/errors.ts';
import { readUpload } from '../control/upload.ts';
import { invokeInProcess } from '../runtime/invoke.ts';
import type { HostServices } from '../runtime/ops/index.ts';
import { createOutboundFetch, isRefusedForTenants } from '../runtime/outbound.ts';
import { UserError } from '../runtime/errors.ts';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerDefinition } from '../runtime/worker-isolate.ts';
import type { BindingSpec, HeaderList } from '../shared/ops.ts';
import type { ControlStore } from '../store/control.ts';
import type { KvStore } from '../store/kv.ts';

/** Response bodies past this are cut (and said to be). */
export const PREVIEW_BODY_LIMIT = 1024 * 1024;
/** The whole run, waitUntil work included, wall clock. */
const PREVIEW_WALL_MS = 30_000;
const PREVIEW_WAIT_UNTIL_MS = 5_000;
const MAX_HEADERS = 100;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TS = /\.(ts|mts)$/;

export interface PreviewDeps {
  store: ControlStore;
  kv: KvStore;
  keyring: Keyring;
  bundleLimit: number;
  now(): number;
  log(fields: Record<string, unknown>): void;
}

export interface PreviewRequest {
  method: string;
  url: string;
  headers: HeaderList;
  body: Uint8Array | null;
}

export interface PreviewResult {
  response: { status: number; status_text: string; headers: HeaderList; body: string; body_base64: string | null; truncated: boolean } | null;
  logs: { level: string; message: string; time: string }[];
  exceptions: { name: string; message: string; stack: string | null }[];
  outcome: string;
  cpu_ms: number;
  wall_ms: number;
}

const outbound = createOutboundFetch({ refuseAddress: isRefusedForTenants });

function field<T>(body: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (!check(v)) throw badRequest('invalid_field', `"${name}" must be ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The draft's request, checked: method, a path or http(s) URL, headers, a text body. */
export function parsePreviewRequest(value: unknown): PreviewRequest {
  if (!isObject(value)) throw badRequest('invalid_field', '"request" must be an object such as {"method":"GET","url":"/"}');
  const method = (field(value, 'method', isString, 'an HTTP method such as "GET"') ?? 'GET').toUpperCase();
  if (!METHOD.test(method)) throw badRequest('invalid_field', `"request.method" "${method.slice(0, 40)}" is not an HTTP method; use e.g. GET or POST`);
  const rawUrl = field(value, 'url', isString, 'a path such as "/hello?x=1" or an http(s) URL') ?? '/';
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://preview.localhost');
  } catch {
    throw badRequest('invalid_field', `"request.url" "${rawUrl.slice(0, 100)}" is not a path or URL; use e.g. "/hello?x=1"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('invalid_field', '"request.url" must be a path or an http(s) URL');
  const headers: HeaderList = [];
  const rawHeaders = value.headers ?? [];
  const pairs = Array.isArray(rawHeaders) ? rawHeaders : isObject(rawHeaders) ? Object.entries(rawHeaders) : null;
  if (!pairs) throw badRequest('invalid_field', '"request.headers" must be an object {"name":"value"} or a list of [name, value] pairs');
  if (pairs.length > MAX_HEADERS) throw badRequest('invalid_field', `"request.headers" has ${pairs.length} headers; send at most ${MAX_HEADERS}`);
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isString(pair[0]) || !isString(pair[1])) {
      throw badRequest('invalid_field', '"request.headers" must hold [name, value] string pairs');
    }
    const [name, v] = pair as [string, string];
    if (!METHOD.test(name)) throw badRequest('invalid_field', `header name "${name.slice(0, 60)}" is not valid; use letters, digits and - only`);
    if (/[\0\r\n]|[^\0-\xff]/.test(v)) throw badRequest('invalid_field', `the value of header "${name}" holds a line break, NUL or a character above U+00FF`);
    headers.push([name.toLowerCase(), v]);
  }
  const text = field(value, 'body', isString, 'a string');
  if (text !== undefined && text !== '' && (method === 'GET' || method === 'HEAD')) {
    throw badRequest('invalid_field', `a ${method} request has no body; use POST or PUT to send one`);
  }
  return { method, url: url.href, headers, body: text ? new TextEncoder().encode(text) : null };
}

export const isTypeScript = (name: string) => TS.test(name);

/** A TypeScript module as an ES module (types stripped); a syntax error is a 400 naming file:line:col. */
export async function compileTypeScript(name: string, content: string): Promise<string> {
  try {
    return (await esbuild.transform(content, { loader: 'ts', format: 'esm', target: 'es2024', sourcefile: name })).code;
  } catch (err) {
    const e = (err as esbuild.TransformFailure).errors?.[0];
    const where = e?.location ? `${name}:${e.location.line}:${e.location.column + 1}: ` : `${name}: `;
    throw badRequest('syntax_error', `${where}${e?.text ?? (err as Error).message}; fix the code and try again`);
  }
}

/**
 * A draft's modules as the upload form the API's checks read: `modules` is a list of
 * {name, content}, TypeScript compiled to JavaScript (its name kept, so imports of
 * "./x.ts" resolve), the rest typed by extension as in an upload.
 */
export async function draftForm(body: Record<string, unknown>, today: string): Promise<FormData> {
  const list = body.modules;
  if (!Array.isArray(list) || list.length === 0) throw badRequest('no_modules', '"modules" must be a non-empty list of {"name":"index.js","content":"..."}');
  const form = new FormData();
  const types: Record<string, string> = {};
  for (const m of list) {
    if (!isObject(m) || !isString(m.name) || !isString(m.content)) throw badRequest('invalid_module', 'each entry of "modules" must be {"name": string, "content": string}');
    let content = m.content;
    if (isTypeScript(m.name)) {
      content = await compileTypeScript(m.name, content);
      types[m.name] = 'esm';
    }
    form.append(m.name, new Blob([content]), m.name);
  }
  const meta: Record<string, unknown> = {
    // A service-worker script names its one module in body_part, as an upload does.
    ...(body.body_part !== undefined ? { body_part: body.body_part } : { main_module: body.main_module }),
    compatibility_date: body.compatibility_date ?? today,
    ...(body.compatibility_flags !== undefined ? { compatibility_flags: body.compatibility_flags } : {}),
    ...(body.bindings !== undefined ? { bindings: body.bindings } : {}),
    ...(body.limits !== undefined ? { limits: body.limits } : {}),
    ...(Object.keys(types).length > 0 ? { modules: types } : {}),
  };
  form.append('metadata', JSON.stringify(meta));
  return form;
}

/** Previews running at once in this process; each holds an isolate (up to its heap limit). */
export const MAX_PREVIEWS = 4;
let running = 0;

/** Checks the draft and runs `request` through it once, in an isolate of its own. */
export async function runPreview(deps: PreviewDeps, accountId: string, worker: string, body: Record<string, unknown>): Promise<PreviewResult> {
  if (running >= MAX_PREVIEWS) {
    throw new ApiError(429, 'too_many_previews', `${MAX_PREVIEWS} previews are running on this control plane; try again in a few seconds`);
  }
  running++;
  try {
    return await checkAndRun(deps, accountId, worker, body);
  } finally {
    running--;
  }
}

async function checkAndRun(deps: PreviewDeps, accountId: string, worker: string, body: Record<string, unknown>): Promise<PreviewResult> {
  const request = parsePreviewRequest(body.request);
  const today = new Date(deps.now()).toISOString().slice(0, 10);
  const upload = await readUpload(await draftForm(body, today), deps.bundleLimit, deps.now());
  await checkDeployable(deps.store, accountId, worker, upload.meta, upload.modules);
  const m = upload.meta;
  const bindings: BindingSpec[] = [];
  for (const b of m.bindings) {
    if (b.type === 'kv_namespace') bindings.push({ type: 'kv_namespace', name: b.name, namespaceId: b.namespace_id });
    else if (b.type !== 'secret_text') bindings.push(b);
  }
  for (const secret of await deps.store.getSecrets(accountId, worker)) {
    bindings.push({ type: 'secret_text', name: secret.name, text: decryptSecret(deps.keyring, secret) });
  }
  const def: WorkerDefinition = {
    name: worker, versionId: `preview-${randomBytes(6).toString('hex')}`, format: m.format, mainModule: m.mainModule,
    modules: upload.modules, bindings, compatibilityDate: m.compatibilityDate, compatibilityFlags: m.compatibilityFlags,
    limits: {
      ...DEFAULT_LIMITS, waitUntilMs: PREVIEW_WAIT_UNTIL_MS,
      ...(m.limits.cpu_ms !== undefined ? { cpuMs: m.limits.cpu_ms } : {}),
      ...(m.limits.memory_mb !== undefined ? { memoryMb: m.limits.memory_mb } : {}),
    },
    // Exception details in the response body, as `atoll dev` shows them.
    dev: true,
  };
  const services: HostServices = {
    fetch: (_ctx, init, reqBody, signal) => outbound(init, reqBody, signal),
    // Service bindings need deployed workers; a preview runs alone (the call says so).
    kv: deps.kv,
    log: (fields) => deps.log({ ...fields, account: accountId, worker, preview: true }),
    onDead: () => {},
  };
  let isolate: WorkerIsolate;
  try {
    isolate = await WorkerIsolate.create(def, services);
  } catch (err) {
    if (err instanceof UserError) throw badRequest('worker_start_failed', `the draft failed to start: ${err.message}`);
    throw err;
  }
  const abort = new AbortController();
  const timer = setTimeout(() => { abort.abort(); isolate.dispose(); }, PREVIEW_WALL_MS);
  try {
    let sent = false;
    const call = invokeInProcess(isolate, {
      method: request.method, url: request.url, headers: request.headers, cf: {}, signal: abort.signal, depth: 0, tree: { calls: 0 },
      body: request.body && { read: async () => (sent ? null : ((sent = true), request.body)), cancel() { sent = true; } },
    }, { exposeErrors: true });
    let response: PreviewResult['response'] = null;
    try {
      const res = await call.response;
      const chunks: Uint8Array[] = [];
      let size = 0;
      let truncated = false;
      if (res.body) {
        for (let chunk = await res.body.read(); chunk; chunk = await res.body.read()) {
          chunks.push(chunk);
          size += chunk.byteLength;
          if (size > PREVIEW_BODY_LIMIT) {
            truncated = true;
            res.body.cancel('the preview shows the first MiB');
            break;
          }
        }
      }
      const bytes = Buffer.concat(chunks).subarray(0, PREVIEW_BODY_LIMIT);
      const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
      response = {
        status: res.head.status, status_text: res.head.statusText, headers: res.head.headers, body: text,
        body_base64: text.includes('\uFFFD') ? bytes.toString('base64') : null, truncated,
      };
    } catch {
      // No response could be handed over, or its body failed part-way: the invocation's
      // outcome and exceptions, answered below, say why.
    }
    const inv = await call.done;
    const seen = new Set<string>();
    return {
      response,
      logs: inv.logs.map((l) => ({ level: l.level, message: l.message, time: new Date(l.time).toISOString() })),
      exceptions: inv.exceptions.filter((e) => {
        const key = e.stack ?? `${e.type}: ${e.message}`;
        return seen.has(key) ? false : (seen.add(key), true);
      }).map((e) => ({ name: e.type, message: e.message, stack: e.stack ?? null })),
      outcome: inv.outcome,
      cpu_ms: Math.round(inv.cpuMs * 100) / 100,
      wall_ms: Math.round(inv.wallMs * 100) / 100,
    };
  } finally {
    clearTimeout(timer);
    isolate.dispose();
  }
}
