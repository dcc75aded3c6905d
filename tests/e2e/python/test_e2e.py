"""End-to-end scenarios, from Python: kirim's Python binding against the provider simulator.

Real HTTP on loopback, through the per-call API (tests/e2e/python/percall.py, the demo that
predates the driver). The
simulator is the one tests/e2e/script/test started (KIRIM_SIM_URL); run alone, this module
starts its own and always stops it. Every wait has a deadline.
"""

from __future__ import annotations

import os
import sys
import unittest
from pathlib import Path

from kirim.simulator import SimulatorProcess

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import percall as demo  # noqa: E402

SIM = os.environ.get("KIRIM_SIM_URL")
_own_sim = None


def setUpModule():  # noqa: N802 - unittest's naming
    global SIM, _own_sim
    if SIM:
        return
    _own_sim = SimulatorProcess([sys.executable, str(ROOT / "tests/simulator/kirim_sim.py")])
    SIM = _own_sim.url


def tearDownModule():  # noqa: N802
    if _own_sim is not None:
        _own_sim.stop()


class Scenario(unittest.TestCase):
    """Each test starts from a clean simulator, with its own webhook receiver."""

    def setUp(self):
        demo.control(SIM, "/_sim/reset", {})
        self.lines: list[str] = []
        self.log = demo.Timeline(out=_Lines(self.lines))
        self.payouts = demo.Payouts()
        self.webhooks = demo.Webhooks(*demo.configs(SIM), self.payouts, self.log)
        self.addCleanup(self.webhooks.close)
        # Callback retries in tenths of a second, so that a retried callback fits in a test.
        demo.control(SIM, "/_sim/config", {"pivot_callback_url": self.webhooks.url + "/pivot",
                                           "retry_scale_seconds_per_hour": 0.1})

    def ledger(self) -> dict:
        return demo.control(SIM, "/_sim/ledger")

    def callbacks(self, provider: str, kind: str) -> list[dict]:
        return [c for c in self.ledger()["callbacks"] if c["provider"] == provider and c["kind"] == kind]

    def assert_duplicate_then_stale(self, final: str, reference: str, raws: list[str]):
        """A succeeded payout whose callbacks came as `raws`: the genuine one, its duplicate, then
        a stale earlier status. Each was verified and acknowledged; the stale one was merged
        without moving the payout backwards."""
        self.assertEqual(final, "succeeded")
        # Wait for the whole sequence, up to the stale status.
        self.assertTrue(self.webhooks.wait_for(lambda r: any(e["raw_status"] == raws[-1] for e in r["events"]), 10))
        self.assertEqual([e["raw_status"] for r in self.webhooks.received for e in r["events"]], raws)
        self.assertTrue(all(r["verified"] and r["ack"]["status"] == 200 for r in self.webhooks.received))
        self.assertEqual(self.webhooks.received[-1]["merged"], "succeeded")
        self.assertEqual(self.payouts.status[reference], "succeeded")

    def no_secret_in_timeline(self, token_shown: bool):
        text = "\n".join(self.lines)
        for name in ("pivot_merchant_secret", "pivot_callback_key", "gateway_platform_key", "gateway_auth_token"):
            self.assertNotIn(demo.SIM_DEFAULTS[name], text)
        # The Pivot access token is said to exist, never shown.
        self.assertEqual("value=[redacted]" in text, token_shown)


class _Lines:
    """A file-like sink for the timeline, kept for assertions (and printed on failure)."""

    def __init__(self, lines):
        self.lines = lines

    def write(self, text):
        if text.strip():
            self.lines.append(text.rstrip("\n"))

    def flush(self):
        pass


