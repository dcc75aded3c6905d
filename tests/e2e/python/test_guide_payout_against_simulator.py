"""End-to-end test of a payout flow against the kirim provider simulator, with one fault:
the answer to the create request is lost (the provider created the payout, the client saw a
timeout). kirim's driver must resolve it without paying twice and end with the true status.

Needs only `pip install kirim`: the simulator ships in the wheel (python -m kirim.simulator).
Run: python -m unittest test_guide_payout_against_simulator
"""

from __future__ import annotations

import unittest

import kirim
from kirim.driver import Driver
from kirim.lifecycle import Done
from kirim.simulator import CallbackServer, SimulatorProcess
from kirim.store import MemoryStore


class PayoutAgainstTheSimulator(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        # The simulator in a child process, on a free port, stopped at the end.
        cls.sim = SimulatorProcess()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.sim.stop()

    def setUp(self) -> None:
        self.sim.control("/_sim/reset", {})

    def test_a_lost_create_answer_pays_once_and_ends_with_the_true_status(self) -> None:
        # The simulator's default Pivot credentials (docs/simulator.md, Configuration).
        pivot = kirim.PivotConfig(self.sim.url, "kirim-merchant", "kirim-secret", ["kirim-callback-key"])
        driver = Driver({"pivot": pivot}, MemoryStore(), timeout_seconds=1)
        # Your webhook endpoint, in miniature: each callback goes to the driver, which verifies
        # it and says what to answer.
        webhooks = CallbackServer(lambda provider, headers, body, peer: driver.handle_callback(provider, headers, body))
        self.addCleanup(webhooks.close)
        self.sim.control("/_sim/config", {"pivot_callback_url": webhooks.url + "/pivot"})
        # The fault: the next create is processed, but its answer is held 3 s and then dropped,
        # so the client (1 s timeout) cannot know whether the payout exists.
        self.sim.control("/_sim/faults", {"method": "POST", "path": "/v1/payouts",
                                          "fault": "drop_response", "hold_seconds": 3})

        reference = driver.submit("pivot", {
            "reference": "ORDER-1001",
            "amount": kirim.Money.parse("150000"),
            "beneficiary": {"bank": "BCA", "account_number": "1234567890", "account_name": "Budi"},
            "description": "Order 1001",
        })
        done = driver.run()[reference]

        ledger = self.sim.control("/_sim/ledger")
        # The fault did happen: the first create's answer never left the simulator.
        creates = [r for r in ledger["http"] if (r["method"], r["path"]) == ("POST", "/v1/payouts")]
        self.assertEqual((creates[0]["fault"], creates[0]["status"]), ("drop_response", None))
        # Exactly one payout, however often the driver sent or queried.
        self.assertEqual(ledger["pivot"]["payouts_created_per_reference"], {"ORDER-1001": 1})
        # The driver ends with the provider's true status.
        [request] = ledger["pivot"]["requests"]
        [item] = request["items"]
        self.assertEqual(item["status"], "SUCCESS")
        self.assertIsInstance(done, Done)
        self.assertIs(done.status, kirim.PayoutStatus.SUCCEEDED)


if __name__ == "__main__":
    unittest.main()
