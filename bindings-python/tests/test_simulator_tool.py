"""The provider simulator shipped in the wheel (docs/simulator.md): `python -m kirim.simulator`
and `python -m kirim_simulator` run from the installed package, from a directory outside the
repository, and the simulator stays independent of the core: its code imports nothing from
`kirim`, and importing it loads neither `kirim` nor the native module."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import REPO

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# The three ways to run it: through the kirim package, its own package, the console script.
COMMANDS = {
    "kirim.simulator": [sys.executable, "-m", "kirim.simulator"],
    "kirim_simulator": [sys.executable, "-m", "kirim_simulator"],
    "kirim-simulator": [str(Path(sys.executable).parent / "kirim-simulator")],
}


def _run(args: List[str], cwd: Path, timeout: float = 60) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _installed_simulator_source(cwd: Path) -> Path:
    found = _run(["-c", "import kirim_simulator; print(kirim_simulator.__file__)"], cwd)
    assert found.returncode == 0, found.stderr
    return Path(found.stdout.strip()).resolve()


def test_the_simulator_is_the_installed_package_not_the_checkout(tmp_path: Path) -> None:
    source = _installed_simulator_source(tmp_path)
    assert "site-packages" in source.parts, source
    assert REPO not in source.parents, source


def test_importing_the_simulator_loads_neither_kirim_nor_the_native_module(tmp_path: Path) -> None:
    probe = _run(["-c", "import sys, kirim_simulator; print(sorted(m for m in sys.modules if m.split('.')[0] == 'kirim'))"],
                 tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def test_the_simulator_source_imports_nothing_from_kirim(tmp_path: Path) -> None:
    source = _installed_simulator_source(tmp_path)
    imported: List[str] = []
    for path in source.parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.append(node.module)
    assert imported, "no import found: the walk is broken"
    assert [m for m in imported if m.split(".")[0] == "kirim"] == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_documents_the_flags_and_the_api_version(command: str, tmp_path: Path) -> None:
    run = subprocess.run([*COMMANDS[command], "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    for flag in ("--port", "--port-file", "--max-seconds", "--pivot-callback-url", "--gateway-platform-key"):
        assert flag in run.stdout, flag
    assert "/_sim/version" in run.stdout


def test_a_bad_flag_exits_2(tmp_path: Path) -> None:
    run = _run(["-m", "kirim.simulator", "--pivot-callback-url", "http://example.com/hook"], tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "loopback" in run.stderr


def _get(url: str) -> Dict[str, Any]:
    with NO_PROXY.open(url, timeout=5) as resp:
        body: Dict[str, Any] = json.load(resp)
        return body


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_it_serves_from_the_wheel_and_shuts_down_on_request(command: str, tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    proc = subprocess.Popen([*COMMANDS[command], "--port", "0", "--port-file", str(port_file),
                             "--max-seconds", "60"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the simulator did not start"
            time.sleep(0.05)
        base = f"http://127.0.0.1:{int(port_file.read_text())}"
        assert _get(base + "/_sim/version") == {"api_version": 1, "name": "kirim-simulator"}
        assert _get(base + "/_sim/health")["ok"] is True
        request = urllib.request.Request(base + "/_sim/shutdown", b"{}", {"Content-Type": "application/json"})
        with NO_PROXY.open(request, timeout=5) as resp:
            assert json.load(resp) == {"ok": True, "shutting_down": True}
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.stderr is not None
    log = proc.stderr.read()
    # The running code is the installed copy.
    assert "site-packages" in log and str(REPO) not in log, log