class PivotScenarios(Scenario):
    def test_timeout_is_resolved_by_resending_the_same_request_and_pays_exactly_once(self):
        final = demo.pivot_payout(SIM, self.webhooks, self.payouts, self.log, "pyTimeout0001", fault="drop_response")
        self.assertEqual(final, "succeeded")
        ledger = self.ledger()
        self.assertEqual(ledger["pivot"]["payouts_created_per_reference"], {"pyTimeout0001": 1})
        # The second create was the same key and payload, answered by replay: nothing created.
        [request] = ledger["pivot"]["requests"]
        self.assertEqual(request["replays"], 1)
        creates = [h for h in ledger["http"] if h["method"] == "POST" and h["path"] == "/v1/payouts"]
        self.assertEqual([(h["status"], h["fault"]) for h in creates], [(None, "drop_response"), (200, None)])
        # Then the status was queried, by the payout id the replay gave back.
        self.assertTrue(any(h["method"] == "GET" and h["path"] == f"/v1/payouts/{request['uuid']}" for h in ledger["http"]))
        self.assertIn("core says resend_same_request", "\n".join(self.lines))
        self.assertEqual(ledger["pivot"]["balance"], "9900000.00")
        self.no_secret_in_timeline(token_shown=True)

    def test_html_500_is_resolved_by_resending_the_same_key_once(self):
        final = demo.pivot_payout(SIM, self.webhooks, self.payouts, self.log, "pyHtml5000001", fault="http_500_html")
        self.assertEqual(final, "succeeded")
        ledger = self.ledger()
        self.assertEqual(ledger["pivot"]["payouts_created_per_reference"], {"pyHtml5000001": 1})
        self.assertIn("provider_unavailable", "\n".join(self.lines))

    def test_forged_callback_is_rejected_with_401_and_changes_nothing(self):
        # An inactive account: the payout fails, and the forged callback claims it succeeded.
        demo.control(SIM, "/_sim/faults", {"callback": "pivot", "fault": "forged"})
        final = demo.pivot_payout(SIM, self.webhooks, self.payouts, self.log, "pyForged00001",
                                  account_number="999966660002", account_name="Inactive Holder", fault=None)
        self.assertEqual(final, "failed")
        self.assertTrue(self.webhooks.wait_for(lambda r: not r["verified"], 5))
        [forged] = self.callbacks("pivot", "forged")
        self.assertEqual(forged["status_code"], 401)
        self.assertFalse(forged["acknowledged"])
        rejected = [r for r in self.webhooks.received if not r["verified"]]
        self.assertEqual([(r["ack"]["status"], r["events"]) for r in rejected], [(401, [])])
        self.assertEqual(self.payouts.status["pyForged00001"], "failed")
        self.assertEqual(self.ledger()["pivot"]["payouts_created_per_reference"], {"pyForged00001": 1})

    def test_duplicate_and_stale_callbacks_leave_the_final_status(self):
        demo.control(SIM, "/_sim/faults", {"faults": [{"callback": "pivot", "fault": "duplicate"},
                                                      {"callback": "pivot", "fault": "out_of_order"}]})
        final = demo.pivot_payout(SIM, self.webhooks, self.payouts, self.log, "pyDupStale001", fault=None)
        self.assert_duplicate_then_stale(final, "pyDupStale001", ["SUCCESS", "SUCCESS", "PENDING"])
        self.assertEqual(self.ledger()["pivot"]["payouts_created_per_reference"], {"pyDupStale001": 1})

    def test_bulk_callback_carries_totals_and_the_items_come_from_retrieve(self):
        refs = ("py-bulk-ok-1", "py-bulk-fail-1")
        finals = demo.pivot_bulk_payout(SIM, self.webhooks, self.payouts, self.log, refs)
        self.assertEqual(finals, {"py-bulk-ok-1": "succeeded", "py-bulk-fail-1": "failed"})
        [batch] = [r for r in self.webhooks.received if any(e["reference_id"] is None for e in r["events"])]
        self.assertTrue(batch["verified"])
        self.assertEqual(batch["ack"]["status"], 200)
        self.assertNotIn("merged", batch)  # a batch event names no payout: nothing merged from it
        self.assertEqual(self.ledger()["pivot"]["payouts_created_per_reference"], {"py-bulk-ok-1": 1, "py-bulk-fail-1": 1})


GATEWAY_CREATE = "/gateway/api/v2/payouts"


