// console's formatting, as Node's util.format and util.inspect (with their defaults:
// depth 2, breakLength 80, compact 3, 100 array items) print, because Workers code is
// written and debugged against that output: the same %-directives, single-quoted
// strings, `Map(1) { 'a' => 1 }`, `[Object]` past the depth, `<ref *1>` for cycles, and
// the same choice between one line and several. Not modelled: colors, showHidden,
// getters' values, Proxy detection, promise state (not visible from JavaScript).

const DEPTH = 2;
const BREAK_LENGTH = 80;
const COMPACT = 3;
const MAX_ARRAY_LENGTH = 100;
const MAX_STRING_LENGTH = 10000;

const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
const ObjectKeys = Object.keys;
const ObjectHasOwn = Object.hasOwn;
const ArrayIsArray = Array.isArray;
const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;
const typedArrayTag = ObjectGetOwnPropertyDescriptor(ObjectGetPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;
const arrayBufferByteLength = ObjectGetOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;
const mapSize = ObjectGetOwnPropertyDescriptor(Map.prototype, 'size')!.get!;
const setSize = ObjectGetOwnPropertyDescriptor(Set.prototype, 'size')!.get!;
const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const dateGetTime = Date.prototype.getTime;
const dateToISOString = Date.prototype.toISOString;
const regExpToString = RegExp.prototype.toString;
const regExpSource = ObjectGetOwnPropertyDescriptor(RegExp.prototype, 'source')!.get!;
const functionToString = Function.prototype.toString;
const errorToString = Error.prototype.toString;
const symbolToString = Symbol.prototype.toString;
const objectToString = Object.prototype.toString;
const NumberParseInt = Number.parseInt;
const NumberParseFloat = Number.parseFloat;
const JSONStringify = JSON.stringify;
const ReflectApply = Reflect.apply;
const call = <T>(fn: unknown, self: unknown, ...args: unknown[]): T => ReflectApply(fn as (...a: unknown[]) => T, self, args);

const BOXED: [unknown, string][] = [
  [Number.prototype.valueOf, 'Number'], [String.prototype.valueOf, 'String'], [Boolean.prototype.valueOf, 'Boolean'],
  [BigInt.prototype.valueOf, 'BigInt'], [Symbol.prototype.valueOf, 'Symbol'],
];
// Constructors whose toString is not "user-defined" for %s (Node's builtInObjects).
const BUILT_INS = new Set(['Object', 'Array', 'Function', 'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError',
  'TypeError', 'URIError', 'AggregateError', 'Date', 'RegExp', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Promise', 'ArrayBuffer',
  'DataView', 'Number', 'String', 'Boolean', 'Symbol', 'BigInt', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
  'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']);

interface Ctx {
  depth: number;
  seen: object[];
  circular: Map<object, number>;
  indentationLvl: number;
  currentDepth: number;
}

// Object.prototype.toString reads Symbol.toStringTag, which may be a throwing getter.
function builtinTag(v: object): string {
  try {
    return call<string>(objectToString, v);
  } catch {
    return '[object Object]';
  }
}

function tryCall(fn: unknown, v: unknown): boolean {
  try {
    call(fn, v);
    return true;
  } catch {
    return false;
  }
}

// ---- util.format ----

export function format(args: unknown[]): string {
  const first = args[0];
  let a = 0;
  let str = '';
  let join = '';
  if (typeof first === 'string') {
    if (args.length === 1) return first;
    let lastPos = 0;
    let tempStr = '';
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue; // '%'
      const next = first.charCodeAt(++i);
      if (a + 1 !== args.length) {
        switch (next) {
          case 115: tempStr = formatS(args[++a]); break; // s
          case 106: tempStr = tryStringify(args[++a]); break; // j
          case 100: tempStr = formatD(args[++a], Number); break; // d
          case 79: tempStr = inspect(args[++a]); break; // O
          case 111: tempStr = inspect(args[++a], 4); break; // o
          case 105: tempStr = formatD(args[++a], (v) => NumberParseInt(v as string)); break; // i
          case 102: { // f
            const v = args[++a];
            tempStr = typeof v === 'symbol' ? 'NaN' : formatNumber(NumberParseFloat(v as string));
            break;
          }
          case 99: a += 1; tempStr = ''; break; // c: CSS, ignored
          case 37: str += first.slice(lastPos, i); lastPos = i + 1; continue; // %%
          default: continue;
        }
        if (lastPos !== i - 1) str += first.slice(lastPos, i - 1);
        str += tempStr;
        lastPos = i + 1;
      } else if (next === 37) {
        str += first.slice(lastPos, i);
        lastPos = i + 1;
      }
    }
    if (lastPos !== 0) {
      a++;
      join = ' ';
      if (lastPos < first.length) str += first.slice(lastPos);
    }
  }
  while (a < args.length) {
    const value = args[a];
    str += join;
    str += typeof value !== 'string' ? inspect(value) : value;
    join = ' ';
    a++;
  }
  return str;
}

