// kirim end to end, from Node 20, on the payout driver: Pivot, the withdraw gateway, Paper.id.
//
// The driver (`PayoutDriver`) runs each payout's state machine, which is the core's: it says what
// to send, when to wait and when the payout is final; the driver sends it with the built-in
// fetch and stores the machine's snapshot in SQLite (`kirim/sqlite`, on the npm package sql.js)
// before each request. This file only pays orders, serves the callbacks (node:http) and prints
// what happened. Then a process is killed (SIGKILL) while its create request is out, and a fresh
// one resumes the payout from the database. Run it against the provider simulator:
//
//   python3 tests/simulator/kirim_sim.py --port 8000 &
//   node examples/node/kirim-demo.mjs --simulator http://127.0.0.1:8000
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Gateway, PaperId, PayoutDriver, PayoutLifecycle, Pivot, mergeStatus } from "kirim";
import { SqliteStore } from "kirim/sqlite";

// The simulator's default credentials (tests/simulator/README.md). In production they come from
// your secret store, never from source code.
const PIVOT_CALLBACK_KEY = "kirim-callback-key";
const PAPERID_CALLBACK_TOKEN = "kirim-paper-token";

// When no callback comes, the machine queries after these many seconds (then the last, again).
// A request unanswered for request_timeout_seconds is lost, and a lost one is retried after a
// backoff of at most max_backoff_seconds: short here (the simulator answers at once), so that the
// resumed payout does not wait Pivot's 120 s and then 30 s; the driver gives up just before.
const SETTINGS = { query_schedule_seconds: [3, 5, 10], request_timeout_seconds: 5, max_backoff_seconds: 2 };
const TIMEOUT_MS = 4000;
// The timeline's zero, shared with the child processes.
process.env.KIRIM_DEMO_T0 ??= String(Date.now());
const START = Number(process.env.KIRIM_DEMO_T0);

function log(who, step, text) {
  console.log(`[${((Date.now() - START) / 1000).toFixed(2).padStart(6)}s] ${who.padEnd(8)} ${step.padEnd(10)} ${text}`);
}

/** The SQLite store, printing each observation the driver records: what was sent, what came
 * back, what the core decided. */
function timelineStore(store, who) {
  const describe = (o) => {
    switch (o.type) {
      case "send": return `${o.purpose} ${o.method} ${o.url}`;
      case "response": return o.status !== undefined ? `HTTP ${o.status}` : `no answer: ${o.transport_failure}`;
      case "callback": return `${o.statuses.join(", ")}: ${o.error ? `refused (${o.error})` : o.verdicts.join(", ")}`;
      default: return [o.status, o.reason].filter((x) => x !== null && x !== undefined).join(" ");
    }
  };
  return {
    save: (record) => store.save(record),
    load: (reference) => store.load(reference),
    find: (key) => store.find(key),
    unfinished: () => store.unfinished(),
    history: (reference) => store.history(reference),
    async observe(reference, observation) {
      await store.observe(reference, observation);
      log(who, observation.type, `${reference} ${describe(observation)}`);
    },
  };
}

const configs = (sim) => ({
  pivot: { base_url: sim, merchant_id: "kirim-merchant", merchant_secret: "kirim-secret", callback_api_keys: [PIVOT_CALLBACK_KEY] },
  gateway: { base_url: sim, platform_id: "PF0002", platform_key: "ThisIsYourSecretKey123", authorization: "kirim-gateway-auth",
             sign_type: "HMAC-SHA256" },
});

const order = (reference, account, name, value, notifyUrl) => ({
  reference, amount: { value, currency: "IDR" }, beneficiary: { bank: "BCA", account_number: account, account_name: name },
  ...(notifyUrl ? { notify_url: notifyUrl } : {}), // the gateway's notifications for this order
});

/** The callback receiver: Pivot and gateway callbacks go to their driver (verified by the core,
 * applied to their payout); Paper.id's are verified with PaperId. */
