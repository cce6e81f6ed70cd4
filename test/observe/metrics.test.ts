// The metrics registry's text output, checked against the exposition format's rules
// with values a scraper would choke on if they were written raw.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InvocationEvent } from '../../src/observe/event.ts';
import { MetricsRegistry } from '../../src/observe/metrics.ts';
import { parseTailFilter, tailWants } from '../../src/observe/tail-filter.ts';

function event(over: Partial<InvocationEvent>): InvocationEvent {
  return {
    time: '2026-11-27T10:00:00.000Z', location: 'TST', account: 'acc_1', worker: 'w', version: 'ver_1', trigger: 'fetch',
    request: { method: 'GET', url: 'http://x.test/', status: 200 }, logs: [], exceptions: [], cpuMs: 3, wallMs: 20, outcome: 'ok', ...over,
  };
}

test('MetricsRegistry: prometheus: label values escape backslash, double quote and newline', () => {
  const m = new MetricsRegistry();
  m.record(event({ location: 'a"b\\c\nd' }));
  const text = m.prometheus();
  assert.ok(text.includes('atoll_worker_requests_total{account="acc_1",worker="w",location="a\\"b\\\\c\\nd",trigger="fetch"} 1\n'), text);
  // No raw newline inside any sample line: each line is one sample or one comment.
  for (const line of text.trimEnd().split('\n')) assert.match(line, /^(# (HELP|TYPE) |atoll_)/, line);
});

test('MetricsRegistry: prometheus: a 5xx answered with outcome ok counts as an error (http_5xx); buckets hold each value once', () => {
  const m = new MetricsRegistry();
  m.record(event({ request: { method: 'GET', url: 'http://x.test/', status: 502 }, cpuMs: 0.5, wallMs: 7 }));
  m.record(event({ outcome: 'exceededCpu', cpuMs: 51, wallMs: 60 }));
  m.record(event({ trigger: 'scheduled', request: undefined, scheduled: { cron: '* * * * *', scheduledTime: '2026-11-27T10:00:00.000Z' }, cpuMs: 2000, wallMs: 40_000 }));
  const text = m.prometheus();
  const id = 'account="acc_1",worker="w",location="TST"';
  assert.ok(text.includes(`atoll_worker_errors_total{${id},trigger="fetch",outcome="http_5xx"} 1\n`));
  assert.ok(text.includes(`atoll_worker_errors_total{${id},trigger="fetch",outcome="exceededCpu"} 1\n`));
  assert.ok(text.includes(`atoll_worker_requests_total{${id},trigger="scheduled"} 1\n`));
  // 0.5 ms falls in le=0.001; 51 ms in le=0.1; 2 s only in +Inf.
  assert.ok(text.includes(`atoll_worker_cpu_seconds_bucket{${id},le="0.001"} 1\n`));
  assert.ok(text.includes(`atoll_worker_cpu_seconds_bucket{${id},le="0.05"} 1\n`));
  assert.ok(text.includes(`atoll_worker_cpu_seconds_bucket{${id},le="0.1"} 2\n`));
  assert.ok(text.includes(`atoll_worker_cpu_seconds_bucket{${id},le="1"} 2\n`));
  assert.ok(text.includes(`atoll_worker_cpu_seconds_bucket{${id},le="+Inf"} 3\n`));
  assert.ok(text.includes(`atoll_worker_cpu_seconds_sum{${id}} 2.0515\n`));
  assert.ok(text.includes(`atoll_worker_wall_seconds_bucket{${id},le="30"} 2\n`));
  assert.deepEqual(m.summary('acc_1'), [{
    worker: 'w', location: 'TST', requests: 2, scheduled_runs: 1, errors: 2,
    errors_by_outcome: { http_5xx: 1, exceededCpu: 1 }, cpu_ms: { sum: 2051.5, avg: 683.83 }, wall_ms: { sum: 40067, avg: 13355.67 },
  }]);
  m.forget('acc_1', 'w');
  assert.deepEqual(m.summary('acc_1'), []);
});

test('Tail filter: tailWants: a method filter asks for requests only; search finds a cron expression', () => {
  const cron = event({ trigger: 'scheduled', request: undefined, scheduled: { cron: '*/5 * * * *', scheduledTime: '2026-11-27T10:00:00.000Z' } });
  assert.equal(tailWants(parseTailFilter(new URLSearchParams('method=GET')), cron), false);
  assert.equal(tailWants(parseTailFilter(new URLSearchParams('search=*/5')), cron), true);
  assert.equal(tailWants(parseTailFilter(new URLSearchParams('status=canceled')), event({ outcome: 'canceled' })), true);
  assert.equal(tailWants(parseTailFilter(new URLSearchParams('status=error')), event({ outcome: 'canceled' })), false);
  assert.equal(tailWants(parseTailFilter(new URLSearchParams('status=ok&status=error&method=get,post')), event({})), true);
});
