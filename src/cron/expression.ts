// Cron expressions as Workers' cron triggers take them: five fields (minute, hour, day of
// month, month, day of week), UTC, with the Quartz-like extensions Cloudflare documents
// (https://developers.cloudflare.com/workers/configuration/cron-triggers/): L and W in
// the day of month, L and # in the day of week, and weekdays 1-7 counted from Sunday
// (`0 17 * * 1` is 5 PM on Sunday). A config written for Workers fires at the same times.
//
// Each field is checked here first, so an error names the expression, the field and the
// fix; croner (a well-kept parser) then computes the times.

import { Cron } from 'croner';
import { UserError } from '../runtime/errors.ts';

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Extensions allowed in this field, as a pattern for one list item. */
  extra?: RegExp;
  example: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59, example: '0-59, e.g. */15' },
  { name: 'hour', min: 0, max: 23, example: '0-23, e.g. 9-17' },
  { name: 'day of month', min: 1, max: 31, extra: /^(L|LW|\d{1,2}W)$/, example: '1-31, L or W, e.g. 1,15' },
  { name: 'month', min: 1, max: 12, names: MONTHS, example: '1-12 or JAN-DEC, e.g. */3' },
  // 1 = Sunday, as on Workers; `6L` is the last Friday, `MON#2` the second Monday.
  { name: 'day of week', min: 1, max: 7, names: WEEKDAYS, extra: /^([1-7]|[A-Z]{3})(L|#[1-5])$|^L$/, example: '1-7 (1 is Sunday) or SUN-SAT, e.g. MON-FRI' },
];

export class CronError extends UserError {
  constructor(message: string) {
    super(message, 'invalid_cron');
  }
}

// One value of a field: a number in range or, where the field has them, a name.
function value(rule: FieldRule, text: string, expr: string): number {
  const upper = text.toUpperCase();
  const named = rule.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + rule.min;
  if (!/^\d{1,2}$/.test(text)) {
    throw new CronError(`cron "${expr}": the ${rule.name} field has "${text}", which is not a number${rule.names ? ' or a name' : ''}; use ${rule.example}`);
  }
  const n = Number(text);
  if (n < rule.min || n > rule.max) throw new CronError(`cron "${expr}": the ${rule.name} field has ${n}, out of range; use ${rule.example}`);
  return n;
}

function checkField(rule: FieldRule, field: string, expr: string): void {
  for (const item of field.split(',')) {
    if (item === '') throw new CronError(`cron "${expr}": the ${rule.name} field "${field}" has an empty list item; separate values with single commas`);
    if (rule.extra?.test(item.toUpperCase())) continue;
    const [range, step, more] = item.split('/');
    if (more !== undefined) throw new CronError(`cron "${expr}": the ${rule.name} field has "${item}", with more than one "/"; write a step once, e.g. */5`);
    if (step !== undefined && (!/^\d{1,2}$/.test(step) || Number(step) === 0 || Number(step) > rule.max)) {
      throw new CronError(`cron "${expr}": the ${rule.name} field has the step "/${step}"; a step is a whole number from 1 to ${rule.max}`);
    }
    if (range === '*') continue;
    const [from, to, extra] = range!.split('-');
    if (extra !== undefined) throw new CronError(`cron "${expr}": the ${rule.name} field has "${range}", which is not a range; write a range as FROM-TO`);
    const a = value(rule, from!, expr);
    if (to !== undefined && value(rule, to, expr) < a) {
      throw new CronError(`cron "${expr}": the ${rule.name} field has the range "${range}", which runs backwards; write it from the smaller value`);
    }
  }
}

/** A parsed cron expression: when it is due, and its next time. */
export class CronSchedule {
  readonly expression: string;
  readonly #cron: Cron;

  constructor(expression: string) {
    this.expression = expression;
    this.#cron = new Cron(expression, { timezone: 'UTC', mode: '5-part', alternativeWeekdays: true, paused: true });
  }

  /** Whether the expression fires in the minute that holds `time` (ms since the epoch). */
  matchesMinute(time: number): boolean {
    const minute = Math.floor(time / 60_000) * 60_000;
    // The first run strictly after the minute's previous millisecond is the minute itself.
    return this.#cron.nextRun(new Date(minute - 1))?.getTime() === minute;
  }

  /** The first time after `time` at which the expression fires, or null if it never does. */
  next(time: number): number | null {
    return this.#cron.nextRun(new Date(time))?.getTime() ?? null;
  }
}

/** Parses a cron expression, or throws a CronError that names the expression and the field. */
export function parseCron(expression: unknown): CronSchedule {
  if (typeof expression !== 'string') throw new CronError(`a cron expression must be a string such as "*/5 * * * *", not ${JSON.stringify(expression) ?? String(expression)}`);
  const expr = expression.trim();
  if (expr.length > 200) throw new CronError(`cron "${expr.slice(0, 40)}...": is ${expr.length} characters long; a cron expression has five short fields`);
  const fields = expr === '' ? [] : expr.split(/\s+/);
  if (fields.length !== FIELDS.length) {
    throw new CronError(`cron "${expr}": has ${fields.length} field${fields.length === 1 ? '' : 's'}; write five: minute hour day-of-month month day-of-week, e.g. "*/5 * * * *"`);
  }
  fields.forEach((f, i) => checkField(FIELDS[i]!, f, expr));
  let schedule: CronSchedule;
  try {
    schedule = new CronSchedule(expr);
  } catch (err) {
    // What the field checks above let through and croner still refuses.
    throw new CronError(`cron "${expr}": ${(err as Error).message.replace(/^CronPattern: /, '')}`);
  }
  // Fields that are each valid can still name a day that never comes (`31 FEB`).
  if (schedule.next(Date.UTC(2000, 0, 1)) === null) {
    throw new CronError(`cron "${expr}": never fires (the day of month and month fields name no real date); check those two fields`);
  }
  return schedule;
}
