import { Pivot } from 'kirim';

export const pivot = new Pivot({
  base_url: 'https://api-stg.pivot-payment.com',
  merchant_id: process.env.PIVOT_MERCHANT_ID,
  merchant_secret: process.env.PIVOT_SECRET,
  callback_api_keys: [process.env.PIVOT_CALLBACK_KEY],
});
// Your database: each payout's status by your reference.
export const payoutStatus = new Map();

// A fetch-style endpoint (Node, Deno, Bun, Workers) for Pivot's payout callbacks.
export async function handlePivotCallback(request) {
  const body = new Uint8Array(await request.arrayBuffer()); // the RAW bytes, never request.json()
  const handled = pivot.handleCallback(request.headers, body);
  for (const event of handled.events ?? []) payoutStatus.set(event.reference_id, event.status);
  const ack = handled.acknowledgement;
  const headers = ack.headers.map((h) => [h.name, h.value]);
  return new Response(ack.body, { status: ack.status, headers });
}
