// Map and WeakMap whose methods are own copies taken when the prelude loads: the
// prelude's private tables (pending ops, task handlers, invocations) keep working, and
// stay private, even after tenant code replaces Map.prototype.get or WeakMap.prototype.set.
// Iterating one still goes through the shared %MapIteratorPrototype%, so the tables
// below are only ever used through get/set/has/delete.

const ownKeys = Reflect.ownKeys;
const getDescriptor = Reflect.getOwnPropertyDescriptor;
const defineProperty = Reflect.defineProperty;
const freeze = Object.freeze;

function makeSafe<T extends { prototype: object }>(unsafe: { prototype: object }, safe: T): T {
  for (const key of ownKeys(unsafe.prototype)) {
    if (key === 'constructor') continue;
    defineProperty(safe.prototype, key, getDescriptor(unsafe.prototype, key)!);
  }
  freeze(safe.prototype);
  return freeze(safe);
}

export const SafeMap = makeSafe(Map, class SafeMap<K, V> extends Map<K, V> {});
export const SafeWeakMap = makeSafe(WeakMap, class SafeWeakMap<K extends WeakKey, V> extends WeakMap<K, V> {});
