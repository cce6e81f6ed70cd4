// esbuild injects these wherever a bundled library names TextEncoder/TextDecoder as a
// global (whatwg-url does at its top level), so libraries run before globals exist.
export { TextEncoder, TextDecoder } from '../encoding.ts';