function formatS(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v !== 'object' || v === null || !hasBuiltInToString(v)) {
    try {
      return String(v);
    } catch {
      return inspect(v, 0);
    }
  }
  return inspect(v, 0);
}

function formatD(v: unknown, toNumber: (v: unknown) => number): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return 'NaN';
  try {
    return formatNumber(toNumber(v));
  } catch {
    return 'NaN';
  }
}

function tryStringify(v: unknown): string {
  try {
    return JSONStringify(v);
  } catch (err) {
    if (err instanceof TypeError && /circular/i.test(err.message)) return '[Circular]';
    throw err;
  }
}

function hasBuiltInToString(v: object): boolean {
  try {
    if (typeof (v as { toString?: unknown }).toString !== 'function') return true;
    if (ObjectHasOwn(v, 'toString')) return false;
    let p: object | null = v;
    do p = ObjectGetPrototypeOf(p); while (p !== null && !ObjectHasOwn(p, 'toString'));
    if (p === null) return true;
    const ctor = ObjectGetOwnPropertyDescriptor(p, 'constructor');
    return ctor !== undefined && typeof ctor.value === 'function' && BUILT_INS.has(ctor.value.name);
  } catch {
    return true;
  }
}

// ---- util.inspect ----

export function inspect(value: unknown, depth = DEPTH): string {
  const ctx: Ctx = { depth, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0 };
  try {
    return formatValue(ctx, value, 0);
  } catch {
    return '[object could not be inspected]';
  }
}

function formatNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : `${n}`;
}

function formatPrimitive(v: unknown): string {
  switch (typeof v) {
    case 'string': {
      const trailer = v.length > MAX_STRING_LENGTH ? `... ${v.length - MAX_STRING_LENGTH} more character${v.length - MAX_STRING_LENGTH > 1 ? 's' : ''}` : '';
      return strEscape(trailer ? v.slice(0, MAX_STRING_LENGTH) : v) + trailer;
    }
    case 'number': return formatNumber(v);
    case 'bigint': return `${v}n`;
    case 'boolean': return `${v}`;
    case 'undefined': return 'undefined';
    case 'symbol': return call<string>(symbolToString, v);
    default: return String(v);
  }
}

// https://github.com/nodejs/node/blob/main/lib/internal/util/inspect.js strEscape: single
// quotes unless the string holds one, then double quotes, then backticks.
const META: string[] = [];
for (let i = 0; i < 32; i++) META[i] = `\\x${i.toString(16).toUpperCase().padStart(2, '0')}`;
META[8] = '\\b'; META[9] = '\\t'; META[10] = '\\n'; META[12] = '\\f'; META[13] = '\\r';
for (let i = 0x7f; i <= 0x9f; i++) META[i] = `\\x${i.toString(16).toUpperCase()}`;

function strEscape(s: string): string {
  let quote = "'";
  if (s.includes("'")) {
    if (!s.includes('"')) quote = '"';
    else if (!s.includes('`') && !s.includes('${')) quote = '`';
  }
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 32 || (c >= 0x7f && c <= 0x9f)) rep = META[c];
    else if (c === 92) rep = '\\\\';
    else if (c === 39 && quote === "'") rep = "\\'";
    if (rep === undefined) continue;
    out += s.slice(last, i) + rep;
    last = i + 1;
  }
  return quote + out + s.slice(last) + quote;
}