async function webhooks(drivers) {
  const paperid = new PaperId({ callback_token_header: "X-Callback-Token", callback_tokens: [PAPERID_CALLBACK_TOKEN],
                                allowed_source_addresses: ["127.0.0.1/32", "::1/128"] });
  const paperStatus = new Map();
  const paper = (headers, body, peer) => {
    const result = paperid.handleCallback(headers, peer, body);
    const ack = result.acknowledgement;
    if (result.event) {
      const event = result.event;
      paperStatus.set(event.payout_id, mergeStatus(paperStatus.get(event.payout_id) ?? null, event.status));
      log("paperid", "callback", `${event.payout_id} verified: ${event.raw_status} -> ${paperStatus.get(event.payout_id)}; answered HTTP ${ack.status}`);
    } else {
      log("paperid", "callback", `REFUSED (${result.error.code}); answered HTTP ${ack.status}`);
    }
    return ack;
  };
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = new Uint8Array(Buffer.concat(chunks));
    const provider = req.url.replace(/^\//, "");
    // The TCP peer, never a header the sender controls (Paper.id's allow-list).
    const ack = provider === "paperid" ? paper(req.headers, body, req.socket.remoteAddress)
      : await drivers[provider].handleCallback(req.headers, body);
    res.writeHead(ack.status, ack.headers.map((h) => [h.name, h.value]).flat());
    res.end(ack.body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${server.address().port}`, paperStatus,
           close: () => { server.closeAllConnections(); server.close(); } };
}

async function control(sim, path, body) {
  const response = await fetch(sim + path, body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return response.json();
}

const statusOf = ({ action }) => (action.kind === "done" ? action.status : `manual reconciliation (${action.reason})`);

/** The process that pays (and is killed), or the fresh one that resumes from `db`. */
async function child(sim, db, reference, resume) {
  const who = resume ? "resume" : "child";
  log(who, "process", `pid ${process.pid}, database ${basename(db)}`);
  const pivot = new Pivot(configs(sim).pivot);
  const store = timelineStore(await SqliteStore.open(db), who);
  const driver = new PayoutDriver(pivot, store, { settings: SETTINGS, timeoutMs: TIMEOUT_MS });
  let results;
  if (resume) {
    for (const ref of await store.unfinished()) { // what the core makes of the stored snapshot
      const now = Math.floor(Date.now() / 1000);
      const action = PayoutLifecycle.restore(pivot, (await store.load(ref)).snapshot).poll(now);
      const said = action.kind === "wait_until" ? `wait ${action.at - now}s (${action.reason})` : action.kind;
      log(who, "restored", `${ref}: a create was out, its answer never stored; core says ${said}`);
    }
    results = await driver.resume(); // every unfinished payout of the database
  } else {
    results = [await driver.pay(order(reference, "999966660001", "Reforza Pivot", "100000"))];
  }
  for (const result of results) log(who, "final", `${result.reference}: ${statusOf(result)}`);
  const ours = results.find((result) => result.reference === reference); // it must be among them, and have succeeded
  return ours?.action.kind === "done" && ours.action.status === "succeeded" ? 0 : 1;
}

/** A child pays; the simulator holds its create's answer (`delay_response`); once the ledger
 * shows the create arrived, the child is killed with SIGKILL; a fresh process resumes. */
async function crashAndResume(sim, db, reference) {
  const heldCreates = async () => (await control(sim, "/_sim/ledger")).http
    .filter((h) => h.method === "POST" && h.path === "/v1/payouts" && h.fault === "delay_response").length;
  const before = await heldCreates();
  await control(sim, "/_sim/faults", { method: "POST", path: "/v1/payouts", fault: "delay_response", hold_seconds: 60 });
  const me = [fileURLToPath(import.meta.url), "--simulator", sim, "--db", db, "--reference", reference];
  const paying = spawn(process.execPath, [...me, "--child", "pay"], { stdio: "inherit" });
  const exited = once(paying, "exit");
  const deadline = Date.now() + 30_000;
  while (await heldCreates() === before) { // the simulator logs a request when it has processed it
    if (paying.exitCode !== null || Date.now() > deadline) throw new Error("the child ended (or took too long) before sending its create");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  paying.kill("SIGKILL");
  await exited;
  const created = (await control(sim, "/_sim/ledger")).pivot.payouts_created_per_reference[reference];
  log("demo", "KILLED", `child pid ${paying.pid} (SIGKILL) with its create out, answer not stored; Pivot holds ${created} payout for ${reference}`);
  const resuming = spawn(process.execPath, [...me, "--child", "resume"], { stdio: "inherit" });
  const [code] = await once(resuming, "exit");
  const { pivot } = await control(sim, "/_sim/ledger");
  const replays = pivot.requests.filter((r) => r.items.some((i) => i.referenceId === reference))
    .reduce((sum, r) => sum + r.replays, 0);
  log("demo", "ledger", `${reference}: ${pivot.payouts_created_per_reference[reference]} payout created; `
    + `creates answered by replaying the first answer (same key): ${replays}`);
  return code === 0 ? "succeeded" : "NOT resumed to success";
}

async function main() {
  const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const sim = arg("--simulator");
  if (!sim) throw new Error("usage: node kirim-demo.mjs --simulator http://127.0.0.1:PORT [--prefix js] [--db FILE]");
  if (arg("--child")) return child(sim, arg("--db"), arg("--reference"), arg("--child") === "resume");

  const folder = mkdtempSync(join(tmpdir(), "kirim-demo-"));
  const db = arg("--db") ?? join(folder, "payouts.sqlite");
  // One store for both drivers (one file: sql.js keeps it in memory and writes it through).
  const store = timelineStore(await SqliteStore.open(db), "driver");
  const options = { settings: SETTINGS, timeoutMs: TIMEOUT_MS };
  const drivers = { pivot: new PayoutDriver(new Pivot(configs(sim).pivot), store, options),
                    gateway: new PayoutDriver(new Gateway(configs(sim).gateway), store, options) };
  const hooks = await webhooks(drivers);
  // Slow processing a little so that the timeline reads in order: create, callback, final.
  await control(sim, "/_sim/config", { pivot_callback_url: `${hooks.url}/pivot`, pivot_processing_delay_seconds: 1.5,
                                       gateway_step_delay_seconds: 0.75 });
  log("demo", "receiver", `callbacks on ${hooks.url}; state in ${db}`);
  const stamp = Math.floor(Date.now() / 1000);
  const prefix = arg("--prefix") ?? "js";
  const [pivotRef, gatewayRef, crashRef, paperRef] = [`${prefix}Pivot${stamp}`, `${prefix}-gw-${stamp}`,
                                                      `${prefix}Crash${stamp}`, `${prefix}-paper-${stamp}`];

  // 1. Two payouts through the drivers: each runs to its final status.
  const results = {};
  for (const result of await Promise.all([
    drivers.pivot.pay(order(pivotRef, "999966660001", "Reforza Pivot", "100000")),
    drivers.gateway.pay(order(gatewayRef, "4088748280272397", "test name", "50000", `${hooks.url}/gateway`)),
  ])) results[result.reference] = statusOf(result);

  // 2. Paper.id: disbursements are created outside kirim; their callbacks are verified (token
  // and sender address). A genuine one, then a forged one (wrong token) that must change nothing.
  const url = `${hooks.url}/paperid`;
  await control(sim, "/_sim/paperid/callback", { url, fields: { disbursement_id: paperRef } });
  const forged = await control(sim, "/_sim/paperid/callback", { url, token: "not-the-token",
                                                                fields: { disbursement_id: `${paperRef}-forged` } });
  const forgedRefused = forged.status_code !== 200 && !hooks.paperStatus.has(`${paperRef}-forged`);
  results[paperRef] = hooks.paperStatus.get(paperRef) ?? "none";

  // 3. The crash: killed while its create is out; a fresh process resumes from the database.
  results[crashRef] = await crashAndResume(sim, join(folder, "crash.sqlite"), crashRef);
  hooks.close();

  const ledger = await control(sim, "/_sim/ledger");
  const created = { ...ledger.pivot.payouts_created_per_reference, ...ledger.gateway.orders_created_per_reference };
  created[paperRef] = 1; // created outside kirim: only its callbacks are handled here
  console.log("\nFinal statuses (and payouts the simulator created for the reference):");
  for (const [reference, status] of Object.entries(results)) {
    console.log(`  ${reference.padEnd(28)} ${status.padEnd(10)} created ${created[reference] ?? 0}`);
  }
  console.log(`  forged Paper.id callback refused: ${forgedRefused}`);
  console.log("Simulator ledger (GET /_sim/ledger):");
  console.log(`  pivot   ${JSON.stringify(ledger.pivot.payouts_created_per_reference)}`);
  console.log(`  gateway ${JSON.stringify(ledger.gateway.orders_created_per_reference)}`);
  const oneEach = Object.values(created).every((n) => n === 1);
  const ok = forgedRefused && oneEach
    && Object.entries(results).every(([reference, status]) => status === "succeeded" && created[reference] === 1);
  return ok ? 0 : 1;
}

process.exitCode = await main();
