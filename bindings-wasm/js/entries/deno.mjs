// Deno: the .wasm is imported as a compiled WebAssembly.Module (a source phase import), so no
// read permission is needed, then instantiated synchronously.
import source wasmModule from './wasm/kirim_wasm_bg.wasm';
import { initSync } from './wasm/kirim_wasm.js';

initSync({ module: wasmModule });

export * from './api.mjs';