function constructorName(obj: object): string | null {
  let p: object | null = obj;
  try {
    while (p !== null) {
      const d = ObjectGetOwnPropertyDescriptor(p, 'constructor');
      if (d !== undefined && typeof d.value === 'function' && d.value.name !== '') return d.value.name as string;
      p = ObjectGetPrototypeOf(p);
    }
  } catch {
    return null;
  }
  return null;
}

function prefix(ctor: string | null, tag: string, fallback: string, size = ''): string {
  if (ctor === null) {
    if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== '' && ctor !== tag) return `${ctor}${size} [${tag}] `;
  return `${ctor}${size} `;
}

function formatValue(ctx: Ctx, value: unknown, recurseTimes: number): string {
  if (typeof value !== 'object' && typeof value !== 'function') return formatPrimitive(value);
  if (value === null) return 'null';
  if (ctx.seen.includes(value)) {
    let index = ctx.circular.get(value);
    if (index === undefined) {
      index = ctx.circular.size + 1;
      ctx.circular.set(value, index);
    }
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, recurseTimes);
}

function ownKeys(value: object): (string | symbol)[] {
  const keys: (string | symbol)[] = ObjectKeys(value);
  for (const s of ObjectGetOwnPropertySymbols(value)) if (call(propertyIsEnumerable, value, s)) keys.push(s);
  return keys;
}

