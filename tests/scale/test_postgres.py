"""kirim.postgres against a real PostgreSQL (KIRIM_PG: a libpq connection string; the scale
test's script starts a private cluster): migrations, claims under SKIP LOCKED, lease expiry,
the fence on a lost lease, and the callback inbox surviving a process killed right after it
acknowledged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
from contextlib import contextmanager
from typing import Any, Iterator, List

import psycopg

import kirim
from kirim.driver import Driver
from kirim.http import HttpRequest, TransportFailure
from kirim.lifecycle import Done
from kirim.postgres import MIGRATIONS, CallbackInbox, PostgresStore, Worker, migrate
from kirim.simulator import SimulatorProcess, control
from kirim.store import StoreInUseError

CONNINFO = os.environ.get("KIRIM_PG", "")


@contextmanager
def database_at_version(name: str, version: int) -> Iterator[Any]:
    """A scratch database ``name`` whose schema is at ``version`` (the first migrations applied,
    as an older kirim left it): the connection to fill it, then dropped whatever happens."""
    with psycopg.connect(CONNINFO, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    conninfo = CONNINFO.replace("dbname=postgres", f"dbname={name}")
    assert conninfo != CONNINFO, "KIRIM_PG names no dbname=postgres to replace"
    try:
        with psycopg.connect(conninfo, autocommit=True) as old:
            old.execute("CREATE TABLE kirim_schema (version integer PRIMARY KEY,"
                        " applied_at timestamptz NOT NULL DEFAULT clock_timestamp())")
            for number, sql in MIGRATIONS[:version]:
                old.execute(sql.encode())
                old.execute("INSERT INTO kirim_schema (version) VALUES (%s)", (number,))
            yield old, conninfo
    finally:
        with psycopg.connect(CONNINFO, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
PIVOT = kirim.PivotConfig("http://127.0.0.1:9", "kirim-merchant", "kirim-secret", ["kirim-callback-key"])


def order(reference: str) -> Any:
    return {"reference": reference, "amount": {"value": "100000", "currency": "IDR"},
            "beneficiary": {"bank": "BCA", "account_number": "1234567890", "account_name": "Budi"}}


def callback(reference: str, key: str) -> Any:
    body = json.dumps({"event": "PAYOUT.SUCCESS", "data": {
        "uuid": "d6a46a2c-1b26-40c5-9ca3-e063e69635a0", "merchantId": "kirim-merchant",
        "payouts": {"referenceId": reference, "amount": {"currency": "IDR", "value": "100000"},
                    "status": "SUCCESS", "reason": None}}}).encode()
    return [("X-API-Key", key), ("Content-Type", "application/json")], body


def batch_order(reference: str) -> Any:
    return {"reference": reference, "amount": {"value": "150000", "currency": "IDR"}, "items": [
        {"reference": f"{reference}-a", "amount": {"value": "100000", "currency": "IDR"}, "description": "Item A",
         "beneficiary": {"bank": "BCA", "account_number": "999966660001", "account_name": "Reforza Pivot"}},
        {"reference": f"{reference}-b", "amount": {"value": "50000", "currency": "IDR"}, "description": "Item B",
         "beneficiary": {"bank": "BRI", "account_number": "888801000157508", "account_name": "Dina Pivot"}}]}


def item_callback(*references: str) -> Any:
    """A genuine Pivot bulk callback naming only a batch's items."""
    body = json.dumps({"event": "PAYOUT.SUCCESS", "data": {
        "uuid": "0b6e2d0c-2f43-4d0e-9a57-1a2b3c4d5e6f", "merchantId": "kirim-merchant",
        "payouts": [{"referenceId": ref, "amount": {"currency": "IDR", "value": "100000"}, "status": "SUCCESS",
                     "reason": None} for ref in references]}}).encode()
    return [("X-API-Key", "kirim-callback-key")], body


class Clock:
    def now(self) -> int:
        return int(time.time())

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        wake.wait(min(seconds, 0.05))


class SkippingClock(Clock):
    """A wait longer than a moment is skipped forward."""

    offset = 0.0

    def now(self) -> int:
        return int(time.time() + self.offset)

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        if not wake.wait(min(max(seconds, 0.0), 0.05)):
            self.offset += max(seconds - 0.05, 0.0)


