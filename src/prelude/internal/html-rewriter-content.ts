// The objects HTMLRewriter handlers receive: Element, EndTag, Comment, TextChunk, Doctype,
// DocumentEnd (https://developers.cloudflare.com/workers/runtime-apis/html-rewriter/#global-types).
// Each wraps a pointer into its transform's lol-html instance, kept in a private field so
// tenant code cannot aim the module at other memory, and is valid only while its handler
// runs (a handler's promise counts): after that the glue frees it, and any use throws as
// lol-html does.

import { ArrayPrototypePush, PromisePrototypeThen, PromiseResolve, ReflectApply, TypeErrorCtor } from './primordials.ts';
import type { LolInstance, Wrappers } from './html-rewriter-wasm.ts';

const ArrayValues = Array.prototype.values;
const INVALID = 'This content token is no longer valid. Content tokens are only valid during the execution of the relevant content handler.';
const token = Symbol('html-rewriter-content');

interface Slot { inst: LolInstance; ptr: number; kind: string }

// Shared by every kind: one private slot, read through `slot()`.
class Token {
  #slot: Slot;
  constructor(key: symbol, slot: Slot) {
    if (key !== token) throw new TypeErrorCtor('Illegal constructor');
    this.#slot = slot;
  }

  static slot(self: unknown, method: string): Slot {
    if (!(self instanceof Token)) throw new TypeErrorCtor('Illegal invocation');
    const s = self.#slot;
    if (s.ptr === 0) throw new TypeErrorCtor(`Failed to execute '${method}': ${INVALID}`);
    return s;
  }

  static free(self: Token): void {
    const s = self.#slot;
    if (s.ptr === 0) return;
    const ptr = s.ptr;
    s.ptr = 0;
    s.inst.fn(`__wbg_${s.kind}_free`)(ptr);
  }
}

/** Ends a content token's life: called when its handler (and its promise) is done. */
export function invalidate(obj: unknown): void {
  if (obj instanceof Token) Token.free(obj);
}

/** Calls export `name` with the token's pointer first (see LolInstance.attempt). */
function call(self: unknown, method: string, name: string, ...args: number[]): number {
  const s = Token.slot(self, method);
  const all = [s.ptr];
  for (let i = 0; i < args.length; i++) ArrayPrototypePush(all, args[i]);
  return s.inst.attempt(() => ReflectApply(s.inst.fn(name), undefined, all));
}

function contentString(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (content !== null && typeof content === 'object' && (typeof (content as { getReader?: unknown }).getReader === 'function' || typeof (content as { arrayBuffer?: unknown }).arrayBuffer === 'function')) {
    // Workers accept streamed content since 2024; lol-html in this module takes strings only.
    throw new TypeErrorCtor(`Failed to execute '${where}': content must be a string (streamed content, a ReadableStream or Response, is not supported by atoll yet).`);
  }
  if (typeof content === 'symbol') throw new TypeErrorCtor(`Failed to execute '${where}': Cannot convert a Symbol value to a string.`);
  return `${content as string}`;
}

// ContentOptions: { html?: boolean }. A fresh object goes to the module, so a getter on the
// tenant's object runs once, here.
function contentOptions(s: Slot, options: unknown, where: string): number {
  if (options === undefined || options === null) return 0;
  if (typeof options !== 'object' && typeof options !== 'function') {
    throw new TypeErrorCtor(`Failed to execute '${where}': parameter 2 is not of type 'ContentOptions'.`);
  }
  return s.inst.add({ html: !!(options as { html?: unknown }).html });
}

function insert(self: unknown, kind: string, method: string, content: unknown, options: unknown): void {
  const where = `${method}' on '${kind}`;
  const s = Token.slot(self, method);
  const text = contentString(content, where);
  const opts = contentOptions(s, options, where);
  const str = s.inst.passString(text);
  call(self, method, `${s.kind}_${method}`, str[0], str[1], opts);
}

function stringArg(value: unknown, where: string): string {
  if (typeof value === 'symbol') throw new TypeErrorCtor(`Failed to execute '${where}': Cannot convert a Symbol value to a string.`);
  return `${value as string}`;
}

