// structuredClone: https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone
// StructuredSerializeInternal and StructuredDeserialize fused into one walk: each value
// is read once and its copy built at once, with the same memory map (so cycles and
// shared references survive) and the same DataCloneErrors. The types are the ones V8's
// serializer handles on Workers: primitives, wrapper objects, Date, RegExp, ArrayBuffer
// and its views, Map, Set, Error types, DOMException, arrays and ordinary objects.
// Platform objects (Request, Headers, CryptoKey, ...), functions, symbols, promises and
// weak collections are not cloneable. Only ArrayBuffers can be transferred.

import { DOMException, isDOMException } from './dom-exception.ts';
import { MapCtor, ObjectDefineProperty, ObjectKeys, ReflectApply, SetCtor, TypeErrorCtor } from './internal/primordials.ts';

const call = <T>(fn: unknown, self: unknown, ...args: unknown[]): T => ReflectApply(fn as (...a: unknown[]) => T, self, args);
// The memory map is used for every object: uncurried, without an argument array per call.
const uncurry = <A extends unknown[], R>(fn: (...args: A) => R) => Function.prototype.call.bind(fn) as unknown as (self: unknown, ...args: A) => R;
const getter = (proto: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(proto, key)!.get!;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;

// Brand checks and reads through captured built-ins: they see internal slots, never
// properties a tenant could have redefined.
const typedArrayTag = getter(TypedArrayPrototype, Symbol.toStringTag);
const typedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const typedArrayOffset = getter(TypedArrayPrototype, 'byteOffset');
const typedArrayLength = getter(TypedArrayPrototype, 'length');
const dataViewBuffer = getter(DataView.prototype, 'buffer');
const dataViewOffset = getter(DataView.prototype, 'byteOffset');
const dataViewLength = getter(DataView.prototype, 'byteLength');
const arrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
const arrayBufferResizable = getter(ArrayBuffer.prototype, 'resizable');
const arrayBufferMaxByteLength = getter(ArrayBuffer.prototype, 'maxByteLength');
const arrayBufferDetached = getter(ArrayBuffer.prototype, 'detached');
const arrayBufferSlice = ArrayBuffer.prototype.slice;
const arrayBufferTransfer = ArrayBuffer.prototype.transfer;
const mapSize = getter(Map.prototype, 'size');
const setSize = getter(Set.prototype, 'size');
const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const mapIteratorNext = Object.getPrototypeOf(new Map().entries()).next;
const setIteratorNext = Object.getPrototypeOf(new Set().values()).next;
const mapSet = Map.prototype.set;
const memoryHas = uncurry(Map.prototype.has as (key: unknown) => boolean);
const memoryGet = uncurry(Map.prototype.get as (key: unknown) => unknown);
const memorySet = uncurry(Map.prototype.set as (key: unknown, value: unknown) => Map<unknown, unknown>);
const setAdd = Set.prototype.add;
const setHas = Set.prototype.has;
const regExpSource = getter(RegExp.prototype, 'source');
const regExpFlags = getter(RegExp.prototype, 'flags');
const dateGetTime = Date.prototype.getTime;
const booleanValueOf = Boolean.prototype.valueOf;
const numberValueOf = Number.prototype.valueOf;
const stringValueOf = String.prototype.valueOf;
const bigintValueOf = BigInt.prototype.valueOf;
const objectToString = Object.prototype.toString;
const ObjectCtor = Object;
const ArrayCtor = Array;
const ArrayIsArrayFn = Array.isArray;
const ErrorIsError = (Error as unknown as { isError?: (v: unknown) => boolean }).isError;
const objectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectHasOwn = Object.hasOwn;

const TYPED_ARRAYS: Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => ArrayBufferView> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};
if (typeof (globalThis as Record<string, unknown>).Float16Array === 'function') {
  TYPED_ARRAYS.Float16Array = (globalThis as unknown as Record<string, typeof Uint8Array>).Float16Array;
}
const ERROR_TYPES: Record<string, ErrorConstructor> = {
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
};

// Appends as CreateDataProperty does: `arr[n] = v` would run a setter a tenant put on
// Array.prototype, and so would push().
function append<T>(arr: T[], v: T): void {
  ObjectDefineProperty(arr, arr.length, { value: v, writable: true, enumerable: true, configurable: true });
}

function notCloneable(what: string): DOMException {
  return new DOMException(`${what} could not be cloned.`, 'DataCloneError');
}

// Object.prototype.toString reads Symbol.toStringTag, which may be a throwing getter.
function builtinTag(v: object): string {
  try {
    return call<string>(objectToString, v);
  } catch {
    return '[object Object]';
  }
}

function tryBrand(fn: unknown, v: unknown): boolean {
  try {
    call(fn, v);
    return true;
  } catch {
    return false;
  }
}

class Cloner {
  readonly memory = new MapCtor<object, unknown>();

