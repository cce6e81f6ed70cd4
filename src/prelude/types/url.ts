
export declare class URL {
    constructor(url: string, base?: string | URL);
    href: string; origin: string; protocol: string; username: string; password: string;
    host: string; hostname: string; port: string; pathname: string; search: string;
    hash: string; readonly searchParams: URLSearchParams;
    toString(): string; toJSON(): string;
    static canParse(url: string, base?: string): boolean;
    static parse(url: string, base?: string): URL | null;
  }
export declare class URLSearchParams {
    constructor(init?: string | Record<string, string> | Iterable<[string, string]>);
    append(name: string, value: string): void; delete(name: string, value?: string): void;
    get(name: string): string | null; getAll(name: string): string[];
    has(name: string, value?: string): boolean; set(name: string, value: string): void;
    sort(): void; toString(): string; readonly size: number;
    [Symbol.iterator](): IterableIterator<[string, string]>;
    entries(): IterableIterator<[string, string]>; keys(): IterableIterator<string>; values(): IterableIterator<string>;
    forEach(cb: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void;
  }