function withString(self: unknown, method: string, name: string, value: unknown, where: string): number {
  const s = Token.slot(self, method);
  const str = s.inst.passString(stringArg(value, where));
  return call(self, method, name, str[0], str[1]);
}

export class Element extends Token {
  get tagName(): string { const s = Token.slot(this, 'tagName'); return s.inst.returnString('element_tag_name', s.ptr); }
  set tagName(name: string) { withString(this, 'tagName', 'element_set_tag_name', name, "tagName' on 'Element"); }
  get namespaceURI(): string { const s = Token.slot(this, 'namespaceURI'); return s.inst.take(call(this, 'namespaceURI', 'element_namespace_uri')) as string; }
  get removed(): boolean { return call(this, 'removed', 'element_removed') !== 0; }
  get attributes(): IterableIterator<[string, string]> {
    const s = Token.slot(this, 'attributes');
    return ReflectApply(ArrayValues, s.inst.take(call(this, 'attributes', 'element_attributes')), []) as IterableIterator<[string, string]>;
  }

  getAttribute(name: string): string | null {
    const s = Token.slot(this, 'getAttribute');
    return s.inst.take(withString(this, 'getAttribute', 'element_getAttribute', name, "getAttribute' on 'Element")) as string | null;
  }

  hasAttribute(name: string): boolean {
    return withString(this, 'hasAttribute', 'element_hasAttribute', name, "hasAttribute' on 'Element") !== 0;
  }

  setAttribute(name: string, value: string): this {
    const s = Token.slot(this, 'setAttribute');
    const n = s.inst.passString(stringArg(name, "setAttribute' on 'Element"));
    const v = s.inst.passString(stringArg(value, "setAttribute' on 'Element"));
    call(this, 'setAttribute', 'element_setAttribute', n[0], n[1], v[0], v[1]);
    return this;
  }

  removeAttribute(name: string): this {
    withString(this, 'removeAttribute', 'element_removeAttribute', name, "removeAttribute' on 'Element");
    return this;
  }

  before(content: string, options?: { html?: boolean }): this { insert(this, 'Element', 'before', content, options); return this; }
  after(content: string, options?: { html?: boolean }): this { insert(this, 'Element', 'after', content, options); return this; }
  prepend(content: string, options?: { html?: boolean }): this { insert(this, 'Element', 'prepend', content, options); return this; }
  append(content: string, options?: { html?: boolean }): this { insert(this, 'Element', 'append', content, options); return this; }
  replace(content: string, options?: { html?: boolean }): this { insert(this, 'Element', 'replace', content, options); return this; }
  setInnerContent(content: string, options?: { html?: boolean }): this { insert(this, 'Element', 'setInnerContent', content, options); return this; }
  remove(): this { call(this, 'remove', 'element_remove'); return this; }
  removeAndKeepContent(): this { call(this, 'removeAndKeepContent', 'element_removeAndKeepContent'); return this; }

  onEndTag(handler: (endTag: EndTag) => void | Promise<void>): void {
    const s = Token.slot(this, 'onEndTag');
    if (typeof handler !== 'function') throw new TypeErrorCtor("Failed to execute 'onEndTag' on 'Element': parameter 1 is not of type 'Function'.");
    call(this, 'onEndTag', 'element_onEndTag', s.inst.add(guarded(handler, undefined)));
  }

  get [Symbol.toStringTag](): string { return 'Element'; }
}

export class EndTag extends Token {
  get name(): string { const s = Token.slot(this, 'name'); return s.inst.returnString('endtag_name', s.ptr); }
  set name(name: string) { withString(this, 'name', 'endtag_set_name', name, "name' on 'EndTag"); }
  before(content: string, options?: { html?: boolean }): this { insert(this, 'EndTag', 'before', content, options); return this; }
  after(content: string, options?: { html?: boolean }): this { insert(this, 'EndTag', 'after', content, options); return this; }
  remove(): this { call(this, 'remove', 'endtag_remove'); return this; }
  get [Symbol.toStringTag](): string { return 'EndTag'; }
}

