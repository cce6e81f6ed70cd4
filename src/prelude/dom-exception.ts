// DOMException: https://webidl.spec.whatwg.org/#idl-DOMException

import { registerDOMException } from './internal/errors.ts';

// Legacy codes for the names that have one (https://webidl.spec.whatwg.org/#dfn-error-names-table).
const CODES: Record<string, number> = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};

/** True for a real DOMException, whatever its prototype says (structuredClone needs it). */
export let isDOMException: (v: object) => boolean;

export class DOMException extends Error {
  readonly #name: string;
  readonly #message: string;

  static {
    isDOMException = (v) => #name in v;
  }

  constructor(message: unknown = '', name: unknown = 'Error') {
    // WebIDL DOMString conversion: a template literal throws a TypeError for a Symbol, as it should.
    const m = `${message as string}`;
    const n = `${name as string}`;
    super(m);
    this.#message = m;
    this.#name = n;
  }

  get name(): string { return this.#name; }
  get message(): string { return this.#message; }
  get code(): number { return CODES[this.#name] ?? 0; }
  get [Symbol.toStringTag](): string { return 'DOMException'; }
}

for (const [name, code] of Object.entries(CODES)) {
  const constName = name.replace(/^URL/, 'Url').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase().replace(/_ERROR$/, '_ERR');
  Object.defineProperty(DOMException, constName, { value: code, enumerable: true });
  Object.defineProperty(DOMException.prototype, constName, { value: code, enumerable: true });
}

registerDOMException(DOMException);
