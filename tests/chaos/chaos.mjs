// The chaos test, Node runner: the same seeded schedules as the Python runner (made by
// tests/chaos/schedule.py, read here as JSON), run through the JS PayoutDriver with the SQLite
// store (kirim/sqlite) against the provider simulator, with process kills; each payout's end is
// checked against the simulator's ledger. See tests/chaos/README.md.
//
//   node tests/chaos/chaos.mjs --first 1 --count 100
//   node tests/chaos/chaos.mjs --seed 42 -v
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gateway, PayoutDriver, Pivot } from 'kirim';
import { SqliteStore } from 'kirim/sqlite';

const here = dirname(fileURLToPath(import.meta.url));
const SIMULATOR = join(here, '..', 'simulator', 'kirim_sim.py');
const SETTINGS = { request_timeout_seconds: 2 };
const SIMULATED_LIMIT = 3 * 86400;
const DEADLINE_S = Number(process.env.KIRIM_CHAOS_DEADLINE ?? 60);
const SIM_CONFIG = { pivot_processing_delay_seconds: 0.05, gateway_step_delay_seconds: 0.03,
  retry_scale_seconds_per_hour: 0.02, callback_timeout_seconds: 2.0 };

class Stuck extends Error {}

async function control(base, path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body) };
  const response = await fetch(base + path, init);
  return response.json();
}

function schedules(first, count) {
  const text = execFileSync('python3', [join(here, 'schedule.py'), String(first), String(count)], { maxBuffer: 1 << 28 });
  return JSON.parse(text);
}

/** Real time plus an offset kept beside the database (a restarted process never sees time go back);
 * a wait is slept for a moment (a callback may end it), the rest skipped forward. */
function fastClock(file, deadline) {
  let offset = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
  return {
    clock: () => Math.floor(Date.now() / 1000 + offset),
    sleep: (ms, signal) => new Promise((resolve, reject) => {
      if (Date.now() > deadline) return reject(new Stuck(`still running after ${DEADLINE_S} s`));
      if (offset > SIMULATED_LIMIT) return reject(new Stuck(`not ended after ${SIMULATED_LIMIT / 86400} simulated days (every fault long over)`));
      const moment = Math.min(Math.max(ms, 0), 50);
      if (signal.aborted) return resolve();
      const timer = setTimeout(() => {
        offset += Math.max(ms - moment, 0) / 1000;
        writeFileSync(file, String(offset));
        resolve();
      }, moment);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    }),
  };
}

function provider(sched, sim) {
  return sched.provider === 'pivot'
    ? new Pivot({ base_url: sim, merchant_id: 'kirim-merchant', merchant_secret: 'kirim-secret',
      callback_api_keys: ['kirim-callback-key'] })
    : new Gateway({ base_url: sim, platform_id: 'PF0002', platform_key: 'ThisIsYourSecretKey123',
      authorization: 'kirim-gateway-auth' });
}

function order(sched, payout, hooksUrl) {
  const o = { reference: payout.reference, amount: { value: payout.amount, currency: 'IDR' },
    beneficiary: { bank: 'BCA', account_number: payout.account_number, account_name: 'Budi' } };
  if (sched.provider === 'gateway' && sched.callbacks) o.notify_url = `${hooksUrl}/gateway`;
  return o;
}

/** One process's life over the SQLite file: pays (picking up stored payouts), until each ends.
 * `kill`: dies at its k-th request, before sending it or after (its answer never handed over):
 * a real SIGKILL when `real`, else the driver is closed and dropped. Returns false when killed. */
async function incarnation(sim, db, sched, kill, hooks, hooksUrl, deadline) {
  const store = await SqliteStore.open(db);
  const { clock, sleep } = fastClock(`${db}.clock`, deadline);
  let sends = 0;
  let killed = false;
  let driver;
  const die = () => {
    if (kill.real) process.kill(process.pid, 'SIGKILL');
    killed = true;
    if (hooks) hooks.driver = null;
    driver.close();
  };
  const killingFetch = async (url, init) => {
    if (killed) throw new Error('dead');
    sends += 1;
    if (kill && sends === kill.at_send && kill.when === 'before_send') { die(); throw new Error('dead'); }
    const response = await fetch(url, init);
    const body = await response.arrayBuffer();
    if (kill && sends === kill.at_send) die();
    return new Response(response.status === 204 ? null : body, { status: response.status, headers: response.headers });
  };
  driver = new PayoutDriver(provider(sched, sim), store, { fetch: killingFetch, clock, sleep,
    timeoutMs: 500, settings: SETTINGS });
  if (hooks) hooks.driver = driver;
  const runs = sched.payouts.map((p) => driver.pay(order(sched, p, hooksUrl)));
  const settled = await Promise.allSettled(runs);
  if (hooks) { hooks.driver = null; await hooks.idle(); }
  store.close();
  if (killed) return false;
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return true;
}

