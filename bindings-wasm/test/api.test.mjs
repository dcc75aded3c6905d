// The typed API of the BUILT package: conversions (bodies, headers, outcomes, money, secrets),
// KirimError, and agreement with the JSON operation interface on every shared vector that the
// typed API can express.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import * as kirim from 'kirim';

const {
  AccessToken, Gateway, KirimError, PaperId, Pivot, Secret, deriveIdempotencyKey, idempotencyKeyReuse,
  isFinal, mergeStatus, mergeStatuses, moneyFromMinorUnits, moneyMinorUnits, parseMoney, redactHeaders,
  runOperation, validateIdempotencyKey,
} = kirim;
const repo = process.env.KIRIM_REPO;
const encode = (text) => new TextEncoder().encode(text);
const decode = (bytes) => new TextDecoder().decode(bytes);

const PIVOT = {
  base_url: 'https://api-stg.pivot-payment.com',
  merchant_id: 'kirim-merchant',
  merchant_secret: 'kirim-secret',
  callback_api_keys: ['cb-key-current'],
};
const callbackBody = (status = 'SUCCESS') => encode(JSON.stringify({
  event: `PAYOUT.${status}`,
  data: {
    uuid: 'd6a46a2c-1b26-40c5-9ca3-e063e69635a0',
    payouts: { referenceId: 'r-1', amount: { currency: 'IDR', value: '100000' }, status, reason: null },
  },
}));
const token = new AccessToken(new Secret('tok-sentinel-42'), 1715589000);

