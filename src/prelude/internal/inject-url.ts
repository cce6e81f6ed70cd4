// esbuild injects these wherever a bundled library names URL/URLSearchParams as a
// global (urlpattern-polyfill does), so the platform's own URL is used even after
// tenant code replaces the globals.
export { URL, URLSearchParams } from '../url.ts';
