"""kirim end to end, from Python, on the payout driver: Pivot, the withdraw gateway, Paper.id.

Standard library only, besides `kirim`. The driver (`kirim.driver.Driver`) runs each payout's
state machine, which is the core's: it says what to send, when to wait and when the payout is
final; the driver sends it with urllib and stores the machine's snapshot in SQLite before each
request. This file only submits orders, serves the callbacks and prints what happened. Then a
process is killed (SIGKILL) while its create request is out, and a fresh one resumes the payout
from the database. Run it against the provider simulator:

    python3 tests/simulator/kirim_sim.py --port 8000 &
    python3 examples/python/kirim_demo.py --simulator http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import kirim
from kirim.driver import Driver
from kirim.lifecycle import Done, PayoutLifecycle, WaitUntil
from kirim.simulator import CallbackServer, control, default_config
from kirim.store import Observation, SQLiteStore

# The simulator's default configuration, its credentials among it (docs/simulator.md,
# Configuration), from the simulator itself. In production credentials come from your secret
# store, never from source code.
SIM_DEFAULTS = default_config()

# When no callback comes, the machine queries after these many seconds (then the last, again).
# A request unanswered for request_timeout_seconds is lost, and a lost one is retried after a
# backoff of at most max_backoff_seconds: short here (the simulator answers at once), so that the
# resumed payout does not wait Pivot's 120 s and then 30 s; the driver gives up just before.
SETTINGS = {"query_schedule_seconds": [3, 5, 10], "request_timeout_seconds": 5, "max_backoff_seconds": 2}
TIMEOUT_SECONDS = 4
# The timeline's zero, shared with the child processes.
START = float(os.environ.setdefault("KIRIM_DEMO_T0", str(time.time())))


def log(who: str, step: str, text: str) -> None:
    print(f"[{time.time() - START:6.2f}s] {who:<8} {step:<10} {text}", flush=True)


class TimelineStore(SQLiteStore):
    """The SQLite store, printing each observation the driver records: what was sent, what came
    back, what the core decided."""

    def __init__(self, path: str, who: str) -> None:
        super().__init__(path)
        self.who = who

    def observe(self, observation: Observation) -> None:
        super().observe(observation)
        detail = observation.detail
        if observation.kind == "action":  # the machine's final action, as the core's JSON
            action = json.loads(detail)
            detail = " ".join(f"{k}={v}" for k, v in action.items() if v not in (None, [], {}) and k != "items")
        log(self.who, observation.kind, f"{observation.reference} {detail}".strip())


def configs(sim: str) -> tuple[kirim.PivotConfig, kirim.GatewayConfig]:
    pivot = kirim.PivotConfig(sim, SIM_DEFAULTS["pivot_merchant_id"], SIM_DEFAULTS["pivot_merchant_secret"],
                              [SIM_DEFAULTS["pivot_callback_key"]])
    gateway = kirim.GatewayConfig(sim, SIM_DEFAULTS["gateway_platform_id"], SIM_DEFAULTS["gateway_platform_key"],
                                  authorization=SIM_DEFAULTS["gateway_auth_token"])
    return pivot, gateway


def order(reference: str, account: str, name: str, amount: str, notify_url: str | None = None) -> dict:
    result = {"reference": reference, "amount": kirim.Money.parse(amount),
              "beneficiary": {"bank": "BCA", "account_number": account, "account_name": name}}
    if notify_url:
        result["notify_url"] = notify_url  # the gateway's notifications for this order
    return result


class Webhooks:
    """The callback receiver: Pivot and gateway callbacks go to the driver (verified by the core,
    routed to their payout); Paper.id's are verified with kirim.PaperId."""

    def __init__(self, driver: Driver) -> None:
        self.paperid = kirim.PaperId(kirim.PaperIdConfig(
            callback_token_header="X-Callback-Token", callback_tokens=[SIM_DEFAULTS["paperid_callback_token"]],
            allowed_source_addresses=["127.0.0.1/32", "::1/128"]))
        self.paper_status: dict[str, str] = {}
        self.driver = driver
        # A loopback server for the demo; in production, your web framework's route does this.
        self.server = CallbackServer(self.handle)
        self.url = self.server.url

    def handle(self, provider: str, headers: list, body: bytes, peer: str) -> kirim.Acknowledgement:
        if provider == "paperid":
            # The TCP peer, never a header the sender controls (Paper.id's allow-list).
            return self.paper(headers, body, peer)
        return self.driver.handle_callback(provider, headers, body)

    def paper(self, headers: list, body: bytes, peer: str) -> kirim.Acknowledgement:
        handled = self.paperid.handle_callback(headers, body, peer)
        if handled.event is not None:
            event = handled.event
            merged = kirim.merge_statuses(self.paper_status.get(event.payout_id), [event]).value
            self.paper_status[event.payout_id] = merged
            log("paperid", "callback", f"{event.payout_id} verified: {event.raw_status} -> {merged}; answered HTTP {handled.acknowledgement.status}")
        else:
            log("paperid", "callback", f"REFUSED ({handled.error.code}); answered HTTP {handled.acknowledgement.status}")
        return handled.acknowledgement

    def close(self) -> None:
        self.server.close()