class GatewayScenarios(Scenario):
    def test_timeout_is_resolved_by_a_query_and_creates_exactly_one_order(self):
        final = demo.gateway_withdraw(SIM, self.webhooks, self.payouts, self.log, "py-gw-timeout-1", fault="drop_response")
        self.assertEqual(final, "succeeded")
        ledger = self.ledger()
        self.assertEqual(ledger["gateway"]["orders_created_per_reference"], {"py-gw-timeout-1": 1})
        creates = [h for h in ledger["http"] if h["method"] == "POST" and h["path"] == GATEWAY_CREATE]
        self.assertEqual([(h["status"], h["fault"]) for h in creates], [(None, "drop_response")])
        # Query first: by our own order id, right after the lost answer.
        self.assertTrue(any(h["method"] == "GET" and h["path"] == GATEWAY_CREATE + "/py-gw-timeout-1" for h in ledger["http"]))
        self.assertEqual(ledger["gateway"]["balance_cents"], 1_000_000_000 - 5_000_000)
        # The notification was verified and acknowledged with the gateway's own success body.
        [final_cb] = self.callbacks("gateway", "final")
        self.assertEqual((final_cb["status_code"], final_cb["acknowledged"]), (200, True))
        self.assertIn('"0000"', final_cb["response_body"])
        self.no_secret_in_timeline(token_shown=False)

    def test_forged_notification_is_refused_without_0000_and_changes_nothing(self):
        # An account the gateway fails; the forged notification claims status 3 (success).
        demo.control(SIM, "/_sim/faults", {"callback": "gateway", "fault": "forged"})
        final = demo.gateway_withdraw(SIM, self.webhooks, self.payouts, self.log, "py-gw-forged-1",
                                      number="4088748280270006", fault=None)
        self.assertEqual(final, "failed")
        self.assertTrue(self.webhooks.wait_for(lambda r: not r["verified"], 5))
        [forged] = self.callbacks("gateway", "forged")
        self.assertFalse(forged["acknowledged"])
        self.assertNotIn("0000", forged["response_body"] or "")
        [rejected] = [r for r in self.webhooks.received if not r["verified"]]
        self.assertNotIn(b"0000", rejected["ack"]["body"])
        self.assertEqual(rejected["events"], [])
        self.assertEqual(self.payouts.status["py-gw-forged-1"], "failed")
        self.assertEqual(self.ledger()["gateway"]["orders_created_per_reference"], {"py-gw-forged-1": 1})

    def test_duplicate_and_stale_md5_notifications_leave_the_final_status(self):
        # The legacy algorithm: an MD5-signed order gets MD5 notifications, verified too.
        self.webhooks.gateway = demo.kirim.Gateway(demo.configs(SIM, gateway_sign_type="MD5")[1])
        demo.control(SIM, "/_sim/faults", {"faults": [{"callback": "gateway", "fault": "duplicate"},
                                                      {"callback": "gateway", "fault": "out_of_order"}]})
        final = demo.gateway_withdraw(SIM, self.webhooks, self.payouts, self.log, "py-gw-dup-1", fault=None)
        self.assert_duplicate_then_stale(final, "py-gw-dup-1", ["3", "3", "2"])
        [order] = self.ledger()["gateway"]["orders"]
        self.assertIn(order["sign_type"], (None, "MD5"))
        self.assertEqual(self.ledger()["gateway"]["orders_created_per_reference"], {"py-gw-dup-1": 1})


class PaperIdScenarios(Scenario):
    """Paper.id: callbacks only (disbursements are created outside kirim)."""

    def test_paperid_callback_is_verified_by_token_and_source_and_a_forged_one_is_refused(self):
        final = demo.paperid_callbacks(SIM, self.webhooks, self.payouts, self.log, "py-paper-1")
        self.assertEqual(final, "succeeded")
        verified, rejected = self.webhooks.received
        self.assertTrue(verified["verified"])
        self.assertEqual(verified["ack"]["status"], 200)
        self.assertEqual([e["raw_status"] for e in verified["events"]], ["DISBURSED"])
        self.assertFalse(rejected["verified"])
        self.assertNotEqual(rejected["ack"]["status"], 200)
        self.assertEqual(rejected["events"], [])
        self.assertNotIn("py-paper-1-forged", self.payouts.status)
        sent = [c for c in self.ledger()["callbacks"] if c["provider"] == "paperid"]
        self.assertEqual([c["acknowledged"] for c in sent], [True, False])
        self.assertNotIn(demo.SIM_DEFAULTS["paperid_callback_token"], "\n".join(self.lines))


if __name__ == "__main__":
    unittest.main(verbosity=2)
