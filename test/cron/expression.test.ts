import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronError, parseCron } from '../../src/cron/expression.ts';

const at = (iso: string) => Date.parse(iso);
const next = (expr: string, from: string) => {
  const t = parseCron(expr).next(at(from));
  return t === null ? null : new Date(t).toISOString();
};

// 2026-11-27 is a Friday.
test('parseCron: next: standard fields fire at the UTC times they name', () => {
  assert.equal(next('*/15 * * * *', '2026-11-27T10:07:30Z'), '2026-11-27T10:15:00.000Z');
  assert.equal(next('0 9-17 * * *', '2026-11-27T17:30:00Z'), '2026-11-28T09:00:00.000Z');
  assert.equal(next('30 2 1 */3 *', '2026-11-27T00:00:00Z'), '2027-01-01T02:30:00.000Z');
  assert.equal(next('0 0 1 jan *', '2026-11-27T00:00:00Z'), '2027-01-01T00:00:00.000Z');
});

test('parseCron: next: weekdays count from Sunday = 1, as on Workers', () => {
  assert.equal(next('0 17 * * 1', '2026-11-27T00:00:00Z'), '2026-11-29T17:00:00.000Z');
  assert.equal(next('0 17 * * sun', '2026-11-27T00:00:00Z'), '2026-11-29T17:00:00.000Z');
  assert.equal(next('10 7 * * 2-6', '2026-11-28T00:00:00Z'), '2026-11-30T07:10:00.000Z');
  assert.equal(next('10 7 * * MON-FRI', '2026-11-28T00:00:00Z'), '2026-11-30T07:10:00.000Z');
  assert.equal(next('0 12 * * 7', '2026-11-27T00:00:00Z'), '2026-11-28T12:00:00.000Z');
});

test('parseCron: next: Quartz extensions L, W and # work as Workers documents them', () => {
  assert.equal(next('0 18 * * 6L', '2026-11-01T00:00:00Z'), '2026-11-27T18:00:00.000Z');
  assert.equal(next('59 23 LW * *', '2026-11-01T00:00:00Z'), '2026-11-30T23:59:00.000Z');
  assert.equal(next('0 10 * * MON#2', '2026-11-27T00:00:00Z'), '2026-12-14T10:00:00.000Z');
});

test('parseCron: matchesMinute: true anywhere in a due minute, false outside it', () => {
  const c = parseCron('5 * * * *');
  assert.equal(c.matchesMinute(at('2026-11-27T10:05:00Z')), true);
  assert.equal(c.matchesMinute(at('2026-11-27T10:05:59.999Z')), true);
  assert.equal(c.matchesMinute(at('2026-11-27T10:06:00Z')), false);
  assert.equal(c.matchesMinute(at('2026-11-27T10:04:59.999Z')), false);
});

test('parseCron: bad input: every error names the expression and the field', () => {
  const cases: [unknown, RegExp][] = [
    ['61 * * * *', /cron "61 \* \* \* \*": the minute field has 61, out of range; use 0-59/],
    ['* 24 * * *', /the hour field has 24, out of range/],
    ['* * 0 * *', /the day of month field has 0, out of range; use 1-31/],
    ['* * * 13 *', /the month field has 13, out of range; use 1-12 or JAN-DEC/],
    ['* * * * 0', /the day of week field has 0, out of range; use 1-7 \(1 is Sunday\)/],
    ['* * * * 8', /the day of week field has 8/],
    ['* * * * funday', /the day of week field has "FUNDAY"|the day of week field has "funday"/],
    ['*/0 * * * *', /the minute field has the step "\/0"/],
    ['5-1 * * * *', /the minute field has the range "5-1", which runs backwards/],
    ['1,,2 * * * *', /the minute field "1,,2" has an empty list item/],
    ['* * * *', /has 4 fields; write five/],
    ['* * * * * *', /has 6 fields; write five/],
    ['', /has 0 fields/],
    ['@daily', /has 1 field; write five/],
    [42, /must be a string such as "\*\/5 \* \* \* \*"/],
    ['* * 31 feb *', /cron "\* \* 31 feb \*"/],
  ];
  for (const [expr, message] of cases) {
    assert.throws(() => parseCron(expr), (err: unknown) => {
      assert.ok(err instanceof CronError, `${String(expr)}: not a CronError: ${String(err)}`);
      assert.equal(err.code, 'invalid_cron');
      assert.match(err.message, message);
      return true;
    }, `${String(expr)} was accepted`);
  }
});
