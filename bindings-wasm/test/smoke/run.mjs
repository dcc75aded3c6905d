// Node, Deno and Bun: `import * as kirim from 'kirim'` (and `kirim/testkit`) resolves by the
// runtime's own condition.
import * as kirim from 'kirim';
import { smoke, report } from './smoke.mjs';

const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node';
// Deno takes the ES module entries, which load the test kit only through `kirim/testkit`.
const testkit = { onRequest: runtime === 'deno', load: () => import('kirim/testkit') };
const ok = report(runtime, await smoke(kirim, testkit));
if (!ok) {
  if (typeof Deno !== 'undefined') Deno.exit(1);
  process.exit(1);
}