function catchError(call) {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

test('a bare number amount is refused with the fix; a decimal string is rupiah (issue 15 item 10)', () => {
  const pivot = new Pivot(PIVOT);
  const now = 1715588100;
  const key = 'kirimPayout000000000000000000001';
  const item = (amount) => ({ reference_id: 'r-1', destination: { type: 'inquiry', inquiry_id: 'i-1' }, amount });
  for (const [amount, shown] of [[100000, '100000'], [100000n, '100000'], [1000.5, '1000.5']]) {
    const error = catchError(() => pivot.createPayoutRequest(token, now, key, [item(amount)]));
    assert.ok(error instanceof KirimError, String(error));
    assert.equal(error.code, 'invalid_amount');
    assert.equal(error.field, 'payouts[0].amount');
    assert.match(error.message, new RegExp(`payouts\\[0\\]\\.amount is a bare number \\(${shown.replace('.', '\\.')}\\)`));
    assert.ok(error.message.includes('rupiah or sen') && error.message.includes('moneyFromMinorUnits'), error.message);
  }
  const gateway = new Gateway({ base_url: 'https://gw.example', platform_id: 'P1', platform_key: new Secret('k') });
  const order = (amount) => ({ payout_cl_id: 'o-1', amount, bank_name: 'BCA', name: 'Budi', number: '1' });
  const refused = catchError(() => gateway.createWithdrawRequest(order(500), now));
  assert.equal(refused.code, 'invalid_amount');
  assert.equal(refused.field, 'order.amount');
  // The explicit forms give the same request: rupiah as a decimal string, parseMoney, minor units by name.
  const bodies = ['100000', parseMoney('100000'), moneyFromMinorUnits(10000000n)]
    .map((amount) => decode(pivot.createPayoutRequest(token, now, key, [item(amount)]).body));
  assert.equal(new Set(bodies).size, 1);
  assert.match(bodies[0], /"amount":\{"value":"100000","currency":"IDR"\}/);
  assert.equal(decode(gateway.createWithdrawRequest(order('500'), now).body),
    decode(gateway.createWithdrawRequest(order(parseMoney('500')), now).body));
});

test('isFinal is the core\'s answer for every status of the model (issue 15 item 13)', () => {
  // Every status, from the declarations generated from the Rust enum, so a new status cannot
  // be left out of this test or of the vectors.
  const dts = readFileSync(join(dirname(createRequire(import.meta.url).resolve('kirim')), 'index.d.ts'), 'utf8');
  const union = dts.match(/^export type PayoutStatus = ([^;]+);/m);
  assert.ok(union, 'index.d.ts declares no PayoutStatus');
  const statuses = [...union[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(statuses.length >= 8, statuses.join());
  const vectors = JSON.parse(readFileSync(join(repo, 'tests/vectors/status/is_final.json'), 'utf8')).vectors
    .filter((v) => v.expected);
  assert.deepEqual(vectors.map((v) => v.input.status).sort(), [...statuses].sort(), 'status/is_final.json covers every status');
  for (const v of vectors) {
    assert.equal(isFinal(v.input.status), v.expected.is_final, v.input.status);
    assert.equal(isFinal(v.input.status), JSON.parse(runOperation('status.is_final', JSON.stringify({ status: v.input.status }))).is_final);
  }
  assert.deepEqual(statuses.filter((s) => isFinal(s)).sort(), ['cancelled', 'failed', 'reversed', 'succeeded']);
  assert.equal(catchError(() => isFinal('done')).code, 'unexpected_shape');
});

test('KirimError: one Error subclass with code, field and every field of the core error', () => {
  const error = catchError(() => new Pivot({ ...PIVOT, base_url: 'http://example.com', merchant_id: '' }));
  assert.ok(error instanceof KirimError && error instanceof Error);
  assert.equal(error.name, 'KirimError');
  assert.equal(error.code, 'invalid_config');
  assert.deepEqual(error.violations.map((v) => v.field).sort(), ['base_url', 'merchant_id']);
  assert.equal(error.field, 'base_url');
  assert.match(String(error), /^KirimError: /);
  assert.ok(error.stack.includes('KirimError'));
  const json = error.toJSON();
  assert.deepEqual(Object.keys(json), ['code', 'field', 'message', 'violations']);

  // A provider error keeps the provider's code, message, HTTP status and trace id.
  const pivot = new Pivot(PIVOT);
  const rejected = catchError(() => pivot.parseBalance({
    response: {
      status: 401,
      body: encode('{"code":"UNAUTHORIZED","message":"Invalid token","error":{"traceId":"trace-7"}}'),
    },
  }));
  assert.ok(rejected instanceof KirimError);
  assert.equal(rejected.code, 'credentials_invalid');
  assert.equal(rejected.http_status, 401);
  assert.equal(rejected.provider_code, 'UNAUTHORIZED');
  assert.equal(rejected.provider_message, 'Invalid token');
  assert.equal(rejected.provider_trace_id, 'trace-7');
  let handled = null;
  switch (rejected.code) {
    case 'credentials_invalid':
      handled = 'refresh the token';
      break;
    default:
      handled = 'other';
  }
  assert.equal(handled, 'refresh the token');

  // runOperation throws the same class, with the same JSON as the core.
  const unknown = catchError(() => runOperation('pivot.nothing', '{}'));
  assert.ok(unknown instanceof KirimError);
  assert.deepEqual(unknown.toJSON(), { code: 'unknown_operation', field: 'operation', message: unknown.message });
  assert.throws(() => runOperation('money.parse', { value: '1' }), TypeError);
});

test('validation reports every violated field', () => {
  const pivot = new Pivot(PIVOT);
  const error = catchError(() => pivot.createPayoutRequest(token, 1715588100, 'short', [{
    reference_id: '',
    destination: { type: 'account', channel_code: 'bca', account_number: '12-34', account_name: 'Budi' },
    amount: parseMoney('100000.50'),
    description: 'far too long for Pivot statements',
  }]));
  assert.equal(error.code, 'validation_failed');
  assert.deepEqual(error.violations.map((v) => v.field).sort(), [
    'idempotency_key',
    'payouts[0].amount',
    'payouts[0].description',
    'payouts[0].destination.account_number',
    'payouts[0].destination.channel_code',
    'payouts[0].reference_id',
  ]);
  assert.ok(error.violations.every((v) => typeof v.message === 'string' && v.message.length > 0));
});

test('bodies are raw bytes: a string or a parsed object is a TypeError', () => {
  const pivot = new Pivot(PIVOT);
  const gateway = new Gateway({ base_url: 'https://gw.example', platform_id: 'P1', platform_key: 'k' });
  const paper = new PaperId({ callback_token_header: 'X-Callback-Token', callback_tokens: ['t'] });
  const text = decode(callbackBody());
  for (const wrong of [text, JSON.parse(text), callbackBody().buffer, [1, 2], null, undefined]) {
    for (const call of [
      () => pivot.verifyCallback({ 'X-API-Key': 'cb-key-current' }, wrong),
      () => pivot.parseCallbackUnverified(wrong),
      () => pivot.handleCallback([], wrong),
      () => gateway.verifyNotification(wrong),
      () => gateway.handleNotification(wrong),
      () => paper.verifyCallback([], null, wrong),
      () => pivot.parseBalance({ response: { status: 200, body: wrong ?? 'x' } }),
    ]) {
      assert.throws(call, (e) => e instanceof TypeError && /pass the raw body bytes/.test(e.message));
    }
  }
  // A Node Buffer is a Uint8Array: accepted.
  const [event] = pivot.verifyCallback({ 'x-api-key': 'cb-key-current' }, Buffer.from(text));
  assert.equal(event.status, 'succeeded');
});

test('bodies cross exactly: non-UTF-8 bytes and a BOM reach the core unchanged', () => {
  const pivot = new Pivot(PIVOT);
  const cases = [
    Uint8Array.from([0xef, 0xbb, 0xbf, ...callbackBody()]), // a BOM before the JSON
    Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), // {"\xff":1}
    new Uint8Array(0),
  ];
  for (const bytes of cases) {
    const typed = catchError(() => pivot.verifyCallback({ 'X-API-Key': 'cb-key-current' }, bytes));
    const hex = Buffer.from(bytes).toString('hex');
    const viaJson = catchError(() => runOperation('pivot.verify_callback', JSON.stringify({
      config: PIVOT, headers: [{ name: 'X-API-Key', value: 'cb-key-current' }], body: { hex },
    })));
    assert.ok(typed instanceof KirimError, String(typed));
    assert.deepEqual(typed.toJSON(), viaJson.toJSON());
  }
  // Outputs: the acknowledgement and request bodies are Uint8Array with the core's bytes.
  const handled = pivot.handleCallback({ 'X-API-Key': 'forged' }, callbackBody());
  assert.ok(handled.acknowledgement.body instanceof Uint8Array);
  assert.equal(handled.acknowledgement.status, 401);
  assert.equal(handled.error.code, 'callback_key_mismatch');
  assert.equal(handled.events, null);
  assert.deepEqual(JSON.parse(decode(handled.acknowledgement.body)), { status: 'rejected' });
});

test('headers: an array, a fetch Headers or a Node record, matched case-insensitively', () => {
  const pivot = new Pivot(PIVOT);
  const forms = [
    [{ name: 'x-api-key', value: 'cb-key-current' }],
    new Headers({ 'X-API-Key': 'cb-key-current' }),
    { 'x-api-key': 'cb-key-current', 'x-forwarded-for': ['a', 'b'], absent: undefined },
  ];
  for (const headers of forms) {
    assert.equal(pivot.verifyCallback(headers, callbackBody())[0].status, 'succeeded');
  }
  assert.equal(catchError(() => pivot.verifyCallback({}, callbackBody())).code, 'callback_key_missing');
  assert.throws(() => pivot.verifyCallback([{ name: 'X-API-Key' }], callbackBody()), TypeError);
  const balance = pivot.parseBalance({
    response: {
      status: 200,
      headers: new Headers({ 'Content-Type': 'application/json' }),
      body: encode('{"code":"00","message":"Success","data":{"availableBalance":{"currency":"IDR","value":"1238.86"}}}'),
    },
  });
  assert.deepEqual(balance, { value: '1238.86', currency: 'IDR' });
  // Pivot has no lookup by reference: resend the identical request with the same key.
  assert.equal(pivot.parseCreatePayout({ transport_failure: 'timeout' }).next_action.kind, 'resend_same_request');
  const key = pivot.deriveRequestId('order-1');
  const late = pivot.parseCreatePayout(
    { transport_failure: 'timeout' },
    { idempotency_key: key, reference_ids: ['order-1'], first_sent_at: 1000, now: 1000 + 86400 - 600 },
  ).next_action;
  assert.equal(late.kind, 'manual_reconciliation');
  assert.equal(late.reason, 'key_window_over');
  assert.equal(late.idempotency_key, key);
  assert.deepEqual(late.reference_ids, ['order-1']);
  assert.equal(late.first_sent_at, 1000);
  assert.match(late.message, /order-1/);
  assert.equal(
    catchError(() => pivot.parseCreatePayout({ transport_failure: 'timeout' }, { ...late, idempotency_key: 'x' })).code,
    'unexpected_shape',
  );
});

test('unreadable non-essential fields are warnings, in every result', () => {
  const body = encode('{"code":"00","data":{"uuid":"u10","status":"DONE","created":"13/05/2024","payouts":'
    + '{"referenceId":"r-10","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS"}}}');
  const batch = new Pivot(PIVOT).parseRetrieve({ response: { status: 200, body } });
  assert.equal(batch.created_at, null);
  assert.equal(batch.items[0].status, 'succeeded');
  assert.deepEqual(batch.warnings.map((w) => w.field), ['data.created']);
  assert.match(batch.warnings[0].reason, /13\/05\/2024/);

  const paper = new PaperId({}).parseCallbackUnverified(encode(
    '{"disbursement_id":"DISB-1","payment_id":"P-1","status":"COMPLETED","amount":1.0E7,"timestamp":1715588505123}',
  ));
  assert.deepEqual(paper.warnings.map((w) => w.field), ['timestamp']);
  assert.equal(paper.occurred_at, null);
  assert.deepEqual(paper.amount, { value: '10000000.00', currency: 'IDR' });
  assert.equal(paper.payout_id, 'DISB-1');
  assert.equal(paper.reference_id, null);

  const gateway = new Gateway({ base_url: 'https://payment.example', platform_id: 'PF0002', platform_key: 'k' });
  const event = gateway.parseNotificationUnverified(encode(
    '{"payout_id":"P1","payout_cl_id":"C1","amount":400000,"real_amount":396800,"fee":3200,"status":3,'
    + '"create_time":"yesterday","update_time":1567614111}',
  ));
  assert.deepEqual(event.real_amount, { value: '3968.00', currency: 'IDR' });
  assert.deepEqual(event.fee, { value: '32.00', currency: 'IDR' });
  assert.deepEqual(event.warnings.map((w) => w.field), ['create_time']);
  assert.equal(event.occurred_at, 1567614111);
});

test('money never passes through a float', () => {
  assert.deepEqual(parseMoney('1238.86'), { value: '1238.86', currency: 'IDR' });
  assert.equal(moneyMinorUnits(parseMoney('1238.86')), 123886n);
  assert.equal(moneyMinorUnits({ value: '92233720368547758.07', currency: 'IDR' }), 9223372036854775807n);
  assert.equal(moneyMinorUnits({ value: '-92233720368547758.08', currency: 'IDR' }), -9223372036854775808n);
  assert.deepEqual(moneyFromMinorUnits(9223372036854775807n), { value: '92233720368547758.07', currency: 'IDR' });
  assert.deepEqual(moneyFromMinorUnits(5n), { value: '0.05', currency: 'IDR' });
  // Beyond i64: the core refuses; it is never wrapped around or rounded.
  assert.equal(catchError(() => moneyFromMinorUnits(9223372036854775808n)).code, 'unexpected_shape');
  assert.throws(() => moneyFromMinorUnits(5), TypeError);
  assert.throws(() => moneyFromMinorUnits(0.5), TypeError);
  assert.equal(catchError(() => parseMoney('1e5')).code, 'invalid_amount');
  assert.equal(catchError(() => parseMoney('1.001')).code, 'fractional_amount');
  assert.equal(catchError(() => parseMoney('1', 'USD')).code, 'unsupported_currency');
  assert.equal(catchError(() => moneyMinorUnits({ value: '99999999999999999999', currency: 'IDR' })).code, 'amount_out_of_range');
  assert.throws(() => moneyMinorUnits({ value: 1238.86, currency: 'IDR' }), TypeError);
  // A money without its currency is a wrong argument, not the currency "undefined".
  assert.throws(() => moneyMinorUnits({ value: '1238.86' }), TypeError);
  assert.throws(() => moneyMinorUnits({ value: '1238.86', currency: null }), TypeError);
});

test('status merge and idempotency helpers', () => {
  assert.equal(mergeStatus('succeeded', 'failed'), 'succeeded');
  assert.equal(mergeStatus('succeeded', 'reversed'), 'reversed');
  assert.equal(mergeStatus(null, 'pending'), 'pending');
  // Pending, processing and delayed are peers: the top-up hold after processing shows.
  assert.deepEqual(mergeStatuses('pending', ['processing', 'pending', 'unknown', 'succeeded']), {
    final: 'succeeded',
    states: ['processing', 'pending', 'pending', 'succeeded'],
    expected: null,
  });
  // A tentative success never makes the payout final; the query's failure decides.
  assert.equal(mergeStatus('processing', 'succeeded', 'tentative'), 'processing');
  assert.equal(mergeStatus('processing', 'succeeded', 'confirmed'), 'succeeded');
  assert.deepEqual(mergeStatuses('processing', [{ status: 'succeeded', confirmation: 'tentative' }]), {
    final: 'processing', states: ['processing'], expected: 'succeeded',
  });
  assert.equal(mergeStatuses('processing', [{ status: 'succeeded', confirmation: 'tentative' }, 'failed']).final, 'failed');
  const pivotEvents = new Pivot(PIVOT);
  const [unverified] = pivotEvents.parseCallbackUnverified(callbackBody());
  assert.equal(unverified.confirmation, 'tentative');
  assert.equal(unverified.requires_query, true);
  assert.equal(mergeStatus('processing', unverified.status, unverified.confirmation), 'processing');
  const [verified] = pivotEvents.verifyCallback({ 'X-API-Key': 'cb-key-current' }, callbackBody());
  assert.equal(verified.confirmation, 'confirmed');
  assert.equal(mergeStatus('processing', verified.status, verified.confirmation), 'succeeded');
  assert.equal(catchError(() => mergeStatus('processing', 'succeeded', 'maybe')).code, 'unexpected_shape');
  // No callback key configured: our misconfiguration, answered 503 so Pivot retries.
  const unconfigured = new Pivot({ ...PIVOT, callback_api_keys: [] });
  const notConfigured = unconfigured.handleCallback({ 'X-API-Key': 'cb-key-current' }, callbackBody());
  assert.equal(notConfigured.error.code, 'verification_not_configured');
  assert.equal(notConfigured.acknowledgement.status, 503);
  assert.equal(notConfigured.acknowledgement.provider_will_retry, true);
  assert.equal(catchError(() => mergeStatus('done', 'pending')).code, 'unexpected_shape');
  const key = deriveIdempotencyKey('pivot', 'order-1');
  assert.match(key, /^[0-9a-f]{32}$/);
  assert.equal(deriveIdempotencyKey('pivot', 'order-1'), key);
  assert.notEqual(deriveIdempotencyKey('pivot', 'order-1', 1), key);
  assert.equal(new Pivot(PIVOT).deriveRequestId('order-1'), key);
  assert.equal(validateIdempotencyKey('pivot', key), undefined);
  assert.equal(catchError(() => validateIdempotencyKey('pivot', 'too-short')).code, 'invalid_idempotency_key');
  // The window less the default 600 s safety margin.
  assert.deepEqual(idempotencyKeyReuse('pivot', 1000, 1000 + 86399 - 600), { kind: 'replays_until', until: 86800 });
  assert.deepEqual(idempotencyKeyReuse('pivot', 1000, 1000 + 86400 - 600), { kind: 'expired', since: 86800 });
  assert.deepEqual(idempotencyKeyReuse('pivot', 1000, 1000 + 86399, 0), { kind: 'replays_until', until: 87400 });
  assert.equal(catchError(() => idempotencyKeyReuse('pivot', 1000, 1000, -1)).code, 'invalid_field');
});

test('secrets never print: Secret, AccessToken, provider configs, requests, errors', () => {
  const sentinels = ['kirim-secret-sentinel', 'cb-sentinel', 'tok-sentinel-42', 'platform-sentinel', 'auth-sentinel', 'paper-sentinel'];
  const pivot = new Pivot({ ...PIVOT, merchant_secret: new Secret('kirim-secret-sentinel'), callback_api_keys: ['cb-sentinel'] });
  const gateway = new Gateway({
    base_url: 'https://gw.example', platform_id: 'P1', platform_key: 'platform-sentinel', authorization: new Secret('auth-sentinel'),
  });
  const paper = new PaperId({ callback_token_header: 'X-Callback-Token', callback_tokens: [new Secret('paper-sentinel')] });
  const request = pivot.balanceRequest(token, 1715588100);
  assert.equal(request.headers.find((h) => h.name === 'Authorization').value, 'Bearer tok-sentinel-42');
  const things = [new Secret('kirim-secret-sentinel'), token, pivot, gateway, paper, request, pivot.accessTokenRequest(), gateway.balanceRequest()];
  const logged = [];
  const original = console.log;
  console.log = (...args) => logged.push(inspect(args, { depth: 10, showHidden: true }));
  try {
    for (const thing of things) console.log(thing);
  } finally {
    console.log = original;
  }
  for (const thing of things) {
    const shown = [
      inspect(thing, { depth: 10, showHidden: true }), String(thing), `${thing}`, JSON.stringify(thing),
      JSON.stringify({ thing }), Object.keys(thing).join(), ...logged,
    ];
    for (const text of shown) {
      for (const sentinel of sentinels) assert.ok(!text.includes(sentinel), `${sentinel} shown in ${text}`);
    }
  }
  assert.equal(new Secret('kirim-secret-sentinel').exposeSecret(), 'kirim-secret-sentinel');
  assert.equal(token.exposeSecret(), 'tok-sentinel-42');
  assert.throws(() => { token.expires_at = 0; }, TypeError);
  // A bad configuration names the field, never the value.
  const error = catchError(() => new Pivot({ ...PIVOT, merchant_id: 'kirim-secret-sentinel\n' }));
  assert.ok(!JSON.stringify(error).includes('sentinel') && !error.message.includes('sentinel'));
});

test('headers show as the core redacts them: the same inputs give the same rendering (issue 20)', () => {
  const pivot = new Pivot(PIVOT);
  const gateway = new Gateway({ base_url: 'https://gw.example', platform_id: 'P1', platform_key: 'k', authorization: 'Basic dTpw' });
  const requests = [
    pivot.accessTokenRequest(), pivot.balanceRequest(token, 1715588100), gateway.balanceRequest(),
    gateway.createWithdrawRequest({ payout_cl_id: 'o-1', amount: '500', bank_name: 'BCA', name: 'Budi', number: '1' }, 1715588100),
  ];
  const vectors = JSON.parse(readFileSync(join(repo, 'tests/vectors/http/redact_headers.json'), 'utf8')).vectors
    .filter((v) => v.expected);
  const inputs = [
    ...vectors.map((v) => v.input.headers),
    // Every header the providers' own requests carry.
    ...requests.map((r) => r.headers),
    // The core looks for its credential words anywhere in a name, in ASCII case only: padding,
    // another separator, a longer name or a look-alike letter after `AUTH` still hides the
    // value, and only the empty name is shown, here as there.
    [
      { name: 'AUTHORİZATION', value: 'dotted-capital-i' }, { name: ' Authorization', value: 'padded' },
      { name: 'client-secret', value: 'hyphen' }, { name: 'Client_Secret', value: 'cs' },
      { name: 'Proxy-Authorization', value: 'p' }, { name: 'x-callback-token', value: 't' },
      { name: 'X-Merchant-Secret', value: 'm' }, { name: 'cookie2', value: 'c' }, { name: '', value: 'empty name' },
    ],
  ];
  const proto = Object.getPrototypeOf(requests[0]);
  let redactedSome = false;
  for (const headers of inputs) {
    const core = JSON.parse(runOperation('http.redact_headers', JSON.stringify({ headers }))).headers;
    redactedSome ||= core.some((h) => h.value === '[redacted]');
    assert.deepEqual(redactHeaders(headers), core);
    // How a request shows its headers (JSON, inspection), on these headers.
    const request = Object.create(proto, {
      method: { value: 'POST' }, url: { value: 'https://x.example/' }, headers: { value: headers }, body: { value: encode('{}') },
    });
    assert.deepEqual(JSON.parse(JSON.stringify(request)).headers, core);
    assert.ok(inspect(request).includes(JSON.stringify(core)), inspect(request));
  }
  assert.ok(redactedSome);
  // A request's own fields keep the real values; only the rendering hides them.
  assert.equal(requests[1].headers.find((h) => h.name === 'Authorization').value, 'Bearer tok-sentinel-42');
  // The marker every JavaScript object shows for a hidden value is the core's.
  const marker = JSON.parse(runOperation('http.redact_headers', '{"headers":[{"name":"Cookie","value":"x"}]}')).headers[0].value;
  assert.equal(String(new Secret('x')), marker);
});

test('import and require share one instance and one KirimError class', () => {
  const required = createRequire(import.meta.url)('kirim');
  assert.equal(required.KirimError, KirimError);
  assert.equal(required.Pivot, Pivot);
  assert.ok(catchError(() => required.runOperation('x.y', '{}')) instanceof KirimError);
});

// ---- the typed API agrees with the JSON operation interface on the shared vectors ---------

function vectorFiles(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) vectorFiles(path, out);
    else if (name.endsWith('.json') && name !== 'schema.json') out.push(path);
  }
  return out;
}

