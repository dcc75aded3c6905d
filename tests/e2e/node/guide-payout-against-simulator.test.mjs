// End-to-end test of a payout flow against the kirim provider simulator, with one fault: the
// answer to the create request is lost (the provider created the payout, the client saw a
// timeout). kirim's PayoutDriver must resolve it without paying twice and end with the true
// status.
//
// The simulator is a Python program shipped in the kirim wheel: `python3 -m pip install kirim`
// into a virtual environment, and point SIMULATOR_PYTHON at its python (default: python3).
// Run: node --test guide-payout-against-simulator.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, PayoutDriver, Pivot } from 'kirim';

const python = process.env.SIMULATOR_PYTHON ?? 'python3';
let simulator;
let simulatorUrl;

before(async () => {
  const workdir = mkdtempSync(join(tmpdir(), 'kirim-sim-'));
  const portFile = join(workdir, 'port');
  // --max-seconds: it stops by itself even if this test process dies first.
  simulator = spawn(python, ['-m', 'kirim.simulator', '--port', '0', '--port-file', portFile,
    '--max-seconds', '300'], { cwd: workdir, stdio: ['ignore', 'inherit', 'inherit'] });
  const deadline = Date.now() + 10_000;
  while (!existsSync(portFile)) {
    assert.ok(simulator.exitCode === null && Date.now() < deadline, 'the simulator did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  simulatorUrl = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
});

after(async () => {
  await control('/_sim/shutdown', {}).catch(() => simulator.kill());
});

/** The control API (docs/simulator.md): GET without a body, POST with one. */
async function control(path, body) {
  const response = await fetch(simulatorUrl + path, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return response.json();
}

/** Your webhook endpoint, in miniature: each callback goes to the driver, which verifies it and
 * says what to answer. */
async function webhooks(driver) {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const ack = await driver.handleCallback(req.headers, new Uint8Array(Buffer.concat(chunks)));
    res.writeHead(ack.status, Object.fromEntries(ack.headers.map((h) => [h.name, h.value])));
    res.end(Buffer.from(ack.body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

test('a lost create answer pays once and ends with the true status', async (t) => {
  await control('/_sim/reset', {});
  // The simulator's default Pivot credentials (docs/simulator.md, Configuration).
  const pivot = new Pivot({ base_url: simulatorUrl, merchant_id: 'kirim-merchant',
    merchant_secret: 'kirim-secret', callback_api_keys: ['kirim-callback-key'] });
  const driver = new PayoutDriver(pivot, new MemoryStore(), { timeoutMs: 1000 });
  const hooks = await webhooks(driver);
  t.after(hooks.close);
  await control('/_sim/config', { pivot_callback_url: `${hooks.url}/pivot` });
  // The fault: the next create is processed, but its answer is held 3 s and then dropped, so
  // the client (1 s timeout) cannot know whether the payout exists.
  await control('/_sim/faults', { method: 'POST', path: '/v1/payouts', fault: 'drop_response', hold_seconds: 3 });

  const { action } = await driver.pay({
    reference: 'ORDER-2001',
    amount: { value: '150000', currency: 'IDR' },
    beneficiary: { bank: 'BCA', account_number: '1234567890', account_name: 'Budi' },
    description: 'Order 2001',
  });

  const ledger = await control('/_sim/ledger');
  // The fault did happen: the first create's answer never left the simulator.
  const creates = ledger.http.filter((r) => r.method === 'POST' && r.path === '/v1/payouts');
  assert.deepEqual([creates[0].fault, creates[0].status], ['drop_response', null]);
  // Exactly one payout, however often the driver sent or queried.
  assert.deepEqual(ledger.pivot.payouts_created_per_reference, { 'ORDER-2001': 1 });
  // The driver ends with the provider's true status.
  const [request] = ledger.pivot.requests;
  assert.equal(request.items[0].status, 'SUCCESS');
  assert.equal(action.kind, 'done');
  assert.equal(action.status, 'succeeded');
});
