// The test kit's instantiated wasm-bindgen glue, set by the `kirim/testkit` entry of an ES module
// runtime (Deno, Workers, browsers); api.mjs reads it on a test builder's call. A module of its
// own so that the main entries' `export * from './api.mjs'` does not export the setter.
export let testkitGlue = null;

export function useTestkit(glue) {
  testkitGlue = glue;
}