class NotTyped extends Error {}

function bytes(body) {
  if (typeof body === 'string') return encode(body);
  if (body && typeof body.hex === 'string') return Uint8Array.from(Buffer.from(body.hex, 'hex'));
  if (body && typeof body.base64 === 'string') return Uint8Array.from(Buffer.from(body.base64, 'base64'));
  throw new NotTyped('body');
}

function outcome(o) {
  if (o && o.response && typeof o.response === 'object') {
    return { response: { ...o.response, body: o.response.body === undefined ? undefined : bytes(o.response.body) } };
  }
  return o;
}

function accessToken(t) {
  if (!t || typeof t.value !== 'string') throw new NotTyped('access_token');
  return new AccessToken(t.value, t.expires_at, t.token_type ?? 'Bearer');
}

/** Outputs in the JSON operation interface's form. */
function jsonForm(value) {
  if (value instanceof Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(value);
    } catch {
      return { hex: Buffer.from(value).toString('hex') };
    }
  }
  if (Array.isArray(value)) return value.map(jsonForm);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonForm(v)]));
  }
  return value;
}

const typedCalls = {
  'money.parse': (i) => {
    const money = parseMoney(i.value, i.currency);
    return { minor_units: Number(moneyMinorUnits(money)), money };
  },
  'status.merge': (i) => mergeStatuses(i.current ?? null, i.events),
  'status.is_final': (i) => ({ is_final: isFinal(i.status) }),
  'idempotency.validate': (i) => (validateIdempotencyKey(i.provider, i.key), { valid: true }),
  'idempotency.derive': (i) => ({ idempotency_key: deriveIdempotencyKey(i.provider, i.merchant_reference, i.revision ?? 0) }),
  'idempotency.key_reuse': (i) => idempotencyKeyReuse(i.provider, i.first_used_at, i.now, i.margin_seconds),
  'pivot.access_token_request': (i) => new Pivot(i.config).accessTokenRequest(),
  'pivot.parse_access_token': (i) => {
    const t = new Pivot(i.config).parseAccessToken(outcome(i.outcome), i.now);
    return { access_token: t.exposeSecret(), token_type: t.token_type, expires_at: t.expires_at };
  },
  'pivot.needs_refresh': (i) => ({ needs_refresh: new Pivot(i.config).needsRefresh(accessToken(i.access_token), i.now) }),
  'pivot.balance_request': (i) => new Pivot(i.config).balanceRequest(accessToken(i.access_token), i.now),
  'pivot.parse_balance': (i) => new Pivot(i.config).parseBalance(outcome(i.outcome)),
  'pivot.inquiry_request': (i) => new Pivot(i.config).inquiryRequest(accessToken(i.access_token), i.now, i.inquiry),
  'pivot.inquiry_status_request': (i) => new Pivot(i.config).inquiryStatusRequest(accessToken(i.access_token), i.now, i.inquiry_id),
  'pivot.parse_inquiry': (i) => new Pivot(i.config).parseInquiry(outcome(i.outcome)),
  'pivot.create_payout_request': (i) => new Pivot(i.config).createPayoutRequest(accessToken(i.access_token), i.now, i.idempotency_key, i.payouts),
  'pivot.derive_request_id': (i) => ({ idempotency_key: new Pivot(i.config).deriveRequestId(i.merchant_reference, i.revision ?? 0) }),
  'pivot.parse_create_payout': (i) => new Pivot(i.config).parseCreatePayout(outcome(i.outcome), i.attempt),
  'pivot.retrieve_request': (i) => new Pivot(i.config).retrieveRequest(accessToken(i.access_token), i.now, i.payout_id, i.reference_id ?? null),
  'pivot.parse_retrieve': (i) => new Pivot(i.config).parseRetrieve(outcome(i.outcome)),
  'pivot.verify_callback': (i) => new Pivot(i.config).verifyCallback(i.headers, bytes(i.body)),
  'pivot.parse_callback_unverified': (i) => new Pivot(i.config).parseCallbackUnverified(bytes(i.body)),
  'pivot.handle_callback': (i) => new Pivot(i.config).handleCallback(i.headers, bytes(i.body)),
  'gateway.sign': (i) => new Gateway(i.config).sign(typeof i.body === 'string' ? encode(i.body) : i.params, i.sign_type ?? null),
  'gateway.create_withdraw_request': (i) => new Gateway(i.config).createWithdrawRequest(i.order, i.now),
  'gateway.parse_create_withdraw': (i) => new Gateway(i.config).parseCreateWithdraw(outcome(i.outcome)),
  'gateway.query_request': (i) => new Gateway(i.config).queryRequest(i.filter ?? {}),
  'gateway.query_order_request': (i) => new Gateway(i.config).queryOrderRequest(i.payout_cl_id),
  'gateway.parse_query': (i) => new Gateway(i.config).parseQuery(outcome(i.outcome)),
  'gateway.verify_notification': (i) => new Gateway(i.config).verifyNotification(bytes(i.body)),
  'gateway.parse_notification_unverified': (i) => new Gateway(i.config).parseNotificationUnverified(bytes(i.body)),
  'gateway.handle_notification': (i) => new Gateway(i.config).handleNotification(bytes(i.body)),
  'gateway.balance_request': (i) => new Gateway(i.config).balanceRequest(),
  'gateway.parse_balance': (i) => new Gateway(i.config).parseBalance(outcome(i.outcome)),
  'paperid.verify_callback': (i) => new PaperId(i.config).verifyCallback(i.headers ?? [], i.source_address ?? null, bytes(i.body)),
  'paperid.parse_callback_unverified': (i) => new PaperId(i.config).parseCallbackUnverified(bytes(i.body)),
  'http.redact_headers': (i) => ({ headers: redactHeaders(i.headers) }),
  'paperid.handle_callback': (i) => new PaperId(i.config).handleCallback(i.headers ?? [], i.source_address ?? null, bytes(i.body)),
  'pivot.test_callback': (i) => new Pivot(i.config).testCallback(i.api_key, i.event, i.url),
  'pivot.test_bulk_callback': (i) => new Pivot(i.config).testBulkCallback(i.api_key, i.payouts, i.url),
  'gateway.test_notification': (i) => new Gateway(i.config).testNotification(i.platform_key, i.event, i.sign_type, i.url),
  'paperid.test_callback': (i) => new PaperId(i.config).testCallback(i.token, i.event, i.url),
  'paperid.callback_acknowledgement': (i) => new PaperId(i.config).callbackAcknowledgement(i.error ?? null),
};

