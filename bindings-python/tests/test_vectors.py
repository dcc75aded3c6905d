"""The shared-vector runner: every file of tests/vectors and of each KIRIM_VECTORS_DIR directory
through kirim.run_operation, matched by the rules of tests/vectors/README.md. It mirrors
core/tests/vectors.rs, so the counts equal the Rust runner's."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, List, Tuple

import pytest

import kirim
from conftest import VECTOR_SUMMARY, iter_vectors


def _scalar_equal(expected: Any, actual: Any) -> bool:
    # serde_json's Value equality: 1 and 1.0 differ, true and 1 differ.
    return type(expected) is type(actual) and expected == actual


def matches(expected: Any, actual: Any, path: str) -> None:
    """Raises AssertionError naming the first mismatch."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            matches(value, actual.get(key), f"{path}.{key}")
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            raise AssertionError(
                f"{path}: expected {len(expected)} items, got {len(actual)}: {json.dumps(actual)}"
            )
        for i, (e, a) in enumerate(zip(expected, actual)):
            matches(e, a, f"{path}[{i}]")
        return
    if _scalar_equal(expected, actual):
        return
    raise AssertionError(f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}")


def check_error(expected: Any, error: kirim.KirimError) -> None:
    actual = error.to_dict()
    expected = dict(expected)
    fields = expected.pop("violations", None)
    if isinstance(fields, list):
        want = sorted({f for f in fields if isinstance(f, str)})
        got = sorted({v.field for v in error.violations})
        if want != got:
            raise AssertionError(f"violations: expected {want}, got {got}")
    matches(expected, actual, "error")


def run_vector(operation: str, vector: Any, merged: Any) -> None:
    try:
        result: Any = kirim.run_operation(operation, merged)
        error = None
    except kirim.KirimError as e:
        result, error = None, e
    has_expected, has_error = "expected" in vector, "error" in vector
    if has_expected and not has_error:
        if error is not None:
            raise AssertionError(f"expected success, got error {error.to_json()}")
        matches(vector["expected"], result, "output")
    elif has_error and not has_expected:
        if error is None:
            raise AssertionError(f"expected an error, got {json.dumps(result)}")
        check_error(vector["error"], error)
    else:
        raise AssertionError("a vector needs exactly one of `expected` and `error`")


def run_all() -> Tuple[int, List[str]]:
    """Runs every vector (tests/vectors and KIRIM_VECTORS_DIR); returns (total, failures)."""
    total, failures = 0, []  # type: int, List[str]
    for path, data, vector, merged in iter_vectors():
        total += 1
        try:
            run_vector(data["operation"], vector, merged)
        except AssertionError as why:
            failures.append(f"{path} :: {vector.get('name', '?')}: {why}")
    return total, failures


def test_shared_vectors() -> None:
    total, failures = run_all()
    for failure in failures:
        print(f"FAIL {failure}")
    VECTOR_SUMMARY["passed"] = total - len(failures)
    VECTOR_SUMMARY["failed"] = len(failures)
    assert total > 0, "no vector files found"
    assert not failures, f"{len(failures)} of {total} vectors failed:\n" + "\n".join(failures)
    rust = os.environ.get("KIRIM_RUST_VECTOR_COUNT")
    assert rust is not None, (
        "KIRIM_RUST_VECTOR_COUNT is not set: run bindings-python/script/test, which takes the "
        "count from the Rust runner"
    )
    assert total == int(rust), f"Python ran {total} vectors, Rust ran {rust}"


def test_kirim_vectors_dir_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An integrator's directory adds its vectors to the run; a failing one is reported by name.
    base, _ = run_all()
    for name, minor in (("pass", 1_000_000), ("fail", 1)):
        (tmp_path / name / "nested").mkdir(parents=True)
        (tmp_path / name / "nested" / "money.json").write_text(
            json.dumps(
                {
                    "operation": "money.parse",
                    "description": "integrator capture",
                    "vectors": [
                        {
                            "name": f"capture {name}",
                            "input": {"value": "10000.00", "currency": "IDR"},
                            "expected": {"minor_units": minor},
                        }
                    ],
                }
            )
        )
        (tmp_path / name / "schema.json").write_text("{}")  # skipped, as in every runner
    previous = os.environ.get("KIRIM_VECTORS_DIR", "")
    monkeypatch.setenv("KIRIM_VECTORS_DIR", f"{previous}:{tmp_path / 'pass'}")
    total, failures = run_all()
    assert (total, failures) == (base + 1, [])
    monkeypatch.setenv("KIRIM_VECTORS_DIR", f"{previous}:{tmp_path / 'pass'}::{tmp_path / 'fail'}")
    total, failures = run_all()
    assert total == base + 2 and len(failures) == 1 and "capture fail" in failures[0]


def test_the_matcher_rejects_what_the_rules_reject() -> None:
    # The runner itself: a wrong value, a missing key, a wrong length and a wrong type all fail.
    matches({"a": 1, "b": None}, {"a": 1, "c": 2}, "x")
    for expected, actual in [
        ({"a": 1}, {"a": 2}),
        ({"a": 1}, {}),
        ([1, 2], [1]),
        (1, 1.0),
        (True, 1),
        ({"a": {"b": "x"}}, {"a": {"b": "y"}}),
    ]:
        try:
            matches(expected, actual, "x")
        except AssertionError:
            continue
        raise AssertionError(f"{expected!r} matched {actual!r}")


def test_a_wrong_vector_fails() -> None:
    # A deliberately wrong expectation and a wrong error code are reported as failures.
    bad_expected = {"name": "wrong", "expected": {"minor_units": 1}}
    bad_error = {"name": "wrong", "error": {"code": "invalid_json"}}
    good_input = {"value": "10000.00", "currency": "IDR"}
    for vector, merged in [(bad_expected, good_input), (bad_error, {"value": "1e5", "currency": "IDR"})]:
        try:
            run_vector("money.parse", vector, merged)
        except AssertionError:
            continue
        raise AssertionError(f"{vector} passed")
    run_vector("money.parse", {"expected": {"minor_units": 1000000}}, good_input)
