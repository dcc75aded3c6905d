// The module's run alone, in Node: `Provider.run` / `run_with_body` of the npm package's
// wasm-bindgen glue on the exact bytes the typed API passes it (inputs.json), timed as
// bench/native/benches/same_work.rs times `Configured::run_json` natively (best of 5 batches of
// about 0.3 s after a warm-up). Prints one JSON object: ns per call by operation.
//
// Usage: node bench/same_work/node.mjs <npm package dir> [--short]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const pkgDir = path.resolve(process.argv[2]);
const SHORT = process.argv.includes('--short');
const raw = require(path.join(pkgDir, 'wasm/kirim_wasm.cjs'));
const inputs = JSON.parse(readFileSync(new URL('./inputs.json', import.meta.url), 'utf8'));
const enc = new TextEncoder();
const providers = {};
for (const [name, config] of Object.entries(inputs.configs)) providers[name] = new raw.Provider(name, config);

const calls = inputs.ops.map((op) => {
  const provider = providers[op.provider];
  const input = enc.encode(op.input);
  const call = op.body === undefined
    ? () => provider.run(op.operation, input)
    : ((body) => () => provider.run_with_body(op.operation, input, body))(enc.encode(op.body));
  return [op.name, call];
});

const now = () => process.hrtime.bigint();
const target = SHORT ? 0.02 : 0.3;
// Warm-up: V8 compiles the optimizing tier of wasm in the background.
for (const [, call] of calls) {
  const end = Date.now() + (SHORT ? 20 : 500);
  while (Date.now() < end) call();
}
const rows = {};
for (const [name, call] of calls) {
  let n = 1;
  for (; ; n *= 2) {
    const start = now();
    for (let i = 0; i < n; i++) call();
    if (Number(now() - start) > target * 2e8 || n > 1 << 22) break;
  }
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const start = now();
    for (let i = 0; i < n; i++) call();
    best = Math.min(best, Number(now() - start) / n);
  }
  rows[name] = Math.round(best * 10) / 10;
}
console.log(JSON.stringify(rows));
