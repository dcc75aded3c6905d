// Cloudflare Workers (workerd): the .wasm is imported statically as a compiled
// WebAssembly.Module (Workers do not compile WebAssembly from bytes), instantiated
// synchronously, with no node: import.
import wasmModule from './wasm/kirim_wasm_bg.wasm';
import { initSync } from './wasm/kirim_wasm.js';

initSync({ module: wasmModule });

export * from './api.mjs';
