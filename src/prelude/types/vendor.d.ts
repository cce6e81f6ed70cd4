// Types for the spec-following libraries the prelude bundles that ship none.
declare module 'core-js-pure/web/url' { const URL: unknown; export default URL; }
declare module 'core-js-pure/web/url-search-params' { const URLSearchParams: unknown; export default URLSearchParams; }