/** Operations whose vectors are compared elsewhere, each with the reason; every other operation
 * must have a typed call here. */
const operationOnly = {
  'lifecycle.scenario': 'a scenario is many calls on one PayoutLifecycle: lifecycle.test.mjs runs each vector step by step',
  'http.transport_options': 'the check of the driver\'s own options: PayoutDriver runs it on timeoutMs and maxResponseBytes (driver.test.mjs)',
};

/** The op's output, restricted to what the typed result carries (parse_access_token's token). */
function comparable(operation, out) {
  if (operation === 'pivot.parse_access_token') {
    return { access_token: out.access_token, token_type: out.token_type, expires_at: out.expires_at };
  }
  return out;
}

/** The one intended difference: a configuration that does not deserialize is reported by the
 * provider's constructor with the field named inside the configuration object it was given
 * (`key_joim`, like the core's own `invalid_config` violations such as `base_url`), where the
 * JSON interface names the argument path (`config.key_joim`). Same code, same field. */
function constructorNamesConfigField(typed, viaJson) {
  return typed.error?.code === 'unexpected_shape' && viaJson.error?.code === 'unexpected_shape' &&
    viaJson.error.field === `config.${typed.error.field}`;
}

test('the typed API agrees with runOperation on every shared vector it can express', () => {
  let compared = 0;
  const notTyped = [];
  const mismatches = [];
  const operations = new Set();
  for (const path of vectorFiles(join(repo, 'tests/vectors'))) {
    const file = JSON.parse(readFileSync(path, 'utf8'));
    const call = typedCalls[file.operation];
    if (!call && operationOnly[file.operation]) {
      notTyped.push(`${file.operation}: ${operationOnly[file.operation]}`);
      continue;
    }
    assert.ok(call, `no typed call for ${file.operation}: add it to the typed API and to this table`);
    operations.add(file.operation);
    for (const vector of file.vectors) {
      const input = { ...(file.defaults ?? {}), ...(vector.input ?? {}) };
      let viaJson;
      try {
        viaJson = { ok: comparable(file.operation, JSON.parse(runOperation(file.operation, JSON.stringify(input)))) };
      } catch (error) {
        viaJson = { error: error.toJSON() };
      }
      let typed;
      try {
        typed = { ok: jsonForm(call(input)) };
      } catch (error) {
        if (error instanceof NotTyped || error instanceof TypeError) {
          notTyped.push(`${file.operation} :: ${vector.name}: ${error.message}`);
          continue;
        }
        if (!(error instanceof KirimError)) throw error;
        typed = { error: error.toJSON() };
      }
      compared++;
      try {
        if (constructorNamesConfigField(typed, viaJson)) continue;
        assert.deepEqual(typed, viaJson);
      } catch {
        mismatches.push(`${path} :: ${vector.name}\n  typed: ${JSON.stringify(typed)}\n  json:  ${JSON.stringify(viaJson)}`);
      }
    }
  }
  console.log(`typed API vs runOperation: ${compared} vectors compared over ${operations.size} operations; ` +
    `${notTyped.length} not expressible in the typed API (a TypeError before the core, by design)`);
  for (const line of notTyped) console.log(`  not typed: ${line}`);
  assert.deepEqual(mismatches, []);
  assert.ok(compared > 0.9 * (compared + notTyped.length), 'most vectors must be expressible in the typed API');
});

