"""The scale test: worker processes (kirim.postgres.Worker) drive payouts together through one
PostgreSQL database and the provider simulator, with faults from the chaos test's menu injected
throughout, callbacks recorded by a separate web process (kirim.postgres.CallbackInbox), and
random SIGKILLs of workers and of the web process. The same payouts and fault budget run with 1,
2 and 4 workers; each run's end is checked against the simulator's ledger (the chaos test's
invariants) and its throughput reported, and as a ratio against 1 worker.

    python tests/scale/scale.py --conninfo "host=/tmp/pg user=kirim dbname=postgres" [--payouts 100]

tests/scale/script/test starts the PostgreSQL cluster and runs this. See tests/scale/README.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import psycopg

from kirim.postgres import CallbackInbox, PostgresStore, Worker
from kirim.simulator import CallbackServer, control

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "chaos"))
import chaos  # noqa: E402  (the chaos test's simulator, configs and ledger reading)
from schedule import ACCOUNTS, CALLBACK_FAULTS, HOLDS, PATHS, REQUEST_FAULTS, TIMEOUT  # noqa: E402

# A lease must outlive a request (TIMEOUT); a killed worker's payout waits this long (real seconds).
LEASE_SECONDS = 2.0
# A payout still open after this many simulated days will not end by itself.
SIMULATED_LIMIT = 30 * 86400
# The fast clock skips at most this much simulated time per idle wait: a worker that skips ahead
# while another is sending cannot carry a payout far past its own due time.
MAX_SKIP = 1800.0


class Stuck(Exception):
    pass


class SharedFastClock:
    """Real time plus a skew shared by every process of a run (a row in the database, only ever
    raised): an idle wait is slept for a moment, then skipped forward, as the chaos test's clock
    does, but for all workers at once."""

    def __init__(self, conninfo: str) -> None:
        self.db = psycopg.connect(conninfo, autocommit=True)

    def _skew(self) -> float:
        row = self.db.execute("SELECT skew FROM kirim_scale_clock").fetchone()
        return float(row[0]) if row else 0.0

    def now(self) -> int:
        return int(time.time() + self._skew())

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        skew = self._skew()
        if skew > SIMULATED_LIMIT:
            raise Stuck(f"not ended after {SIMULATED_LIMIT // 86400} simulated days")
        start = time.time() + skew
        moment = min(max(seconds, 0.0), 0.05)
        if not wake.wait(moment) and seconds > moment:
            target = start + min(seconds, MAX_SKIP)
            self.db.execute("UPDATE kirim_scale_clock SET skew = GREATEST(skew, %s)", (target - time.time(),))


def worker_main(conninfo: str, sim: str, owner: str) -> int:
    worker = Worker(chaos.configs(sim), PostgresStore(conninfo, migrate=False), owner=owner,
                    clock=SharedFastClock(conninfo), timeout_seconds=TIMEOUT, settings=chaos.SETTINGS,
                    lease_seconds=LEASE_SECONDS, poll_seconds=3600)
    try:
        worker.run()
    except Stuck as error:
        print(f"worker {owner}: {error}", file=sys.stderr)
        return 3
    return 0


def web_main(conninfo: str, sim: str, port: int) -> int:
    inbox = CallbackInbox(chaos.configs(sim), PostgresStore(conninfo, migrate=False), clock=SharedFastClock(conninfo))

    # Every thread's callbacks go through the store's one connection (its lock).
    CallbackServer(lambda provider, headers, body, peer: inbox.handle_callback(provider, headers, body), port)
    print("listening", flush=True)
    threading.Event().wait()  # until killed
    return 0


class Processes:
    """The run's child processes: workers (replaced when killed) and the web process."""

    def __init__(self, conninfo: str, sim: str, web_port: int, logs: str) -> None:
        self.conninfo = conninfo
        self.logs = logs
        self.sim = sim
        self.web_port = web_port
        self.workers: Dict[str, subprocess.Popen[bytes]] = {}
        self.finished: List[str] = []
        self.failures: List[str] = []
        self.web: Optional[subprocess.Popen[bytes]] = None
        self.started = 0

    def start_worker(self) -> None:
        self.started += 1
        owner = f"w{self.started}"
        with open(os.path.join(self.logs, owner), "wb") as log:
            self.workers[owner] = subprocess.Popen(
                [sys.executable, __file__, "--worker", self.conninfo, self.sim, owner],
                stdout=subprocess.DEVNULL, stderr=log)

    def start_web(self) -> None:
        self.web = subprocess.Popen([sys.executable, __file__, "--web", self.conninfo, self.sim, str(self.web_port)],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self.web.stdout is not None
        self.web.stdout.readline()  # "listening"

    def kill_web(self) -> None:
        if self.web is not None:
            self.web.send_signal(signal.SIGKILL)
            self.web.wait()

    def live(self) -> List[str]:
        """Reaps exited workers; the ones still running."""
        for owner, proc in list(self.workers.items()):
            code = proc.poll()
            if code is None:
                continue
            del self.workers[owner]
            if code == 0:
                self.finished.append(owner)
            elif code != -signal.SIGKILL:
                err = Path(self.logs, owner).read_text(errors="replace")
                self.failures.append(f"worker {owner} exited {code}: {err.strip()[-2000:]}")
        return list(self.workers)

    def stop_all(self) -> None:
        for proc in self.workers.values():
            proc.kill()
            proc.wait()
        self.workers.clear()


def thaw(proc: "subprocess.Popen[bytes]", name: str, frozen: Set[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGCONT)
    frozen.discard(name)


def plan(seed: int, count: int, hooks_url: str) -> List[Dict[str, Any]]:
    """The run's payouts: provider, true outcome (the account), amount; a gateway order without
    a notification URL now and then (only queries can tell)."""
    rng = random.Random(seed)
    payouts = []
    for i in range(count):
        provider = rng.choice(["pivot", "gateway"])
        order: Dict[str, Any] = {
            "reference": f"SC{seed}N{i}",
            "amount": {"value": str(rng.choice([10000, 50000, 100000, 250000])), "currency": "IDR"},
            "beneficiary": {"bank": "BCA", "account_number": rng.choice(ACCOUNTS[provider]), "account_name": "Budi"},
        }
        if provider == "gateway" and rng.random() > 0.15:
            order["notify_url"] = hooks_url + "/gateway"
        payouts.append({"provider": provider, "order": order})
    return payouts


def a_fault(rng: random.Random) -> Dict[str, Any]:
    """One fault from the chaos test's menu: a request fault on a create, query or token path,
    or a callback fault."""
    provider = rng.choice(["pivot", "gateway"])
    if rng.random() < 0.7:
        method, path = rng.choice(PATHS[provider])
        fault = rng.choice(REQUEST_FAULTS)
        entry: Dict[str, Any] = {"method": method, "path": path, "fault": fault, "count": rng.randint(1, 2)}
        if fault in ("drop_response", "delay_response"):
            entry["hold_seconds"] = rng.choice(HOLDS)
        return entry
    fault = rng.choice(CALLBACK_FAULTS)
    entry = {"callback": provider, "fault": fault, "count": 1}
    if fault == "delay":
        entry["seconds"] = rng.choice([0.2, 0.6, 1.5])
    return entry


def check(payouts: List[Dict[str, Any]], store: PostgresStore, ledger: Dict[str, Any],
          outcomes: collections.Counter) -> List[str]:
    """The chaos test's invariants, per payout."""
    problems = chaos.ledger_problems(ledger)
    for payout in payouts:
        ref = payout["order"]["reference"]
        problem = chaos.payout_problem(ref, store.load(ref), chaos.truth(ledger, payout["provider"], ref), outcomes)
        if problem is not None:
            problems.append(problem)
    return problems


def reset(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute("TRUNCATE kirim_payouts, kirim_observations, kirim_inbox, kirim_payout_references")
        db.execute("CREATE TABLE IF NOT EXISTS kirim_scale_clock (skew float8 NOT NULL)")
        db.execute("DELETE FROM kirim_scale_clock")
        db.execute("INSERT INTO kirim_scale_clock VALUES (0)")


def one_run(conninfo: str, sim: str, workers: int, payouts_count: int, seed: int, kills: int, freezes: int,
            deadline_seconds: float) -> Dict[str, Any]:
    reset(conninfo)
    control(sim, "/_sim/reset", {"keep_config": True})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        web_port = s.getsockname()[1]
    hooks_url = f"http://127.0.0.1:{web_port}"
    # Enough money for every payout (the largest is Rp 250,000): with less, the simulator keeps
    # the rest waiting for a top-up, as Pivot does, and they never end.
    funds = payouts_count * 250_000 * 2
    control(sim, "/_sim/config", {"pivot_callback_url": hooks_url + "/pivot", "pivot_balance": str(funds),
                                        "gateway_balance_cents": funds * 100})
    store = PostgresStore(conninfo, migrate=False)
    submitter = Worker(chaos.configs(sim), store, clock=SharedFastClock(conninfo), timeout_seconds=TIMEOUT,
                       settings=chaos.SETTINGS, lease_seconds=LEASE_SECONDS)
    payouts = plan(seed, payouts_count, hooks_url)
    for p in payouts:
        submitter.submit(p["provider"], p["order"])
    stats: collections.Counter = collections.Counter()
    logs = tempfile.mkdtemp(prefix="kirim-scale-logs-")
    procs = Processes(conninfo, sim, web_port, logs)
    procs.start_web()
    rng = random.Random(seed * 7919 + workers)
    fault_budget = max(payouts_count // 4, 4)
    running = threading.Event()
    running.set()

    def inject() -> None:
        # Faults queued one at a time through the run, so they strike payouts at every stage.
        for _ in range(fault_budget):
            if not running.is_set():
                return
            time.sleep(rng.uniform(0.05, 0.35))
            fault = a_fault(rng)
            control(sim, "/_sim/faults", {"faults": [fault]})
            stats[f"fault:{fault['fault']}"] += fault["count"]

    started = time.monotonic()
    for _ in range(workers):
        procs.start_worker()
    injector = threading.Thread(target=inject, daemon=True)
    injector.start()
    try:
        kill_rng = random.Random(seed * 104729)
        next_kill = started + kill_rng.uniform(0.3, 1.5)
        next_freeze = started + kill_rng.uniform(0.5, 2.0)
        frozen: Set[str] = set()
        problems: List[str] = []
        while True:
            live = procs.live()
            if not live:
                break
            now = time.monotonic()
            if now - started > deadline_seconds:
                problems.append(f"still running after {deadline_seconds:.0f} s")
                break
            if freezes > stats["freezes"] and now >= next_freeze and set(live) - frozen:
                # Frozen past its lease (a long GC pause, a suspended VM): another worker takes its
                # payout over; when it wakes, its next snapshot write finds the lease lost.
                victim = kill_rng.choice(sorted(set(live) - frozen))
                frozen.add(victim)
                procs.workers[victim].send_signal(signal.SIGSTOP)
                stats["freezes"] += 1
                threading.Timer(LEASE_SECONDS + 0.5, thaw, (procs.workers[victim], victim, frozen)).start()
                next_freeze = now + kill_rng.uniform(1.0, 4.0)
            if kills > stats["kills:worker"] and now >= next_kill and set(live) - frozen:
                victim = kill_rng.choice(sorted(set(live) - frozen))
                procs.workers[victim].send_signal(signal.SIGKILL)
                procs.workers[victim].wait()
                stats["kills:worker"] += 1
                procs.start_worker()  # a replacement: the victim's payout waits for its lease to expire
                next_kill = now + kill_rng.uniform(0.3, 1.5)
                if stats["kills:worker"] % 10 == 1:
                    # The web process too, now and then: the providers' retries find it back.
                    procs.kill_web()
                    stats["kills:web"] += 1
                    time.sleep(0.1)
                    procs.start_web()
            time.sleep(0.02)
        elapsed = time.monotonic() - started
    finally:
        running.clear()
        for worker in procs.workers.values():
            worker.send_signal(signal.SIGCONT)  # a frozen one cannot die until it runs again
        procs.stop_all()
        procs.kill_web()
    injector.join(timeout=5)
    shutil.rmtree(logs, ignore_errors=True)
    problems += procs.failures
    ledger = control(sim, "/_sim/ledger")
    chaos.count_struck(ledger, stats)
    with psycopg.connect(conninfo, autocommit=True) as db:
        row = db.execute("SELECT count(*) FILTER (WHERE applied_at IS NOT NULL AND NOT after_end),"
                         " count(*) FILTER (WHERE after_end), count(*) FILTER (WHERE applied_at IS NULL), count(*)"
                         " FROM kirim_inbox").fetchone()
        lost = db.execute("SELECT count(*) FROM kirim_observations WHERE kind = 'lease_lost'").fetchone()
    assert row is not None and lost is not None
    stats["inbox:applied"], stats["inbox:after_end"], stats["inbox:pending"], stats["inbox:recorded"] = row
    if stats["inbox:pending"]:
        # Every payout has ended: each callback recorded was applied, or settled as after its end.
        problems.append(f"inbox: {stats['inbox:pending']} of {stats['inbox:recorded']} callbacks left pending")
    stats["lease_lost"] = lost[0]
    outcomes: collections.Counter = collections.Counter()
    problems += check(payouts, store, ledger, outcomes)
    store.close()
    references = {p["order"]["reference"] for p in payouts}
    failed = {problem.split(":")[0] for problem in problems} & references
    return {"workers": workers, "payouts": payouts_count, "failed_payouts": len(failed),
            "run_problems": sum(1 for problem in problems if problem.split(":")[0] not in references),
            "seconds": round(elapsed, 2),
            "payouts_per_second": round(payouts_count / elapsed, 2), "worker_processes": procs.started,
            "stats": dict(sorted(stats.items())), "outcomes": dict(sorted(outcomes.items())), "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conninfo")
    parser.add_argument("--payouts", type=int, default=int(os.environ.get("KIRIM_SCALE_PAYOUTS", "100")))
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--kills", type=int, help="worker SIGKILLs per run (default: one per 25 payouts, at least 3;"
                        " half as many freezes)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("KIRIM_SCALE_SEED", "1")))
    parser.add_argument("--deadline", type=float, default=float(os.environ.get("KIRIM_SCALE_DEADLINE", "0")))
    parser.add_argument("--stats", help="write the figures as JSON here")
    parser.add_argument("--worker", nargs=3)
    parser.add_argument("--web", nargs=3)
    args = parser.parse_args()
    if args.worker:
        return worker_main(*args.worker)
    if args.web:
        return web_main(args.web[0], args.web[1], int(args.web[2]))
    kills = args.kills if args.kills is not None else max(3, args.payouts // 25)
    deadline = args.deadline or max(120.0, args.payouts * 0.6)
    store = PostgresStore(args.conninfo)  # applies the migrations
    store.close()
    simulator = chaos.start_simulator()
    sim = simulator.url
    runs = []
    try:
        for workers in [int(w) for w in args.workers.split(",")]:
            print(f"scale: {args.payouts} payouts, {workers} worker(s)...", flush=True)
            run = one_run(args.conninfo, sim, workers, args.payouts, args.seed, kills, kills // 2, deadline)
            runs.append(run)
            print(f"scale run: {json.dumps(run)}", flush=True)
            for problem in run["problems"]:
                print(f"FAILED ({workers} workers): {problem}")
    finally:
        simulator.stop()
    base = runs[0]["payouts_per_second"]
    total = sum(r["payouts"] for r in runs)
    failed = sum(r["failed_payouts"] for r in runs)
    run_problems = sum(r["run_problems"] for r in runs)
    print()
    for r in runs:
        s = r["stats"]
        print(f"{r['workers']} worker(s): {r['payouts']} payouts in {r['seconds']} s = {r['payouts_per_second']} payouts/s"
              f" (x{r['payouts_per_second'] / base:.2f} vs 1 worker); kills: {s.get('kills:worker', 0)} workers,"
              f" {s.get('kills:web', 0)} web, {s.get('freezes', 0)} frozen past their lease; faults queued {sum(v for k, v in s.items() if k.startswith('fault:'))},"
              f" struck {sum(v for k, v in s.items() if k.startswith('struck:'))}; outcomes {r['outcomes']};"
              f" leases lost {s.get('lease_lost', 0)}; inbox {s.get('inbox:recorded', 0)} recorded:"
              f" {s.get('inbox:applied', 0)} applied, {s.get('inbox:after_end', 0)} after their payout ended,"
              f" {s.get('inbox:pending', 0)} pending")
    ratios = " -> ".join(f"{r['payouts_per_second'] / base:.2f}" for r in runs)
    print(f"throughput ratios ({' -> '.join(str(r['workers']) for r in runs)} workers): {ratios}")
    if args.stats:
        Path(args.stats).write_text(json.dumps(runs, indent=1))
    print(f"scale: {total - failed} passed, {failed} failed (payouts checked against the ledger)"
          + (f"; {run_problems} problem(s) of a whole run (above)" if run_problems else ""))
    return 1 if failed or run_problems else 0


if __name__ == "__main__":
    sys.exit(main())
