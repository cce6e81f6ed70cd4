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
  passive: boolean;
  removed: boolean;
}

// abort.ts registers AbortSignal's brand check here (it imports this file, not the reverse).
let isAbortSignal: (v: unknown) => boolean = () => false;
export function registerAbortSignalBrand(check: (v: unknown) => boolean): void {
  isAbortSignal = check;
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

// https://dom.spec.whatwg.org/#event-flatten-more
function flatten(options: boolean | AddEventListenerOptions | undefined): { capture: boolean; once: boolean; passive: boolean; signal?: AddEventListenerOptions['signal'] } {
  if (options === null || options === undefined || (typeof options !== 'object' && typeof options !== 'function')) {
    return { capture: !!options, once: false, passive: false };
  }
  const signal = options.signal;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': Failed to read the 'signal' property from 'AddEventListenerOptions': Failed to convert value to 'AbortSignal'.");
  }
  return { capture: !!options.capture, once: !!options.once, passive: !!options.passive, signal };
}

function checkCallback(method: string, callback: unknown, argc: number): void {
  if (argc < 2) throw new TypeError(`Failed to execute '${method}' on 'EventTarget': 2 arguments required, but only ${argc} present.`);
  if (callback !== null && callback !== undefined && typeof callback !== 'object' && typeof callback !== 'function') {
    throw new TypeError(`Failed to execute '${method}' on 'EventTarget': parameter 2 is not of type 'EventListener'.`);
  }
}

export class EventTarget {
  constructor() {
    listenersOf.set(this, new Map());
  }

  addEventListener(type: string, callback: Listener | null, options?: boolean | AddEventListenerOptions): void {
    checkCallback('addEventListener', callback, arguments.length);
    const { capture, once, passive, signal } = flatten(options);
    if (callback === null || callback === undefined) return;
    if (signal?.aborted) return;
    const key = String(type);
    const m = listeners(this);
    const list = m.get(key) ?? [];
    if (list.some((e) => e.callback === callback && e.capture === capture)) return;
    const entry: Entry = { callback, capture, once, passive, removed: false };
    list.push(entry);
    m.set(key, list);
    signal?.addEventListener('abort', () => this.removeEventListener(key, callback, { capture }));
  }

  removeEventListener(type: string, callback: Listener | null, options?: boolean | AddEventListenerOptions): void {
    checkCallback('removeEventListener', callback, arguments.length);
    const capture = typeof options === 'object' && options !== null ? !!options.capture : !!options;
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
      s.inPassiveListener = entry.passive;
      try {
        const cb = entry.callback;
        if (typeof cb === 'function') Reflect.apply(cb, this, [event]);
        else Reflect.apply(cb.handleEvent, cb, [event]);
      } catch (err) {
        reportError(err);
      }
      s.inPassiveListener = false;
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