function formatRaw(ctx: Ctx, value: object, recurseTimes: number): string {
  let keys = ownKeys(value);
  const ctor = constructorName(value);
  let tag = '';
  try {
    const t = (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
    // An own enumerable tag is printed with the keys already, so not twice.
    if (typeof t === 'string' && !call(propertyIsEnumerable, value, Symbol.toStringTag)) tag = t;
  } catch { /* a throwing getter: no tag */ }
  let base = '';
  let braces: [string, string];
  let formatter: (ctx: Ctx, value: object, recurseTimes: number) => string[] = formatEmpty;
  let extrasType = 'object';

  const typed = call<string | undefined>(typedArrayTag, value);
  // Brand checks that fail throw, and a throw costs a stack trace: only the type the
  // builtin tag names is checked.
  const kind = builtinTag(value);
  if (ArrayIsArray(value)) {
    const p = ctor !== 'Array' || tag !== '' ? prefix(ctor, tag, 'Array', `(${value.length})`) : '';
    keys = keys.filter((k) => typeof k !== 'string' || !isIndex(k, value.length));
    braces = [`${p}[`, ']'];
    if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
    extrasType = 'array';
    formatter = formatArray;
  } else if (typed !== undefined) {
    const length = (value as unknown as ArrayLike<unknown>).length;
    keys = keys.filter((k) => typeof k !== 'string' || !isIndex(k, length));
    braces = [`${prefix(ctor, tag === typed ? '' : tag, typed, `(${length})`)}[`, ']'];
    if (length === 0 && keys.length === 0) return `${braces[0]}]`;
    extrasType = 'array';
    formatter = formatTypedArray;
  } else if (kind === '[object Map]' && tryCall(mapSize, value)) {
    const size = call<number>(mapSize, value);
    braces = [`${prefix(ctor, tag === 'Map' ? '' : tag, 'Map', `(${size})`)}{`, '}'];
    if (size === 0 && keys.length === 0) return `${braces[0]}}`;
    formatter = formatMap;
  } else if (kind === '[object Set]' && tryCall(setSize, value)) {
    const size = call<number>(setSize, value);
    braces = [`${prefix(ctor, tag === 'Set' ? '' : tag, 'Set', `(${size})`)}{`, '}'];
    if (size === 0 && keys.length === 0) return `${braces[0]}}`;
    formatter = formatSet;
  } else {
    braces = ['{', '}'];
    if (typeof value === 'function') {
      base = functionBase(value as (...a: unknown[]) => unknown, ctor, tag);
      if (keys.length === 0) return base;
    } else if (kind === '[object RegExp]' && value !== RegExp.prototype && tryCall(regExpSource, value)) {
      base = call<string>(regExpToString, value);
      const p = prefix(ctor, tag, 'RegExp');
      if (p !== 'RegExp ') base = `${p}${base}`;
      if (keys.length === 0) return base;
    } else if (kind === '[object Date]' && tryCall(dateGetTime, value)) {
      base = Number.isNaN(call<number>(dateGetTime, value)) ? 'Invalid Date' : call<string>(dateToISOString, value);
      const p = prefix(ctor, tag, 'Date');
      if (p !== 'Date ') base = `${p}${base}`;
      if (keys.length === 0) return base;
    } else if (kind === '[object Error]' || value instanceof Error) {
      base = formatError(value as Error, ctx);
      keys = keys.filter((k) => k !== 'stack' && k !== 'message');
      if (ObjectHasOwn(value, 'cause') && !keys.includes('cause')) keys.push('cause');
      if (keys.length === 0) return base;
    } else if (kind === '[object ArrayBuffer]' && tryCall(arrayBufferByteLength, value)) {
      braces[0] = `${prefix(ctor, tag === 'ArrayBuffer' ? '' : tag, 'ArrayBuffer')}{`;
      formatter = formatArrayBuffer;
    } else {
      const boxed = BOXED.find(([fn, name]) => kind === `[object ${name}]` && tryCall(fn, value));
      if (boxed) {
        const prim = call<unknown>(boxed[0], value);
        // A String object's characters are index keys; Node leaves them out.
        if (typeof prim === 'string') keys = keys.filter((k) => typeof k !== 'string' || !isIndex(k, prim.length));
        base = `[${boxed[1]}${ctor !== boxed[1] ? ` (${ctor})` : ''}: ${formatPrimitive(prim)}]`;
        if (keys.length === 0) return base;
      } else if (tag === 'Promise' || tag === 'WeakMap' || tag === 'WeakSet' || tag === 'WeakRef') {
        braces[0] = `${prefix(ctor, tag === ctor ? '' : tag, tag)}{`;
        formatter = () => [tag === 'Promise' ? '<state unknown>' : '<items unknown>'];
      } else {
        if (ctor === 'Object') {
          if (kind === '[object Arguments]') braces[0] = '[Arguments] [';
          else if (tag !== '') braces[0] = `${prefix(ctor, tag, 'Object')}{`;
          if (keys.length === 0) return `${braces[0]}}`;
        } else {
          braces[0] = `${prefix(ctor, tag, 'Object')}{`;
          if (keys.length === 0) return `${braces[0]}}`;
        }
      }
    }
  }

  if (recurseTimes > ctx.depth) {
    const name = prefix(ctor, tag, 'Object').slice(0, -1);
    return ctor !== null ? `[${name}]` : name;
  }
  recurseTimes += 1;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  let output: string[];
  try {
    output = formatter(ctx, value, recurseTimes);
    for (const k of keys) output.push(formatProperty(ctx, value, recurseTimes, k, extrasType));
  } finally {
    ctx.seen.pop();
  }
  const ref = ctx.circular.get(value);
  if (ref !== undefined) {
    const reference = `<ref *${ref}>`;
    if (base === '') braces[0] = `${reference} ${braces[0]}`;
    else base = `${reference} ${base}`;
  }
  return reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
}

function isIndex(k: string, length: number): boolean {
  const n = Number(k);
  return `${n >>> 0}` === k && n < length && n !== 4294967295;
}

function formatEmpty(): string[] {
  return [];
}

function functionBase(fn: (...a: unknown[]) => unknown, ctor: string | null, tag: string): string {
  let source = '';
  try {
    source = call<string>(functionToString, fn);
  } catch { /* not a real function */ }
  if (source.startsWith('class') && /^class(\s|{)/.test(source)) {
    let base = `[class ${fn.name || '(anonymous)'}`;
    const superName = (() => { try { return ObjectGetPrototypeOf(fn)?.name; } catch { return ''; } })();
    if (superName) base += ` extends ${superName}`;
    return `${base}]`;
  }
  let type = 'Function';
  if (ctor === 'AsyncFunction' || ctor === 'GeneratorFunction' || ctor === 'AsyncGeneratorFunction') type = ctor;
  let base = `[${type}`;
  if (ctor === null) base += ' (null prototype)';
  base += fn.name === '' ? ' (anonymous)' : `: ${fn.name}`;
  base += ']';
  if (ctor !== type && ctor !== null) base += ` ${ctor}`;
  if (tag !== '' && ctor !== tag) base += ` [${tag}]`;
  return base;
}

function formatError(err: Error, ctx: Ctx): string {
  let stack = '';
  try {
    const s = err.stack;
    stack = typeof s === 'string' && s !== '' ? s : call<string>(errorToString, err);
  } catch {
    try { stack = call<string>(errorToString, err); } catch { stack = 'Error'; }
  }
  // Without a stack trace, the error is shown in brackets, as Node does.
  if (!stack.includes('\n    at ')) stack = `[${stack}]`;
  if (ctx.indentationLvl !== 0) {
    const indent = ' '.repeat(ctx.indentationLvl);
    stack = stack.split('\n').join(`\n${indent}`);
  }
  return stack;
}

function formatProperty(ctx: Ctx, value: object, recurseTimes: number, key: string | symbol, type: string): string {
  let str: string;
  const desc = ObjectGetOwnPropertyDescriptor(value, key) ?? { value: (value as Record<string | symbol, unknown>)[key], enumerable: true };
  if (desc.value !== undefined || !('get' in desc || 'set' in desc)) {
    ctx.indentationLvl += 2;
    str = formatValue(ctx, desc.value, recurseTimes);
    ctx.indentationLvl -= 2;
  } else if (desc.get !== undefined) {
    str = desc.set !== undefined ? '[Getter/Setter]' : '[Getter]';
  } else {
    str = desc.set !== undefined ? '[Setter]' : 'undefined';
  }
  if (type === 'arrayValue') return str;
  let name: string;
  if (typeof key === 'symbol') name = call<string>(symbolToString, key);
  else if (key === 'cause' && !call(propertyIsEnumerable, value, 'cause')) name = '[cause]';
  else if (/^[a-zA-Z_][a-zA-Z_0-9]*$/.test(key)) name = key;
  else name = strEscape(key);
  return `${name}: ${str}`;
}

function formatArray(ctx: Ctx, value: object, recurseTimes: number): string[] {
  const arr = value as unknown[];
  const length = arr.length;
  const max = Math.min(MAX_ARRAY_LENGTH, length);
  const remaining = length - max;
  const output: string[] = [];
  for (let i = 0; i < length; i++) {
    if (output.length >= max) break;
    if (!ObjectHasOwn(arr, i)) {
      // A run of holes is one entry: `<3 empty items>`.
      let j = i;
      while (j < length && !ObjectHasOwn(arr, j)) j++;
      const holes = j - i;
      output.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`);
      i = j - 1;
      continue;
    }
    output.push(formatProperty(ctx, arr, recurseTimes, `${i}`, 'arrayValue'));
  }
  if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
  return output;
}

function formatTypedArray(_ctx: Ctx, value: object): string[] {
  const arr = value as unknown as ArrayLike<number | bigint>;
  const length = arr.length;
  const max = Math.min(MAX_ARRAY_LENGTH, length);
  const output: string[] = [];
  for (let i = 0; i < max; i++) output.push(typeof arr[i] === 'bigint' ? `${arr[i]}n` : formatNumber(arr[i] as number));
  if (length > max) output.push(`... ${length - max} more item${length - max > 1 ? 's' : ''}`);
  return output;
}

function formatArrayBuffer(_ctx: Ctx, value: object): string[] {
  const bytes = new Uint8Array(value as ArrayBuffer);
  let hex = '';
  for (let i = 0; i < Math.min(bytes.length, 50); i++) hex += (i ? ' ' : '') + bytes[i].toString(16).padStart(2, '0');
  if (bytes.length > 50) hex += ` ... ${bytes.length - 50} more byte${bytes.length - 50 > 1 ? 's' : ''}`;
  return [`[Uint8Contents]: <${hex}>`, `[byteLength]: ${bytes.length}`];
}

function formatMap(ctx: Ctx, value: object, recurseTimes: number): string[] {
  const output: string[] = [];
  ctx.indentationLvl += 2;
  for (const [k, v] of call<Iterable<[unknown, unknown]>>(mapEntries, value)) {
    if (output.length >= MAX_ARRAY_LENGTH) break;
    output.push(`${formatValue(ctx, k, recurseTimes)} => ${formatValue(ctx, v, recurseTimes)}`);
  }
  ctx.indentationLvl -= 2;
  const size = call<number>(mapSize, value);
  if (size > MAX_ARRAY_LENGTH) output.push(`... ${size - MAX_ARRAY_LENGTH} more item${size - MAX_ARRAY_LENGTH > 1 ? 's' : ''}`);
  return output;
}

function formatSet(ctx: Ctx, value: object, recurseTimes: number): string[] {
  const output: string[] = [];
  ctx.indentationLvl += 2;
  for (const v of call<Iterable<unknown>>(setValues, value)) {
    if (output.length >= MAX_ARRAY_LENGTH) break;
    output.push(formatValue(ctx, v, recurseTimes));
  }
  ctx.indentationLvl -= 2;
  const size = call<number>(setSize, value);
  if (size > MAX_ARRAY_LENGTH) output.push(`... ${size - MAX_ARRAY_LENGTH} more item${size - MAX_ARRAY_LENGTH > 1 ? 's' : ''}`);
  return output;
}

// Node's reduceToSingleString with compact 3: the innermost three levels go on one line
// when they fit in breakLength; long arrays are grouped into columns first.
function reduceToSingleString(ctx: Ctx, output: string[], base: string, braces: [string, string], extrasType: string, recurseTimes: number, value: object): string {
  const entries = output.length;
  if (extrasType === 'array' && entries > 6) output = groupArrayElements(ctx, output, value);
  if (ctx.currentDepth - recurseTimes < COMPACT && entries === output.length) {
    const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
    if (isBelowBreakLength(output, start, base)) {
      const joined = output.join(', ');
      if (!joined.includes('\n')) return `${base ? `${base} ` : ''}${braces[0]} ${joined} ${braces[1]}`;
    }
  }
  const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
  return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
}

function isBelowBreakLength(output: string[], start: number, base: string): boolean {
  let total = output.length + start;
  if (total + output.length > BREAK_LENGTH) return false;
  for (const entry of output) {
    total += entry.length;
    if (total > BREAK_LENGTH) return false;
  }
  return base === '' || !base.includes('\n');
}

function groupArrayElements(ctx: Ctx, output: string[], value: object): string[] {
  let totalLength = 0;
  let maxLength = 0;
  let outputLength = output.length;
  const arr = value as ArrayLike<unknown>;
  // The "... n more items" entry is not grouped.
  if (MAX_ARRAY_LENGTH < output.length) outputLength--;
  const separatorSpace = 2;
  const dataLen: number[] = [];
  for (let i = 0; i < outputLength; i++) {
    const len = output[i].length;
    dataLen[i] = len;
    totalLength += len + separatorSpace;
    if (maxLength < len) maxLength = len;
  }
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentationLvl < BREAK_LENGTH && (totalLength / actualMax > 5 || maxLength <= 6)) {
    const averageBias = Math.sqrt(actualMax - totalLength / output.length);
    const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
    const columns = Math.min(
      Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
      Math.floor((BREAK_LENGTH - ctx.indentationLvl) / actualMax),
      COMPACT * 4,
      15,
    );
    if (columns <= 1) return output;
    const tmp: string[] = [];
    const maxLineLength: number[] = [];
    for (let i = 0; i < columns; i++) {
      let lineLength = 0;
      for (let j = i; j < output.length; j += columns) if (dataLen[j] > lineLength) lineLength = dataLen[j];
      maxLineLength.push(lineLength + separatorSpace);
    }
    let padStart = true;
    for (let i = 0; i < output.length; i++) {
      const v = arr[i];
      if (typeof v !== 'number' && typeof v !== 'bigint') {
        padStart = false;
        break;
      }
    }
    for (let i = 0; i < outputLength; i += columns) {
      const max = Math.min(i + columns, outputLength);
      let str = '';
      let j = i;
      for (; j < max - 1; j++) {
        const cell = `${output[j]}, `;
        str += padStart ? cell.padStart(maxLineLength[j - i], ' ') : cell.padEnd(maxLineLength[j - i], ' ');
      }
      str += padStart ? output[j].padStart(maxLineLength[j - i] - separatorSpace, ' ') : output[j];
      tmp.push(str);
    }
    if (outputLength < output.length) tmp.push(output[outputLength]);
    return tmp;
  }
  return output;
}
