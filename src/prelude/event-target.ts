// EventTarget: https://dom.spec.whatwg.org/#interface-eventtarget
// Targets here have no parents, so dispatch is only the "at target" phase.

import { Event, eventState } from './event.ts';
import { reportError } from './internal/report-error.ts';
import { DOMException } from './dom-exception.ts';

type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

interface Entry {
  callback: Listener;
  capture: boolean;
  once: boolean;
  removed: boolean;
}

export interface AddEventListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: { aborted: boolean; addEventListener(type: string, fn: () => void): void };
}

const listenersOf = new WeakMap<EventTarget, Map<string, Entry[]>>();

function listeners(t: EventTarget): Map<string, Entry[]> {
  let m = listenersOf.get(t);
  if (!m) {
    m = new Map();
    listenersOf.set(t, m);
  }
  return m;
}

function flatten(options: boolean | AddEventListenerOptions | undefined): { capture: boolean; once: boolean; signal?: AddEventListenerOptions['signal'] } {
  if (typeof options === 'boolean') return { capture: options, once: false };
  if (options === null || options === undefined) return { capture: false, once: false };
  return { capture: !!options.capture, once: !!options.once, signal: options.signal };
}

export class EventTarget {
  constructor() {
    listenersOf.set(this, new Map());
  }

  addEventListener(type: string, callback: Listener | null, options?: boolean | AddEventListenerOptions): void {
    if (callback === null || callback === undefined) return;
    const { capture, once, signal } = flatten(options);
    if (signal?.aborted) return;
    const key = String(type);
    const m = listeners(this);
    const list = m.get(key) ?? [];
    if (list.some((e) => e.callback === callback && e.capture === capture)) return;
    const entry: Entry = { callback, capture, once, removed: false };
    list.push(entry);
    m.set(key, list);
    signal?.addEventListener('abort', () => this.removeEventListener(key, callback, { capture }));
  }

  removeEventListener(type: string, callback: Listener | null, options?: boolean | AddEventListenerOptions): void {
    const { capture } = flatten(options);
    const m = listeners(this);
    const list = m.get(String(type));
    if (!list) return;
    const idx = list.findIndex((e) => e.callback === callback && e.capture === capture);
    if (idx === -1) return;
    list[idx].removed = true;
    list.splice(idx, 1);
  }

  dispatchEvent(event: Event): boolean {
    if (!(event instanceof Event)) throw new TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.");
    const s = eventState(event);
    if (s.dispatching) throw new DOMException('The event is already being dispatched.', 'InvalidStateError');
    s.dispatching = true;
    s.target = this;
    s.currentTarget = this;
    s.phase = Event.AT_TARGET;
    const list = [...(listeners(this).get(s.type) ?? [])];
    for (const entry of list) {
      if (entry.removed) continue;
      if (entry.once) this.removeEventListener(s.type, entry.callback, { capture: entry.capture });
      try {
        const cb = entry.callback;
        if (typeof cb === 'function') Reflect.apply(cb, this, [event]);
        else Reflect.apply(cb.handleEvent, cb, [event]);
      } catch (err) {
        reportError(err);
      }
      if (s.stopImmediate) break;
    }
    s.dispatching = false;
    s.currentTarget = null;
    s.phase = Event.NONE;
    s.stop = false;
    s.stopImmediate = false;
    return !s.canceled;
  }

  get [Symbol.toStringTag](): string { return 'EventTarget'; }
}

/** Listener count for a type: the global scope uses it to find fetch/scheduled handlers. */
export function listenerCount(t: EventTarget, type: string): number {
  return listeners(t).get(type)?.length ?? 0;
}
