// `kirim/testkit` in browsers and bundlers: the test kit's .wasm (the test-callback builders)
// fetched and compiled asynchronously (top-level await), as the main entry does, then handed to
// the API.
import * as glue from './wasm/testkit/kirim_wasm.js';
import { useTestkit } from './testkit-slot.mjs';

await glue.default({ module_or_path: new URL('./wasm/testkit/kirim_wasm_bg.wasm', import.meta.url) });
useTestkit(glue);
