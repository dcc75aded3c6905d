"""End-to-end test of a payout flow against the kirim provider simulator, with one fault:
the answer to the create request is lost (the provider created the payout, the client saw a
timeout). kirim's driver must resolve it without paying twice and end with the true status.

Needs only `pip install kirim`: the simulator ships in the wheel (python -m kirim.simulator).
Run: python -m unittest test_guide_payout_against_simulator
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import kirim
from kirim.driver import Driver
from kirim.lifecycle import Done
from kirim.store import MemoryStore


class Simulator:
    """The simulator in a child process, on a free port, stopped at the end."""

    def __init__(self) -> None:
        workdir = Path(tempfile.mkdtemp())
        port_file = workdir / "port"
        # --max-seconds: it stops by itself even if this test process dies first.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kirim.simulator", "--port", "0", "--port-file", str(port_file),
             "--max-seconds", "300"],
            cwd=workdir,
        )
        deadline = time.monotonic() + 10
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{int(port_file.read_text())}"

    def control(self, path: str, body: dict | None = None) -> dict:
        """The control API (docs/simulator.md): GET without a body, POST with one."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        try:
            self.control("/_sim/shutdown", {})
        finally:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Webhooks:
    """Your webhook endpoint, in miniature: each callback goes to the driver, which verifies it
    and says what to answer."""

    def __init__(self, driver: Driver) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ack = driver.handle_callback("pivot", list(self.headers.items()), body)
                self.send_response(ack.status)
                for header in ack.headers:
                    self.send_header(header.name, header.value)
                self.send_header("Content-Length", str(len(ack.body)))
                self.end_headers()
                self.wfile.write(ack.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PayoutAgainstTheSimulator(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.sim = Simulator()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.sim.stop()

    def setUp(self) -> None:
        self.sim.control("/_sim/reset", {})

    def test_a_lost_create_answer_pays_once_and_ends_with_the_true_status(self) -> None:
        # The simulator's default Pivot credentials (docs/simulator.md, Configuration).
        pivot = kirim.PivotConfig(self.sim.url, "kirim-merchant", "kirim-secret", ["kirim-callback-key"])
        driver = Driver({"pivot": pivot}, MemoryStore(), timeout_seconds=1)
        webhooks = Webhooks(driver)
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
