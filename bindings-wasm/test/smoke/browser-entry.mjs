// The `browser` / `default` entry (the .wasm fetched, top-level await) and its `kirim/testkit`,
// run in Deno, which can fetch file: URLs (with --allow-read); no browser is installable here.
import * as kirim from '../node_modules/kirim/browser.mjs';
import { smoke, report } from './smoke.mjs';

const testkit = { onRequest: true, load: () => import('../node_modules/kirim/testkit-browser.mjs') };
if (!report('browser-entry', await smoke(kirim, testkit))) Deno.exit(1);