def status_of(action: object) -> str:
    return action.status.value if isinstance(action, Done) else f"manual reconciliation ({action!r})"


def child(sim: str, db: str, reference: str, resume: bool) -> int:
    """The process that pays (and is killed), or the fresh one that resumes from `db`."""
    who = "resume" if resume else "child"
    log(who, "process", f"pid {os.getpid()}, database {os.path.basename(db)}")
    pivot, _ = configs(sim)
    store = TimelineStore(db, who)
    driver = Driver({"pivot": pivot}, store, settings=SETTINGS, timeout_seconds=TIMEOUT_SECONDS)
    if resume:
        for record in store.unfinished():  # what the core makes of the stored snapshot
            now = int(time.time())
            action = PayoutLifecycle.restore(record.provider, pivot, record.snapshot).poll(now)
            said = f"wait {action.at - now}s ({action.reason.value})" if isinstance(action, WaitUntil) else repr(action)
            log(who, "restored", f"{record.reference}: a create was out, its answer never stored; core says {said}")
    else:
        driver.submit("pivot", order(reference, "999966660001", "Reforza Pivot", "100000"))
    results = driver.run()  # every unfinished payout of the database
    for ref, action in results.items():
        log(who, "final", f"{ref}: {status_of(action)}")
    action = results.get(reference)  # ours must be among them, and have succeeded
    return 0 if isinstance(action, Done) and action.status.value == "succeeded" else 1


