// Turns console arguments into one line of text, roughly as Node's util.format and
// util.inspect would: strings as they are, other values inspected, %s %d %i %f %o %O %j %c.

const MAX_DEPTH = 2;
const MAX_ITEMS = 100;

export function format(args: unknown[]): string {
  if (args.length === 0) return '';
  let out = '';
  let rest = args;
  if (typeof args[0] === 'string' && args[0].includes('%')) {
    let i = 1;
    out = args[0].replace(/%[sdifoOjc%]/g, (m) => {
      if (m === '%%') return '%';
      if (i >= args.length) return m;
      const v = args[i++];
      switch (m) {
        case '%s': return typeof v === 'string' ? v : inspect(v, 1);
        case '%d': case '%i': return String(m === '%i' ? Math.trunc(Number(v)) : Number(v));
        case '%f': return String(Number(v));
        case '%j': try { return JSON.stringify(v); } catch { return '[Circular]'; }
        case '%c': return '';
        default: return inspect(v, MAX_DEPTH);
      }
    });
    rest = args.slice(i);
    if (rest.length) out += ' ';
  }
  return out + rest.map((v) => (typeof v === 'string' ? v : inspect(v, MAX_DEPTH))).join(' ');
}

export function inspect(value: unknown, depth: number, seen: Set<object> = new Set()): string {
  try {
    return inspectInner(value, depth, seen);
  } catch {
    return '[object]';
  }
}

function inspectInner(value: unknown, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint': return `${value}n`;
    case 'undefined': return 'undefined';
    case 'boolean': return String(value);
    case 'symbol': return value.toString();
    case 'function': return `[Function: ${value.name || '(anonymous)'}]`;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (seen.has(obj)) return '[Circular]';
  if (obj instanceof Error) return obj.stack ? String(obj.stack) : `${obj.name}: ${obj.message}`;
  if (obj instanceof Date) return obj.toISOString();
  if (obj instanceof RegExp) return String(obj);
  if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) {
    const arr = obj as unknown as ArrayLike<number>;
    const items = Array.from({ length: Math.min(arr.length, MAX_ITEMS) }, (_, i) => String(arr[i]));
    const more = arr.length > MAX_ITEMS ? `, ... ${arr.length - MAX_ITEMS} more items` : '';
    return `${obj.constructor.name}(${arr.length}) [ ${items.join(', ')}${more} ]`;
  }
  if (depth < 0) return Array.isArray(obj) ? '[Array]' : '[Object]';
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const items = obj.slice(0, MAX_ITEMS).map((v) => inspectInner(v, depth - 1, seen));
      if (obj.length > MAX_ITEMS) items.push(`... ${obj.length - MAX_ITEMS} more items`);
      return `[ ${items.join(', ')} ]`;
    }
    if (obj instanceof Map) {
      const items = [...obj].slice(0, MAX_ITEMS).map(([k, v]) => `${inspectInner(k, depth - 1, seen)} => ${inspectInner(v, depth - 1, seen)}`);
      return `Map(${obj.size}) { ${items.join(', ')} }`;
    }
    if (obj instanceof Set) {
      const items = [...obj].slice(0, MAX_ITEMS).map((v) => inspectInner(v, depth - 1, seen));
      return `Set(${obj.size}) { ${items.join(', ')} }`;
    }
    const tag = (obj as { [Symbol.toStringTag]?: string })[Symbol.toStringTag];
    const ctor = Object.getPrototypeOf(obj)?.constructor?.name;
    const name = tag ?? (ctor && ctor !== 'Object' ? ctor : '');
    const keys = Object.keys(obj).slice(0, MAX_ITEMS);
    const body = keys.map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${inspectInner((obj as Record<string, unknown>)[k], depth - 1, seen)}`);
    if (body.length === 0) return name ? `${name} {}` : '{}';
    return `${name ? `${name} ` : ''}{ ${body.join(', ')} }`;
  } finally {
    seen.delete(obj);
  }
}