test('a number JSON cannot carry exactly (NaN, Infinity, beyond 2^53) is refused naming its field, never sent as null or another integer', () => {
  const pivot = new Pivot(PIVOT);
  const gateway = new Gateway({ base_url: 'https://gw.example', platform_id: 'P1', platform_key: new Secret('k') });
  const inexact = (call, field) => {
    const error = catchError(call);
    assert.ok(error instanceof KirimError, `${field}: ${error}`);
    assert.equal(error.code, 'unexpected_shape', field);
    assert.equal(error.field, field);
    assert.ok(error.message.startsWith(`argument ${field}: `), error.message);
    assert.deepEqual(error.toJSON().field, field);
  };
  // As null, NaN was the absent revision 0, and an absent sign parameter (left out of the signature).
  inexact(() => pivot.deriveRequestId('order-1', NaN), 'revision');
  inexact(() => gateway.sign({ amount: NaN }), 'params.amount');
  inexact(() => gateway.sign({ amount: Infinity }), 'params.amount');
  inexact(() => gateway.sign(Object.assign(Object.create(null), { amount: -Infinity })), 'amount');
  // 2^60 is written as 1152921504606847000, another integer than the one JavaScript holds.
  inexact(() => gateway.sign({ amount: 2 ** 60 }), 'params.amount');
  inexact(() => gateway.sign({ amount: 2n ** 70n }), 'params.amount');
  inexact(() => pivot.createPayoutRequest(token, 2 ** 60, 'kirimPayout000000000000000000001', []), 'now');
  inexact(() => idempotencyKeyReuse('pivot', 1000, 2000, NaN), 'margin_seconds');
  inexact(() => new Pivot({ ...PIVOT, key_window_margin_seconds: NaN }), 'config.key_window_margin_seconds');
  inexact(() => pivot.parseCreatePayout({ transport_failure: 'timeout' },
    { idempotency_key: 'kirimPayout000000000000000000001', reference_ids: ['r-1'], first_sent_at: NaN, now: 2000 }),
  'attempt.first_sent_at');
  inexact(() => pivot.parseCreatePayout({ response: { status: NaN, headers: [], body: encode('{}') } }), 'outcome.response.status');
  // What stays: safe integers, and -0 (written as 0), cross unchanged.
  assert.equal(gateway.sign({ amount: 9007199254740991 }).canonical, 'amount=9007199254740991');
  assert.equal(gateway.sign({ amount: -0 }).canonical, 'amount=0');
  assert.equal(gateway.sign({ amount: 9007199254740991n }).canonical, 'amount=9007199254740991');
});

