// Node, Deno and Bun: `import * as kirim from 'kirim'` resolves by the runtime's own condition.
import * as kirim from 'kirim';
import { smoke, report } from './smoke.mjs';

const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node';
const ok = report(runtime, await smoke(kirim));
if (!ok) {
  if (typeof Deno !== 'undefined') Deno.exit(1);
  process.exit(1);
}
