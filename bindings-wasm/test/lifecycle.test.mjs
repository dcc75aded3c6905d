// The payout lifecycle's scenario vectors (tests/vectors/lifecycle) through the TYPED API: each
// vector's steps are run against `PayoutLifecycle` (poll, handleResponse, handleCallback,
// handleUnverifiedCallback, snapshot/restore) and the result must equal, step for step, what the
// operation `lifecycle.scenario` gives for the same input (vectors.test.mjs checks that one
// against the vectors' expectations). Every vector of every file runs; the count is printed and
// written to KIRIM_LIFECYCLE_COUNT_FILE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway, KirimError, PaperId, PayoutLifecycle, Pivot, runOperation } from 'kirim';

const repo = process.env.KIRIM_REPO;
assert.ok(repo, 'KIRIM_REPO must name the repository root');
const dir = join(repo, 'tests/vectors/lifecycle');

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The vectors' JSON body form (text, or `{ hex }`) as bytes. */
function bytes(body) {
  if (typeof body === 'string') return encoder.encode(body);
  return Uint8Array.from(body.hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Bytes back to the core's JSON body form. */
function bodyForm(data) {
  try {
    return utf8.decode(data);
  } catch {
    return { hex: [...data].map((b) => b.toString(16).padStart(2, '0')).join('') };
  }
}

/** The typed values back to the core's JSON (a request's and an acknowledgement's body). */
function plainAction(action) {
  if (action.kind !== 'send') return action;
  const { request } = action;
  return { ...action, request: { method: request.method, url: request.url, headers: request.headers, body: bodyForm(request.body) } };
}

function provider(input) {
  const classes = { pivot: Pivot, gateway: Gateway, paperid: PaperId };
  const Class = classes[input.provider];
  assert.ok(Class, `unknown provider ${input.provider}`);
  return new Class(input.config ?? undefined);
}

function outcome(json) {
  if (json.transport_failure) return json;
  const r = json.response;
  return { response: { status: r.status, headers: r.headers ?? [], body: bytes(r.body ?? '') } };
}

function callbackOut(out, result) {
  if (result.verdicts !== null) out.verdicts = result.verdicts;
  if (result.error !== null) out.error = result.error.toJSON();
  if (result.acknowledgement !== null) {
    out.acknowledgement = { ...result.acknowledgement, body: bodyForm(result.acknowledgement.body) };
  }
}

/** The scenario run through the typed API, in `lifecycle.scenario`'s output form. */
function typed(input) {
  const p = provider(input);
  let machine = input.snapshot != null
    ? PayoutLifecycle.restore(p, input.snapshot)
    : new PayoutLifecycle(p, input.order, input.settings ?? null, input.now);
  const steps = [];
  for (const step of input.steps) {
    const out = {};
    let now;
    if ('poll' in step) {
      now = step.poll;
    } else if ('response' in step) {
      now = step.now;
      try {
        machine.handleResponse(outcome(step.response), now);
      } catch (error) {
        if (!(error instanceof KirimError)) throw error;
        out.error = error.toJSON();
      }
    } else if ('callback' in step) {
      now = step.now;
      callbackOut(out, machine.handleCallback(step.callback.headers ?? [], bytes(step.callback.body), now));
    } else if ('unverified_callback' in step) {
      now = step.now;
      callbackOut(out, machine.handleUnverifiedCallback(bytes(step.unverified_callback.body), now));
    } else if (step.restore === true) {
      now = step.now;
      const text = machine.snapshot();
      machine = PayoutLifecycle.restore(p, text);
      out.snapshot_version = JSON.parse(text).version;
    } else {
      throw new Error(`a step this runner does not know: ${JSON.stringify(step)}`);
    }
    const action = plainAction(machine.poll(now));
    steps.push({ action, state: machine.state(), ...out });
  }
  return { steps };
}

/** Both runs as comparable JSON: `{ ok }` or `{ error }` (the core's error form). */
function attempt(run) {
  try {
    return { ok: run() };
  } catch (error) {
    if (!(error instanceof KirimError)) throw error;
    return { error: error.toJSON() };
  }
}

/** Key order aside (the core writes fields in its order; the typed path may not). */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  }
  return value;
}

test('every lifecycle scenario vector through the typed PayoutLifecycle equals lifecycle.scenario', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length > 0, 'no lifecycle vector files');
  let total = 0;
  let errors = 0;
  const failures = [];
  for (const file of files) {
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    assert.equal(data.operation, 'lifecycle.scenario', file);
    for (const vector of data.vectors) {
      total += 1;
      const input = { ...data.defaults, ...vector.input };
      const viaOperation = attempt(() => JSON.parse(runOperation('lifecycle.scenario', JSON.stringify(input))));
      const viaTyped = attempt(() => typed(input));
      if ('error' in viaOperation) errors += 1;
      // The vector's own expectation decides which way it goes (vectors.test.mjs checks the rest).
      assert.equal('error' in viaOperation, Object.hasOwn(vector, 'error'), `${file} :: ${vector.name}: the operation disagrees with the vector`);
      try {
        assert.deepEqual(canonical(viaTyped), canonical(viaOperation));
      } catch (why) {
        failures.push(`${file} :: ${vector.name}: ${why.message.slice(0, 2000)}`);
      }
    }
  }
  for (const failure of failures) console.error(`FAIL ${failure}`);
  console.log(`lifecycle vectors through the typed API: ${total - failures.length} passed, ${failures.length} failed (${errors} of them errors)`);
  if (process.env.KIRIM_LIFECYCLE_COUNT_FILE) writeFileSync(process.env.KIRIM_LIFECYCLE_COUNT_FILE, `${total}\n`);
  assert.equal(failures.length, 0);
});

