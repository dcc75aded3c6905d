// The README quick start, run as a user runs it, against the provider simulator with each
// failure kirim exists for injected into the create (issue 15 item 12): the block between the
// README's quickstart markers (the same block tsc --strict checks) is extracted and compiled by
// script/test, and run by Node against the installed package. It must end with the next action
// printed, never an exception, and never with advice that could pay twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSimulator } from './simulator.mjs';

const repo = process.env.KIRIM_REPO;
const here = dirname(fileURLToPath(import.meta.url));
// script/test extracts the block between the README's quickstart markers (the same block that
// tsc --strict checks) and compiles it with tsc into this file.
const script = process.env.KIRIM_QUICKSTART_JS;

// The outcome is unknown and Pivot has no lookup by reference: the one safe move is the identical
// request with the same key (never "rejected, use a new key", never a query with nothing to query).
const UNKNOWN_OUTCOME_KINDS = ['resend_same_request'];

let sim;
let base;

before(async () => {
  assert.ok(script && existsSync(script), `no compiled README quick start at ${script}`);
  assert.match(readFileSync(script, 'utf8'), /AbortSignal\.timeout/);
  sim = await startSimulator(repo);
  base = sim.base;
});

after(() => sim.stop());

function control(path, body) {
  return sim.control(path, body);
}

/** Runs the quick start; returns the printed next action's kind (exit status 0 required). */
async function runQuickStart() {
  const env = { ...process.env, PIVOT_URL: base, PIVOT_MERCHANT_ID: 'kirim-merchant', PIVOT_SECRET: 'kirim-secret' };
  let result;
  try {
    result = await promisify(execFile)(process.execPath, [script], { cwd: here, env, timeout: 60_000 });
  } catch (error) {
    assert.fail(`the quick start threw instead of ending with a next action:\n${error.stderr ?? error}`);
  }
  const kind = result.stdout.match(/kind: '([a-z_]+)'/);
  assert.ok(kind, `the quick start printed no next action: ${result.stdout}`);
  return kind[1];
}

test('the README quick start pays out through the simulator', async () => {
  await control('/_sim/reset', {});
  assert.equal(await runQuickStart(), 'accepted');
  const ledger = await control('/_sim/ledger');
  assert.deepEqual(ledger.pivot.payouts_created_per_reference, { 'order-1001': 1 });
});

const faults = [
  // The payout is created, then the connection closes with no answer.
  ['connection closed', { fault: 'drop_response', hold_seconds: 0 }, 1],
  // The payout is created and no answer comes within the quick start's 10 s timeout.
  ['timeout', { fault: 'drop_response', hold_seconds: 12 }, 1],
  // 5xx answers: Pivot's 503 envelope, and proxies' HTML pages.
  ['503', { fault: 'http_503' }, 0],
  ['502 html', { fault: 'http_502_html' }, 0],
  ['500 html', { fault: 'http_500_html' }, 0],
];
for (const [name, fault, created] of faults) {
  test(`the README quick start survives a create answered by: ${name}`, async () => {
    await control('/_sim/reset', {});
    await control('/_sim/faults', { method: 'POST', path: '/v1/payouts', ...fault });
    const kind = await runQuickStart();
    assert.ok(UNKNOWN_OUTCOME_KINDS.includes(kind), `${name}: next action ${kind}`);
    const ledger = await control('/_sim/ledger');
    assert.deepEqual(ledger.http.filter((e) => e.path === '/v1/payouts').map((e) => e.fault), [fault.fault]);
    assert.deepEqual(ledger.pivot.payouts_created_per_reference, created ? { 'order-1001': 1 } : {});
  });
}