export class Comment extends Token {
  get text(): string { const s = Token.slot(this, 'text'); return s.inst.returnString('comment_text', s.ptr); }
  set text(text: string) { withString(this, 'text', 'comment_set_text', text, "text' on 'Comment"); }
  get removed(): boolean { return call(this, 'removed', 'comment_removed') !== 0; }
  before(content: string, options?: { html?: boolean }): this { insert(this, 'Comment', 'before', content, options); return this; }
  after(content: string, options?: { html?: boolean }): this { insert(this, 'Comment', 'after', content, options); return this; }
  replace(content: string, options?: { html?: boolean }): this { insert(this, 'Comment', 'replace', content, options); return this; }
  remove(): this { call(this, 'remove', 'comment_remove'); return this; }
  get [Symbol.toStringTag](): string { return 'Comment'; }
}

export class TextChunk extends Token {
  get text(): string { const s = Token.slot(this, 'text'); return s.inst.returnString('textchunk_text', s.ptr); }
  get lastInTextNode(): boolean { return call(this, 'lastInTextNode', 'textchunk_last_in_text_node') !== 0; }
  get removed(): boolean { return call(this, 'removed', 'textchunk_removed') !== 0; }
  before(content: string, options?: { html?: boolean }): this { insert(this, 'TextChunk', 'before', content, options); return this; }
  after(content: string, options?: { html?: boolean }): this { insert(this, 'TextChunk', 'after', content, options); return this; }
  replace(content: string, options?: { html?: boolean }): this { insert(this, 'TextChunk', 'replace', content, options); return this; }
  remove(): this { call(this, 'remove', 'textchunk_remove'); return this; }
  get [Symbol.toStringTag](): string { return 'TextChunk'; }
}

export class Doctype extends Token {
  get name(): string | null { const s = Token.slot(this, 'name'); return s.inst.take(call(this, 'name', 'doctype_name')) as string | null; }
  get publicId(): string | null { const s = Token.slot(this, 'publicId'); return s.inst.take(call(this, 'publicId', 'doctype_public_id')) as string | null; }
  get systemId(): string | null { const s = Token.slot(this, 'systemId'); return s.inst.take(call(this, 'systemId', 'doctype_system_id')) as string | null; }
  get [Symbol.toStringTag](): string { return 'Doctype'; }
}

export class DocumentEnd extends Token {
  append(content: string, options?: { html?: boolean }): this { insert(this, 'DocumentEnd', 'append', content, options); return this; }
  get [Symbol.toStringTag](): string { return 'DocumentEnd'; }
}

/**
 * Wraps a tenant handler for the module: called with `self` as `this` (so class-based
 * handlers keep their fields), it returns a native promise when the handler returned a
 * thenable (the parser pauses until it settles), and frees the token once it is done.
 */
export function guarded(handler: Function, self: unknown): (token: Token) => Promise<void> | undefined {
  return (tok) => {
    let result: unknown;
    try {
      result = ReflectApply(handler, self, [tok]);
    } catch (err) {
      invalidate(tok);
      throw err;
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof (result as { then?: unknown }).then === 'function') {
      return PromisePrototypeThen(PromiseResolve(result), () => { invalidate(tok); }, (err: unknown) => { invalidate(tok); throw err; });
    }
    invalidate(tok);
    return undefined;
  };
}

export const wrappers: Wrappers = {
  element: (inst, ptr) => new Element(token, { inst, ptr, kind: 'element' }),
  comment: (inst, ptr) => new Comment(token, { inst, ptr, kind: 'comment' }),
  textChunk: (inst, ptr) => new TextChunk(token, { inst, ptr, kind: 'textchunk' }),
  doctype: (inst, ptr) => new Doctype(token, { inst, ptr, kind: 'doctype' }),
  endTag: (inst, ptr) => new EndTag(token, { inst, ptr, kind: 'endtag' }),
  documentEnd: (inst, ptr) => new DocumentEnd(token, { inst, ptr, kind: 'documentend' }),
};
