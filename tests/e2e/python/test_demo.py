"""The demo (examples/python/kirim_demo.py, on the driver) as a test: it pays through Pivot and
the gateway, verifies Paper.id callbacks, survives a SIGKILL while its create is out, and the
simulator's ledger holds one payout per reference. Run by tests/e2e/script/test against its
simulator (KIRIM_SIM_URL), or alone with its own (test_e2e's module fixtures)."""

from __future__ import annotations

import re
import subprocess
import sys
import unittest

import test_e2e
from test_e2e import ROOT, setUpModule, tearDownModule  # noqa: F401 - the simulator's fixtures

control = test_e2e.demo.control


class Demo(unittest.TestCase):
    def test_the_demo_pays_survives_a_kill_and_creates_one_payout_per_reference(self):
        sim = test_e2e.SIM
        control(sim, "/_sim/reset", {})
        run = subprocess.run([sys.executable, str(ROOT / "examples/python/kirim_demo.py"), "--simulator", sim,
                              "--prefix", "pyE2E"], capture_output=True, text=True, timeout=90)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"KILLED +child pid \d+ \(SIGKILL\) with its create out")
        self.assertRegex(run.stdout, r"resume +final +pyE2ECrash\d+: succeeded")
        ledger = control(sim, "/_sim/ledger")
        pivot, gateway = ledger["pivot"]["payouts_created_per_reference"], ledger["gateway"]["orders_created_per_reference"]
        self.assertTrue(all(n == 1 for n in {**pivot, **gateway}.values()), ledger)
        self.assertEqual((len(pivot), len(gateway)), (2, 1))
        [crash] = [r for r in pivot if re.fullmatch(r"pyE2ECrash\d+", r)]
        # The resumed process resent the same create (same key): answered by replay.
        [request] = [r for r in ledger["pivot"]["requests"] if any(i["referenceId"] == crash for i in r["items"])]
        self.assertEqual(request["replays"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