def crash_and_resume(sim: str, db: str, reference: str) -> str:
    """A child pays; the simulator holds its create's answer (`delay_response`); once the ledger
    shows the create arrived, the child is killed with SIGKILL; a fresh process resumes."""
    def held_creates() -> int:
        return sum(h["method"] == "POST" and h["path"] == "/v1/payouts" and h["fault"] == "delay_response"
                   for h in control(sim, "/_sim/ledger")["http"])

    before = held_creates()
    control(sim, "/_sim/faults", {"method": "POST", "path": "/v1/payouts", "fault": "delay_response", "hold_seconds": 60})
    me = [sys.executable, os.path.abspath(__file__), "--simulator", sim, "--db", db, "--reference", reference]
    proc = subprocess.Popen(me + ["--child", "pay"])
    deadline = time.monotonic() + 30
    while held_creates() == before:  # the simulator logs a request when it has processed it
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the child ended (or took too long) before sending its create")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    created = control(sim, "/_sim/ledger")["pivot"]["payouts_created_per_reference"].get(reference)
    log("demo", "KILLED", f"child pid {proc.pid} (SIGKILL) with its create out, answer not stored; Pivot holds {created} payout for {reference}")
    resumed = subprocess.run(me + ["--child", "resume"], timeout=120)
    pivot = control(sim, "/_sim/ledger")["pivot"]
    replays = sum(r["replays"] for r in pivot["requests"] if any(i["referenceId"] == reference for i in r["items"]))
    log("demo", "ledger", f"{reference}: {pivot['payouts_created_per_reference'].get(reference)} payout created; "
        f"creates answered by replaying the first answer (same key): {replays}")
    return "succeeded" if resumed.returncode == 0 else "NOT resumed to success"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--prefix", default="py", help="prefix of the merchant references")
    parser.add_argument("--db", help="the SQLite file (default: a new temporary one)")
    parser.add_argument("--child", choices=["pay", "resume"], help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sim = args.simulator
    if args.child:
        return child(sim, args.db, args.reference, args.child == "resume")

    folder = tempfile.mkdtemp(prefix="kirim-demo-")
    db = args.db or os.path.join(folder, "payouts.sqlite")
    driver = Driver(dict(zip(("pivot", "gateway"), configs(sim))), TimelineStore(db, "driver"), settings=SETTINGS,
                    timeout_seconds=TIMEOUT_SECONDS)
    webhooks = Webhooks(driver)
    # Slow processing a little so that the timeline reads in order: create, callback, final.
    control(sim, "/_sim/config", {"pivot_callback_url": webhooks.url + "/pivot",
                                  "pivot_processing_delay_seconds": 1.5, "gateway_step_delay_seconds": 0.75})
    log("demo", "receiver", f"callbacks on {webhooks.url}; state in {db}")
    stamp = int(time.time())
    pivot_ref, gateway_ref = f"{args.prefix}Pivot{stamp}", f"{args.prefix}-gw-{stamp}"
    crash_ref, paper_ref = f"{args.prefix}Crash{stamp}", f"{args.prefix}-paper-{stamp}"

    # 1. Two payouts through the driver: it runs both to their final status.
    driver.submit("pivot", order(pivot_ref, "999966660001", "Reforza Pivot", "100000"))
    driver.submit("gateway", order(gateway_ref, "4088748280272397", "test name", "50000", webhooks.url + "/gateway"))
    results = {ref: status_of(action) for ref, action in driver.run().items()}

    # 2. Paper.id: disbursements are created outside kirim; their callbacks are verified (token
    # and sender address). A genuine one, then a forged one (wrong token) that must change nothing.
    url = webhooks.url + "/paperid"
    control(sim, "/_sim/paperid/callback", {"url": url, "fields": {"disbursement_id": paper_ref}})
    forged = control(sim, "/_sim/paperid/callback", {"url": url, "token": "not-the-token",
                                                     "fields": {"disbursement_id": paper_ref + "-forged"}})
    ok_forged = forged["status_code"] != 200 and paper_ref + "-forged" not in webhooks.paper_status
    results[paper_ref] = webhooks.paper_status.get(paper_ref, "none")

    # 3. The crash: killed while its create is out; a fresh process resumes from the database.
    results[crash_ref] = crash_and_resume(sim, os.path.join(folder, "crash.sqlite"), crash_ref)
    webhooks.close()

    ledger = control(sim, "/_sim/ledger")
    created = {**ledger["pivot"]["payouts_created_per_reference"], **ledger["gateway"]["orders_created_per_reference"]}
    created[paper_ref] = 1  # created outside kirim: only its callbacks are handled here
    print("\nFinal statuses (and payouts the simulator created for the reference):")
    for reference, status in results.items():
        print(f"  {reference:<28} {status:<10} created {created.get(reference, 0)}")
    print(f"  forged Paper.id callback refused: {ok_forged}")
    print("Simulator ledger (GET /_sim/ledger):")
    print(f"  pivot   {json.dumps(ledger['pivot']['payouts_created_per_reference'])}")
    print(f"  gateway {json.dumps(ledger['gateway']['orders_created_per_reference'])}")
    one_each = all(n == 1 for n in created.values())
    ok = ok_forged and one_each and all(status == "succeeded" and created.get(ref) == 1 for ref, status in results.items())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
