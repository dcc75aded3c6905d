"""docs/simulator.md documents the simulator's control API as a stable, versioned interface:
this test fails when the documentation and the implementation drift apart (an endpoint, a fault
name, a configuration key or its default, the API version), in either direction.

Run: python3 -m unittest discover -s tests/simulator -p 'test_*.py' -v
"""

from __future__ import annotations

import json
import os
import re
import sys
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kirim_sim  # noqa: E402

DOC = os.path.join(HERE, "..", "..", "docs", "simulator.md")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def section(text: str, heading: str) -> str:
    """The text under the markdown heading line that starts with `heading`, up to the next
    heading of any level."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(heading)]
    if len(starts) != 1:
        raise AssertionError(f"{len(starts)} sections start with {heading!r} in docs/simulator.md")
    body = []
    for line in lines[starts[0] + 1:]:
        if re.match(r"#+ ", line):
            break
        body.append(line)
    return "\n".join(body)


def table_rows(body: str) -> list[list[str]]:
    """The cells of every table row (header and separator rows left out)."""
    rows = []
    for line in body.splitlines():
        if not line.startswith("|") or re.fullmatch(r"\|[-| :]+\|", line.strip()):
            continue
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:] if rows else rows  # the first row is the header


def first_code(cell: str) -> str:
    m = re.match(r"`([^`]+)`", cell)
    if not m:
        raise AssertionError(f"a table row's first cell is not `code`: {cell!r}")
    return m.group(1)


class DocumentedApiTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOC, encoding="utf-8") as f:
            cls.doc = f.read()

    def test_the_control_endpoints_are_the_documented_ones(self):
        documented = {tuple(first_code(r[0]).split(" ", 1))
                      for r in table_rows(section(self.doc, "## Control API"))}
        implemented = {(method, pattern.pattern) for method, pattern, _ in kirim_sim.Simulator().routes
                       if pattern.pattern.startswith("/_sim/")}
        self.assertTrue(implemented)
        self.assertEqual(documented, implemented)

    def test_the_documented_api_version_is_the_served_one(self):
        stated = re.findall(r"A stable interface, version (\d+)\.", self.doc)
        self.assertEqual(stated, [str(kirim_sim.API_VERSION)])
        row = [r for r in table_rows(section(self.doc, "## Control API"))
               if first_code(r[0]) == "GET /_sim/version"]
        self.assertEqual(len(row), 1)
        documented_answer = json.loads(first_code(row[0][2]))
        server = kirim_sim.SimServer(port=0, max_seconds=60).start()
        try:
            with OPENER.open(server.url + "/_sim/version", timeout=5) as resp:
                self.assertEqual(json.load(resp), documented_answer)
            # Every documented GET answers (a POST changes state: the route table covers it).
            for method, path in ((m, p) for m, p in (first_code(r[0]).split(" ", 1)
                                 for r in table_rows(section(self.doc, "## Control API"))) if m == "GET"):
                with OPENER.open(server.url + path, timeout=5) as resp:
                    self.assertEqual(resp.status, 200, path)
        finally:
            server.stop()

    def test_the_ledger_fields_are_documented(self):
        [block] = re.findall(r"```json\n(.*?)```", section(self.doc, "### Ledger"), flags=re.S)
        server = kirim_sim.SimServer(port=0, max_seconds=60).start()
        try:
            with self.assertRaises(urllib.error.HTTPError):  # one logged request: 401, no token
                OPENER.open(server.url + "/v1/payouts/balance?currency=IDR", timeout=5)
            with OPENER.open(server.url + "/_sim/ledger", timeout=5) as resp:
                ledger = json.load(resp)
        finally:
            server.stop()
        self.assertEqual(set(re.findall(r'^ "(\w+)":', block, flags=re.M)), set(ledger))
        [http] = ledger["http"]
        for key in [*ledger["pivot"], *ledger["gateway"], *http]:
            self.assertIn(f'"{key}"', block, f"the ledger field {key!r} is not documented")

    def test_the_request_faults_are_the_documented_ones(self):
        documented = {first_code(r[0]) for r in table_rows(section(self.doc, "### Request faults"))}
        self.assertEqual(documented, set(kirim_sim.REQUEST_FAULTS))

    def test_the_callback_faults_are_the_documented_ones(self):
        documented = {first_code(r[0]) for r in table_rows(section(self.doc, "### Callback faults"))}
        self.assertEqual(documented, set(kirim_sim.CALLBACK_FAULTS))

    def test_the_configuration_keys_and_defaults_are_the_documented_ones(self):
        rows = table_rows(section(self.doc, "## Configuration"))
        documented = {first_code(r[0]): first_code(r[1]) for r in rows}
        self.assertEqual(len(documented), len(rows), "a key is documented twice")
        self.assertEqual(set(documented), set(kirim_sim.CONFIG_SPEC))
        for key, default in kirim_sim.default_config().items():
            # Written as JSON, or a bare string.
            accepted = {json.dumps(default)} | ({default} if isinstance(default, str) else set())
            self.assertIn(documented[key], accepted, key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