test('a Pivot credential that cannot travel as a header value (a line break, a control character, surrounding spaces) is refused', () => {
  // A secret read from a file keeps its newline: sent, it is refused by fetch (a transport
  // failure, retried forever) or injects a header; as a callback key, no genuine callback ever
  // matches it, and each is answered 401, which Pivot does not retry.
  for (const bad of ['kirim-secret\n', 'kirim\r\nX-Injected: 1', ' kirim-secret', 'kirim-secret\t', 'kirim\u0000secret']) {
    for (const [config, field] of [[{ ...PIVOT, merchant_secret: bad }, 'merchant_secret'],
      [{ ...PIVOT, callback_api_keys: ['cb-key-current', bad] }, 'callback_api_keys']]) {
      const error = catchError(() => new Pivot(config));
      assert.ok(error instanceof KirimError, `${field} ${JSON.stringify(bad)}: ${error}`);
      assert.equal(error.code, 'invalid_config');
      assert.equal(error.field, field);
      assert.ok(!error.message.includes('kirim'), error.message);
    }
    // A token the host rebuilt (from its cache) is checked where it would become the header.
    const pivot = new Pivot(PIVOT);
    const error = catchError(() => pivot.balanceRequest(new AccessToken(bad, 1715589000), 1715588100));
    assert.ok(error instanceof KirimError, `token ${JSON.stringify(bad)}: ${error}`);
    assert.equal(error.code, 'invalid_field');
    assert.equal(error.field, 'access_token');
    assert.ok(!error.message.includes('kirim'), error.message);
  }
  assert.equal(new Pivot({ ...PIVOT, merchant_secret: 'a secret with inner spaces' }).accessTokenRequest().method, 'POST');
});

