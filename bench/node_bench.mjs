// The JS/WASM rows of the benchmark table: each hot operation through the npm package `kirim`
// (its typed API, in Node) against Node's own crypto + JSON.parse doing the same work, and
// against Web Crypto (crypto.subtle, async) where the operation has a hash Web Crypto offers
// (HMAC-SHA256; Web Crypto has no MD5, and the Pivot operations hash nothing). Also resident
// memory growth over many calls. Prints one JSON object (read by bench/table.py).
//
// Usage: node --expose-gc bench/node_bench.mjs <npm package dir> [--short]
import { createHash, createHmac, timingSafeEqual, webcrypto } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const pkgDir = process.argv[2];
const SHORT = process.argv.includes('--short');
const kirim = await import(pathToFileURL(path.join(path.resolve(pkgDir), 'node.mjs')).href);
const { Pivot, Gateway, AccessToken } = kirim;

const NOW = 1715588505;
const PIVOT_KEYS = ['cb-key-current', 'cb-key-previous'];
const GATEWAY_KEY = 'ThisIsYourSecretKey123';
const enc = new TextEncoder();
// The same bytes as bench/native/benches/hot_paths.rs (from the shared vectors).
const SINGLE = enc.encode('{"event":"PAYOUT.SUCCESS","data":{"uuid":"d6a46a2c-1b26-40c5-9ca3-e063e69635a0","merchantId":"922e39ab-7565-49f6-b84f-fb56122821ae","payouts":{"referenceId":"TestReforzaPivot001","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS","reason":null}}}');
const BULK = enc.encode('{"event":"PAYOUT.DONE","data":{"uuid":"d6a46a2c-1b26-40c5-9ca3-e063e69635a0","merchantId":"922e39ab-7565-49f6-b84f-fb56122821ae","payoutResults":{"totalPendingCount":0,"totalPendingAmount":0,"totalSuccessCount":1,"totalSuccessAmount":100000,"totalFailedCount":0,"totalFailedAmount":0,"totalCancelledCount":0,"totalCancelledAmount":0},"status":"DONE"}}');
const NOTIFY_MD5 = enc.encode('{"payout_id":"POT00000102","payout_cl_id":"97a968b4a9db497c8c03198e395a38c6","platform_id":"PF0002","amount":400000,"real_amount":400000,"fee":3200,"status":2,"create_time":1567614049,"update_time":1567614111,"sign":"f4a624524f415aa2746e9abce52bb69f"}');
const NOTIFY_HMAC = enc.encode('{"payout_id":"POT00000102","payout_cl_id":"97a968b4a9db497c8c03198e395a38c6","platform_id":"PF0002","amount":400000,"real_amount":400000,"fee":3200,"status":1,"create_time":1567614049,"update_time":1567614111,"sign_type":"HMAC-SHA256","sign":"dab18c8771939ab639ce337817c98f00044d5f9c3c3d378b78c57e0e23a8248b"}');
const HEADERS = [{ name: 'X-API-Key', value: 'cb-key-current' }, { name: 'Content-Type', value: 'application/JSON' }];
const INQUIRY_ID = 'd6a46a2c-1b26-40c5-9ca3-e063e69635a0';
const KEY = 'kirimPayout000000000000000000001';
const ORDER = {
  payout_cl_id: 'DEVPOT00143538', amount: { value: '500', currency: 'IDR' }, bank_name: 'BCA',
  name: 'test_name', number: '4088748280272397', notify_url: 'https://xxx.xx/notification',
};
const ORDER_NOW = 1595504997;

// ---- kirim, through the npm package's typed API -----------------------------------------------
const pivot = new Pivot({
  base_url: 'https://api-stg.pivot-payment.com', merchant_id: 'kirim-merchant',
  merchant_secret: 'kirim-secret', callback_api_keys: PIVOT_KEYS,
});
const gateway = new Gateway({ base_url: 'https://payment.example', platform_id: 'PF0002', platform_key: GATEWAY_KEY });
const token = new AccessToken('eyJ.sandbox.token', NOW + 900);
const items = (n) => Array.from({ length: n }, (_, i) => ({
  reference_id: `order-${i}`, destination: { type: 'inquiry', inquiry_id: INQUIRY_ID },
  amount: { value: '100000', currency: 'IDR' }, description: 'Payout',
}));
const ITEMS = { 1: items(1), 100: items(100) };

