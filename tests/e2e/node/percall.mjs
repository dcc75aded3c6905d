// kirim end to end, from Node 20, through the PER-CALL API (request builders and parsers): a Pivot
// payout, a gateway withdraw order, Paper.id callbacks. The demo this was before the driver;
// tests/e2e drives its functions with faults injected. Merchants use the driver instead
// (examples/node/kirim-demo.mjs): this file holds the provider-specific handling the core's
// lifecycle does for them.
//
// No dependency besides `kirim` (its typed API: Pivot, Gateway, PaperId): kirim does no I/O, it builds
// each HTTP request as data and parses what comes back. This file sends the requests with the
// built-in fetch, receives callbacks with node:http, and keeps the clock. Run it against the
// provider simulator:
//
//   python3 tests/simulator/kirim_sim.py --port 8000 &
//   node tests/e2e/node/percall.mjs --simulator http://127.0.0.1:8000
//
import { createServer } from "node:http";
import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { Gateway, PaperId, Pivot, mergeStatus, parseMoney } from "kirim";

// The simulator's default credentials (tests/simulator/README.md). In production they come
// from your secret store, never from source code.
export const PIVOT_CALLBACK_KEY = "kirim-callback-key";
export const PAPERID_CALLBACK_TOKEN = "kirim-paper-token";
const FINAL = new Set(["succeeded", "failed", "cancelled", "reversed"]);

/** kirim reads no clock: the host passes Unix seconds in. */
const now = () => Math.floor(Date.now() / 1000);

/** A readable, secret-free log of each step, timed from the start. */
export function timeline(write = (line) => console.log(line)) {
  const start = performance.now();
  return (who, step, text) =>
    write(`[${((performance.now() - start) / 1000).toFixed(2).padStart(6)}s] ${who.padEnd(8)} ${step.padEnd(14)} ${text}`);
}

/**
 * Sends a request kirim built, exactly; returns the outcome in kirim's form, transport failures
 * included. A timeout or a closed connection is not an error to guess about: it goes back to
 * the core, which says what to do next (for a create: query first, never a blind retry).
 */
export async function send(request, timeoutMs = 10_000) {
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers.map((h) => [h.name, h.value]),
      body: request.body.length ? request.body : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = new Uint8Array(await response.arrayBuffer());
    return { response: { status: response.status, headers: response.headers, body } };
  } catch (error) {
    if (error.name === "TimeoutError") return { transport_failure: "timeout" };
    // undici reports a connection closed with no answer as UND_ERR_SOCKET ("other side closed").
    if (error.cause?.code === "UND_ERR_SOCKET") return { transport_failure: "empty_response" };
    return { transport_failure: "connection_error" };
  }
}

/** The host's own record of each payout: the status, merged by the core so it never goes back. */
export class Payouts {
  status = new Map();
  #waiters = new Set();

  observe(reference, status) {
    const merged = mergeStatus(this.status.get(reference) ?? null, status);
    this.status.set(reference, merged);
    this.notify();
    return merged;
  }

