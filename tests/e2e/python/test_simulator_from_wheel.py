"""The simulator these scenarios run against is the one a user without this repository gets:
the kirim wheel in a fresh virtual environment, `python -m kirim.simulator`, started from a
directory outside the checkout (tests/e2e/script/simulator.sh, `start_simulator wheel`). Fails if
its code, its working directory, its interpreter or its module path lead into the checkout."""

from __future__ import annotations

import json
import os
import re
import unittest
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise AssertionError(f"{name} is not set: run tests/e2e/script/test, which starts the simulator from the wheel")
    return value


class SimulatorFromTheWheel(unittest.TestCase):
    def setUp(self):
        self.pid = int(_required("KIRIM_SIM_PID"))
        self.venv = Path(_required("KIRIM_SIM_VENV")).resolve()
        self.url = _required("KIRIM_SIM_URL")

    def assertOutsideTheCheckout(self, path: Path):  # noqa: N802 - unittest's naming
        self.assertNotEqual(path, ROOT)
        self.assertNotIn(ROOT, path.parents, f"{path} is inside the checkout {ROOT}")

    def test_it_runs_the_installed_module_from_outside_the_checkout(self):
        proc = Path("/proc") / str(self.pid)
        argv = (proc / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        self.assertEqual([a.decode() for a in argv[1:3]], ["-m", "kirim.simulator"])
        self.assertEqual(Path(argv[0].decode()).parent.parent.resolve(), self.venv)
        self.assertOutsideTheCheckout(self.venv)
        self.assertOutsideTheCheckout((proc / "cwd").resolve())
        environ = dict(e.split(b"=", 1) for e in (proc / "environ").read_bytes().split(b"\0") if b"=" in e)
        self.assertNotIn(b"PYTHONPATH", environ)
        # The code that runs: its start-up line names the file, in the venv's site-packages.
        log = Path(_required("KIRIM_SIM_LOG")).read_text()
        [code] = re.findall(r"; code (\S+)\)", log)
        code_path = Path(code).resolve()
        self.assertOutsideTheCheckout(code_path)
        self.assertIn(self.venv, code_path.parents)
        self.assertEqual(code_path.parent.parent.name, "site-packages")
        self.assertEqual(code_path.parent.name, "kirim_simulator")

    def test_the_venv_is_fresh_and_holds_only_the_wheel(self):
        [site] = self.venv.glob("lib/python3*/site-packages")
        installed = sorted(p.name for p in site.iterdir() if p.name != "__pycache__")
        self.assertEqual([n for n in installed if not n.endswith(".dist-info")], ["kirim", "kirim_simulator"])
        self.assertEqual([n for n in installed if n.endswith(".dist-info")],
                         [n for n in installed if re.fullmatch(r"kirim-[0-9.]+\.dist-info", n)])

    def test_it_answers_the_documented_api_version(self):
        with urllib.request.urlopen(self.url + "/_sim/version", timeout=5) as resp:
            self.assertEqual(json.load(resp), {"api_version": 1, "name": "kirim-simulator"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