test('a provider method called without its instance says so', () => {
  const pivot = new Pivot(PIVOT);
  const { deriveRequestId, verifyCallback } = pivot;
  for (const call of [() => deriveRequestId('order-1'), () => verifyCallback({}, callbackBody()),
    () => Pivot.prototype.deriveRequestId.call({}, 'order-1')]) {
    assert.throws(call, (e) => e instanceof TypeError && /on the provider instance/.test(e.message) && /bind/.test(e.message));
  }
  assert.equal(deriveRequestId.call(pivot, 'order-1'), pivot.deriveRequestId('order-1'));
});

test('a status that is no final HTTP answer (0, 1xx, 600 and above) leaves a create unknown, whatever its body', () => {
  // Status 0 is what a browser's fetch gives for a redirect it hides; 1xx is not a final answer;
  // 600 and above are no HTTP status. None says the order was refused: read as a refusal, the
  // host could create the payout again.
  const pivot = new Pivot(PIVOT);
  const gateway = new Gateway({ base_url: 'https://gw.example', platform_id: 'P1', platform_key: new Secret('k') });
  for (const status of [0, 1, 100, 103, 199, 600, 999, 65535]) {
    for (const body of ['', '{"error_code":"0004","error_msg":"m"}', '{"code":"INVALID_PARAMETER","message":"m"}']) {
      const outcome = { response: { status, headers: [], body: encode(body) } };
      const gw = gateway.parseCreateWithdraw(outcome);
      assert.deepEqual(gw.next_action, { kind: 'query_first' }, `gateway ${status} ${body}`);
      assert.equal(gw.error.code, 'malformed_response', `gateway ${status} ${body}`);
      const pv = pivot.parseCreatePayout(outcome);
      assert.deepEqual(pv.next_action, { kind: 'resend_same_request' }, `pivot ${status} ${body}`);
      assert.equal(pv.error.code, 'malformed_response', `pivot ${status} ${body}`);
    }
  }
});