test('a Paper.id lifecycle, a non-provider and a non-text snapshot are refused', () => {
  const paper = new PaperId();
  assert.throws(() => new PayoutLifecycle(paper, { reference: 'r1', amount: { value: '10000', currency: 'IDR' },
    beneficiary: { bank: 'BCA', account_number: '1', account_name: 'A' } }, 1715588505),
  (e) => e instanceof KirimError && e.code === 'invalid_field' && e.field === 'provider');
  assert.throws(() => PayoutLifecycle.restore(paper, '{}'), KirimError);
  assert.throws(() => new PayoutLifecycle({}, {}, 1), TypeError);
  assert.throws(() => PayoutLifecycle.restore(new Pivot({ base_url: 'https://x.example', merchant_id: 'm', merchant_secret: 's' }), 42), TypeError);
});

test('idempotencyKey and order read the machine: the key its order derives, the order as stored', () => {
  const pivot = new Pivot({ base_url: 'https://api-stg.pivot-payment.com', merchant_id: 'm', merchant_secret: 's' });
  const order = { reference: 'order-1001', amount: '150000',
    beneficiary: { bank: 'BCA', account_number: '1234567890', account_name: 'Budi' } };
  const machine = new PayoutLifecycle(pivot, order, 1715588505);
  assert.equal(machine.idempotencyKey, pivot.deriveRequestId('order-1001'));
  assert.equal(machine.idempotencyKey, JSON.parse(machine.snapshot()).idempotency_key);
  assert.equal(PayoutLifecycle.restore(pivot, machine.snapshot()).idempotencyKey, machine.idempotencyKey);
  assert.deepEqual(machine.order.amount, { value: '150000.00', currency: 'IDR' });
  assert.equal(machine.order.reference, 'order-1001');
});

test('a clock that is no integer of Unix seconds is a KirimError (unexpected_shape on now), as in the provider calls', () => {
  const pivot = new Pivot({ base_url: 'https://api-stg.pivot-payment.com', merchant_id: 'm', merchant_secret: 's',
    callback_api_keys: ['k'] });
  const order = { reference: 'order-clock', amount: '150000',
    beneficiary: { bank: 'BCA', account_number: '1234567890', account_name: 'Budi' } };
  const machine = new PayoutLifecycle(pivot, order, 1715588505);
  const body = new TextEncoder().encode('{}');
  const calls = {
    constructor: (now) => new PayoutLifecycle(pivot, order, now),
    'constructor with settings': (now) => new PayoutLifecycle(pivot, order, null, now),
    poll: (now) => machine.poll(now),
    handleResponse: (now) => machine.handleResponse({ transport_failure: 'timeout' }, now),
    handleCallback: (now) => machine.handleCallback([], body, now),
    handleUnverifiedCallback: (now) => machine.handleUnverifiedCallback(body, now),
  };
  for (const [name, call] of Object.entries(calls)) {
    for (const now of [1.5, NaN, Infinity, 2 ** 53, -(2 ** 53), '1715588505', null, undefined, 2n ** 63n]) {
      assert.throws(() => call(now), (e) => {
        assert.ok(e instanceof KirimError, `${name}(${String(now)}): ${e}`);
        assert.equal(e.code, 'unexpected_shape');
        assert.equal(e.field, 'now');
        assert.match(e.message, /^argument now: .*Unix seconds/);
        return true;
      });
    }
  }
  // The same rule as the provider calls (the core's i64, within what a JS number holds exactly).
  assert.throws(() => pivot.parseAccessToken({ transport_failure: 'timeout' }, 1.5),
    (e) => e instanceof KirimError && e.code === 'unexpected_shape' && e.field === 'now');
  for (const now of [0, -1, 2 ** 53 - 1, 1715588505n]) assert.equal(typeof machine.poll(now).kind, 'string', String(now));
});

test('an order that is undefined, a function or a symbol is a KirimError (unexpected_shape on order), not the glue\'s TypeError', () => {
  const pivot = new Pivot({ base_url: 'https://api-stg.pivot-payment.com', merchant_id: 'm', merchant_secret: 's' });
  for (const order of [undefined, () => ({}), Symbol('order')]) {
    for (const call of [() => new PayoutLifecycle(pivot, order, 1715588505),
      () => PayoutLifecycle.checkSubmission(order, null, 'pivot', [])]) {
      assert.throws(call, (e) => {
        assert.ok(e instanceof KirimError, `${String(order)}: ${e}`);
        assert.equal(e.code, 'unexpected_shape');
        assert.equal(e.field, 'order');
        return true;
      });
    }
  }
});
