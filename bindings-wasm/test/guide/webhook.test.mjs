import { test } from 'node:test';
import assert from 'node:assert/strict';

Object.assign(process.env, {
  PIVOT_MERCHANT_ID: 'merchant-1', PIVOT_SECRET: 'test-secret', PIVOT_CALLBACK_KEY: 'test-callback-key',
});
const { handlePivotCallback, payoutStatus, pivot } = await import('./webhook.mjs');
const KEY = process.env.PIVOT_CALLBACK_KEY;

function post(callback, headers = callback.headers) {
  return handlePivotCallback(new Request(callback.url, {
    method: callback.method, headers: headers.map((h) => [h.name, h.value]), body: callback.body,
  }));
}

test('a succeeded payout is recorded', async () => {
  const event = { status: 'succeeded', amount: '150000', payout_id: 'uuid-1', reference_id: 'INV-1001' };
  const callback = pivot.testCallback(KEY, event); // exactly what Pivot would send
  const response = await post(callback);
  assert.equal(response.status, 200);
  assert.equal(payoutStatus.get('INV-1001'), 'succeeded');
});

test('a callback with a tampered key is refused', async () => {
  const event = { status: 'failed', amount: '150000', payout_id: 'uuid-2', reference_id: 'INV-1002',
    failure_reason: 'Invalid Account' };
  const callback = pivot.testCallback(KEY, event);
  const forged = callback.headers.map((h) => (h.name === 'X-API-Key' ? { ...h, value: KEY.slice(0, -1) + 'X' } : h));
  const response = await post(callback, forged);
  assert.equal(response.status, 401);
  assert.equal(payoutStatus.has('INV-1002'), false);
});