test('text with a lone surrogate (half of a UTF-16 pair) is refused naming its field, never sent as U+FFFD', () => {
  const pivot = new Pivot(PIVOT);
  const config = JSON.stringify(PIVOT);
  // Across as raw text, the lone surrogate became U+FFFD: two references, one idempotency key.
  const derive = (reference) => () => runOperation('pivot.derive_request_id', `{"config":${config},"merchant_reference":"${reference}"}`);
  const refused = catchError(derive('order-\ud800'));
  assert.ok(refused instanceof KirimError, String(refused));
  assert.equal(refused.code, 'invalid_json');
  assert.notEqual(JSON.parse(derive('order-\ufffd')()).idempotency_key, undefined);
  // A typed argument: named, where the core could only say the JSON was invalid.
  const item = { reference_id: 'r-1', destination: { type: 'account', channel_code: 'BCA', account_number: '1', account_name: 'Budi\udc00' }, amount: '10000' };
  const error = catchError(() => pivot.createPayoutRequest(token, 1715588100, 'kirimPayout000000000000000000001', [item]));
  assert.ok(error instanceof KirimError, String(error));
  assert.equal(error.code, 'unexpected_shape');
  assert.equal(error.field, 'payouts[0].destination.account_name');
  // A stored snapshot is text across too.
  const order = { reference: 'order-1', amount: '10000', beneficiary: { bank: 'BCA', account_number: '1', account_name: 'Budi' } };
  const snapshot = new kirim.PayoutLifecycle(pivot, order, 1715588100).snapshot();
  const restored = catchError(() => kirim.PayoutLifecycle.restore(pivot, snapshot.replace('"Budi"', '"Budi\ud800"')));
  assert.ok(restored instanceof KirimError, String(restored));
  assert.equal(restored.code, 'invalid_json');
  // Pairs are text like any other.
  assert.equal(pivot.deriveRequestId('order-\ud83d\ude00').length, pivot.deriveRequestId('order-1').length);
});
