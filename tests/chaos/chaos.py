"""The chaos test, Python runner: seeded fault schedules (tests/chaos/schedule.py) run through
kirim.driver against the provider simulator, with the state in SQLite and process kills, each
payout's end checked against the simulator's ledger.

    python tests/chaos/chaos.py --first 1 --count 100      # schedules 1..100
    python tests/chaos/chaos.py --seed 42 -v                # replay one schedule

Invariants, per schedule (see tests/chaos/README.md): at most one payout per reference in the
ledger; every payout ends, either done with the simulator's true final status (or refused, with
nothing created), or in manual reconciliation only where the protocol leaves no way to know; no
final status contradicts the ledger; no forged callback is acknowledged.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import kirim
from kirim.driver import Driver, UrllibTransport
from kirim.http import Acknowledgement
from kirim.simulator import CallbackServer, SimulatorProcess, control
from kirim.store import PayoutRecord, SQLiteStore

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from schedule import TIMEOUT, schedule  # noqa: E402

SIMULATOR = HERE.parent / "simulator" / "kirim_sim.py"
# The machines' own request timeout (a request out when a process died counts as lost after it).
SETTINGS = {"request_timeout_seconds": 2}
# Every schedule's faults are over within minutes: a payout still open after this many simulated
# seconds (the drivers' clocks skip waits forward) will not end by itself.
SIMULATED_LIMIT = 3 * 86400
SCHEDULE_DEADLINE = float(os.environ.get("KIRIM_CHAOS_DEADLINE", "60"))  # real seconds: a schedule still running then is a failure (stuck)
# Sub-second waits of the simulator, so that a schedule takes about a second.
SIM_CONFIG = {"pivot_processing_delay_seconds": 0.05, "gateway_step_delay_seconds": 0.03,
              "retry_scale_seconds_per_hour": 0.02, "callback_timeout_seconds": 2.0}


class Stuck(Exception):
    pass


class Crash(Exception):
    """The process 'dies' here (in-process kill): the driver and its store are dropped."""


class FastClock:
    """Real time plus an offset: a wait is slept for a moment (a callback may wake it), the rest
    skipped forward. The offset is kept in a file beside the database so that a restarted process
    never sees time go back."""

    def __init__(self, path: str, deadline: float) -> None:
        self.path = path
        self.deadline = deadline
        self.offset = float(Path(path).read_text()) if os.path.exists(path) else 0.0

    def now(self) -> int:
        return int(time.time() + self.offset)

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        if time.monotonic() > self.deadline:
            raise Stuck(f"still running after {SCHEDULE_DEADLINE:.0f} s")
        if self.offset > SIMULATED_LIMIT:
            raise Stuck(f"not ended after {SIMULATED_LIMIT // 86400} simulated days (every fault long over)")
        moment = min(max(seconds, 0.0), 0.05)
        if not wake.wait(moment):
            self.offset += max(seconds - moment, 0.0)
            Path(self.path).write_text(repr(self.offset))


class KillingTransport:
    """urllib, dying at the k-th request of this process: before sending it (its snapshot is
    stored) or after sending it, before its answer is read back."""

    def __init__(self, kill: Optional[Dict[str, Any]], counts: collections.Counter) -> None:
        self.inner = UrllibTransport()
        self.kill = kill
        self.sends = 0
        self.counts = counts

    def _die(self) -> None:
        assert self.kill is not None
        if self.kill["real"]:
            os.kill(os.getpid(), signal.SIGKILL)
        raise Crash()

    def send(self, request: Any, timeout: float) -> Any:
        self.sends += 1
        if self.kill is not None and self.sends == self.kill["at_send"] and self.kill["when"] == "before_send":
            self._die()
        outcome = self.inner.send(request, timeout)
        if self.kill is not None and self.sends == self.kill["at_send"]:
            self._die()
        return outcome


def configs(sim: str) -> Dict[str, Any]:
    return {
        "pivot": kirim.PivotConfig(sim, "kirim-merchant", "kirim-secret", ["kirim-callback-key"]),
        "gateway": kirim.GatewayConfig(sim, "PF0002", "ThisIsYourSecretKey123", authorization="kirim-gateway-auth"),
    }


def order(sched: Dict[str, Any], payout: Dict[str, Any], hooks_url: str) -> Dict[str, Any]:
    o: Dict[str, Any] = {
        "reference": payout["reference"],
        "amount": {"value": payout["amount"], "currency": "IDR"},
        "beneficiary": {"bank": "BCA", "account_number": payout["account_number"], "account_name": "Budi"},
    }
    if sched["provider"] == "gateway" and sched["callbacks"]:
        o["notify_url"] = hooks_url + "/gateway"
    return o


def incarnation(sim: str, db: str, sched: Dict[str, Any], kill: Optional[Dict[str, Any]], hooks: Optional["Webhooks"],
                hooks_url: str, deadline: float, counts: collections.Counter) -> bool:
    """One process's life over the SQLite file: submits (the first time), runs until every payout
    ends; False when it was killed."""
    transport = KillingTransport(kill, counts)
    driver = Driver(configs(sim), SQLiteStore(db), transport=transport, clock=FastClock(db + ".clock", deadline),
                    timeout_seconds=TIMEOUT, settings=SETTINGS)
    for payout in sched["payouts"]:  # the identical order already stored is not written again
        driver.submit(sched["provider"], order(sched, payout, hooks_url))
    if hooks is not None:
        hooks.driver = driver
    try:
        driver.run()
        return True
    except Crash:
        return False
    finally:
        if hooks is not None:
            # A dead process answers nothing more: a callback it is still handling ends before
            # the next incarnation starts (it stores the callback under the file's claim, which
            # that incarnation's run must find free).
            with hooks.serving:
                hooks.driver = None


class Webhooks:
    """The merchant's web server: hands callbacks to the live driver; with none (the process is
    down), answers 503 as a server that is not there would."""

    def __init__(self) -> None:
        self.driver: Optional[Driver] = None
        self.serving = threading.Lock()  # held while a callback is handed to the driver
        self.server = CallbackServer(self.handle)
        self.url = self.server.url

    def handle(self, provider: str, headers: List[Tuple[str, str]], body: bytes, peer: str) -> Acknowledgement:
        with self.serving:
            driver = self.driver
            if driver is None:
                return Acknowledgement(503, [], b"down", True)
            return driver.handle_callback(provider, headers, body)


PIVOT_STATUS = {"SUCCESS": "succeeded", "FAILED": "failed"}
GATEWAY_STATUS = {3: "succeeded", 4: "cancelled", 5: "failed"}


def truth(ledger: Dict[str, Any], provider: str, reference: str) -> Optional[str]:
    """The simulator's status of a reference (None: never created; "open": not final yet)."""
    if provider == "pivot":
        for request in ledger["pivot"]["requests"]:
            for item in request["items"]:
                if item["referenceId"] == reference:
                    return PIVOT_STATUS.get(item["status"], "open")
        return None
    for o in ledger["gateway"]["orders"]:
        if o["payout_cl_id"] == reference:
            return GATEWAY_STATUS.get(o["status"], "open")
    return None