@unittest.skipUnless(CONNINFO, "KIRIM_PG is not set (tests/scale/script/test sets it)")
class PostgresTest(unittest.TestCase):
    def setUp(self) -> None:
        self.store = PostgresStore(CONNINFO)
        self.opened: List[PostgresStore] = []
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            db.execute("TRUNCATE kirim_payouts, kirim_observations, kirim_inbox, kirim_payout_references")

    def tearDown(self) -> None:
        for store in self.opened + [self.store]:
            store.close()

    def worker(self, owner: str, lease: float = 5.0, transport: Any = None) -> Worker:
        store = PostgresStore(CONNINFO, migrate=False)
        self.opened.append(store)
        return Worker({"pivot": PIVOT}, store, owner=owner, lease_seconds=lease, timeout_seconds=0.1, clock=Clock(),
                      transport=transport)

    def test_unfinished_lists_what_is_due_now_first(self) -> None:
        # The same order as every other store and language (bindings-python's test_store_order.py).
        from kirim.store import OPEN, PayoutRecord
        for reference, due in [("B", 200), ("A", None), ("C", 100), ("D", None)]:
            self.store.save(PayoutRecord(reference, "pivot", "{}", "{}", OPEN, "pending", due))
        self.store.save(PayoutRecord("E", "pivot", "{}", "{}", "done", "succeeded", None))
        self.assertEqual([r.reference for r in self.store.unfinished()], ["A", "D", "C", "B"])

    def test_migrations_are_versioned_and_idempotent(self) -> None:
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            self.assertEqual(migrate(db), [])  # setUp applied them already
            versions = [row[0] for row in db.execute("SELECT version FROM kirim_schema ORDER BY version")]
        self.assertEqual(versions, [v for v, _ in MIGRATIONS])
        self.assertEqual(self.store.migrate(), [])

    def test_concurrent_claims_take_different_payouts_without_waiting(self) -> None:
        submitter = self.worker("submitter")
        for ref in ("P1", "P2"):
            submitter.submit("pivot", order(ref))
        now = int(time.time())
        with psycopg.connect(CONNINFO) as other:
            # Another transaction holds P1's row lock (as a claim in progress does).
            other.execute("SELECT 1 FROM kirim_payouts WHERE reference = 'P1' FOR UPDATE")
            started = time.monotonic()
            claimed = self.store.claim_due("a", now, 5)
            self.assertLess(time.monotonic() - started, 1.0, "a claim waited for a locked row")
            self.assertIsNotNone(claimed)
            assert claimed is not None
            self.assertEqual(claimed.reference, "P2")
            self.assertIsNone(self.store.claim_due("b", now, 5))  # P1 locked, P2 leased
            other.rollback()
        second = self.store.claim_due("b", now, 5)
        assert second is not None
        self.assertEqual(second.reference, "P1")
        self.assertIsNone(self.store.claim_due("c", now, 5))

    def test_an_expired_lease_lets_another_worker_claim(self) -> None:
        self.worker("submitter").submit("pivot", order("P1"))
        now = int(time.time())
        self.assertIsNotNone(self.store.claim_due("dead", now, 0.3))  # then it "crashes": never released
        self.assertIsNone(self.store.claim_due("live", now, 5))
        time.sleep(0.4)
        claimed = self.store.claim_due("live", now, 5)
        assert claimed is not None
        self.assertEqual(claimed.reference, "P1")

    def test_a_worker_that_lost_its_lease_writes_and_sends_nothing_more(self) -> None:
        self.worker("submitter").submit("pivot", order("P1"))
        sent: List[str] = []
        thief = PostgresStore(CONNINFO, migrate=False)
        self.opened.append(thief)

        class SlowTransport:
            def send(self, request: HttpRequest, timeout: float) -> Any:
                sent.append(request.url)
                time.sleep(0.6)  # frozen past its lease; another worker claims the payout
                assert thief.claim_due("thief", int(time.time()), 30) is not None
                return TransportFailure.TIMEOUT

        slow = self.worker("slow", lease=0.5, transport=SlowTransport())
        self.assertEqual(slow.run_once(), "P1")
        self.assertEqual(len(sent), 1, "a request went out after the lease was lost")
        record = self.store.load("P1")
        assert record is not None
        self.assertEqual(record.state, "open")
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            owner = db.execute("SELECT lease_owner FROM kirim_payouts WHERE reference = 'P1'").fetchone()
            kinds = [r[0] for r in db.execute("SELECT kind FROM kirim_observations WHERE reference = 'P1' ORDER BY id")]
        assert owner is not None
        self.assertEqual(owner[0], "thief")  # the loser's release did not free the thief's lease
        self.assertEqual(kinds[-1], "lease_lost")

    def test_a_callback_acknowledged_by_a_process_killed_at_once_is_in_the_inbox(self) -> None:
        self.worker("submitter").submit("pivot", order("P1"))
        script = (
            "import json, os, signal, sys\n"
            "import kirim\n"
            "from kirim.postgres import CallbackInbox, PostgresStore\n"
            "pivot = kirim.PivotConfig('http://127.0.0.1:9', 'kirim-merchant', 'kirim-secret', ['kirim-callback-key'])\n"
            "inbox = CallbackInbox({'pivot': pivot}, PostgresStore(sys.argv[1], migrate=False))\n"
            "headers, body = json.loads(sys.argv[2]), sys.argv[3].encode()\n"
            "ack = inbox.handle_callback('pivot', [tuple(h) for h in headers], body)\n"
            "print(ack.status, flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)  # dies right after answering\n"
        )
        for key, status in (("kirim-callback-key", "200"), ("forged-key", "401")):
            headers, body = callback("P1", key)
            proc = subprocess.run([sys.executable, "-c", script, CONNINFO, json.dumps(headers), body.decode()],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, -signal.SIGKILL, proc.stderr)
            self.assertEqual(proc.stdout.strip(), status)
        pending = self.store.pending_callbacks("P1")
        self.assertEqual(len(pending), 1, "the genuine callback only (the forged one is refused, not recorded)")
        _, provider, stored_headers, stored_body = pending[0]
        self.assertEqual((provider, stored_body), ("pivot", callback("P1", "kirim-callback-key")[1]))
        self.assertIn(("X-API-Key", "kirim-callback-key"), stored_headers)

    def test_a_callback_handed_to_a_worker_is_committed_to_the_inbox_before_it_is_acknowledged(self) -> None:
        worker = self.worker("w")
        worker.submit("pivot", order("P1"))
        headers, body = callback("P1", "kirim-callback-key")
        self.assertEqual(worker.handle_callback("pivot", headers, body).status, 200)
        pending = self.store.pending_callbacks("P1")
        self.assertEqual([(provider, stored) for _, provider, _, stored in pending], [("pivot", body)])

    def test_a_snapshot_the_core_refuses_is_set_aside_not_fatal(self) -> None:
        self.worker("submitter").submit("pivot", order("P1"))
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            db.execute("UPDATE kirim_payouts SET snapshot = '{\"version\": 99}' WHERE reference = 'P1'")
        worker = self.worker("w")
        self.assertEqual(worker.run_once(), "P1")  # no exception: the worker goes on
        self.assertIsNone(worker.run_once())  # set aside: not due again for an hour
        record = self.store.load("P1")
        assert record is not None and record.next_due is not None
        self.assertEqual(record.state, "open")
        self.assertGreater(record.next_due, time.time() + 3000)
        self.assertEqual(self.store.history("P1")[-1].kind, "restore_refused")

    def test_a_row_holding_another_payouts_snapshot_is_set_aside_and_sends_nothing(self) -> None:
        submitter = self.worker("submitter")
        submitter.submit("pivot", order("P1"))
        submitter.submit("pivot", order("P2"))
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            # Row P1 holds P2's snapshot (an edited database): a second machine for P2.
            db.execute("UPDATE kirim_payouts SET snapshot = (SELECT snapshot FROM kirim_payouts"
                       " WHERE reference = 'P2'), next_due = 0 WHERE reference = 'P1'")
            db.execute("UPDATE kirim_payouts SET next_due = %s WHERE reference = 'P2'", (int(time.time()) + 7200,))
        worker = self.worker("w")
        self.assertEqual(worker.run_once(), "P1")  # refused, set aside, no exception
        self.assertIsNone(worker.run_once())  # nothing else due: P1 waits for a person
        record = self.store.load("P1")
        assert record is not None and record.next_due is not None
        self.assertEqual(record.state, "open")
        self.assertGreater(record.next_due, time.time() + 3000)
        refused = self.store.history("P1")[-1]
        self.assertEqual(refused.kind, "restore_refused")
        # "{code}: {message}", as Driver.run records it (the code once, the core's message).
        self.assertTrue(refused.detail.startswith('invalid_field: the stored payout "P1"'), refused.detail)
        self.assertIn('"P2"', refused.detail)
        self.assertNotIn("send", [o.kind for o in self.store.history("P1")])

    def test_a_row_of_a_provider_the_worker_has_no_configuration_for_is_set_aside_not_fatal(self) -> None:
        # It used to raise a bare ValueError out of run_once: the worker died, and every worker
        # claiming the row after its lease expired died the same way.
        gateway = kirim.GatewayConfig("http://127.0.0.1:9", "PF0002", "ThisIsYourSecretKey123", authorization="auth")
        store = PostgresStore(CONNINFO, migrate=False)
        self.opened.append(store)
        Worker({"gateway": gateway}, store, owner="submitter").submit(
            "gateway", {**order("G1"), "notify_url": "http://127.0.0.1:9/n"})
        before = self.store.load("G1")
        worker = self.worker("w")  # pivot only
        self.assertEqual(worker.run_once(), "G1")  # no exception: the worker goes on
        self.assertIsNone(worker.run_once())  # set aside: not due again for an hour
        record = self.store.load("G1")
        assert record is not None and before is not None and record.next_due is not None
        self.assertEqual((record.state, record.snapshot), ("open", before.snapshot))
        self.assertGreater(record.next_due, time.time() + 3000)
        refused = self.store.history("G1")[-1]
        self.assertEqual(refused.kind, "restore_refused")
        self.assertTrue(refused.detail.startswith('invalid_config: the stored payout "G1" is a "gateway" payout'),
                        refused.detail)

    def test_a_submission_never_overwrites_a_row_stored_between_its_check_and_its_insert(self) -> None:
        # Another process (another language's store, SQL by hand: outside the submissions'
        # advisory lock) stores P1, for Rp 500,000 with its create's request outstanding, right
        # after this submission's reads. A plain Driver over PostgresStore and a Worker alike
        # must neither replace that row nor report their own order as stored.
        from unittest import mock

        import kirim.driver
        from kirim.store import _COLUMNS, PayoutRecord, record_values

        now = int(time.time())
        machine = kirim.PayoutLifecycle("pivot", PIVOT, {**order("P1"), "amount": {"value": "500000", "currency": "IDR"}},
                                        now=now)
        machine.poll_with_json(now)  # the snapshot written before its first request
        theirs = PayoutRecord("P1", "pivot", json.dumps(machine.order()), machine.snapshot(), "open",
                                          "pending", now)
        real = kirim.driver.check_submission
        for submitter in (Driver({"pivot": PIVOT}, self.store, clock=Clock()), self.worker("w")):
            with psycopg.connect(CONNINFO, autocommit=True) as db:
                db.execute("TRUNCATE kirim_payouts, kirim_observations, kirim_payout_references")
                calls: List[int] = []

                def check(*args: Any) -> str:
                    calls.append(1)
                    if len(calls) == 1:
                        db.execute(f"INSERT INTO kirim_payouts ({_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                                   record_values(theirs))
                    decision: str = real(*args)
                    return decision

                with mock.patch.object(kirim.driver, "check_submission", check):
                    with self.assertRaises(kirim.KirimError, msg=type(submitter).__name__) as refused:
                        submitter.submit("pivot", order("P1"))
            self.assertEqual((refused.exception.code, refused.exception.field), ("invalid_field", "reference"))
            self.assertIn("amount: stored 500000.00 IDR, this order 100000.00 IDR", refused.exception.message)
            self.assertEqual(self.store.load("P1"), theirs, type(submitter).__name__)
            self.assertEqual(self.store.history("P1"), [])
        # No public insert beside it that skips the core's rule.
        self.assertFalse(hasattr(self.store, "insert"), "PostgresStore.insert adds a payout unchecked")

    def test_submit_writes_a_reference_once_and_refuses_another_order_under_it(self) -> None:
        # The core's rule (check_submission), decided in the insert's transaction.
        submitter = self.worker("submitter")
        self.assertEqual(submitter.submit("pivot", order("P1")), "P1")
        first = self.store.load("P1")
        self.assertEqual(submitter.submit("pivot", order("P1")), "P1")  # identical: nothing written
        self.assertEqual(self.store.load("P1"), first)
        self.assertEqual([o.kind for o in self.store.history("P1")], ["submitted"])
        other = {**order("P1"), "amount": {"value": "500000", "currency": "IDR"}}
        with self.assertRaises(kirim.KirimError) as refused:
            self.worker("other").submit("pivot", other)
        self.assertEqual((refused.exception.code, refused.exception.field), ("invalid_field", "reference"))
        self.assertIn("amount: stored 100000.00 IDR, this order 500000.00 IDR", refused.exception.message)
        self.assertEqual(self.store.load("P1"), first)
        # A single payout named like a stored batch's item, and a batch with an item named like a
        # stored payout: refused, nothing stored, the index unchanged.
        submitter.submit("pivot", batch_order("batch-7"))
        with self.assertRaises(kirim.KirimError) as refused:
            submitter.submit("pivot", order("batch-7-a"))
        self.assertEqual(refused.exception.field, "reference")
        self.assertIsNone(self.store.load("batch-7-a"))
        submitter.submit("pivot", order("batch-8-b"))
        with self.assertRaises(kirim.KirimError) as refused:
            submitter.submit("pivot", batch_order("batch-8"))
        self.assertEqual(refused.exception.field, "items[1].reference")
        self.assertIsNone(self.store.load("batch-8"))
        found = self.store.find_by_reference("batch-8-b")
        self.assertEqual(found.reference if found else None, "batch-8-b")

    def test_submit_uses_the_settings_passed_none_meaning_the_workers(self) -> None:
        # Before: settings={} took the worker's settings (``settings or self._settings``); as
        # Driver.submit and the other languages: an empty mapping is the provider's defaults.
        store = PostgresStore(CONNINFO, migrate=False)
        self.opened.append(store)
        own = {"query_schedule_seconds": [600], "request_timeout_seconds": 7}
        submitter = Worker({"pivot": PIVOT}, store, owner="submitter", timeout_seconds=0.1, settings=own)
        submitter.submit("pivot", order("P-EMPTY"), settings={})
        submitter.submit("pivot", order("P-NONE"))

        def settings(reference: str) -> Any:
            record = self.store.load(reference)
            assert record is not None
            return json.loads(record.snapshot)["settings"]

        defaults = json.loads(kirim.PayoutLifecycle("pivot", PIVOT, order("X"), now=1).snapshot())["settings"]
        self.assertNotEqual(defaults["request_timeout_seconds"], 7)
        self.assertEqual(settings("P-EMPTY"), defaults)
        self.assertEqual(settings("P-NONE"), {**defaults, **own})

    def test_a_callback_naming_only_a_batch_item_is_recorded_for_its_batch(self) -> None:
        self.worker("submitter").submit("pivot", batch_order("batch-7"))  # no payout id stored yet
        inbox = CallbackInbox({"pivot": PIVOT}, self.store)
        headers, body = item_callback("batch-7-a", "batch-7-b")
        self.assertEqual(inbox.handle_callback("pivot", headers, body).status, 200)
        self.assertEqual([(o.kind, o.detail) for o in self.store.history("")], [], "the callback was not routed")
        pending = self.store.pending_callbacks("batch-7")
        self.assertEqual([(provider, stored) for _, provider, _, stored in pending], [("pivot", body)])
        found = self.store.find_by_reference("batch-7-b")
        self.assertEqual(found.reference if found else None, "batch-7")

    def test_the_payouts_stored_before_item_references_were_kept_are_indexed_by_the_migration(self) -> None:
        machine = kirim.PayoutLifecycle("pivot", PIVOT, batch_order("batch-7"), now=int(time.time()))
        with database_at_version("kirim_migration_test", 1) as (old, conninfo):
            # A database at schema version 1, with a batch stored then.
            old.execute("INSERT INTO kirim_payouts (reference, provider, order_json, snapshot, state, status)"
                        " VALUES ('batch-7', 'pivot', %s, %s, 'open', 'pending')",
                        (json.dumps(machine.order()), machine.snapshot()))
            old.execute("INSERT INTO kirim_payouts (reference, provider, order_json, snapshot, state, status)"
                        " VALUES ('P1', 'pivot', '{}', '{}', 'open', 'pending')")
            store = PostgresStore(conninfo)  # migrates
            try:
                for reference, payout in [("batch-7-a", "batch-7"), ("batch-7-b", "batch-7"), ("batch-7", "batch-7"),
                                          ("P1", "P1")]:
                    found = store.find_by_reference(reference)
                    self.assertEqual(found.reference if found else None, payout, reference)
                self.assertIsNone(store.find_by_reference("batch-8-a"))
            finally:
                store.close()

    def test_a_payout_set_aside_stays_aside_while_a_callback_waits_and_keeps_it(self) -> None:
        self.worker("submitter").submit("pivot", order("P1"))
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            db.execute("UPDATE kirim_payouts SET snapshot = '{\"version\": 99}' WHERE reference = 'P1'")
        headers, body = callback("P1", "kirim-callback-key")
        self.assertEqual(CallbackInbox({"pivot": PIVOT}, self.store).handle_callback("pivot", headers, body).status, 200)
        worker = self.worker("w")
        # Set aside once, then not due again for an hour, the waiting callback notwithstanding.
        self.assertEqual([worker.run_once() for _ in range(4)], ["P1", None, None, None])
        self.assertEqual([o.kind for o in self.store.history("P1")].count("restore_refused"), 1)
        record = self.store.load("P1")
        assert record is not None and record.next_due is not None
        self.assertGreater(record.next_due, time.time() + 3000)
        self.assertEqual(len(self.store.pending_callbacks("P1")), 1, "the callback is kept for the person who fixes it")
        # Fixed by a person (the snapshot as written before the create went out, due now): its
        # waiting callback is applied. (A snapshot with nothing sent would not take a success:
        # a verified event before any create is a mismatch for a person.)
        self.store_its_create_sent("P1")
        self.assertEqual(worker.run_once(), "P1")
        self.assertEqual(self.store.pending_callbacks("P1"), [])
        record = self.store.load("P1")
        assert record is not None
        self.assertEqual((record.state, record.status), ("done", "succeeded"))
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            aside = db.execute("SELECT set_aside_at FROM kirim_payouts WHERE reference = 'P1'").fetchone()
        self.assertEqual(aside, (None,), "no longer set aside once a snapshot is written")

    def test_a_single_driver_runs_on_postgres_and_never_beside_another_driver_or_workers(self) -> None:
        simulator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "simulator", "kirim_sim.py")
        with SimulatorProcess([sys.executable, simulator], max_seconds=120) as sim:
            control(sim.url, "/_sim/config", {"pivot_callback_url": None})  # its query finds the status
            pivot = kirim.PivotConfig(sim.url, "kirim-merchant", "kirim-secret", ["kirim-callback-key"])
            store = PostgresStore(CONNINFO, migrate=False)
            self.opened.append(store)
            driver = Driver({"pivot": pivot}, store, clock=SkippingClock(), settings={"query_schedule_seconds": [1]})
            driver.submit("pivot", order("P1"))
            done = driver.run()["P1"]
            self.assertIsInstance(done, Done)
            assert isinstance(done, Done)
            self.assertEqual(done.status, kirim.PayoutStatus.SUCCEEDED)
            record = self.store.load("P1")
            assert record is not None
            self.assertEqual(record.state, "done")
        other = PostgresStore(CONNINFO, migrate=False)
        self.opened.append(other)
        worker = self.worker("w")
        worker.submit("pivot", order("P2"))
        with store.claim():  # a driver's run, in another process or through another store
            with self.assertRaisesRegex(StoreInUseError, r"a payout driver .*backend pid \d+"):
                Driver({"pivot": PIVOT}, other).run()
            with self.assertRaisesRegex(StoreInUseError, r"a payout driver"):
                worker.run_once()
        with other.claim(shared=True):  # a worker's run: others may run beside it, no driver
            with worker._pg.claim(shared=True):
                pass
            with self.assertRaisesRegex(StoreInUseError, r"1 worker"):
                Driver({"pivot": PIVOT}, store).run()
        self.assertEqual(worker.run_once(), "P2")  # each let go

    def test_the_migrate_command(self) -> None:
        proc = subprocess.run([sys.executable, "-m", "kirim.postgres", "migrate", CONNINFO],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual((proc.returncode, proc.stdout.strip()), (0, "kirim schema: up to date"), proc.stderr)

    def test_a_worker_stops_when_nothing_is_open_or_when_told(self) -> None:
        worker = self.worker("w")
        self.assertEqual(worker.run(), {})  # nothing open: returns at once
        asked: List[int] = []

        def until() -> bool:
            asked.append(1)
            return len(asked) >= 3

        worker.run(until=until)  # nothing open, but told when to stop: waits for work meanwhile
        self.assertEqual(len(asked), 3)

    def store_its_create_sent(self, reference: str) -> None:
        """Writes the stored payout ``reference``'s snapshot as a worker leaves it once its create
        is out (the token obtained, the create recorded as sent), due now."""
        now = int(time.time())
        machine = kirim.PayoutLifecycle("pivot", PIVOT, order(reference), now=now)
        machine.poll(now)  # the token request
        token = b'{"code":"00","data":{"accessToken":"eyJ.t","expiresIn":"900","tokenType":"Bearer"}}'
        machine.handle_response(kirim.HttpResponse(200, [], token), now)
        self.assertEqual(machine.poll(now).purpose.value, "create")  # recorded as sent
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            db.execute("UPDATE kirim_payouts SET snapshot = %s, next_due = 0 WHERE reference = %s",
                       (machine.snapshot(), reference))

    def ended(self, reference: str) -> None:
        """Stores ``reference`` with its create sent, then ends it as a worker does: a genuine
        SUCCESS callback through the inbox, applied."""
        self.worker("submitter").submit("pivot", order(reference))
        self.store_its_create_sent(reference)
        headers, body = callback(reference, "kirim-callback-key")
        self.assertEqual(CallbackInbox({"pivot": PIVOT}, self.store).handle_callback("pivot", headers, body).status, 200)
        self.assertEqual(self.worker("w").run_once(), reference)
        record = self.store.load(reference)
        assert record is not None
        self.assertEqual((record.state, record.status), ("done", "succeeded"))

    def inbox_rows(self, reference: str) -> List[Any]:
        """(applied, applied_by, after_end) of each of the payout's inbox rows, oldest first."""
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            return db.execute("SELECT applied_at IS NOT NULL, applied_by, after_end FROM kirim_inbox"
                              " WHERE reference = %s ORDER BY id", (reference,)).fetchall()

    def test_a_callback_for_an_ended_payout_is_in_its_history_and_not_left_pending(self) -> None:
        # Was left pending forever: an ended payout is never claimed, so its row was never read.
        self.ended("P1")
        before = self.store.history("P1")
        self.assertEqual(before[-1].kind, "action")
        record = self.store.load("P1")
        headers, body = callback("P1", "kirim-callback-key")  # the provider's later word
        self.assertEqual(CallbackInbox({"pivot": PIVOT}, self.store).handle_callback("pivot", headers, body).status, 200)
        self.assertEqual(self.store.pending_callbacks("P1"), [])
        self.assertEqual(self.inbox_rows("P1"), [(True, "w", False), (True, None, True)])
        later = [(o.kind, o.detail) for o in self.store.history("P1")[len(before):]]
        self.assertEqual(later, [("callback", "succeeded (api_key)")])
        # The same lines as an in-process Driver records for a payout it holds as ended.
        from kirim.store import MemoryStore
        memory = MemoryStore()
        assert record is not None
        memory.save(record)
        Driver({"pivot": PIVOT}, memory, clock=Clock()).handle_callback("pivot", headers, body)
        self.assertEqual([(o.kind, o.detail) for o in memory.history("P1")], later)
        # Nothing for a worker to do, and the payout as it was.
        self.assertIsNone(self.worker("w2").run_once())
        self.assertEqual(self.store.load("P1"), record)
        self.assertEqual(len(self.store.history("P1")), len(before) + 1)

    def test_a_final_save_settles_the_callbacks_its_machine_did_not_apply(self) -> None:
        # A callback recorded after the worker last read the inbox, before the payout ended: was
        # left pending forever (the ended payout is never claimed again).
        import dataclasses
        self.worker("submitter").submit("pivot", order("P1"))
        claimed = self.store.claim_due("w", int(time.time()), 5)
        assert claimed is not None
        inbox = CallbackInbox({"pivot": PIVOT}, self.store)
        for _ in range(2):
            inbox.handle_callback("pivot", *callback("P1", "kirim-callback-key"))
        applied, late = [row[0] for row in self.store.pending_callbacks("P1")]
        done = dataclasses.replace(claimed, state="done", status="succeeded", next_due=None)
        self.assertTrue(self.store.save_leased("w", done, 5, [applied]))
        self.assertEqual(self.store.pending_callbacks("P1"), [])
        self.assertEqual(self.inbox_rows("P1"), [(True, "w", False), (True, None, True)])
        # An open payout's save leaves the callbacks it did not apply pending.
        self.worker("submitter").submit("pivot", order("P2"))
        claimed = self.store.claim_due("w", int(time.time()), 5)
        assert claimed is not None and claimed.reference == "P2"
        inbox.handle_callback("pivot", *callback("P2", "kirim-callback-key"))
        self.assertTrue(self.store.save_leased("w", claimed, 5, []))
        self.assertEqual(len(self.store.pending_callbacks("P2")), 1)

    def test_a_callback_recorded_during_a_final_save_waits_for_it_and_is_not_left_pending(self) -> None:
        # Without the payout's row lock, the inbox read the payout as open while a worker's final
        # save was in progress, and its row, committed after that save, was left pending forever.
        self.worker("submitter").submit("pivot", order("P1"))
        inbox = CallbackInbox({"pivot": PIVOT}, self.store)
        headers, body = callback("P1", "kirim-callback-key")
        with psycopg.connect(CONNINFO) as saving:
            # A worker's final save (save_leased's statements for an ended record), not yet committed.
            saving.execute("UPDATE kirim_payouts SET state = 'done', status = 'succeeded' WHERE reference = 'P1'")
            saving.execute("UPDATE kirim_inbox SET applied_at = clock_timestamp(), after_end = true"
                           " WHERE reference = 'P1' AND applied_at IS NULL")
            answered: List[int] = []
            thread = threading.Thread(target=lambda: answered.append(inbox.handle_callback("pivot", headers, body).status))
            thread.start()
            thread.join(0.5)
            self.assertTrue(thread.is_alive(), "the inbox did not wait for the final save in progress")
            saving.commit()
        thread.join(10)
        self.assertEqual(answered, [200])
        self.assertEqual(self.store.pending_callbacks("P1"), [])
        self.assertEqual(self.inbox_rows("P1"), [(True, None, True)])

    def test_a_callback_not_committed_to_the_inbox_leaves_no_line_in_the_history(self) -> None:
        # Its `callback` line was committed before its inbox row: a failure (or a crash) in
        # between answered nothing, so the provider sent it again, and the line was there twice.
        self.ended("P1")
        before = len(self.store.history("P1"))
        headers, body = callback("P1", "kirim-callback-key")
        for handler in (CallbackInbox({"pivot": PIVOT}, self.store), self.worker("w2")):
            with psycopg.connect(CONNINFO, autocommit=True) as db:
                db.execute("ALTER TABLE kirim_inbox ADD CONSTRAINT kirim_test_refused CHECK (false) NOT VALID")
                try:
                    with self.assertRaises(psycopg.errors.CheckViolation):
                        handler.handle_callback("pivot", headers, body)
                finally:
                    db.execute("ALTER TABLE kirim_inbox DROP CONSTRAINT kirim_test_refused")
            self.assertEqual(len(self.store.history("P1")), before, type(handler).__name__)
            self.assertEqual(handler.handle_callback("pivot", headers, body).status, 200)  # the provider's retry
            before += 1
            self.assertEqual(len(self.store.history("P1")), before, type(handler).__name__)
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            lines = db.execute("SELECT kind, detail, worker FROM kirim_observations WHERE reference = 'P1'"
                               " ORDER BY id DESC LIMIT 2").fetchall()
        self.assertEqual(lines, [("callback", "succeeded (api_key)", "w2"), ("callback", "succeeded (api_key)", None)])
        self.assertEqual(self.inbox_rows("P1"), [(True, "w", False), (True, None, True), (True, None, True)])

    def test_the_migration_settles_the_callbacks_left_pending_for_ended_payouts(self) -> None:
        with database_at_version("kirim_migration_test_4", 3) as (old, conninfo):
            # A database at schema version 3: a pending callback for an ended payout and one
            # for an open payout.
            for reference, state in [("P1", "done"), ("P2", "open")]:
                old.execute("INSERT INTO kirim_payouts (reference, provider, order_json, snapshot, state, status)"
                            " VALUES (%s, 'pivot', '{}', '{}', %s, 'pending')", (reference, state))
                old.execute("INSERT INTO kirim_inbox (reference, provider, headers, body, received_at)"
                            " VALUES (%s, 'pivot', '[]', '', 0)", (reference,))
            store = PostgresStore(conninfo)  # migrates
            try:
                self.assertEqual(store.pending_callbacks("P1"), [])
                self.assertEqual([row[0] for row in store.pending_callbacks("P2")], [2])
                with psycopg.connect(conninfo, autocommit=True) as db:
                    rows = db.execute("SELECT reference, applied_at IS NOT NULL, after_end FROM kirim_inbox"
                                      " ORDER BY id").fetchall()
                self.assertEqual(rows, [("P1", True, True), ("P2", False, False)])
            finally:
                store.close()

    def test_an_inbox_does_not_drive(self) -> None:
        inbox = CallbackInbox({"pivot": PIVOT}, self.store)
        with self.assertRaises(TypeError):
            inbox.run()


if __name__ == "__main__":
    unittest.main()