  clone(value: unknown): unknown {
    // Steps 1-4: primitives are themselves; symbols are not data.
    if (typeof value === 'symbol') throw notCloneable(call<string>(Symbol.prototype.toString, value));
    if (typeof value === 'function') throw notCloneable(`function ${(value as { name?: string }).name || '(anonymous)'}`);
    if (typeof value !== 'object' || value === null) return value;
    // Step 1 (memory): a value seen before becomes the copy made before.
    if (memoryHas(this.memory, value)) return memoryGet(this.memory, value);
    return this.#object(value);
  }

  #remember<T>(value: object, copy: T): T {
    memorySet(this.memory, value, copy);
    return copy;
  }

  // The Object.prototype.toString tag picks the candidate type without throwing (brand
  // checks that fail throw, and a thrown error costs a stack trace: thousands of them
  // made cloning a 100-key object take 60 ms); the brand check then confirms it. An
  // object whose tag lies is cloned as what its slots say, or refused.
  #object(value: object): unknown {
    // Step 18: arrays.
    if (ArrayIsArrayFn(value)) {
      const copy = this.#remember(value, new ArrayCtor((value as unknown[]).length));
      this.#properties(value, copy);
      return copy;
    }
    const kind = builtinTag(value);
    switch (kind) {
      case '[object Object]':
      case '[object Arguments]':
        // Step 25: an ordinary object (platform objects and other slot-holders have their own tags).
        return this.#ordinary(value);
      // Steps 6-12: objects with a primitive inside.
      case '[object Boolean]':
        if (tryBrand(booleanValueOf, value)) return this.#remember(value, new ObjectCtor(call(booleanValueOf, value)));
        break;
      case '[object Number]':
        if (tryBrand(numberValueOf, value)) return this.#remember(value, new ObjectCtor(call(numberValueOf, value)));
        break;
      case '[object BigInt]':
        if (tryBrand(bigintValueOf, value)) return this.#remember(value, ObjectCtor(call(bigintValueOf, value)));
        break;
      case '[object String]':
        if (tryBrand(stringValueOf, value)) return this.#remember(value, new ObjectCtor(call(stringValueOf, value)));
        break;
      case '[object Date]':
        if (tryBrand(dateGetTime, value)) return this.#remember(value, new Date(call<number>(dateGetTime, value)));
        break;
      case '[object RegExp]':
        if (value !== RegExp.prototype && tryBrand(regExpSource, value)) {
          return this.#remember(value, new RegExp(call<string>(regExpSource, value), call<string>(regExpFlags, value)));
        }
        break;
      // Step 13 (a SharedArrayBuffer fails the brand check and is refused below).
      case '[object ArrayBuffer]':
        if (tryBrand(arrayBufferByteLength, value)) return this.#arrayBuffer(value as ArrayBuffer);
        break;
      // Step 14: views.
      case '[object DataView]':
        if (tryBrand(dataViewBuffer, value)) {
          const buffer = this.clone(call(dataViewBuffer, value)) as ArrayBuffer;
          return this.#remember(value, new DataView(buffer, call<number>(dataViewOffset, value), call<number>(dataViewLength, value)));
        }
        break;
      // Steps 15-16: Map and Set; entries are listed first, then cloned.
      case '[object Map]':
        if (tryBrand(mapSize, value)) return this.#map(value as Map<unknown, unknown>);
        break;
      case '[object Set]':
        if (tryBrand(setSize, value)) return this.#set(value as Set<unknown>);
        break;
      // Step 17; DOMException is serializable too (https://webidl.spec.whatwg.org/#idl-DOMException).
      case '[object DOMException]':
        if (isDOMException(value)) return this.#domException(value as DOMException);
        break;
      case '[object Error]':
        if (ErrorIsError === undefined || ErrorIsError(value)) return this.#error(value as Error);
        break;
      default: {
        const typed = call<string | undefined>(typedArrayTag, value);
        if (typed !== undefined && kind === `[object ${typed}]`) {
          const buffer = this.clone(call(typedArrayBuffer, value)) as ArrayBuffer;
          return this.#remember(value, new TYPED_ARRAYS[typed](buffer, call<number>(typedArrayOffset, value), call<number>(typedArrayLength, value)));
        }
      }
    }
    // Steps 19-24: functions, promises, weak collections, generators, platform objects.
    throw notCloneable(kindName(kind));
  }

  #ordinary(value: object): object {
    const copy = this.#remember(value, {});
    this.#properties(value, copy);
    return copy;
  }

  #arrayBuffer(buffer: ArrayBuffer): ArrayBuffer {
    if (call<boolean>(arrayBufferDetached, buffer)) throw notCloneable('An ArrayBuffer is detached and');
    const copy = call<ArrayBuffer>(arrayBufferSlice, buffer, 0);
    if (call<boolean>(arrayBufferResizable, buffer)) {
      // slice() of a resizable buffer is fixed-length; keep the maximum as the spec does.
      const resizable = new ArrayBuffer(call<number>(arrayBufferByteLength, buffer), { maxByteLength: call<number>(arrayBufferMaxByteLength, buffer) });
      new Uint8Array(resizable).set(new Uint8Array(copy));
      return this.#remember(buffer, resizable);
    }
    return this.#remember(buffer, copy);
  }

  #map(value: Map<unknown, unknown>): Map<unknown, unknown> {
    const copy = this.#remember(value, new MapCtor<unknown, unknown>());
    const entries: [unknown, unknown][] = [];
    const it = call<Iterator<[unknown, unknown]>>(mapEntries, value);
    for (let r = call<IteratorResult<[unknown, unknown]>>(mapIteratorNext, it); !r.done; r = call(mapIteratorNext, it)) append(entries, r.value);
    for (let i = 0; i < entries.length; i++) call(mapSet, copy, this.clone(entries[i][0]), this.clone(entries[i][1]));
    return copy;
  }

  #set(value: Set<unknown>): Set<unknown> {
    const copy = this.#remember(value, new SetCtor<unknown>());
    const values: unknown[] = [];
    const it = call<Iterator<unknown>>(setValues, value);
    for (let r = call<IteratorResult<unknown>>(setIteratorNext, it); !r.done; r = call(setIteratorNext, it)) append(values, r.value);
    for (let i = 0; i < values.length; i++) call(setAdd, copy, this.clone(values[i]));
    return copy;
  }

  // Step 17: the name is kept only when it is one of the standard error names; the
  // message only when it is an own data property. V8 carries the stack and cause too.
  #error(value: Error): Error {
    const name = (value as { name?: unknown }).name;
    const Ctor = typeof name === 'string' && ObjectHasOwn(ERROR_TYPES, name) ? ERROR_TYPES[name] : Error;
    const copy = this.#remember(value, new Ctor());
    const message = objectGetOwnPropertyDescriptor(value, 'message');
    if (message && 'value' in message) ObjectDefineProperty(copy, 'message', { value: `${message.value}`, writable: true, configurable: true, enumerable: false });
    const stack = (value as { stack?: unknown }).stack;
    ObjectDefineProperty(copy, 'stack', { value: typeof stack === 'string' ? stack : undefined, writable: true, configurable: true, enumerable: false });
    const cause = objectGetOwnPropertyDescriptor(value, 'cause');
    if (cause && 'value' in cause) ObjectDefineProperty(copy, 'cause', { value: this.clone(cause.value), writable: true, configurable: true, enumerable: false });
    return copy;
  }

  #domException(value: DOMException): DOMException {
    const copy = this.#remember(value, new DOMException(value.message, value.name));
    const stack = (value as { stack?: unknown }).stack;
    if (typeof stack === 'string') ObjectDefineProperty(copy, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
    return copy;
  }

  // Own enumerable string-keyed properties, read with [[Get]], written as data properties
  // (so a key named "__proto__" stays a key and does not change the copy's prototype).
  #properties(value: object, copy: object): void {
    const keys = ObjectKeys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const v = this.clone((value as Record<string, unknown>)[key]);
      ObjectDefineProperty(copy, key, { value: v, writable: true, enumerable: true, configurable: true });
    }
  }
}

