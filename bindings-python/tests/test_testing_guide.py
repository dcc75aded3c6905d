"""docs/testing/python.md's unit-testing example runs: its code blocks are the files in
bindings-python/examples/testing/, they type-check under mypy --strict, and the example's own
tests pass (run by pytest in a subprocess, as a user would run them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "testing" / "python.md"
EXAMPLE = REPO / "bindings-python" / "examples" / "testing"
FILES = [EXAMPLE / "webhook_app.py", EXAMPLE / "test_webhook_app.py"]


def test_the_guide_shows_the_example_files() -> None:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    for path in FILES:
        assert path.read_text() in blocks, f"{path.name} is not a code block of {GUIDE.name}"


def test_the_example_type_checks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
         *(path.name for path in FILES)],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_tests_pass() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", FILES[1].name],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout, result.stdout
