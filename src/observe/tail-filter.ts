// Which events a tail wants, from its query string, in the shape `wrangler tail` knows:
// status (ok, error, canceled), method, search (text in the URL, console lines and
// exceptions), sampling_rate (the share of matching events sent, 0 to 1). Values of
// status and method may repeat or be comma-separated; an unknown parameter is refused,
// so a typo does not silently widen the stream.

import { UserError } from '../runtime/errors.ts';
import { isError, type InvocationEvent } from './event.ts';

export interface TailFilter {
  status: Set<'ok' | 'error' | 'canceled'> | null;
  methods: Set<string> | null;
  search: string | null;
  samplingRate: number;
}

const PARAMS = ['status', 'method', 'search', 'sampling_rate'];
const STATUSES = ['ok', 'error', 'canceled'] as const;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/;
const MAX_SEARCH = 200;

const bad = (message: string) => new UserError(`tail filter: ${message}`, 'invalid_filter');

function values(params: URLSearchParams, name: string): string[] | null {
  const all = params.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim());
  if (all.length === 0) return null;
  if (all.some((v) => v === '')) throw bad(`"${name}" has an empty value; give one, or leave "${name}" out`);
  return all;
}

/** Reads a filter from a tail request's query parameters; throws a UserError naming the bad one. */
export function parseTailFilter(params: URLSearchParams): TailFilter {
  for (const name of params.keys()) {
    if (!PARAMS.includes(name)) throw bad(`unknown parameter "${name.slice(0, 40)}"; use ${PARAMS.join(', ')}`);
  }
  const status = values(params, 'status');
  for (const s of status ?? []) {
    if (!(STATUSES as readonly string[]).includes(s)) throw bad(`status "${s.slice(0, 40)}" is unknown; use ${STATUSES.join(', ')}`);
  }
  const methods = values(params, 'method');
  for (const m of methods ?? []) {
    if (!METHOD.test(m)) throw bad(`method "${m.slice(0, 40)}" is not an HTTP method; use e.g. GET or POST`);
  }
  const search = params.get('search');
  if (search !== null && (search === '' || search.length > MAX_SEARCH)) throw bad(`search must be 1 to ${MAX_SEARCH} characters`);
  const rate = params.get('sampling_rate');
  let samplingRate = 1;
  if (rate !== null) {
    samplingRate = /^\s*$/.test(rate) ? NaN : Number(rate);
    if (!(samplingRate > 0 && samplingRate <= 1)) throw bad(`sampling_rate "${rate.slice(0, 40)}" must be a number above 0 and at most 1, e.g. 0.1`);
  }
  return {
    status: status && new Set(status as (typeof STATUSES)[number][]),
    methods: methods && new Set(methods.map((m) => m.toUpperCase())),
    search: search?.toLowerCase() ?? null,
    samplingRate,
  };
}

function statusOf(event: InvocationEvent): 'ok' | 'error' | 'canceled' {
  if (event.outcome === 'canceled') return 'canceled';
  return isError(event) ? 'error' : 'ok';
}

function mentions(event: InvocationEvent, text: string): boolean {
  const has = (s: string | undefined | null) => s?.toLowerCase().includes(text) ?? false;
  return has(event.request?.url) || has(event.scheduled?.cron)
    || event.logs.some((l) => has(l.message))
    || event.exceptions.some((e) => has(e.message) || has(e.stack));
}

/** Whether a tail with this filter gets the event (sampling draws with `random`). */
export function tailWants(filter: TailFilter, event: InvocationEvent, random = Math.random): boolean {
  if (filter.status && !filter.status.has(statusOf(event))) return false;
  // A cron run has no method: a method filter asks for requests only.
  if (filter.methods && !(event.request && filter.methods.has(event.request.method.toUpperCase()))) return false;
  if (filter.search !== null && !mentions(event, filter.search)) return false;
  return filter.samplingRate >= 1 || random() < filter.samplingRate;
}