/** The merchant's web server: callbacks go to the live driver; with none (the process is down)
 * it answers 503. */
async function webhooks() {
  const hooks = { driver: null, inflight: new Set() };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const driver = hooks.driver;
      if (driver === null) { res.writeHead(503); res.end('down'); return; }
      const job = driver.handleCallback(Object.entries(req.headers).map(([k, v]) => [k, String(v)]),
        new Uint8Array(Buffer.concat(chunks)))
        .then((ack) => {
          res.writeHead(ack.status, Object.fromEntries((ack.headers ?? []).map((h) => [h.name, h.value])));
          res.end(Buffer.from(ack.body ?? ''));
        }, () => { res.writeHead(503); res.end('down'); })
        .finally(() => hooks.inflight.delete(job));
      hooks.inflight.add(job);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  hooks.url = `http://127.0.0.1:${server.address().port}`;
  hooks.idle = () => Promise.allSettled([...hooks.inflight]);
  hooks.server = server;
  return hooks;
}

const PIVOT_STATUS = { SUCCESS: 'succeeded', FAILED: 'failed' };
const GATEWAY_STATUS = { 3: 'succeeded', 4: 'cancelled', 5: 'failed' };

function truth(ledger, prov, reference) {
  if (prov === 'pivot') {
    for (const r of ledger.pivot.requests) for (const item of r.items) {
      if (item.referenceId === reference) return PIVOT_STATUS[item.status] ?? 'open';
    }
    return null;
  }
  for (const o of ledger.gateway.orders) if (o.payout_cl_id === reference) return GATEWAY_STATUS[o.status] ?? 'open';
  return null;
}

async function check(sched, db, ledger, outcomes) {
  const problems = [];
  const prov = sched.provider;
  const created = prov === 'pivot' ? ledger.pivot.payouts_created_per_reference : ledger.gateway.orders_created_per_reference;
  for (const [ref, n] of Object.entries(created)) if (n > 1) problems.push(`${ref}: ${n} payouts created for one reference`);
  const store = await SqliteStore.open(db);
  for (const payout of sched.payouts) {
    const ref = payout.reference;
    const record = await store.load(ref);
    const real = truth(ledger, prov, ref);
    const action = record?.finished;
    if (!action) { problems.push(`${ref}: did not end`); continue; }
    const count = (k) => { outcomes[k] = (outcomes[k] ?? 0) + 1; };
    if (action.kind === 'done') {
      if (action.error) {
        count(`refused:${action.error.code}`);
        if (real !== null) problems.push(`${ref}: done as refused (${action.error.code}) but the simulator created it (${real})`);
      } else {
        count(`done:${action.status}`);
        if (real !== action.status) problems.push(`${ref}: done ${action.status} but the simulator says ${real}`);
      }
    } else {
      // Pivot and the gateway always let the machine find out, and every schedule's faults end.
      count(`manual:${action.reason}`);
      problems.push(`${ref}: manual reconciliation (${action.reason}: ${action.message}); simulator: ${real}`);
    }
  }
  store.close();
  for (const cb of ledger.callbacks) if (cb.forged && cb.acknowledged) problems.push(`forged callback acknowledged: ${cb.reference}`);
  return problems;
}

function childLife(sim, db, sched, kill, hooksUrl, deadline) {
  const left = String((deadline - Date.now()) / 1000);
  const proc = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', sim, db, JSON.stringify(sched),
    JSON.stringify(kill), hooksUrl, left], { encoding: 'utf8', timeout: (DEADLINE_S + 30) * 1000 });
  if (proc.signal === 'SIGKILL') return false;
  if (proc.status !== 0) throw new Error(`the child failed: ${proc.stderr}`);
  return true;
}

