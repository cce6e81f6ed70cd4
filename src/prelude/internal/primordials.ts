// Built-ins captured when the prelude loads, before any tenant code runs, so a tenant
// that patches Array.prototype.push or Promise.prototype.then cannot subvert the
// platform's own code (the idea of Deno's "primordials").

const uncurry = <T, A extends unknown[], R>(fn: (this: T, ...args: A) => R) =>
  Function.prototype.call.bind(fn) as unknown as (self: T, ...args: A) => R;

export const ObjectFreeze = Object.freeze;
export const ObjectDefineProperty = Object.defineProperty;
export const ObjectCreate = Object.create;
export const ObjectKeys = Object.keys;
export const ObjectEntries = Object.entries;
export const ArrayIsArray = Array.isArray;
export const ArrayPrototypePush = uncurry(Array.prototype.push) as <T>(arr: T[], ...items: T[]) => number;
export const ArrayPrototypeJoin = uncurry(Array.prototype.join) as (arr: unknown[], sep?: string) => string;
export const ArrayPrototypeMap = uncurry(Array.prototype.map) as <T, U>(arr: T[], fn: (v: T, i: number) => U) => U[];
export const ArrayPrototypeSplice = uncurry(Array.prototype.splice) as <T>(arr: T[], start: number, count?: number) => T[];
export const MapCtor = Map;
export const MapPrototypeSet = uncurry(Map.prototype.set) as <K, V>(map: Map<K, V>, key: K, value: V) => Map<K, V>;
export const SetCtor = Set;
export const WeakMapCtor = WeakMap;
export const PromiseCtor = Promise;
export const PromiseResolve = Promise.resolve.bind(Promise);
export const PromiseReject = Promise.reject.bind(Promise);
export const PromiseAllSettled = Promise.allSettled.bind(Promise);
export const PromisePrototypeThen = uncurry(Promise.prototype.then) as <T, R1 = T, R2 = never>(
  p: Promise<T>,
  onFulfilled?: ((v: T) => R1 | PromiseLike<R1>) | null,
  onRejected?: ((e: unknown) => R2 | PromiseLike<R2>) | null,
) => Promise<R1 | R2>;
export const JSONStringify = JSON.stringify;
export const JSONParse = JSON.parse;
export const StringCtor = String;
export const ErrorCtor = Error;
export const TypeErrorCtor = TypeError;
export const RangeErrorCtor = RangeError;
export const Uint8ArrayCtor = Uint8Array;
export const ReflectApply = Reflect.apply;
export const ReflectConstruct = Reflect.construct;
// For URL parsing (url.ts and internal/url-*.ts), which every Request goes through.
export const ArrayPrototypePop = uncurry(Array.prototype.pop) as <T>(arr: T[]) => T | undefined;
export const StringFromCharCode = String.fromCharCode;
export const StringPrototypeCharCodeAt = uncurry(String.prototype.charCodeAt) as (s: string, i: number) => number;
export const StringPrototypeIndexOf = uncurry(String.prototype.indexOf) as (s: string, search: string, from?: number) => number;
export const StringPrototypeSlice = uncurry(String.prototype.slice) as (s: string, start?: number, end?: number) => string;
export const StringPrototypeToLowerCase = uncurry(String.prototype.toLowerCase) as (s: string) => string;
export const StringPrototypeToWellFormed = uncurry(String.prototype.toWellFormed) as (s: string) => string;
export const RegExpPrototypeExec = uncurry(RegExp.prototype.exec) as (re: RegExp, s: string) => RegExpExecArray | null;
export const NumberParseInt = Number.parseInt;
export const NumberPrototypeToString = uncurry(Number.prototype.toString) as (n: number, radix?: number) => string;
