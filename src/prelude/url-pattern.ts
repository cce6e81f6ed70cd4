// URLPattern: https://urlpattern.spec.whatwg.org/ — from urlpattern-polyfill (the
// reference polyfill by the spec's authors, about 18 KB minified). Its canonicalisation
// calls `new URL(...)`; esbuild's inject (internal/inject-url.ts) binds that name to our
// URL, so tenant code that replaces globalThis.URL cannot change how patterns behave.

import { URLPattern as URLPatternImpl } from 'urlpattern-polyfill/urlpattern';

export const URLPattern = URLPatternImpl;
export type URLPattern = URLPatternImpl;
