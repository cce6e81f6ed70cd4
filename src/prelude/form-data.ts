// FormData: https://xhr.spec.whatwg.org/#interface-formdata
// As a body it is sent as multipart/form-data with a fresh boundary; `formData()` on a
// Request or Response parses multipart/form-data (files become File objects, as on
// Workers since the formdata_parser_supports_files date) and
// application/x-www-form-urlencoded.

import { Blob, blobBytes, normalizeType } from './blob.ts';
import { File, fileFromBytes } from './file.ts';
import { URLSearchParams } from './url.ts';
import { registerBodyExtractor, registerBodyReader } from './body.ts';
import { hostSync } from './internal/bridge.ts';
import { encodeMultipart, makeBoundary, multipartBoundary, parseMultipart, type MultipartEntry } from './internal/multipart.ts';
import { ArrayPrototypePush, ReflectApply, StringCtor, TypeErrorCtor } from './internal/primordials.ts';
import { utf8Decode } from './internal/utf8.ts';

export type FormDataEntryValue = string | File;
type Entry = [string, FormDataEntryValue];

const entriesOf = new WeakMap<FormData, Entry[]>();

function st(f: FormData): Entry[] {
  const e = entriesOf.get(f);
  if (!e) throw new TypeErrorCtor('Illegal invocation');
  return e;
}

function args(n: number, got: number, method: string): void {
  if (got < n) throw new TypeErrorCtor(`Failed to execute '${method}' on 'FormData': ${n} argument${n > 1 ? 's' : ''} required, but only ${got} present.`);
}

// https://xhr.spec.whatwg.org/#create-an-entry
function makeEntry(name: unknown, value: unknown, filename: unknown, argc: number, method: string): Entry {
  const n = StringCtor(name);
  if (value instanceof Blob) {
    const isFile = value instanceof File;
    if (!isFile || filename !== undefined) {
      const fname = filename !== undefined ? StringCtor(filename) : isFile ? value.name : 'blob';
      return [n, fileFromBytes(blobBytes(value)!, fname, value.type, isFile ? value.lastModified : undefined)];
    }
    return [n, value];
  }
  if (argc > 2) throw new TypeErrorCtor(`Failed to execute '${method}' on 'FormData': parameter 2 is not of type 'Blob'.`);
  return [n, StringCtor(value)];
}

export class FormData {
  constructor(form?: unknown) {
    // There are no HTML forms in a worker: only the empty constructor, as on Workers.
    if (form !== undefined) throw new TypeErrorCtor("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.");
    entriesOf.set(this, []);
  }

  append(name: string, value: string | Blob, filename?: string): void {
    args(2, arguments.length, 'append');
    ArrayPrototypePush(st(this), makeEntry(name, value, filename, arguments.length, 'append'));
  }

  delete(name: string): void {
    args(1, arguments.length, 'delete');
    const n = StringCtor(name);
    const list = st(this);
    const kept: Entry[] = [];
    for (let i = 0; i < list.length; i++) if (list[i][0] !== n) ArrayPrototypePush(kept, list[i]);
    entriesOf.set(this, kept);
  }

  get(name: string): FormDataEntryValue | null {
    args(1, arguments.length, 'get');
    const n = StringCtor(name);
    const list = st(this);
    for (let i = 0; i < list.length; i++) if (list[i][0] === n) return list[i][1];
    return null;
  }

  getAll(name: string): FormDataEntryValue[] {
    args(1, arguments.length, 'getAll');
    const n = StringCtor(name);
    const list = st(this);
    const out: FormDataEntryValue[] = [];
    for (let i = 0; i < list.length; i++) if (list[i][0] === n) ArrayPrototypePush(out, list[i][1]);
    return out;
  }

  has(name: string): boolean {
    args(1, arguments.length, 'has');
    return this.get(name) !== null;
  }

  // https://xhr.spec.whatwg.org/#dom-formdata-set: replace the first, drop the rest.
  set(name: string, value: string | Blob, filename?: string): void {
    args(2, arguments.length, 'set');
    const entry = makeEntry(name, value, filename, arguments.length, 'set');
    const list = st(this);
    const out: Entry[] = [];
    let replaced = false;
    for (let i = 0; i < list.length; i++) {
      if (list[i][0] !== entry[0]) ArrayPrototypePush(out, list[i]);
      else if (!replaced) { ArrayPrototypePush(out, entry); replaced = true; }
    }
    if (!replaced) ArrayPrototypePush(out, entry);
    entriesOf.set(this, out);
  }

  forEach(callback: (value: FormDataEntryValue, name: string, parent: FormData) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeErrorCtor("Failed to execute 'forEach' on 'FormData': parameter 1 is not of type 'Function'.");
    for (let i = 0; i < st(this).length; i++) {
      const [n, v] = st(this)[i];
      ReflectApply(callback, thisArg, [v, n, this]);
    }
  }

  *entries(): IterableIterator<[string, FormDataEntryValue]> {
    for (let i = 0; i < st(this).length; i++) yield [st(this)[i][0], st(this)[i][1]];
  }

  *keys(): IterableIterator<string> {
    for (const [n] of this.entries()) yield n;
  }

  *values(): IterableIterator<FormDataEntryValue> {
    for (const [, v] of this.entries()) yield v;
  }

  declare [Symbol.iterator]: () => IterableIterator<[string, FormDataEntryValue]>;

  get [Symbol.toStringTag](): string { return 'FormData'; }
}

Object.defineProperty(FormData.prototype, Symbol.iterator, { value: FormData.prototype.entries, writable: true, configurable: true, enumerable: false });

// https://fetch.spec.whatwg.org/#concept-bodyinit-extract: FormData becomes multipart.
registerBodyExtractor((init) => {
  const list = entriesOf.get(init as FormData);
  if (!list) return undefined;
  const boundary = makeBoundary(hostSync('random_bytes', 12));
  const entries: MultipartEntry[] = [];
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i];
    ArrayPrototypePush(entries, [name, typeof value === 'string' ? value : { bytes: blobBytes(value)!, filename: value.name, type: value.type }]);
  }
  return { bytes: encodeMultipart(entries, boundary), stream: null, contentType: `multipart/form-data; boundary=${boundary}` };
});

// https://fetch.spec.whatwg.org/#dom-body-formdata
registerBodyReader('formData', (bytes, contentType) => {
  const essence = contentType === null ? '' : contentType.split(';')[0].trim().toLowerCase();
  const fd = new FormData();
  const list = st(fd);
  if (essence === 'multipart/form-data') {
    const boundary = multipartBoundary(contentType!);
    if (boundary === null) throw new TypeErrorCtor('Failed to parse body as FormData: the multipart/form-data Content-Type has no boundary.');
    for (const [name, value] of parseMultipart(bytes, boundary)) {
      ArrayPrototypePush(list, [name, typeof value === 'string' ? value : fileFromBytes(value.bytes, value.filename, normalizeType(value.type))]);
    }
    return fd;
  }
  if (essence === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(utf8Decode(bytes))) ArrayPrototypePush(list, [name, value]);
    return fd;
  }
  throw new TypeErrorCtor('Unrecognized Content-Type header value. FormData can only parse the following MIME types: multipart/form-data, application/x-www-form-urlencoded.');
});
