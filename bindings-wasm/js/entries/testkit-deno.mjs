// `kirim/testkit` in Deno: the test kit's .wasm (the test-callback builders) imported as a
// compiled WebAssembly.Module (a source phase import, as the main entry does), instantiated
// synchronously and handed to the API.
import source testkitModule from './wasm/testkit/kirim_wasm_bg.wasm';
import * as glue from './wasm/testkit/kirim_wasm.js';
import { useTestkit } from './testkit-slot.mjs';

glue.initSync({ module: testkitModule });
useTestkit(glue);
