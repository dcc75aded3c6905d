// The test-callback builders through the JavaScript package: each generated callback verifies
// with the package's own verify/handle call and reads back to its event; a tampered one is
// refused; hostile arguments throw the core's typed errors. Also checks that docs/testing/js.md
// shows the guide's example files (guide/*.mjs, run by node:test as a user would).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway, KirimError, PaperId, Pivot } from 'kirim';

const repo = process.env.KIRIM_REPO;
const KEY = 'cb-key-current';
const PIVOT = {
  base_url: 'https://api-stg.pivot-payment.com', merchant_id: 'merchant-1',
  merchant_secret: 'secret', callback_api_keys: [KEY],
};

function tampered(body, from, to) {
  const text = new TextDecoder().decode(body);
  assert.ok(text.includes(from));
  return new TextEncoder().encode(text.replace(from, to));
}

test('a generated Pivot callback verifies and reads back to its event', () => {
  const pivot = new Pivot(PIVOT);
  const event = { status: 'failed', amount: { value: '250000', currency: 'IDR' }, payout_id: 'uuid-1',
    reference_id: 'INV-2', failure_reason: 'Invalid Account' };
  const request = pivot.testCallback(KEY, event, 'https://merchant.example/cb');
  assert.equal(request.method, 'POST');
  assert.equal(request.url, 'https://merchant.example/cb');
  assert.ok(request.body instanceof Uint8Array);
  assert.ok(!JSON.stringify(request).includes(KEY), 'the key is redacted when shown');
  const [read] = pivot.verifyCallback(request.headers, request.body);
  assert.equal(read.status, 'failed');
  assert.deepEqual(read.amount, { value: '250000.00', currency: 'IDR' });
  assert.equal(read.payout_id, 'uuid-1');
  assert.equal(read.reference_id, 'INV-2');
  assert.equal(read.failure.provider_text, 'Invalid Account');
  assert.equal(pivot.handleCallback(request.headers, request.body).acknowledgement.status, 200);
  const forged = pivot.handleCallback({ 'X-API-Key': KEY.toUpperCase() }, request.body);
  assert.equal(forged.acknowledgement.status, 401);
  assert.equal(forged.error.code, 'callback_key_mismatch');
});

test('a generated Pivot bulk callback reports the totals', () => {
  const pivot = new Pivot(PIVOT);
  const payouts = [
    { status: 'succeeded', amount: '100000', payout_id: 'uuid-9', reference_id: 'A' },
    { status: 'pending', amount: '5000', payout_id: 'uuid-9', reference_id: 'B' },
  ];
  const request = pivot.testBulkCallback(KEY, payouts);
  const [read] = pivot.verifyCallback(request.headers, request.body);
  assert.equal(read.raw_event, 'PAYOUT.PENDING');
  assert.equal(read.totals.success_count, 1);
  assert.deepEqual(read.totals.pending_amount, { value: '5000.00', currency: 'IDR' });
});

test('generated gateway notifications verify under every signing style; a changed byte is refused', () => {
  for (const sign_type of ['MD5', 'HMAC-SHA256']) {
    for (const key_join of ['ampersand', 'direct', 'ampersand_key_equals']) {
      for (const hex_case of ['lower', 'upper']) {
        const gateway = new Gateway({ base_url: 'https://gw.example', platform_id: 'PF0002',
          platform_key: 'platform-key', key_join, hex_case });
        const event = { status: 'succeeded', amount: '4000.50', payout_id: 'POT1', reference_id: 'ORD-1' };
        const request = gateway.testNotification('platform-key', event, sign_type);
        const read = gateway.verifyNotification(request.body);
        assert.equal(read.status, 'succeeded');
        assert.deepEqual(read.amount, { value: '4000.50', currency: 'IDR' });
        const refused = gateway.handleNotification(tampered(request.body, '400050', '400051'));
        assert.equal(refused.error.code, 'signature_mismatch');
        assert.equal(refused.acknowledgement.status, 401);
      }
    }
  }
});

test('a generated Paper.id callback verifies with its token', () => {
  const paper = new PaperId({ callback_token_header: 'X-Callback-Token', callback_tokens: ['tok'] });
  const request = paper.testCallback('tok', { status: 'failed', amount: '100000', payout_id: 'DISB-1',
    failure_reason: 'TRANSFER_ERROR' });
  assert.equal(request.url, 'http://localhost/callback');
  const read = paper.verifyCallback(request.headers, null, request.body);
  assert.equal(read.failure.provider_code, 'TRANSFER_ERROR');
  assert.throws(() => paper.verifyCallback({ 'X-Callback-Token': 'tok2' }, null, request.body),
    (e) => e instanceof KirimError && e.code === 'callback_key_mismatch');
});

test('hostile arguments throw typed errors', () => {
  const pivot = new Pivot(PIVOT);
  const base = { status: 'succeeded', amount: '1', payout_id: 'u', reference_id: 'r' };
  const code = (call) => { try { call(); } catch (e) { assert.ok(e instanceof KirimError, String(e)); return [e.code, e.field]; } return null; };
  assert.deepEqual(code(() => pivot.testCallback(KEY, { ...base, status: 'reversed' })), ['invalid_field', 'status']);
  assert.deepEqual(code(() => pivot.testCallback(KEY, { ...base, amount: '1.50' })), ['fractional_amount', 'amount']);
  assert.deepEqual(code(() => pivot.testCallback('k\r\nX: y', base)), ['invalid_field', 'api_key']);
  assert.equal(code(() => pivot.testCallback(KEY, { ...base, amount: 100000 }))[0], 'invalid_amount');
  assert.deepEqual(code(() => pivot.testCallback(KEY, base, 'ftp://x')), ['invalid_field', 'url']);
});

test('docs/testing/js.md shows the guide example files', () => {
  const guide = readFileSync(join(repo, 'docs/testing/js.md'), 'utf8');
  const blocks = [...guide.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const name of ['webhook.mjs', 'webhook.test.mjs']) {
    const file = readFileSync(join(repo, 'bindings-wasm/test/guide', name), 'utf8');
    assert.ok(blocks.includes(file), `${name} is not a code block of docs/testing/js.md`);
  }
});
