// Browsers and bundlers: the .wasm is fetched and compiled asynchronously (top-level await).
import init from './wasm/kirim_wasm.js';

await init({ module_or_path: new URL('./wasm/kirim_wasm_bg.wasm', import.meta.url) });

export * from './api.mjs';
