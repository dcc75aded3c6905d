// The README's driver quick start (between its quickstart-driver markers), run as a user runs it:
// script/test writes the block to a file next to the installed package (KIRIM_QUICKSTART_DRIVER)
// and this test starts it with Node, the simulator's address and credentials and a free port. The
// simulator calls the program's Hono app back: the payout must end succeeded from that callback
// (verified, applied: no query needed), with one payout in the simulator's ledger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SqliteStore } from 'kirim/sqlite';
import { startSimulator } from './simulator.mjs';

const repo = process.env.KIRIM_REPO;
const script = process.env.KIRIM_QUICKSTART_DRIVER;

let sim;
let base;

before(async () => {
  assert.ok(script && existsSync(script), `no README driver quick start at ${script}`);
  sim = await startSimulator(repo);
  base = sim.base;
});

after(() => sim.stop());

function control(path, body) {
  return sim.control(path, body);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    }).on('error', reject);
  });
}

test('the README driver quick start is 15 lines at most, whole code', () => {
  const lines = readFileSync(script, 'utf8').trimEnd().split('\n');
  assert.ok(lines.length >= 3 && lines.length <= 15, `the README driver quick start is ${lines.length} lines`);
  assert.ok(!lines.some((line) => line.split('//')[0].includes('...')), 'the quick start must be whole code');
});

test('the README driver quick start pays out and takes its callback in Hono', async () => {
  const port = await freePort();
  await control('/_sim/reset', {});
  await control('/_sim/config', { pivot_callback_url: `http://127.0.0.1:${port}/callbacks/pivot` });
  const cwd = mkdtempSync(join(tmpdir(), 'kirim-quickstart-'));
  const env = { ...process.env, PIVOT_URL: base, PIVOT_MERCHANT_ID: 'kirim-merchant', PIVOT_SECRET: 'kirim-secret',
    PIVOT_CALLBACK_KEY: 'kirim-callback-key', PORT: String(port) };
  let result;
  try {
    result = await promisify(execFile)(process.execPath, [script], { cwd, env, timeout: 120_000 });
  } catch (error) {
    assert.fail(`the quick start failed:\n${error.stderr ?? error}`);
  }
  assert.match(result.stdout, /kind: 'done'/);
  assert.match(result.stdout, /status: 'succeeded'/);
  const store = await SqliteStore.open(join(cwd, 'payouts.sqlite'));
  const record = await store.load('order-1001');
  assert.equal(record.finished.kind, 'done');
  assert.equal(record.finished.status, 'succeeded');
  const history = await store.history('order-1001');
  const callbacks = history.filter((o) => o.type === 'callback');
  assert.ok(callbacks.some((o) => o.verdicts.includes('applied')), 'no callback was applied through the Hono app');
  assert.ok(!history.some((o) => o.type === 'send' && o.purpose === 'query'), 'the final status came from a query, not the callback');
  store.close();
  const ledger = await control('/_sim/ledger');
  assert.deepEqual(ledger.pivot.payouts_created_per_reference, { 'order-1001': 1 });
});
