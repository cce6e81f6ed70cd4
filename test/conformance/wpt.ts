// The Web Platform Tests ratchet. WPT JSON data (../shared/wpt beside the repository)
// is pushed into a real worker isolate as a request body; a small testharness-like
// shim inside the isolate runs every case and returns [name, error | null] pairs; the
// host then compares them with test/conformance/expectations/<area>.json, where every
// expected failure carries a written reason. An unexpected failure fails the test, and
// so does an unexpected pass: improvements must be recorded by editing the file.
//
// `WPT_UPDATE=1` rewrites the expectations file from the run: reasons already written
// are kept, new failures get an empty reason, which the next run rejects until someone
// writes one.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from '../helpers/worker.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const expectationsDir = path.join(repoRoot, 'test/conformance/expectations');

/** Where the WPT data lives: ../shared/wpt beside the repository, in CI as here. */
export const wptDir = path.resolve(repoRoot, '../shared/wpt');

export function loadWpt<T = unknown>(file: string): T {
  const full = path.join(wptDir, file);
  if (!existsSync(full)) {
    throw new Error(
      `WPT data file ${full} is missing: the conformance tests need the web-platform-tests JSON data ` +
        `checked out at ../shared/wpt beside the repository (see docs/conformance.md).`,
    );
  }
  return JSON.parse(readFileSync(full, 'utf8')) as T;
}

// The shim that stands in for testharness.js inside the isolate. Kept as source text:
// it is evaluated in the worker, never in Node.
const harness = String.raw`
const __results = [];
const __seen = new Map();
function __fmt(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  try { return JSON.stringify(v); } catch { return String(v); }
}
function test(fn, name) {
  const n = (__seen.get(name) || 0) + 1;
  __seen.set(name, n);
  if (n > 1) name = name + ' [' + n + ']';
  try { fn(); __results.push([name, null]); }
  catch (e) { __results.push([name, String(e && e.message !== undefined ? (e.name + ': ' + e.message) : e)]); }
}
function assert_equals(actual, expected, what) {
  if (!Object.is(actual, expected)) throw new Error((what ? what + ': ' : '') + 'expected ' + __fmt(expected) + ' but got ' + __fmt(actual));
}
function assert_true(v, what) { if (v !== true) throw new Error((what || 'assert_true') + ': got ' + __fmt(v)); }
function assert_false(v, what) { if (v !== false) throw new Error((what || 'assert_false') + ': got ' + __fmt(v)); }
function assert_array_equals(actual, expected, what) {
  if (__fmt(actual) !== __fmt(expected)) throw new Error((what ? what + ': ' : '') + 'expected ' + __fmt(expected) + ' but got ' + __fmt(actual));
}
function assert_object_equals(actual, expected, what) {
  const keys = (o) => o && typeof o === 'object' ? Object.keys(o).sort() : [];
  const eq = (a, b) => {
    if (a && b && typeof a === 'object' && typeof b === 'object') {
      const ka = keys(a), kb = keys(b);
      return ka.length === kb.length && ka.every((k, i) => k === kb[i] && eq(a[k], b[k]));
    }
    return Object.is(a, b);
  };
  if (!eq(actual, expected)) throw new Error((what ? what + ': ' : '') + 'expected ' + __fmt(expected) + ' but got ' + __fmt(actual));
}
function assert_throws_js(Type, fn, what) {
  let threw = false;
  try { fn(); } catch (e) {
    threw = true;
    if (!(e instanceof Type)) throw new Error((what ? what + ': ' : '') + 'threw ' + (e && e.name) + ' instead of ' + Type.name);
  }
  if (!threw) throw new Error((what ? what + ': ' : '') + 'did not throw ' + Type.name);
}
`;

/** The testharness.js subset the case functions get as their second argument. */
export interface Harness {
  test(fn: () => void, name: string): void;
  assert_equals(actual: unknown, expected: unknown, what?: string): void;
  assert_true(v: unknown, what?: string): void;
  assert_false(v: unknown, what?: string): void;
  assert_array_equals(actual: unknown, expected: unknown, what?: string): void;
  assert_object_equals(actual: unknown, expected: unknown, what?: string): void;
  assert_throws_js(type: abstract new (...args: any[]) => unknown, fn: () => void, what?: string): void;
}