async function runSchedule(sim, hooks, sched, stats, outcomes, verbose) {
  await control(sim, '/_sim/reset', { keep_config: true });
  await control(sim, '/_sim/config', { pivot_callback_url: sched.callbacks ? `${hooks.url}/pivot` : null });
  if (sched.request_faults.length) await control(sim, '/_sim/faults', { faults: sched.request_faults });
  if (sched.callback_faults.length) await control(sim, '/_sim/faults', { faults: sched.callback_faults });
  for (const f of [...sched.request_faults, ...sched.callback_faults]) stats[`fault:${f.fault}`] = (stats[`fault:${f.fault}`] ?? 0) + f.count;
  const work = mkdtempSync(join(tmpdir(), 'kirim-chaos-'));
  const db = join(work, 'payouts.sqlite');
  const deadline = Date.now() + DEADLINE_S * 1000;
  try {
    const kills = [...sched.kills];
    for (;;) {
      const kill = kills.shift() ?? null;
      const finished = kill?.real ? childLife(sim, db, sched, kill, hooks.url, deadline)
        : await incarnation(sim, db, sched, kill, hooks, hooks.url, deadline);
      if (finished) break;
      const k = kill.real ? 'kills:real' : 'kills:in_process';
      stats[k] = (stats[k] ?? 0) + 1;
    }
    const ledger = await control(sim, '/_sim/ledger');
    // The faults that struck (a queued one may find no request or callback to apply to).
    const bump = (k) => { stats[k] = (stats[k] ?? 0) + 1; };
    for (const entry of ledger.http) if (entry.fault) bump(`struck:${entry.fault}`);
    for (const cb of ledger.callbacks) if (cb.kind !== 'final' && cb.attempt === 1) bump(`struck:callback_${cb.kind}`);
    return await check(sched, db, ledger, outcomes);
  } catch (error) {
    if (error instanceof Stuck) return [error.message];
    throw error;
  } finally {
    if (verbose) {
      const store = await SqliteStore.open(db);
      for (const p of sched.payouts) for (const o of await store.history(p.reference)) console.log(`  ${p.reference} ${JSON.stringify(o)}`);
      store.close();
    }
    rmSync(work, { recursive: true, force: true });
  }
}

async function startSimulator() {
  const dir = mkdtempSync(join(tmpdir(), 'kirim-chaos-sim-'));
  const portFile = join(dir, 'port');
  const proc = spawn('python3', [SIMULATOR, '--port', '0', '--port-file', portFile, '--max-seconds', '86400'],
    { stdio: 'ignore' });
  const until = Date.now() + 10_000;
  while (!existsSync(portFile)) {
    if (Date.now() > until || proc.exitCode !== null) throw new Error('the simulator did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const sim = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
  await control(sim, '/_sim/config', SIM_CONFIG);
  return sim;
}

async function main(argv) {
  const arg = (name, dflt) => { const i = argv.indexOf(name); return i < 0 ? dflt : argv[i + 1]; };
  if (argv[0] === '--child') {
    const [sim, db, sched, kill, hooksUrl, left] = argv.slice(1);
    await incarnation(sim, db, JSON.parse(sched), JSON.parse(kill), null, hooksUrl, Date.now() + Number(left) * 1000);
    return 0;
  }
  const verbose = argv.includes('-v');
  const seed = arg('--seed');
  const first = Number(seed ?? arg('--first', 1));
  const count = seed === undefined ? Number(arg('--count', 100)) : 1;
  let sim = arg('--sim');
  const own = !sim;
  if (own) sim = await startSimulator(); else await control(sim, '/_sim/config', SIM_CONFIG);
  const hooks = await webhooks();
  const stats = {};
  const outcomes = {};
  const failed = [];
  const started = Date.now();
  for (const sched of count > 0 ? schedules(first, count) : []) {
    if (verbose) console.log(JSON.stringify(sched));
    let problems;
    try {
      problems = await runSchedule(sim, hooks, sched, stats, outcomes, verbose);
    } catch (error) {
      problems = [`${error?.name}: ${error?.message}`];
    }
    if (problems.length) {
      failed.push(sched.seed);
      console.log(`FAILED seed ${sched.seed} (${sched.provider}): ${problems.join('; ')}`);
      console.log(`  replay: tests/chaos/script/replay node ${sched.seed}`);
    }
  }
  const sorted = (o) => Object.fromEntries(Object.entries(o).sort());
  const figures = { language: 'node', schedules: count, passed: count - failed.length, failed: failed.length,
    seconds: Math.round((Date.now() - started) / 100) / 10, stats: sorted(stats), outcomes: sorted(outcomes), failed_seeds: failed };
  console.log(`node chaos: ${JSON.stringify(figures)}`);
  const statsFile = arg('--stats');
  if (statsFile) writeFileSync(statsFile, JSON.stringify(figures, null, 1));
  console.log(`node: ${count - failed.length} passed, ${failed.length} failed`);
  hooks.server.close();
  if (own) await control(sim, '/_sim/shutdown', {});
  return failed.length ? 1 : 0;
}

process.exit(await main(process.argv.slice(2)));