def count_struck(ledger: Dict[str, Any], stats: collections.Counter) -> None:
    """Counts the faults that struck (a queued one may find no request or callback to apply to)."""
    for entry in ledger["http"]:
        if entry.get("fault"):
            stats[f"struck:{entry['fault']}"] += 1
    for cb in ledger["callbacks"]:
        if cb["kind"] != "final" and cb["attempt"] == 1:
            stats[f"struck:callback_{cb['kind']}"] += 1


def ledger_problems(ledger: Dict[str, Any]) -> List[str]:
    """What the simulator's ledger itself shows wrong: two payouts for one reference, a forged
    callback acknowledged."""
    problems = []
    for provider, key in (("pivot", "payouts_created_per_reference"), ("gateway", "orders_created_per_reference")):
        for ref, n in ledger[provider][key].items():
            if n > 1:
                problems.append(f"{ref}: {n} payouts created for one reference")
    for cb in ledger["callbacks"]:
        if cb.get("forged") and cb.get("acknowledged"):
            problems.append(f"forged callback acknowledged: {cb.get('reference')}")
    return problems


def payout_problem(ref: str, record: Optional[PayoutRecord], real: Optional[str],
                   outcomes: collections.Counter) -> Optional[str]:
    """How one payout's stored end contradicts the simulator's status of it (`truth`), if it
    does; counts its outcome."""
    if record is None or record.state == "open" or record.result is None:
        return f"{ref}: did not end ({None if record is None else record.state})"
    result = json.loads(record.result)
    if record.state == "done":
        if result.get("error") is not None:
            outcomes[f"refused:{result['error'].get('code')}"] += 1
            if real is not None:
                return f"{ref}: done as refused ({result['error']}) but the simulator created it ({real})"
        else:
            outcomes[f"done:{result['status']}"] += 1
            if real != result["status"]:
                return f"{ref}: done {result['status']} but the simulator says {real}"
        return None
    reason = result.get("reason")
    outcomes[f"manual:{reason}"] += 1
    # The protocol always lets Pivot and the gateway find out (an idempotent resend, a query by
    # our own id), and every schedule's faults end: no manual reconciliation here is justified.
    return f"{ref}: manual reconciliation ({reason}: {result.get('message')}); simulator: {real}"


def check(sched: Dict[str, Any], store: SQLiteStore, ledger: Dict[str, Any], outcomes: collections.Counter) -> List[str]:
    problems = ledger_problems(ledger)
    for payout in sched["payouts"]:
        ref = payout["reference"]
        problem = payout_problem(ref, store.load(ref), truth(ledger, sched["provider"], ref), outcomes)
        if problem is not None:
            problems.append(problem)
    return problems


