// Some Array built-ins grow a sparse array element by element inside one builtin call
// that never checks for termination: `new Array(1e9).fill(0)` or `Array.from({ length:
// 1e9 })` runs on past both the CPU watchdog and the heap limit until V8 gives up on the
// whole process. An array longer than the heap could hold even as a dense array cannot
// be filled within the limit anyway, so these calls refuse it up front with the
// RangeError V8 uses for lengths it cannot make (docs/limits.md, "Array bombs").

const NativeArrayFrom = Array.from;
const guardedMethods = ['fill', 'copyWithin', 'sort', 'reverse', 'toSorted', 'toReversed', 'toSpliced', 'with'] as const;
const NativeApply = Reflect.apply;
const NativeDefineProperty = Object.defineProperty;
const NativeNumber = Number;
const NativeMathTrunc = Math.trunc;
const RangeErrorCtor = RangeError;

// A dense array of n elements takes 8n bytes; longer than this, it cannot fit at all.
let maxElements = (128 * 1024 * 1024) / 8;

/** Called at boot with the isolate's heap limit. */
export function setArrayLimit(memoryMb: number): void {
  maxElements = (memoryMb * 1024 * 1024) / 8;
}

function lengthOf(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return 0;
  const n = NativeMathTrunc(NativeNumber((value as { length?: unknown }).length));
  return n > 0 ? n : 0;
}

function refuse(method: string, length: number): never {
  throw new RangeErrorCtor(`Invalid array length: ${method} on ${length} elements would exceed the worker's memory limit`);
}

/** Runs once, at the prelude's top level, before any tenant code exists. */
export function installArrayGuards(): void {
  for (const name of guardedMethods) {
    const native = (Array.prototype as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
    // A method (not a function expression) so the wrapper, like the native, is no constructor.
    const wrapper = {
      [name](this: unknown, ...args: unknown[]): unknown {
        const length = lengthOf(this);
        if (length > maxElements) refuse(`Array.prototype.${name}`, length);
        return NativeApply(native, this, args);
      },
    }[name];
    NativeDefineProperty(wrapper, 'length', { value: native.length });
    NativeDefineProperty(Array.prototype, name, { value: wrapper, writable: true, configurable: true, enumerable: false });
  }
  const from = {
    from(this: unknown, ...args: unknown[]): unknown {
      const length = lengthOf(args[0]);
      if (length > maxElements) refuse('Array.from', length);
      return NativeApply(NativeArrayFrom, this, args);
    },
  }.from;
  NativeDefineProperty(from, 'length', { value: 1 });
  NativeDefineProperty(Array, 'from', { value: from, writable: true, configurable: true, enumerable: false });
}