export interface WptRun {
  total: number;
  passed: number;
  failures: Map<string, string>;
  names: string[];
}

/**
 * Runs `cases(data, harness)` inside a worker isolate. `cases` is a plain function (its
 * source is sent, so it must not close over anything); it calls `harness.test(fn, name)`.
 */
export async function runWptInIsolate(cases: (data: any, h: Harness) => void, data: unknown): Promise<WptRun> {
  const w = await startWorker(
    `${harness}
const __cases = (${cases.toString()});
export default { async fetch(request) {
  __cases(await request.json(), { test, assert_equals, assert_true, assert_false, assert_array_equals, assert_object_equals, assert_throws_js });
  return new Response(JSON.stringify(__results));
} }`,
    // Hundreds of cases run in one request: give it CPU room, not the 50 ms default.
    { limits: { cpuMs: 20_000 } },
  );
  try {
    const res = await w.fetch('/', { method: 'POST', body: JSON.stringify(data) });
    const text = await res.text();
    assert.equal(res.status, 200, `the WPT worker failed: ${text.slice(0, 2000)}`);
    const results = JSON.parse(text) as [string, string | null][];
    const failures = new Map<string, string>();
    for (const [name, err] of results) if (err !== null) failures.set(name, err);
    return { total: results.length, passed: results.length - failures.size, failures, names: results.map((r) => r[0]) };
  } finally {
    await w.close();
  }
}

interface ExpectationsFile {
  $comment?: string;
  /** test name -> why it is expected to fail */
  expectedFailures: Record<string, string>;
}

/**
 * Compares a run with expectations/<area>.json and throws a readable report on any
 * difference. Returns the pass rate line for the log.
 */
export function checkExpectations(area: string, run: WptRun): string {
  const file = path.join(expectationsDir, `${area}.json`);
  const exp: ExpectationsFile = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as ExpectationsFile)
    : { expectedFailures: {} };
  const expected = exp.expectedFailures;
  if (process.env.WPT_UPDATE === '1') {
    const next: Record<string, string> = {};
    for (const [name] of run.failures) next[name] = expected[name] ?? '';
    writeFileSync(file, JSON.stringify({ ...exp, expectedFailures: next }, null, 2) + '\n');
    return `${area}: ${run.passed}/${run.total} (expectations rewritten)`;
  }
  const unexpectedFailures: string[] = [];
  const unexpectedPasses: string[] = [];
  const unexplained: string[] = [];
  const stale: string[] = [];
  const present = new Set(run.names);
  for (const [name, err] of run.failures) {
    if (!(name in expected)) unexpectedFailures.push(`  ${JSON.stringify(name)}\n      ${err}`);
  }
  for (const [name, reason] of Object.entries(expected)) {
    if (!present.has(name)) stale.push(`  ${JSON.stringify(name)}`);
    else if (!run.failures.has(name)) unexpectedPasses.push(`  ${JSON.stringify(name)}`);
    if (typeof reason !== 'string' || reason.trim() === '') unexplained.push(`  ${JSON.stringify(name)}`);
  }
  const parts: string[] = [];
  if (unexpectedFailures.length) parts.push(`${unexpectedFailures.length} unexpected failure(s):\n${unexpectedFailures.join('\n')}`);
  if (unexpectedPasses.length) {
    parts.push(`${unexpectedPasses.length} unexpected pass(es) (remove them from ${path.relative(repoRoot, file)}):\n${unexpectedPasses.join('\n')}`);
  }
  if (stale.length) parts.push(`${stale.length} expected failure(s) name no test that ran:\n${stale.join('\n')}`);
  if (unexplained.length) parts.push(`${unexplained.length} expected failure(s) without a written reason:\n${unexplained.join('\n')}`);
  if (parts.length) {
    throw new assert.AssertionError({
      message: `WPT ${area}: ${run.passed}/${run.total} passed; the expectations do not match.\n${parts.join('\n')}\n` +
        `Rerun with WPT_UPDATE=1 to rewrite ${path.relative(repoRoot, file)}, then write a reason for each new failure.`,
    });
  }
  return `${area}: ${run.passed}/${run.total} passed`;
}
