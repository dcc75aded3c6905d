// The `browser` / `default` entry (the .wasm fetched, top-level await), run in Deno, which can
// fetch file: URLs (with --allow-read); no browser is installable here.
import * as kirim from '../node_modules/kirim/browser.mjs';
import { smoke, report } from './smoke.mjs';

if (!report('browser-entry', await smoke(kirim))) Deno.exit(1);