def run_schedule(sim: str, hooks: Webhooks, sched: Dict[str, Any], stats: collections.Counter,
                 outcomes: collections.Counter, verbose: bool) -> List[str]:
    control(sim, "/_sim/reset", {"keep_config": True})
    control(sim, "/_sim/config", {"pivot_callback_url": hooks.url + "/pivot" if sched["callbacks"] else None})
    if sched["request_faults"]:
        control(sim, "/_sim/faults", {"faults": sched["request_faults"]})
    if sched["callback_faults"]:
        control(sim, "/_sim/faults", {"faults": sched["callback_faults"]})
    for f in sched["request_faults"] + sched["callback_faults"]:
        stats[f"fault:{f['fault']}"] += f["count"]
    work = tempfile.mkdtemp(prefix="kirim-chaos-")
    db = os.path.join(work, "payouts.sqlite")
    deadline = time.monotonic() + SCHEDULE_DEADLINE
    try:
        kills = list(sched["kills"])
        while True:
            kill = kills.pop(0) if kills else None
            if kill is not None and kill["real"]:
                finished = child_life(sim, db, sched, kill, hooks.url, deadline)
            else:
                finished = incarnation(sim, db, sched, kill, hooks, hooks.url, deadline, stats)
            if finished:
                break
            stats["kills:real" if kill and kill["real"] else "kills:in_process"] += 1
        ledger = control(sim, "/_sim/ledger")
        count_struck(ledger, stats)
        return check(sched, SQLiteStore(db), ledger, outcomes)
    except Stuck as error:
        return [str(error)]
    finally:
        if verbose:
            for p in sched["payouts"]:
                for o in SQLiteStore(db).history(p["reference"]):
                    print(f"  {o.reference} {o.at} {o.kind}: {o.detail}")
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)


def child_life(sim: str, db: str, sched: Dict[str, Any], kill: Dict[str, Any], hooks_url: str, deadline: float) -> bool:
    """A real process over the SQLite file, SIGKILLed at its kill point (callbacks meanwhile find
    the merchant's server down: 503)."""
    proc = subprocess.run([sys.executable, __file__, "--child", sim, db, json.dumps(sched), json.dumps(kill), hooks_url,
                           str(deadline - time.monotonic())], capture_output=True, text=True,
                          timeout=SCHEDULE_DEADLINE + 30)
    if proc.returncode == -signal.SIGKILL:
        return False
    if proc.returncode != 0:
        raise RuntimeError(f"the child failed: {proc.stderr}")
    return True


def start_simulator() -> SimulatorProcess:
    sim = SimulatorProcess([sys.executable, str(SIMULATOR)], max_seconds=86400, quiet=True)
    sim.control("/_sim/config", SIM_CONFIG)
    return sim


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--sim", help="a running simulator's URL (default: start one)")
    parser.add_argument("--stats", help="write the figures as JSON here")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--child", nargs=6)
    args = parser.parse_args()
    if args.child:
        sim, db, sched, kill, hooks_url, left = args.child
        incarnation(sim, db, json.loads(sched), json.loads(kill), None, hooks_url, time.monotonic() + float(left),
                    collections.Counter())
        return 0
    seeds = [args.seed] if args.seed is not None else list(range(args.first, args.first + args.count))
    own = None if args.sim else start_simulator()
    sim = args.sim or own.url
    if args.sim:
        control(sim, "/_sim/config", SIM_CONFIG)
    hooks = Webhooks()
    stats: collections.Counter = collections.Counter()
    outcomes: collections.Counter = collections.Counter()
    failed = []
    started = time.monotonic()
    for seed in seeds:
        sched = schedule(seed)
        if args.verbose:
            print(json.dumps(sched))
        try:
            problems = run_schedule(sim, hooks, sched, stats, outcomes, args.verbose)
        except Exception as error:  # noqa: BLE001 - a crash of the runner is a failure of this seed
            problems = [f"{type(error).__name__}: {error}"]
        if problems:
            failed.append(seed)
            print(f"FAILED seed {seed} ({sched['provider']}): " + "; ".join(problems))
            print(f"  replay: tests/chaos/script/replay python {seed}")
    elapsed = time.monotonic() - started
    figures = {"language": "python", "schedules": len(seeds), "passed": len(seeds) - len(failed),
               "failed": len(failed), "seconds": round(elapsed, 1), "stats": dict(sorted(stats.items())),
               "outcomes": dict(sorted(outcomes.items())), "failed_seeds": failed}
    print(f"python chaos: {json.dumps(figures)}")
    if args.stats:
        Path(args.stats).write_text(json.dumps(figures, indent=1))
    print(f"python: {len(seeds) - len(failed)} passed, {len(failed)} failed")
    if own is not None:
        own.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
