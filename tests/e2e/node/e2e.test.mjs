// End-to-end scenarios, from Node: kirim's npm package against the provider simulator.
//
// Real HTTP on loopback, through the per-call API (tests/e2e/node/percall.mjs, the demo that predates the driver). The
// simulator is the one tests/e2e/script/test started (KIRIM_SIM_URL); run alone, this file
// starts its own and always stops it. Every wait has a deadline.
import { test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as demo from "./percall.mjs";

const root = fileURLToPath(new URL("../../../", import.meta.url));
let sim = process.env.KIRIM_SIM_URL;
let ownSim;

before(async () => {
  if (sim) return;
  const portFile = join(mkdtempSync(join(tmpdir(), "kirim-e2e-")), "sim.port");
  ownSim = spawn("python3", [join(root, "tests/simulator/kirim_sim.py"), "--port", "0", "--port-file", portFile, "--max-seconds", "300"], { stdio: "inherit" });
  const deadline = Date.now() + 10_000;
  while (!existsSync(portFile)) {
    if (Date.now() > deadline) throw new Error("the simulator did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  sim = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;
});

after(() => ownSim?.kill());

/** Each test starts from a clean simulator, with its own webhook receiver. */
let ctx;
beforeEach(async () => {
  await demo.control(sim, "/_sim/reset", {});
  const lines = [];
  const payouts = new demo.Payouts();
  const webhooks = await new demo.Webhooks({ ...demo.configs(sim), payouts, log: demo.timeline((l) => lines.push(l)) }).listen();
  // Callback retries in tenths of a second, so that a retried callback fits in a test.
  await demo.control(sim, "/_sim/config", { pivot_callback_url: `${webhooks.url}/pivot`, retry_scale_seconds_per_hour: 0.1 });
  ctx = { lines, payouts, webhooks };
});
afterEach(() => ctx.webhooks.close());

const ledger = () => demo.control(sim, "/_sim/ledger");
const callbacks = async (provider, kind) => (await ledger()).callbacks.filter((c) => c.provider === provider && c.kind === kind);

test("a timeout is resolved by resending the same request and pays exactly once", async () => {
  const final = await demo.pivotPayout(sim, ctx.webhooks, { reference: "jsTimeout0001", fault: "drop_response" });
  assert.equal(final, "succeeded");
  const l = await ledger();
  assert.deepEqual(l.pivot.payouts_created_per_reference, { jsTimeout0001: 1 });
  // The second create was the same key and payload, answered by replay: nothing created.
  assert.equal(l.pivot.requests.length, 1);
  assert.equal(l.pivot.requests[0].replays, 1);
  const creates = l.http.filter((h) => h.method === "POST" && h.path === "/v1/payouts");
  assert.deepEqual(creates.map((h) => [h.status, h.fault]), [[null, "drop_response"], [200, null]]);
  // Then the status was queried, by the payout id the replay gave back.
  assert.ok(l.http.some((h) => h.method === "GET" && h.path === `/v1/payouts/${l.pivot.requests[0].uuid}`));
  assert.match(ctx.lines.join("\n"), /core says resend_same_request/);
  assert.equal(l.pivot.balance, "9900000.00");
  const text = ctx.lines.join("\n");
  for (const secret of ["kirim-secret", demo.PIVOT_CALLBACK_KEY, "ThisIsYourSecretKey123"]) assert.ok(!text.includes(secret));
  assert.match(text, /Bearer \[redacted\]/);
});

test("an HTML 500 is resolved by resending the same key once", async () => {
  const final = await demo.pivotPayout(sim, ctx.webhooks, { reference: "jsHtml5000001", fault: "http_500_html" });
  assert.equal(final, "succeeded");
  assert.deepEqual((await ledger()).pivot.payouts_created_per_reference, { jsHtml5000001: 1 });
  assert.match(ctx.lines.join("\n"), /provider_unavailable/);
});

test("a forged callback is rejected with 401 and changes nothing", async () => {
  // An inactive account: the payout fails, and the forged callback claims it succeeded.
  await demo.control(sim, "/_sim/faults", { callback: "pivot", fault: "forged" });
  const final = await demo.pivotPayout(sim, ctx.webhooks, { reference: "jsForged00001", accountNumber: "999966660002",
                                                            accountName: "Inactive Holder", fault: null });
  assert.equal(final, "failed");
  assert.ok(await ctx.webhooks.waitFor((r) => !r.verified, 5000));
  const forged = await callbacks("pivot", "forged");
  assert.deepEqual(forged.map((c) => [c.status_code, c.acknowledged]), [[401, false]]);
  const rejected = ctx.webhooks.received.filter((r) => !r.verified);
  assert.deepEqual(rejected.map((r) => [r.ack.status, r.events]), [[401, []]]);
  assert.equal(ctx.payouts.status.get("jsForged00001"), "failed");
  assert.deepEqual((await ledger()).pivot.payouts_created_per_reference, { jsForged00001: 1 });
});

/**
 * A succeeded payout (`final`) whose callbacks came as `raws`: the genuine one, its duplicate,
 * then a stale earlier status. Each was verified and acknowledged; the stale one was merged
 * without moving the payout backwards.
 */
async function expectDuplicateThenStale(final, reference, raws) {
  assert.equal(final, "succeeded");
  // Wait for the whole sequence, up to the stale status.
  assert.ok(await ctx.webhooks.waitFor((r) => r.events.some((e) => e.raw_status === raws.at(-1)), 10_000));
  assert.deepEqual(ctx.webhooks.received.flatMap((r) => r.events.map((e) => e.raw_status)), raws);
  assert.ok(ctx.webhooks.received.every((r) => r.verified && r.ack.status === 200));
  assert.equal(ctx.webhooks.received.at(-1).merged, "succeeded");
  assert.equal(ctx.payouts.status.get(reference), "succeeded");
}

test("duplicate and stale callbacks leave the final status", async () => {
  await demo.control(sim, "/_sim/faults", { faults: [{ callback: "pivot", fault: "duplicate" }, { callback: "pivot", fault: "out_of_order" }] });
  const final = await demo.pivotPayout(sim, ctx.webhooks, { reference: "jsDupStale001", fault: null });
  await expectDuplicateThenStale(final, "jsDupStale001", ["SUCCESS", "SUCCESS", "PENDING"]);
  assert.deepEqual((await ledger()).pivot.payouts_created_per_reference, { jsDupStale001: 1 });
});

const GATEWAY_CREATE = "/gateway/api/v2/payouts";

test("a bulk callback carries totals and the items come from retrieve", async () => {
  const finals = await demo.pivotBulkPayout(sim, ctx.webhooks, { references: ["js-bulk-ok-1", "js-bulk-fail-1"] });
  assert.deepEqual(finals, { "js-bulk-ok-1": "succeeded", "js-bulk-fail-1": "failed" });
  const batches = ctx.webhooks.received.filter((r) => r.events.some((e) => e.reference_id == null));
  assert.equal(batches.length, 1);
  assert.ok(batches[0].verified);
  assert.equal(batches[0].ack.status, 200);
  assert.equal(batches[0].merged, undefined); // a batch event names no payout: nothing merged from it
  const [event] = batches[0].events;
  assert.equal(event.totals.success_count, 1);
  assert.equal(event.totals.failed_count, 1);
  assert.deepEqual((await ledger()).pivot.payouts_created_per_reference, { "js-bulk-ok-1": 1, "js-bulk-fail-1": 1 });
});

test("gateway: a timeout is resolved by a query and creates exactly one order", async () => {
  const final = await demo.gatewayWithdraw(sim, ctx.webhooks, { reference: "js-gw-timeout-1", fault: "drop_response" });
  assert.equal(final, "succeeded");
  const l = await ledger();
  assert.deepEqual(l.gateway.orders_created_per_reference, { "js-gw-timeout-1": 1 });
  const creates = l.http.filter((h) => h.method === "POST" && h.path === GATEWAY_CREATE);
  assert.deepEqual(creates.map((h) => [h.status, h.fault]), [[null, "drop_response"]]);
  // Query first: by our own order id, right after the lost answer.
  assert.ok(l.http.some((h) => h.method === "GET" && h.path === `${GATEWAY_CREATE}/js-gw-timeout-1`));
  assert.equal(l.gateway.balance_cents, 1_000_000_000 - 5_000_000);
  // The notification was verified and acknowledged with the gateway's own success body.
  const finals = l.callbacks.filter((c) => c.provider === "gateway" && c.kind === "final");
  assert.deepEqual(finals.map((c) => [c.status_code, c.acknowledged]), [[200, true]]);
  assert.match(finals[0].response_body, /"error_code"\s*:\s*"0000"/);
  const text = ctx.lines.join("\n");
  for (const secret of ["ThisIsYourSecretKey123", "kirim-gateway-auth"]) assert.ok(!text.includes(secret));
});

test("gateway: a forged notification is refused without 0000 and changes nothing", async () => {
  // An account the gateway fails; the forged notification claims status 3 (success).
  await demo.control(sim, "/_sim/faults", { callback: "gateway", fault: "forged" });
  const final = await demo.gatewayWithdraw(sim, ctx.webhooks, { reference: "js-gw-forged-1", number: "4088748280270006", fault: null });
  assert.equal(final, "failed");
  assert.ok(await ctx.webhooks.waitFor((r) => !r.verified, 5000));
  const forged = await callbacks("gateway", "forged");
  assert.equal(forged.length, 1);
  assert.equal(forged[0].acknowledged, false);
  assert.ok(!(forged[0].response_body ?? "").includes("0000"));
  const rejected = ctx.webhooks.received.filter((r) => !r.verified);
  assert.equal(rejected.length, 1);
  assert.deepEqual(rejected[0].events, []);
  assert.equal(ctx.payouts.status.get("js-gw-forged-1"), "failed");
  assert.deepEqual((await ledger()).gateway.orders_created_per_reference, { "js-gw-forged-1": 1 });
});

test("gateway: duplicate and stale MD5 notifications leave the final status", async () => {
  // The legacy algorithm: an MD5-signed order gets MD5 notifications, verified too.
  ctx.webhooks.gatewayConfig = { ...ctx.webhooks.gatewayConfig, sign_type: "MD5" };
  await demo.control(sim, "/_sim/faults", { faults: [{ callback: "gateway", fault: "duplicate" }, { callback: "gateway", fault: "out_of_order" }] });
  const final = await demo.gatewayWithdraw(sim, ctx.webhooks, { reference: "js-gw-dup-1", fault: null });
  await expectDuplicateThenStale(final, "js-gw-dup-1", ["3", "3", "2"]);
  const l = await ledger();
  assert.ok([null, undefined, "MD5"].includes(l.gateway.orders[0].sign_type));
  assert.deepEqual(l.gateway.orders_created_per_reference, { "js-gw-dup-1": 1 });
});

test("paperid: a callback is verified by token and source address, a forged one is refused", async () => {
  const final = await demo.paperidCallbacks(sim, ctx.webhooks, { reference: "js-paper-1" });
  assert.equal(final, "succeeded");
  const [verified, rejected] = ctx.webhooks.received;
  assert.equal(ctx.webhooks.received.length, 2);
  assert.ok(verified.verified);
  assert.equal(verified.ack.status, 200);
  assert.deepEqual(verified.events.map((e) => e.raw_status), ["DISBURSED"]);
  assert.equal(verified.events[0].authenticity, "shared_token_and_source_address");
  assert.ok(!rejected.verified);
  assert.notEqual(rejected.ack.status, 200);
  assert.deepEqual(rejected.events, []);
  assert.ok(!ctx.payouts.status.has("js-paper-1-forged"));
  const sent = (await ledger()).callbacks.filter((c) => c.provider === "paperid");
  assert.deepEqual(sent.map((c) => c.acknowledged), [true, false]);
  assert.ok(!ctx.lines.join("\n").includes(demo.PAPERID_CALLBACK_TOKEN));
});

test("the demo (examples/node, on the driver) pays, survives a SIGKILL and creates one payout per reference", async () => {
  // The demo sets its own callback receiver; the ledger starts clean (beforeEach).
  const child = spawn(process.execPath, [join(root, "examples/node/kirim-demo.mjs"), "--simulator", sim, "--prefix", "jsE2E"],
                      { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk) => { out += chunk; });
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000); // every wait has a deadline
  const [code] = await once(child, "exit");
  clearTimeout(timer);
  assert.equal(code, 0, out);
  assert.match(out, /KILLED +child pid \d+ \(SIGKILL\) with its create out/);
  assert.match(out, /resume +final +jsE2ECrash\d+: succeeded/);
  const l = await ledger();
  const crash = Object.keys(l.pivot.payouts_created_per_reference).find((r) => r.startsWith("jsE2ECrash"));
  assert.ok(crash, out);
  assert.ok(Object.values({ ...l.pivot.payouts_created_per_reference, ...l.gateway.orders_created_per_reference }).every((n) => n === 1));
  assert.equal(Object.keys(l.pivot.payouts_created_per_reference).length, 2);
  assert.equal(Object.keys(l.gateway.orders_created_per_reference).length, 1);
  // The resumed process resent the same create (same key): answered by replay.
  const [request] = l.pivot.requests.filter((r) => r.items.some((i) => i.referenceId === crash));
  assert.equal(request.replays, 1);
});