// ---- plain Node: node:crypto + JSON.parse, the same work --------------------------------------
class Forged extends Error {}
const PIVOT_STATUS = { SUCCESS: 'succeeded', FAILED: 'failed', PENDING: 'pending', PROCESSING: 'processing', CANCELLED: 'cancelled', DONE: 'completed' };
const GATEWAY_STATUS = { 0: 'pending', 1: 'pending', 2: 'processing', 3: 'succeeded', 4: 'failed', 5: 'failed' };
const dec = new TextDecoder('utf-8', { fatal: true });
const PIVOT_KEY_BYTES = PIVOT_KEYS.map((k) => Buffer.from(k));

function minorUnits(value) {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(value);
  if (!m) throw new RangeError('amount');
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

function event(fields) {
  return {
    provider: fields.provider, authenticity: fields.authenticity, payout_id: fields.payout_id ?? null,
    reference_id: fields.reference_id ?? null, status: fields.status, raw_status: fields.raw_status,
    amount: fields.amount ?? null, failure: fields.failure ?? null, occurred_at: fields.occurred_at ?? null,
    requires_query: fields.requires_query, totals: fields.totals ?? null,
  };
}

function plainPivotCallback(headers, body) {
  const presented = Buffer.from(headers.find((h) => h.name.toLowerCase() === 'x-api-key')?.value ?? '');
  let ok = false;
  for (const key of PIVOT_KEY_BYTES) ok = (key.length === presented.length && timingSafeEqual(key, presented)) || ok;
  if (!ok) throw new Forged('X-API-Key');
  const doc = JSON.parse(dec.decode(body));
  const data = doc.data;
  const item = data.payouts;
  if (item) {
    const status = PIVOT_STATUS[item.status] ?? 'unknown';
    return [event({
      provider: 'pivot', authenticity: 'api_key', payout_id: data.uuid, reference_id: item.referenceId,
      status, raw_status: item.status, raw_event: doc.event,
      amount: { minor_units: minorUnits(item.amount.value), currency: item.amount.currency },
      failure: item.reason, requires_query: status === 'unknown',
    })];
  }
  const totals = {};
  for (const [k, v] of Object.entries(data.payoutResults)) totals[k] = Number(v);
  return [event({
    provider: 'pivot', authenticity: 'api_key', payout_id: data.uuid, status: PIVOT_STATUS[data.status] ?? 'unknown',
    raw_status: data.status, raw_event: doc.event, requires_query: false, totals,
  })];
}

function canonical(params) {
  const pairs = [];
  for (const key of Object.keys(params).sort()) {
    if (key === 'sign' || key === 'sign_type') continue;
    const v = params[key];
    if (v === null || v === undefined || v === '') continue;
    pairs.push(`${key}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  return pairs.join('&');
}

function gatewayEvent(params) {
  if (params.platform_id !== undefined && params.platform_id !== 'PF0002') throw new RangeError('platform_id');
  const raw = Number(params.status);
  const status = GATEWAY_STATUS[raw] ?? 'unknown';
  return event({
    provider: 'gateway', authenticity: 'signature', payout_id: params.payout_id, reference_id: params.payout_cl_id,
    status, raw_status: String(raw), amount: { minor_units: Number(params.amount), currency: 'IDR' },
    failure: params.error_msg, occurred_at: Number(params.update_time ?? params.create_time),
    requires_query: status === 'unknown' || (raw === 2 && status === 'succeeded'),
  });
}

function plainGatewayNotification(body) {
  const params = JSON.parse(dec.decode(body));
  const text = canonical(params);
  const expected = params.sign_type === 'HMAC-SHA256'
    ? createHmac('sha256', GATEWAY_KEY).update(text).digest()
    : createHash('md5').update(`${text}&${GATEWAY_KEY}`).digest();
  const presented = Buffer.from(String(params.sign ?? ''), 'hex');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw new Forged('sign');
  return gatewayEvent(params);
}

// Web Crypto: the key imported once (the idiomatic way), each verification awaited.
const subtle = webcrypto.subtle;
const hmacKey = await subtle.importKey('raw', enc.encode(GATEWAY_KEY), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);

async function webGatewayNotification(body) {
  const params = JSON.parse(dec.decode(body));
  if (params.sign_type !== 'HMAC-SHA256') throw new RangeError('Web Crypto has no MD5');
  const presented = Buffer.from(String(params.sign ?? ''), 'hex');
  if (!(await subtle.verify('HMAC', hmacKey, presented, enc.encode(canonical(params))))) throw new Forged('sign');
  return gatewayEvent(params);
}

const ORDER_ID = /^[A-Za-z0-9_-]{1,32}$/;
const ALNUM = /^[A-Za-z0-9]{1,32}$/;

function orderParams(o, now) {
  if (!ORDER_ID.test(o.payout_cl_id) || !ALNUM.test(o.number)) throw new RangeError('order');
  for (const f of ['bank_name', 'name', 'notify_url']) if (o[f].includes('&')) throw new RangeError(f);
  return {
    amount: minorUnits(o.amount.value), bank_name: o.bank_name, currency: 'idr', name: o.name,
    notify_url: o.notify_url, number: o.number, payout_cl_id: o.payout_cl_id, platform_id: 'PF0002',
    request_time: now, service_id: 'SVC0004',
  };
}

function orderRequest(params) {
  return {
    method: 'POST', url: 'https://payment.example/gateway/api/v2/payouts',
    headers: [{ name: 'Content-Type', value: 'application/json;charset=utf-8' }, { name: 'Accept', value: 'application/json' }],
    body: enc.encode(JSON.stringify(params)),
  };
}

function plainGatewayCreate(o, now) {
  const params = orderParams(o, now);
  params.sign = createHmac('sha256', GATEWAY_KEY).update(canonical(params)).digest('hex');
  params.sign_type = 'HMAC-SHA256';
  return orderRequest(params);
}

async function webGatewayCreate(o, now) {
  const params = orderParams(o, now);
  params.sign = Buffer.from(await subtle.sign('HMAC', hmacKey, enc.encode(canonical(params)))).toString('hex');
  params.sign_type = 'HMAC-SHA256';
  return orderRequest(params);
}

function plainPivotCreate(rows, now, key) {
  if (now >= NOW + 900 || !/^[A-Za-z0-9]{1,64}$/.test(key)) throw new RangeError('token or key');
  const payouts = rows.map((r) => {
    if (!ORDER_ID.test(r.reference_id)) throw new RangeError('reference_id');
    return {
      referenceId: r.reference_id, inquiryId: r.destination.inquiry_id,
      amount: { value: String(minorUnits(r.amount.value) / 100), currency: 'IDR' }, description: r.description,
    };
  });
  return {
    method: 'POST', url: 'https://api-stg.pivot-payment.com/v1/payouts',
    headers: [
      { name: 'Content-Type', value: 'application/json' }, { name: 'Accept', value: 'application/json' },
      { name: 'Authorization', value: 'Bearer eyJ.sandbox.token' }, { name: 'X-REQUEST-ID', value: key },
    ],
    body: enc.encode(JSON.stringify({ payouts })),
  };
}

const OPS = [
  ['pivot_single_callback', () => pivot.verifyCallback(HEADERS, SINGLE), () => plainPivotCallback(HEADERS, SINGLE), null],
  ['pivot_bulk_callback', () => pivot.verifyCallback(HEADERS, BULK), () => plainPivotCallback(HEADERS, BULK), null],
  ['gateway_notification_md5', () => gateway.verifyNotification(NOTIFY_MD5), () => plainGatewayNotification(NOTIFY_MD5), null],
  ['gateway_notification_hmac', () => gateway.verifyNotification(NOTIFY_HMAC), () => plainGatewayNotification(NOTIFY_HMAC), () => webGatewayNotification(NOTIFY_HMAC)],
  ['gateway_create_withdraw', () => gateway.createWithdrawRequest(ORDER, ORDER_NOW), () => plainGatewayCreate(ORDER, ORDER_NOW), () => webGatewayCreate(ORDER, ORDER_NOW)],
  ['pivot_create_payout_1', () => pivot.createPayoutRequest(token, NOW, KEY, ITEMS[1]), () => plainPivotCreate(ITEMS[1], NOW, KEY), null],
  ['pivot_create_payout_100', () => pivot.createPayoutRequest(token, NOW, KEY, ITEMS[100]), () => plainPivotCreate(ITEMS[100], NOW, KEY), null],
];

// ---- both sides do the work -------------------------------------------------------------------
function assert(cond, what) { if (!cond) throw new Error(`check failed: ${what}`); }
async function check() {
  for (const body of [NOTIFY_MD5, NOTIFY_HMAC]) {
    const ours = gateway.verifyNotification(body);
    const plain = plainGatewayNotification(body);
    assert(ours.status === plain.status, `status ${ours.status} ${plain.status}`);
  }
  assert((await webGatewayNotification(NOTIFY_HMAC)).status === 'pending', 'web crypto verify');
  const forged = enc.encode(dec.decode(NOTIFY_HMAC).replace('"fee":3200', '"fee":3201'));
  for (const fn of [(b) => gateway.verifyNotification(b), plainGatewayNotification]) {
    let threw = false;
    try { fn(forged); } catch { threw = true; }
    assert(threw, 'a forged notification was accepted');
  }
  let threw = false;
  try { await webGatewayNotification(forged); } catch { threw = true; }
  assert(threw, 'web crypto accepted a forged notification');
  const body = (r) => dec.decode(r.body);
  const kirimOrder = body(gateway.createWithdrawRequest(ORDER, ORDER_NOW));
  assert(body(plainGatewayCreate(ORDER, ORDER_NOW)) === kirimOrder, 'create bodies differ (node:crypto)');
  assert(body(await webGatewayCreate(ORDER, ORDER_NOW)) === kirimOrder, 'create bodies differ (web crypto)');
  assert(pivot.verifyCallback(HEADERS, SINGLE)[0].reference_id === plainPivotCallback(HEADERS, SINGLE)[0].reference_id, 'pivot');
  JSON.parse(body(plainPivotCreate(ITEMS[100], NOW, KEY)));
  body(pivot.createPayoutRequest(token, NOW, KEY, ITEMS[100]));
}

// ---- timing -----------------------------------------------------------------------------------
const now = () => process.hrtime.bigint();
async function batchSize(fn, targetS, isAsync) {
  for (let n = 1; ; n *= 2) {
    const start = now();
    if (isAsync) for (let i = 0; i < n; i++) await fn();
    else for (let i = 0; i < n; i++) fn();
    if (Number(now() - start) > targetS * 2e8 || n > 1 << 22) return n;
  }
}

// Best of 5 batches each, in ns per call; the functions' batches alternate, so that a load change
// on this shared machine hits each of them alike. `fns` is a list of [fn, isAsync].
async function perCallNs(fns, targetS) {
  const sizes = [];
  for (const [fn, isAsync] of fns) sizes.push(await batchSize(fn, targetS, isAsync));
  const best = fns.map(() => Infinity);
  for (let r = 0; r < 5; r++) {
    for (let j = 0; j < fns.length; j++) {
      const [fn, isAsync] = fns[j];
      const n = sizes[j];
      const start = now();
      if (isAsync) for (let i = 0; i < n; i++) await fn();
      else for (let i = 0; i < n; i++) fn();
      best[j] = Math.min(best[j], Number(now() - start) / n);
    }
  }
  return best;
}

function memory(calls) {
  const fn = OPS[3][1];
  for (let i = 0; i < 20000; i++) fn();
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < calls; i++) fn();
  globalThis.gc?.();
  const after = process.memoryUsage().rss;
  return { operation: 'gateway_notification_hmac (typed)', calls, rss_before_kb: Math.round(before / 1024), growth_kb: Math.round((after - before) / 1024) };
}

await check();
// Warm-up, every operation both ways: V8 runs wasm on its baseline tier first and compiles the
// optimizing tier in the background. Without it the first rows were partly measured on baseline
// code on a busy machine (the Pivot single callback read 46 us, the same work in bulk 25 us).
for (const [, ours, plain] of OPS) {
  const end = Date.now() + (SHORT ? 20 : 500);
  while (Date.now() < end) { ours(); plain(); }
}
const target = SHORT ? 0.02 : 0.3;
const rows = [];
for (const [name, ours, plain, web] of OPS) {
  const fns = [[ours, false], [plain, false]];
  if (web) fns.push([web, true]);
  const [kirimNs, plainNs, webNs] = await perCallNs(fns, target);
  rows.push({ operation: name, kirim_ns: kirimNs, plain_ns: plainNs, webcrypto_ns: webNs ?? null });
}
console.log(JSON.stringify({ rows, node: process.version, memory: memory(SHORT ? 20000 : 1000000) }));
