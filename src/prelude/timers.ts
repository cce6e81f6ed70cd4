// setTimeout / setInterval / clearTimeout / clearInterval (HTML timers, as Workers has
// them). The timer table lives here; the host only sleeps (`timer_sleep`), so a timer
// costs one op and its callback runs as a task owned by the invocation that set it.

import { dropOp, hostAsyncWithId, hostSync, reserveOpId } from './internal/bridge.ts';
import { reportError } from './internal/report-error.ts';
import { MapCtor, PromisePrototypeThen, ReflectApply } from './internal/primordials.ts';

interface Timer {
  opId: number;
  repeat: boolean;
  delay: number;
  callback: (...args: unknown[]) => void;
  args: unknown[];
}

const timers = new MapCtor<number, Timer>();
let nextTimerId = 1;

function arm(id: number, t: Timer): void {
  const opId = reserveOpId();
  t.opId = opId;
  PromisePrototypeThen(hostAsyncWithId(opId, 'timer_sleep', t.delay), () => {
    if (timers.get(id) !== t || t.opId !== opId) return;
    if (!t.repeat) timers.delete(id);
    try {
      ReflectApply(t.callback, globalThis, t.args);
    } catch (err) {
      reportError(err);
    }
    if (t.repeat && timers.get(id) === t) arm(id, t);
  }, (err) => {
    // The host refused the sleep (a timer set in the global scope): say so in the log
    // rather than never firing without a word.
    timers.delete(id);
    reportError(err);
  });
}

function start(callback: unknown, delay: unknown, args: unknown[], repeat: boolean): number {
  if (typeof callback !== 'function') {
    throw new TypeError(`Failed to execute '${repeat ? 'setInterval' : 'setTimeout'}': parameter 1 is not of type 'Function'. (Strings are not evaluated.)`);
  }
  let ms = Number(delay);
  if (!(ms > 0)) ms = 0;
  if (ms > 2147483647) ms = 2147483647;
  const id = nextTimerId++;
  const t: Timer = { opId: 0, repeat, delay: ms, callback: callback as Timer['callback'], args };
  timers.set(id, t);
  arm(id, t);
  return id;
}

function clear(id: unknown): void {
  const key = Number(id);
  const t = timers.get(key);
  if (!t) return;
  timers.delete(key);
  dropOp(t.opId);
  hostSync('timer_cancel', t.opId);
}

export function setTimeout(callback: unknown, delay?: unknown, ...args: unknown[]): number {
  return start(callback, delay, args, false);
}

export function setInterval(callback: unknown, delay?: unknown, ...args: unknown[]): number {
  return start(callback, delay, args, true);
}

export function clearTimeout(id?: unknown): void {
  clear(id);
}

export function clearInterval(id?: unknown): void {
  clear(id);
}
