"""Shared helpers: where the repository's shared vectors are, and the vector summary line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from hypothesis import settings

# No example database inside the clone; no deadline (CI machines are shared and slow).
settings.register_profile("kirim", database=None, deadline=None)
settings.load_profile("kirim")

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"

# Filled by test_vectors.py, printed at the end of the run.
VECTOR_SUMMARY: Dict[str, int] = {}


def vector_dirs() -> List[Path]:
    dirs = [VECTORS]
    extra = os.environ.get("KIRIM_VECTORS_DIR", "")
    dirs.extend(Path(p) for p in extra.split(":") if p)
    return dirs


def _walk(directory: Path, out: List[Path]) -> None:
    # Mirrors core/tests/vectors.rs: sorted entries, recursive, *.json except schema.json; an
    # unreadable directory fails the run.
    for path in sorted(directory.iterdir()):
        if path.is_dir():
            _walk(path, out)
        elif path.suffix == ".json" and path.name != "schema.json":
            out.append(path)


def vector_files() -> List[Path]:
    files: List[Path] = []
    for directory in vector_dirs():
        _walk(directory, files)
    return files


def load(path: Path) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data: Dict[str, Any] = json.load(f)
    return data


def iter_vectors() -> Iterator[Tuple[Path, Dict[str, Any], Dict[str, Any], Dict[str, Any]]]:
    """(file, file data, vector, merged input) for every vector of every file."""
    for path in vector_files():
        data = load(path)
        defaults = data.get("defaults") or {}
        for vector in data["vectors"]:
            merged = dict(defaults)
            merged.update(vector.get("input") or {})
            yield path, data, vector, merged


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if VECTOR_SUMMARY:
        terminalreporter.write_line(
            f"vectors: {VECTOR_SUMMARY['passed']} passed, {VECTOR_SUMMARY['failed']} failed"
        )


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
