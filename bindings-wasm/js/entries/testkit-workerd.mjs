// `kirim/testkit` in Cloudflare Workers (workerd): the test kit's .wasm (the test-callback
// builders) imported statically as a compiled WebAssembly.Module, as the main entry does,
// instantiated synchronously and handed to the API.
import testkitModule from './wasm/testkit/kirim_wasm_bg.wasm';
import * as glue from './wasm/testkit/kirim_wasm.js';
import { useTestkit } from './testkit-slot.mjs';

glue.initSync({ module: testkitModule });
useTestkit(glue);
