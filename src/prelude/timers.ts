// setTimeout / setInterval / clearTimeout / clearInterval (HTML timers, as Workers has
// them). The timer table lives here; the host only sleeps (`timer_sleep`), so a timer
// costs one op and its callback runs as a task owned by the invocation that set it.
// Each sleep is its own host timer, so wake-ups can arrive out of order on a busy host;
// a wake-up therefore fires every timer due by then, earliest deadline first (HTML's
// "wait until any invocations of this algorithm that had the same method context, that
// started before this one, and whose timeout is equal to or less than this one's, have
// completed").

import { dropOp, hostAsyncWithId, hostSync, reserveOpId } from './internal/bridge.ts';
import { reportError } from './internal/report-error.ts';
import { MapCtor, PromisePrototypeThen, ReflectApply } from './internal/primordials.ts';

interface Timer {
  id: number;
  opId: number;
  /** Date.now() at which it is due; ties keep the order timers were set in (by id). */
  deadline: number;
  repeat: boolean;
  delay: number;
  callback: (...args: unknown[]) => void;
  args: unknown[];
}

const timers = new MapCtor<number, Timer>();
let nextTimerId = 1;

function fire(t: Timer): void {
  if (!t.repeat) timers.delete(t.id);
  try {
    ReflectApply(t.callback, globalThis, t.args);
  } catch (err) {
    reportError(err);
  }
  if (t.repeat && timers.get(t.id) === t) arm(t.id, t);
}

// Fires `woken` and every timer due no later than it, in deadline order. Timers fired
// early here drop their own pending sleeps.
function wake(woken: Timer): void {
  const due: Timer[] = [];
  for (const t of timers.values()) if (t.deadline <= woken.deadline) due.push(t);
  due.sort((a, b) => a.deadline - b.deadline || a.id - b.id);
  for (const t of due) {
    if (timers.get(t.id) !== t) continue; // cleared by a callback that ran before it
    if (t !== woken) {
      dropOp(t.opId);
      hostSync('timer_cancel', t.opId);
    }
    fire(t);
  }
}

function arm(id: number, t: Timer): void {
  const opId = reserveOpId();
  t.opId = opId;
  t.deadline = Date.now() + t.delay;
  PromisePrototypeThen(hostAsyncWithId(opId, 'timer_sleep', t.delay), () => {
    if (timers.get(id) !== t || t.opId !== opId) return;
    wake(t);
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
  const t: Timer = { id, opId: 0, deadline: 0, repeat, delay: ms, callback: callback as Timer['callback'], args };
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