function kindName(tag: string): string {
  return `#<${tag.slice(8, -1)}>`;
}

// https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializewithtransfer
// The transferred buffers are copied like the rest, then detached: the outcome the spec
// describes, with one copy where a browser would move the memory.
function transferList(options: unknown): ArrayBuffer[] {
  if (options === undefined || options === null) return [];
  if (typeof options !== 'object') throw new TypeErrorCtor("Failed to execute 'structuredClone': The provided value is not of type 'StructuredSerializeOptions'.");
  const transfer = (options as { transfer?: unknown }).transfer;
  if (transfer === undefined) return [];
  if (typeof transfer !== 'object' || transfer === null || typeof (transfer as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeErrorCtor("Failed to execute 'structuredClone': Failed to read the 'transfer' property from 'StructuredSerializeOptions': The provided value cannot be converted to a sequence.");
  }
  const list: ArrayBuffer[] = [];
  const seen = new SetCtor<unknown>();
  for (const item of transfer as Iterable<unknown>) {
    if (typeof item !== 'object' || item === null) throw new TypeErrorCtor("Failed to execute 'structuredClone': Value at index of transfer is not an object.");
    if (!tryBrand(arrayBufferByteLength, item)) throw notCloneable('Value at index of transfer is not an ArrayBuffer and');
    if (call(setHas, seen, item)) throw new DOMException('ArrayBuffer at index of transfer is a duplicate of an earlier ArrayBuffer.', 'DataCloneError');
    if (call<boolean>(arrayBufferDetached, item)) throw new DOMException('An ArrayBuffer is detached and could not be cloned.', 'DataCloneError');
    call(setAdd, seen, item);
    append(list, item as ArrayBuffer);
  }
  return list;
}

export function structuredClone(value: unknown, options?: unknown): unknown {
  if (arguments.length < 1) throw new TypeErrorCtor("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  const transfer = transferList(options);
  const copy = new Cloner().clone(value);
  for (let i = 0; i < transfer.length; i++) call(arrayBufferTransfer, transfer[i]);
  return copy;
}
