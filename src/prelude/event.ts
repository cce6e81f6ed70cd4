// Event: https://dom.spec.whatwg.org/#interface-event

const NONE = 0, CAPTURING_PHASE = 1, AT_TARGET = 2, BUBBLING_PHASE = 3;

export interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

interface EventState {
  type: string;
  bubbles: boolean;
  cancelable: boolean;
  composed: boolean;
  target: unknown;
  currentTarget: unknown;
  phase: number;
  canceled: boolean;
  stop: boolean;
  stopImmediate: boolean;
  dispatching: boolean;
  /** https://dom.spec.whatwg.org/#in-passive-listener-flag */
  inPassiveListener: boolean;
  timeStamp: number;
}

const stateOf = new WeakMap<Event, EventState>();

export function eventState(e: Event): EventState {
  const s = stateOf.get(e);
  if (!s) throw new TypeError('Illegal invocation');
  return s;
}

export class Event {
  static readonly NONE = NONE;
  static readonly CAPTURING_PHASE = CAPTURING_PHASE;
  static readonly AT_TARGET = AT_TARGET;
  static readonly BUBBLING_PHASE = BUBBLING_PHASE;

  constructor(type: string, init?: EventInit | null) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
    // WebIDL: a DOMString (a Symbol throws) and a dictionary (undefined, null or an object).
    const name = `${type}`;
    if (init !== undefined && init !== null && typeof init !== 'object' && typeof init !== 'function') {
      throw new TypeError("Failed to construct 'Event': The provided value is not of type 'EventInit'.");
    }
    init ??= {};
    stateOf.set(this, {
      type: name,
      bubbles: !!init?.bubbles,
      cancelable: !!init?.cancelable,
      composed: !!init?.composed,
      target: null,
      currentTarget: null,
      phase: NONE,
      canceled: false,
      stop: false,
      stopImmediate: false,
      dispatching: false,
      inPassiveListener: false,
      timeStamp: Date.now(),
    });
  }

  get type(): string { return eventState(this).type; }
  get target(): unknown { return eventState(this).target; }
  get srcElement(): unknown { return eventState(this).target; }
  get currentTarget(): unknown { return eventState(this).currentTarget; }
  get eventPhase(): number { return eventState(this).phase; }
  get bubbles(): boolean { return eventState(this).bubbles; }
  get cancelable(): boolean { return eventState(this).cancelable; }
  get composed(): boolean { return eventState(this).composed; }
  get defaultPrevented(): boolean { return eventState(this).canceled; }
  get returnValue(): boolean { return !eventState(this).canceled; }
  get isTrusted(): boolean { return false; }
  get timeStamp(): number { return eventState(this).timeStamp; }
  get cancelBubble(): boolean { return eventState(this).stop; }
  set cancelBubble(v: boolean) { if (v) eventState(this).stop = true; }

  composedPath(): unknown[] {
    const s = eventState(this);
    return s.dispatching && s.currentTarget ? [s.currentTarget] : [];
  }
  preventDefault(): void {
    const s = eventState(this);
    if (s.cancelable && !s.inPassiveListener) s.canceled = true;
  }
  stopPropagation(): void { eventState(this).stop = true; }
  stopImmediatePropagation(): void {
    const s = eventState(this);
    s.stop = true;
    s.stopImmediate = true;
  }
  get [Symbol.toStringTag](): string { return 'Event'; }
}

for (const [name, value] of [['NONE', NONE], ['CAPTURING_PHASE', CAPTURING_PHASE], ['AT_TARGET', AT_TARGET], ['BUBBLING_PHASE', BUBBLING_PHASE]] as const) {
  Object.defineProperty(Event.prototype, name, { value, enumerable: true });
}
