// The same smoke test in every runtime (Node, Deno, Bun, workerd): sign a gateway order, build a
// Pivot payout, verify and parse a callback, catch a KirimError, drive a payout with the driver,
// build test callbacks through `kirim/testkit` and verify them with the production module. It
// takes the imported package as an argument so that each runtime imports `kirim` its own way (its
// exports condition), and `testkit`: `load()` imports `kirim/testkit` the runtime's way, and
// `onRequest` says whether the test builders need it (the ES module entries: Deno, Workers,
// browsers) or load by themselves (the CommonJS build: Node and Bun).

const encode = (text) => new TextEncoder().encode(text);
const decode = (bytes) => new TextDecoder().decode(bytes);

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** HMAC-SHA256 with the runtime's own Web Crypto: an oracle independent of kirim. */
async function hmacHex(key, text) {
  const cryptoKey = await crypto.subtle.importKey(
    'raw', encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encode(text)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function smoke(kirim, testkit) {
  const { Gateway, Pivot, KirimError, AccessToken, Secret, parseMoney } = kirim;
  const results = [];
  async function check(name, body) {
    try {
      await body();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: String(error && error.stack || error) });
    }
  }

  await check('sign a gateway withdraw order', async () => {
    // The seed order of tests/vectors/gateway/create_withdraw_request.json.
    const key = 'ThisIsYourSecretKey123';
    const gateway = new Gateway({
      base_url: 'https://payment.example',
      platform_id: 'PF0002',
      platform_key: new Secret(key),
    });
    const request = gateway.createWithdrawRequest({
      payout_cl_id: 'DEVPOT00143538',
      amount: parseMoney('500'),
      bank_name: 'BCA',
      name: 'test_name',
      number: '4088748280272397',
      notify_url: 'https://xxx.xx/notification',
    }, 1595504997);
    assert(request.method === 'POST', `method ${request.method}`);
    assert(request.url === 'https://payment.example/gateway/api/v2/payouts', request.url);
    assert(request.body instanceof Uint8Array, 'the body is bytes');
    const sent = JSON.parse(decode(request.body));
    assert(sent.amount === 50000 && sent.sign_type === 'HMAC-SHA256', decode(request.body));
    // The canonical string, built here independently: sorted keys, sign fields left out.
    const canonical = Object.keys(sent).filter((k) => k !== 'sign' && k !== 'sign_type').sort()
      .map((k) => `${k}=${sent[k]}`).join('&');
    assert(sent.sign === await hmacHex(key, canonical), `sign ${sent.sign} is not HMAC-SHA256 of ${canonical}`);
    // The spec's [computed] answer, as in the shared vector.
    assert(sent.sign === 'b69ced01c311b0e5d18a45627292776e2392ce27de9d5dc6fc0bd32c1c79f643', sent.sign);
  });

  const pivot = new Pivot({
    base_url: 'https://api-stg.pivot-payment.com',
    merchant_id: 'kirim-merchant',
    merchant_secret: new Secret('kirim-secret'),
    callback_api_keys: [new Secret('cb-key-current'), new Secret('cb-key-previous')],
  });

  await check('build a Pivot payout', async () => {
    const now = 1715588100;
    const token = pivot.parseAccessToken({
      response: {
        status: 200,
        headers: [{ name: 'Content-Type', value: 'application/json' }],
        body: encode('{"code":"00","message":"Success","data":{"accessToken":"tok-abc","tokenType":"Bearer","expiresIn":900}}'),
      },
    }, now);
    assert(token instanceof AccessToken && token.expires_at === now + 900, JSON.stringify(token));
    assert(!String(token).includes('tok-abc') && !JSON.stringify(token).includes('tok-abc'), 'token printed');
    const key = pivot.deriveRequestId('order-2024-0001');
    const request = pivot.createPayoutRequest(token, now + 1, key, [{
      reference_id: 'order-2024-0001',
      destination: { type: 'account', channel_code: 'BCA', account_number: '999966660001', account_name: 'Budi Santoso' },
      amount: parseMoney('150000'),
      description: 'Komisi Mei',
    }]);
    assert(request.url === 'https://api-stg.pivot-payment.com/v1/payouts', request.url);
    const header = (name) => request.headers.find((h) => h.name === name)?.value;
    assert(header('X-REQUEST-ID') === key && /^[0-9a-f]{32}$/.test(key), `X-REQUEST-ID ${header('X-REQUEST-ID')}`);
    assert(header('Authorization') === 'Bearer tok-abc', 'the bearer token is sent');
    const body = JSON.parse(decode(request.body));
    assert(body.payouts[0].amount.value === '150000' && body.payouts[0].amount.currency === 'IDR', decode(request.body));
    assert(!JSON.stringify(request).includes('tok-abc'), 'JSON of a request shows no header value');
  });

  const callback = encode(JSON.stringify({
    event: 'PAYOUT.SUCCESS',
    data: {
      uuid: 'd6a46a2c-1b26-40c5-9ca3-e063e69635a0',
      merchantId: '922e39ab-7565-49f6-b84f-fb56122821ae',
      payouts: {
        referenceId: 'order-2024-0001',
        amount: { currency: 'IDR', value: '150000' },
        status: 'SUCCESS',
        reason: null,
      },
    },
  }));

  await check('verify and parse a callback', async () => {
    const events = pivot.verifyCallback({ 'x-api-key': 'cb-key-previous' }, callback);
    assert(events.length === 1, JSON.stringify(events));
    const [event] = events;
    assert(event.status === 'succeeded' && event.authenticity === 'api_key', JSON.stringify(event));
    assert(event.reference_id === 'order-2024-0001', JSON.stringify(event));
    assert(event.amount.value === '150000.00' && event.amount.currency === 'IDR', JSON.stringify(event.amount));
    const handled = pivot.handleCallback([{ name: 'X-API-Key', value: 'cb-key-current' }], callback);
    assert(handled.acknowledgement.status === 200 && handled.acknowledgement.body instanceof Uint8Array,
      JSON.stringify(handled.acknowledgement));
  });

  await check('catch a KirimError', async () => {
    let caught;
    try {
      pivot.verifyCallback([{ name: 'X-API-Key', value: 'forged' }], callback);
    } catch (error) {
      caught = error;
    }
    assert(caught instanceof KirimError && caught instanceof Error, `caught ${caught}`);
    switch (caught.code) {
      case 'callback_key_mismatch':
        break;
      default:
        throw new Error(`code ${caught.code}`);
    }
    assert(caught.field === 'X-API-Key', `field ${caught.field}`);
    let typeError;
    try {
      pivot.verifyCallback([], JSON.parse(decode(callback)));
    } catch (error) {
      typeError = error;
    }
    assert(typeError instanceof TypeError && /raw body bytes/.test(typeError.message), `caught ${typeError}`);
  });

  await check('drive a gateway payout to done with the driver and an in-memory store', async () => {
    const { PayoutDriver, MemoryStore } = kirim;
    const gateway = new Gateway({ base_url: 'https://payment.example', platform_id: 'PF0002',
      platform_key: new Secret('key'), authorization: new Secret('auth') });
    // The gateway answering at once (the core's own example): created, then done by the query.
    const sent = [];
    const fetch = async (url, init) => {
      sent.push(init.method);
      const body = init.method === 'POST'
        ? '{"error_code":"0000","data":{"payout_id":"POT1"}}'
        : '{"error_code":"0000","data":[{"payout_id":"POT1","payout_cl_id":"ORD42","amount":5000000,"status":3}]}';
      return new Response(body, { status: 200 });
    };
    let now = 1715588505;
    const store = new MemoryStore();
    const driver = new PayoutDriver(gateway, store, {
      fetch, clock: () => now, sleep: async (ms) => { now += ms / 1000; },
    });
    const { action } = await driver.pay({ reference: 'ORD42', amount: parseMoney('50000'),
      beneficiary: { bank: 'BCA', account_number: '4088748280272397', account_name: 'test name' } });
    assert(action.kind === 'done' && action.status === 'succeeded', JSON.stringify(action));
    assert(sent.join() === 'POST,GET', sent.join());
    const stored = await store.load('ORD42');
    assert(JSON.parse(stored.snapshot).version === 1 && stored.finished.status === 'succeeded', JSON.stringify(stored));
  });

  const testEvent = { status: 'failed', amount: '250000', payout_id: 'uuid-1', reference_id: 'INV-2',
    failure_reason: 'Invalid Account' };
  // The shared scenario vectors' runner, a test facility in the test kit's module too.
  const scenario = JSON.stringify({ provider: 'gateway', now: 1715588505,
    config: { base_url: 'https://payment.example', platform_id: 'PF0002', platform_key: 'key',
      authorization: 'auth' },
    order: { reference: 'ORD42', amount: '50000',
      beneficiary: { bank: 'BCA', account_number: '4088748280272397', account_name: 'test name' } },
    steps: [{ poll: 1715588505 }] });

  await check(testkit.onRequest ? 'without kirim/testkit, a test builder says to import it'
    : 'a test builder loads the test kit by itself', async () => {
    let thrown;
    try {
      const request = pivot.testCallback('cb-key-current', testEvent);
      assert(pivot.verifyCallback(request.headers, request.body)[0].reference_id === 'INV-2', 'read back');
    } catch (error) {
      thrown = error;
    }
    if (testkit.onRequest) {
      assert(thrown instanceof TypeError && thrown.message.includes("import 'kirim/testkit'"), `caught ${thrown}`);
      let scenarioError;
      try {
        kirim.runOperation('lifecycle.scenario', scenario);
      } catch (error) {
        scenarioError = error;
      }
      assert(scenarioError instanceof TypeError && scenarioError.message.includes("import 'kirim/testkit'"),
        `caught ${scenarioError}`);
    } else {
      assert(thrown === undefined, `caught ${thrown && thrown.stack}`);
    }
  });

  await check('build test callbacks and run a scenario through kirim/testkit; the production module verifies them', async () => {
    await testkit.load();
    const request = pivot.testCallback('cb-key-current', testEvent, 'https://merchant.example/cb');
    assert(request.method === 'POST' && request.url === 'https://merchant.example/cb', request.url);
    const [event] = pivot.verifyCallback(request.headers, request.body);
    assert(event.status === 'failed' && event.reference_id === 'INV-2' && event.payout_id === 'uuid-1', JSON.stringify(event));
    assert(event.amount.value === '250000.00' && event.failure.provider_text === 'Invalid Account', JSON.stringify(event));
    const forged = request.headers.map((h) => (h.name === 'X-API-Key' ? { ...h, value: 'cb-key-forged' } : h));
    assert(pivot.handleCallback(forged, request.body).acknowledgement.status === 401, 'a forged key is refused');
    const gateway = new Gateway({ base_url: 'https://payment.example', platform_id: 'PF0002',
      platform_key: new Secret('platform-key') });
    const notification = gateway.testNotification('platform-key',
      { status: 'succeeded', amount: '4000.50', payout_id: 'POT1', reference_id: 'ORD-1' }, 'HMAC-SHA256');
    const read = gateway.verifyNotification(notification.body);
    assert(read.status === 'succeeded' && read.amount.value === '4000.50', JSON.stringify(read));
    const [step] = JSON.parse(kirim.runOperation('lifecycle.scenario', scenario)).steps;
    assert(step.action.kind === 'send' && step.action.purpose === 'create', JSON.stringify(step));
  });

  return results;
}

/** Prints the results and says whether all passed. */
export function report(runtime, results) {
  for (const r of results) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${runtime}: ${r.name}${r.ok ? '' : `\n${r.error}`}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`smoke-${runtime}: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 && results.length === 7;
}
