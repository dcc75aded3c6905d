// The package recovers when the module traps. The core does not panic, so the trap comes from
// a test-only build (`--features test-trap`, KIRIM_TRAP_PKG): runOperation("test.trap", input)
// aborts from deep in the call, as a panic would under panic = "abort", leaving the shadow
// stack pointer unrestored. Without recovery the instance is corrupted after enough traps (the
// control below shows it); with it, every later call runs on a sound instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = process.env.KIRIM_TRAP_PKG;
assert.ok(pkg, 'KIRIM_TRAP_PKG must name the test-trap build of the package');
const DEEP = 'x'.repeat(64); // 64 frames of 256 bytes on the shadow stack per trap
const TRAPS = 20000; // at most: 20000 x 16 KiB is far beyond the 1 MiB stack
let trapsToCorrupt = TRAPS;

function newPivot(kirim) {
  return new kirim.Pivot({
    base_url: 'https://api-stg.pivot-payment.com',
    merchant_id: 'kirim-merchant',
    merchant_secret: 'kirim-secret',
    callback_api_keys: ['cb-key'],
  });
}

// `pivot` may have been made before earlier resets: it must rebuild its handle, not use a stale one.
function exercise(kirim, pivot = newPivot(kirim)) {
  const body = new TextEncoder().encode(JSON.stringify({
    event: 'PAYOUT.FAILED',
    data: {
      uuid: 'd6a46a2c-1b26-40c5-9ca3-e063e69635a0',
      payouts: { referenceId: 'r-1', amount: { currency: 'IDR', value: '1238' }, status: 'FAILED', reason: 'Invalid Account' },
    },
  }));
  const [event] = pivot.verifyCallback({ 'X-API-Key': 'cb-key' }, body);
  assert.equal(event.status, 'failed');
  assert.equal(event.failure.reason, 'invalid_account');
  assert.equal(kirim.moneyMinorUnits(kirim.parseMoney('92233720368547758.07')), 9223372036854775807n);
  assert.throws(() => kirim.runOperation('nope.nothing', '{}'), (e) => e instanceof kirim.KirimError && e.code === 'unknown_operation');
}

test('without recovery, repeated traps corrupt the raw instance (control)', () => {
  // In a child process, on the raw wasm-bindgen glue, never reset.
  const glue = join(pkg, 'wasm', 'kirim_wasm.cjs');
  const script = `
    const raw = require(${JSON.stringify(glue)});
    let traps = 0, broken = null;
    for (let i = 0; i < ${TRAPS} && broken === null; i++) {
      try { raw.runOperation('test.trap', ${JSON.stringify(DEEP)}); } catch (e) {
        if (!(e instanceof WebAssembly.RuntimeError)) throw e;
        traps++;
      }
      try { raw.runOperation('money.parse', '{"value":"1238.86","currency":"IDR"}'); }
      catch (e) { broken = String(e); }
    }
    raw.__wbg_reset_state();
    const healed = JSON.parse(raw.runOperation('money.parse', '{"value":"1238.86","currency":"IDR"}')).minor_units;
    console.log(JSON.stringify({ traps, broken, healed }));
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const { traps, broken, healed } = JSON.parse(run.stdout.trim().split('\n').pop());
  assert.ok(broken !== null, `${traps} traps without a reset left the instance working: the trap does not corrupt, so this test proves nothing`);
  assert.match(broken, /RuntimeError|memory access out of bounds|unreachable/);
  assert.equal(healed, 123886, 'a reset instance works again');
  trapsToCorrupt = traps;
  console.log(`the raw instance broke after ${traps} traps: ${broken}`);
});

test('the package resets a trapped instance: ESM and CommonJS, many traps, no corruption', async () => {
  const esm = await import(pathToFileURL(join(pkg, 'node.mjs')).href);
  const cjs = createRequire(import.meta.url)(join(pkg, 'index.cjs'));
  assert.equal(esm.KirimError, cjs.KirimError, 'import and require share one instance');
  // Providers configured before any trap, used across every reset.
  const longLived = { esm: newPivot(esm), cjs: newPivot(cjs) };
  // Three times as many traps as broke the raw instance.
  for (let i = 0; i < 3 * trapsToCorrupt; i++) {
    assert.throws(
      () => esm.runOperation('test.trap', DEEP),
      (e) => e instanceof WebAssembly.RuntimeError,
    );
    if (i % 50 === 0) exercise(i % 100 === 0 ? esm : cjs);
    else if (i % 25 === 0) exercise(esm, i % 50 === 25 ? longLived.esm : longLived.cjs);
    else assert.equal(esm.moneyMinorUnits(esm.parseMoney('1238.86')), 123886n);
  }
  exercise(esm);
});

test('a driver whose payout an instance reset left behind continues it from the store, paid once', async () => {
  const kirim = await import(pathToFileURL(join(pkg, 'node.mjs')).href);
  const pivot = newPivot(kirim);
  const store = new kirim.MemoryStore();
  const answer = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  const payout = (status) => ({ code: '00', message: 'Success', data: {
    uuid: '0b1c2d3e-0000-4000-8000-00000000abcd', merchantId: '922e39ab-7565-49f6-b84f-fb56122821ae', status: 'IN PROGRESS',
    payouts: [{ referenceId: 'order-7', amount: { currency: 'IDR', value: '100000' }, channelCode: 'BCA',
      channelInformation: { accountName: 'Reforza Pivot', accountNumber: '999966660001' }, status, reason: '' }] } });
  const creates = [];
  let resetWhileOut = true;
  const fetch = async (url, init) => {
    if (url.endsWith('/v1/access-token')) {
      return answer(200, { code: '00', message: 'Success', data: { accessToken: 'eyJ.tok.1', expiresIn: '900', tokenType: 'Bearer' } });
    }
    if (init.method === 'POST') {
      creates.push(new Map(init.headers).get('X-REQUEST-ID'));
      if (resetWhileOut) {
        // Elsewhere in the process, while the create is out, the module traps and is replaced:
        // the driver's machine of this payout was in the old instance.
        resetWhileOut = false;
        assert.throws(() => kirim.runOperation('test.trap', DEEP), (e) => e instanceof WebAssembly.RuntimeError);
      }
      return answer(200, payout('PENDING'));
    }
    return answer(200, payout('SUCCESS')); // the retrieve at the callback deadline
  };
  let now = 1715588505;
  const driver = new kirim.PayoutDriver(pivot, store, { fetch, clock: () => now, sleep: async (ms) => { now += Math.ceil(ms / 1000); } });
  const order = { reference: 'order-7', amount: { value: '100000', currency: 'IDR' },
    beneficiary: { bank: 'BCA', account_number: '999966660001', account_name: 'Reforza Pivot' } };
  const { action } = await driver.pay(order);
  assert.equal(action.kind, 'done');
  assert.equal(action.status, 'succeeded');
  // The answer that came back to the lost machine was not applied: restored from the snapshot
  // stored before the send, the payout's create counts as lost, and goes again identically.
  assert.equal(creates.length, 2);
  assert.equal(creates[0], creates[1], 'the same idempotency key: Pivot replays the first create');
  // A callback for it after the reset reaches the store's payout, not a stale machine.
  assert.equal((await store.load('order-7')).finished.status, 'succeeded');
});