  notify() {
    for (const wake of this.#waiters) wake();
  }

  /** Resolves when `predicate()` holds, or with false after `ms` (every wait is bounded). */
  async until(predicate, ms) {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => {
        const wake = () => { clearTimeout(timer); this.#waiters.delete(wake); resolve(); };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
    return true;
  }

  async waitFinal(reference, ms) {
    await this.until(() => FINAL.has(this.status.get(reference)), ms);
    return this.status.get(reference);
  }
}

/** The webhook receiver: verifies each callback with kirim and answers its acknowledgement. */
export class Webhooks {
  received = []; // every callback with what kirim made of it

  constructor({ pivotConfig, gatewayConfig, payouts, log }) {
    Object.assign(this, { pivotConfig, gatewayConfig, payouts, log });
    this.pivot = new Pivot(pivotConfig);
    // Paper.id signs nothing: a shared token in a header and the sender's address prove it.
    this.paperid = new PaperId({
      callback_token_header: "X-Callback-Token",
      callback_tokens: [PAPERID_CALLBACK_TOKEN],
      allowed_source_addresses: ["127.0.0.1/32", "::1/128"],
    });
    this.server = createServer(async (req, res) => {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      let ack;
      try {
        // The TCP peer, never a header the sender controls (Paper.id's allow-list).
        ack = this.handle(req.url, req.headers, new Uint8Array(Buffer.concat(chunks)), req.socket.remoteAddress);
      } catch (error) { // a bug of ours, not the sender's: 500 makes the provider retry later
        this.log("webhook", "error", String(error));
        ack = { status: 500, headers: [], body: new Uint8Array(0) };
      }
      res.writeHead(ack.status, ack.headers.map((h) => [h.name, h.value]).flat());
      res.end(ack.body);
    });
  }

  async listen() {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  /** The gateway client follows its configuration (a test switches it to MD5). */
  set gatewayConfig(config) {
    this.gateway = new Gateway(config);
    this.gatewayConfigValue = config;
  }

  get gatewayConfig() {
    return this.gatewayConfigValue;
  }

  /** Verifies one callback from its RAW body; returns the acknowledgement kirim chose. */
  handle(path, headers, body, peer = null) {
    let who, result;
    if (path === "/pivot") {
      who = "pivot";
      result = this.pivot.handleCallback(headers, body);
    } else if (path === "/gateway") {
      who = "gateway";
      // Authenticity is the signature inside the body; the headers prove nothing here.
      result = this.gateway.handleNotification(body);
      result.events = result.event ? [result.event] : [];
    } else if (path === "/paperid") {
      who = "paperid";
      result = this.paperid.handleCallback(headers, peer, body);
      result.events = result.event ? [result.event] : [];
    } else {
      return { status: 404, headers: [], body: new Uint8Array(0) };
    }
    const ack = result.acknowledgement;
    const events = result.events ?? [];
    const record = { provider: who, verified: result.error == null, ack, events };
    for (const event of events) {
      // A bulk event has no reference (read the items); single events name theirs. A Paper.id
      // payout is created outside kirim: it is tracked by Paper.id's own id (its disbursement id).
      const key = who === "paperid" ? event.payout_id : event.reference_id;
      if (key) record.merged = this.payouts.observe(key, event.status);
    }
    this.received.push(record);
    this.payouts.notify();
    if (record.verified) {
      const said = events.map((e) => `${e.reference_id ?? e.payout_id} ${e.raw_status} -> ${e.status}`).join(", ");
      this.log(who, "callback", `verified (${said}); merged status ${record.merged}; answered HTTP ${ack.status} ${text.decode(ack.body)}`);
    } else {
      this.log(who, "callback", `REJECTED (${result.error.code}); answered HTTP ${ack.status} ${text.decode(ack.body)}`);
    }
    return ack;
  }

  /** Waits (bounded) until some received callback satisfies `predicate`. */
  waitFor(predicate, ms) {
    return this.payouts.until(() => this.received.some(predicate), ms);
  }

  close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

const text = new TextDecoder();

/** The simulator's control API (tests/simulator/README.md): faults, ledger, reset. */
export async function control(sim, path, body) {
  const response = await fetch(sim + path, body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return response.json();
}

export function configs(sim) {
  return {
    pivotConfig: { base_url: sim, merchant_id: "kirim-merchant", merchant_secret: "kirim-secret",
                   callback_api_keys: [PIVOT_CALLBACK_KEY] },
    gatewayConfig: { base_url: sim, platform_id: "PF0002", platform_key: "ThisIsYourSecretKey123",
                     authorization: "kirim-gateway-auth", sign_type: "HMAC-SHA256" },
  };
}

/** Token, balance, inquiry, create (with a lost answer), query, callback: the final status. */
export async function pivotPayout(sim, webhooks, { reference, accountNumber = "999966660001", accountName = "Reforza Pivot",
                                                  amount = "100000", fault = "drop_response" }) {
  const { pivot, payouts, log } = webhooks;

  const token = pivot.parseAccessToken(await send(pivot.accessTokenRequest()), now());
  log("pivot", "token", `${token.token_type} [redacted], valid ${token.expires_at - now()} s`); // never the value

  const balance = pivot.parseBalance(await send(pivot.balanceRequest(token, now())));
  log("pivot", "balance", `${balance.currency} ${balance.value}`);

  const inquiry = pivot.parseInquiry(await send(pivot.inquiryRequest(token, now(),
    { channel_code: "BCA", account_number: accountNumber, account_name: accountName })));
  log("pivot", "inquiry", `account ${accountNumber}: ${inquiry.status}`);

  // The key comes from our own reference: a retry of this payout can never get a fresh key.
  const key = pivot.deriveRequestId(reference);
  const create = pivot.createPayoutRequest(token, now(), key, [{
    reference_id: reference, destination: { type: "inquiry", inquiry_id: inquiry.inquiry_id },
    amount: { value: amount, currency: "IDR" }, description: "kirim demo" }]);
  if (fault) {
    // drop_response: the simulator creates the payout but holds the answer longer than our
    // timeout. http_500_html: it creates nothing and answers with an HTML error page.
    await control(sim, "/_sim/faults", { method: "POST", path: "/v1/payouts", fault, hold_seconds: 3 });
  }
  log("pivot", "create", `${reference}: IDR ${amount}, X-REQUEST-ID ${key}`);
  // What we sent, and when the key was first sent: kirim advises a resend only while Pivot
  // still replays the key (24 h less a safety margin), and a person after that.
  const firstSentAt = now();
  const attemptAt = () => ({ idempotency_key: key, reference_ids: [reference], first_sent_at: firstSentAt, now: now() });
  let result = pivot.parseCreatePayout(await send(create, 1000), attemptAt());

  for (let attempt = 0; result.next_action.kind !== "accepted"; attempt++) { // bounded: the core decides
    if (result.next_action.kind === "manual_reconciliation") {
      throw new Error(`a person must reconcile ${reference}: ${result.next_action.message}`);
    }
    if (result.next_action.kind !== "resend_same_request" || attempt === 3) {
      throw new Error(`create not accepted: ${JSON.stringify(result.next_action)} ${JSON.stringify(result.error)}`);
    }
    // No payout id came back, and Pivot has no lookup by reference: resend the identical
    // request with the SAME key, which Pivot answers by replaying the first answer.
    log("pivot", "create", `no answer (${result.error.code}): core says ${result.next_action.kind}; resending the SAME request and key`);
    result = pivot.parseCreatePayout(await send(create), attemptAt());
  }
  const batch = result.batch;
  const item = batch.items.find((i) => i.reference_id === reference);
  log("pivot", "create", `accepted: payout ${batch.payout_id}, item ${item.raw_status} (${item.status}); merged ${payouts.observe(reference, item.status)}`);

  const query = async () => pivot.parseRetrieve(await send(pivot.retrieveRequest(token, now(), batch.payout_id, reference))).items[0];
  const queried = await query();
  log("pivot", "query", `${reference}: ${queried.raw_status} (${queried.status}); merged ${payouts.observe(reference, queried.status)}`);

  let final = await payouts.waitFinal(reference, 15_000);
  if (!FINAL.has(final)) final = payouts.observe(reference, (await query()).status); // callback late or lost: reconcile
  log("pivot", "final", `${reference}: ${final}`);
  return final;
}

/** A signed withdraw order (with a lost answer), its notification verified: the final status. */
export async function gatewayWithdraw(sim, webhooks, { reference, number = "4088748280272397", amount = "50000", fault = "drop_response" }) {
  const { gateway, gatewayConfig: config, payouts, log } = webhooks;

  const balance = gateway.parseBalance(await send(gateway.balanceRequest()));
  log("gateway", "balance", `${balance.currency} ${balance.value}`);

  const order = { payout_cl_id: reference, amount: { value: amount, currency: "IDR" }, bank_name: "BCA",
                  name: "test name", number, notify_url: `${webhooks.url}/gateway` };
  const create = gateway.createWithdrawRequest(order, now());
  if (fault) await control(sim, "/_sim/faults", { method: "POST", path: "/gateway/api/v2/payouts", fault, hold_seconds: 3 });
  log("gateway", "create", `${reference}: IDR ${amount}, signed ${config.sign_type}`);
  let result = gateway.parseCreateWithdraw(await send(create, 1000));
  const queryOrders = async () => {
    try {
      return gateway.parseQuery(await send(gateway.queryOrderRequest(reference))).orders;
    } catch (error) {
      if (error.code === "not_found") return [];
      throw error;
    }
  };
  if (result.next_action.kind === "query_first") {
    // Unlike Pivot, the gateway can be asked by our own order id: query before anything else.
    log("gateway", "create", `no answer (${result.error.code}): core says query_first; querying ${reference}`);
    const orders = await queryOrders();
    if (orders.length) {
      result = { next_action: { kind: "accepted" }, payout_id: orders[0].payout_id };
    } else {
      // Never created: resending is safe, and payout_cl_id deduplicates it anyway.
      log("gateway", "create", `${reference} not found: resending the same order`);
      result = gateway.parseCreateWithdraw(await send(create));
    }
  }
  if (result.next_action.kind !== "accepted") {
    throw new Error(`withdraw order not accepted: ${JSON.stringify(result.next_action)} ${JSON.stringify(result.error)}`);
  }
  log("gateway", "create", `accepted (never 'succeeded' yet): order ${result.payout_id}`);

  const [state] = await queryOrders();
  log("gateway", "query", `${reference}: status ${state.raw_status} (${state.status}); merged ${payouts.observe(reference, state.status)}`);

  let final = await payouts.waitFinal(reference, 15_000);
  if (!FINAL.has(final)) final = payouts.observe(reference, (await queryOrders())[0].status); // notification late or lost
  log("gateway", "final", `${reference}: ${final}`);
  return final;
}

/**
 * Two payouts in one request, to two accounts (the simulator fails the second). Pivot's callback
 * for a batch carries totals, not items: the host reads the items by retrieving the batch.
 * Returns each reference's final status.
 */
export async function pivotBulkPayout(sim, webhooks, { references }) {
  const { pivot, payouts, log } = webhooks;
  const token = pivot.parseAccessToken(await send(pivot.accessTokenRequest()), now());
  const numbers = ["999966660001", "999966660002"];
  const items = references.map((reference, i) => ({
    reference_id: reference,
    destination: { type: "account", channel_code: "BCA", account_number: numbers[i], account_name: "Reforza Pivot" },
    amount: parseMoney("100000"),
    description: "kirim bulk demo",
  }));
  // One key for the request, derived from a reference of our own for the batch.
  const key = pivot.deriveRequestId(`${references[0]}-batch`);
  const result = pivot.parseCreatePayout(await send(pivot.createPayoutRequest(token, now(), key, items)));
  if (result.next_action.kind !== "accepted") {
    throw new Error(`bulk create not accepted: ${JSON.stringify(result.next_action)} ${JSON.stringify(result.error)}`);
  }
  const batch = result.batch;
  log("pivot", "bulk create", `payout ${batch.payout_id}: ${batch.items.map((i) => i.reference_id).join(", ")}`);
  const batchEvent = (r) => r.provider === "pivot" && r.verified && r.events.some((e) => e.reference_id == null);
  if (!(await webhooks.waitFor(batchEvent, 15_000))) log("pivot", "bulk", "no batch callback in time: reading the batch anyway");
  const retrieved = pivot.parseRetrieve(await send(pivot.retrieveRequest(token, now(), batch.payout_id, null)));
  for (const item of retrieved.items) {
    log("pivot", "bulk query", `${item.reference_id}: ${item.raw_status} (${item.status}); merged ${payouts.observe(item.reference_id, item.status)}`);
  }
  return Object.fromEntries(references.map((reference) => [reference, payouts.status.get(reference) ?? "unknown"]));
}

/**
 * Paper.id's disbursement callback, verified by token and source address; then a forged one
 * (wrong token), which must be refused and change nothing. Returns the reference's status.
 */
export async function paperidCallbacks(sim, webhooks, { reference }) {
  const { payouts, log } = webhooks;
  const url = `${webhooks.url}/paperid`;
  const sent = await control(sim, "/_sim/paperid/callback", { url, fields: { disbursement_id: reference } });
  log("paperid", "callback", `${reference}: ${sent.event} answered HTTP ${sent.status_code}`);
  const forgedRef = `${reference}-forged`;
  const forged = await control(sim, "/_sim/paperid/callback",
                               { url, token: "not-the-token", fields: { disbursement_id: forgedRef } });
  log("paperid", "forged", `${forgedRef}: answered HTTP ${forged.status_code}; status ${payouts.status.get(forgedRef) ?? "none recorded"}`);
  if (forged.status_code === 200 || payouts.status.has(forgedRef)) throw new Error("a forged Paper.id callback was accepted");
  const final = payouts.status.get(reference) ?? "unknown";
  log("paperid", "final", `${reference}: ${final}`);
  return final;
}

async function main() {
  const at = process.argv.indexOf("--simulator");
  if (at < 0) throw new Error("usage: node percall.mjs --simulator http://127.0.0.1:PORT [--prefix js]");
  const sim = process.argv[at + 1];
  const prefix = process.argv.includes("--prefix") ? process.argv[process.argv.indexOf("--prefix") + 1] : "js";
  const log = timeline();
  const payouts = new Payouts();
  const webhooks = await new Webhooks({ ...configs(sim), payouts, log }).listen();
  // Slow processing a little so that the timeline reads in order: create, query, callback.
  await control(sim, "/_sim/config", { pivot_callback_url: `${webhooks.url}/pivot`, pivot_processing_delay_seconds: 2.5,
                                       gateway_step_delay_seconds: 1.25 });
  log("demo", "receiver", `webhooks on ${webhooks.url}`);
  const pivotRef = `${prefix}Pivot${now()}`;
  const gatewayRef = `${prefix}-gw-${now()}`;
  const paperRef = `${prefix}-paper-${now()}`;
  const results = { [pivotRef]: await pivotPayout(sim, webhooks, { reference: pivotRef }) };
  results[gatewayRef] = await gatewayWithdraw(sim, webhooks, { reference: gatewayRef });
  results[paperRef] = await paperidCallbacks(sim, webhooks, { reference: paperRef });
  webhooks.close();

  const ledger = await control(sim, "/_sim/ledger");
  console.log("\nFinal statuses:");
  for (const [reference, status] of Object.entries(results)) console.log(`  ${reference.padEnd(28)} ${status}`);
  console.log("Simulator ledger (payouts really created per reference):");
  console.log(`  pivot   ${JSON.stringify(ledger.pivot.payouts_created_per_reference)}  balance IDR ${ledger.pivot.balance}`);
  console.log(`  gateway ${JSON.stringify(ledger.gateway.orders_created_per_reference)}  balance ${ledger.gateway.balance_cents} cents`);
  const created = { ...ledger.pivot.payouts_created_per_reference, ...ledger.gateway.orders_created_per_reference };
  created[paperRef] = 1; // Paper.id disbursements are created outside kirim (only their callbacks are handled here)
  const ok = Object.entries(results).every(([reference, status]) => status === "succeeded" && created[reference] === 1);
  process.exitCode = ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
