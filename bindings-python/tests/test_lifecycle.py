"""Every lifecycle scenario vector (tests/vectors/lifecycle) through the TYPED machine
(kirim.lifecycle.PayoutLifecycle), step for step, compared with what the operation
lifecycle.scenario answers for the same input (every field, exactly) and with the vector's
expectations. The typed values are turned back into the core's JSON form here, in the test, so a
field the typed API drops or misreads fails."""

from __future__ import annotations

import dataclasses
import json
import types
from enum import Enum
from typing import Any, Dict, List, Optional

import pytest

import kirim
from conftest import iter_vectors
from kirim.http import HttpResponse, TransportFailure
from kirim.lifecycle import (
    CallbackOutcome,
    Done,
    EventVerdict,
    ManualReconciliation,
    PayoutLifecycle,
    Send,
    WaitUntil,
    Action,
    SNAPSHOT_VERSION,
)
from test_vectors import check_error, matches

SCENARIOS = [
    (path, vector, merged)
    for path, data, vector, merged in iter_vectors()
    if data["operation"] == "lifecycle.scenario"
]


def _plain(value: Any) -> Any:
    """A typed value in the core's JSON form (enums by name, records by field)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, kirim.KirimError):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if type(value).__module__.split(".")[0] == "kirim":
        # A native class of the core's model (e.g. `Failure`): its fields are its getters.
        getters = [name for name, attr in vars(type(value)).items() if isinstance(attr, types.GetSetDescriptorType)]
        assert getters, type(value)
        return {name: _plain(getattr(value, name)) for name in getters}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _body(body: bytes) -> Any:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return {"hex": body.hex()}


def action_json(action: Action) -> Dict[str, Any]:
    if isinstance(action, Send):
        r = action.request
        return {
            "kind": "send",
            "purpose": action.purpose.value,
            "request": {
                "method": str(r.method),
                "url": r.url,
                "headers": [{"name": h.name, "value": h.value} for h in r.headers],
                "body": _body(r.body),
            },
        }
    if isinstance(action, WaitUntil):
        return {"kind": "wait_until", "at": action.at, "reason": action.reason.value}
    if isinstance(action, Done):
        out = {"kind": "done", **_plain(action)}
        out["error"] = None if action.error is None else action.error.to_dict()
        if not action.items:
            del out["items"]
        return out
    assert isinstance(action, ManualReconciliation)
    return {"kind": "manual_reconciliation", **_plain(action)}


def state_json(machine: PayoutLifecycle) -> Dict[str, Any]:
    out = _plain(machine.state())
    if not out["items"]:
        del out["items"]
    return {k: v for k, v in out.items() if v is not None}


def callback_json(result: CallbackOutcome, out: Dict[str, Any]) -> None:
    if result.error is not None:
        out["error"] = result.error.to_dict()
    if result.verdicts is not None:
        out["verdicts"] = [v.value for v in result.verdicts]
    if result.acknowledgement is not None:
        ack = result.acknowledgement
        out["acknowledgement"] = {
            "status": ack.status,
            "headers": [{"name": h.name, "value": h.value} for h in ack.headers],
            "body": _body(ack.body),
            "provider_will_retry": ack.provider_will_retry,
        }


def outcome_of(data: Dict[str, Any]) -> Any:
    if "transport_failure" in data:
        return TransportFailure(data["transport_failure"])
    r = data["response"]
    body = r.get("body", "")
    raw = bytes.fromhex(body["hex"]) if isinstance(body, dict) else body.encode("utf-8")
    return HttpResponse(r["status"], [(h["name"], h["value"]) for h in r.get("headers", [])], raw)


def run_typed(merged: Dict[str, Any]) -> Dict[str, Any]:
    """The scenario through the typed API, in lifecycle.scenario's output form."""
    provider = merged["provider"]
    config: Any = merged.get("config")  # left out only where the provider is refused
    if merged.get("snapshot") is not None:
        machine = PayoutLifecycle.restore(provider, config, merged["snapshot"])
    else:
        machine = PayoutLifecycle(
            provider, config, merged["order"], merged.get("settings"), now=merged["now"]
        )
    steps: List[Dict[str, Any]] = []
    for step in merged["steps"]:
        out: Dict[str, Any] = {}
        if "poll" in step:
            now = step["poll"]
        elif "response" in step:
            now = step["now"]
            try:
                machine.handle_response(outcome_of(step["response"]), now)
            except kirim.KirimError as error:
                out["error"] = error.to_dict()
        elif "callback" in step:
            now = step["now"]
            cb = step["callback"]
            headers = [(h["name"], h["value"]) for h in cb.get("headers", [])]
            callback_json(machine.handle_callback(headers, cb["body"].encode("utf-8"), now), out)
        elif "unverified_callback" in step:
            now = step["now"]
            body = step["unverified_callback"]["body"].encode("utf-8")
            callback_json(machine.handle_unverified_callback(body, now), out)
        else:
            assert step.get("restore") is True, step
            now = step["now"]
            machine = PayoutLifecycle.restore(provider, config, machine.snapshot())
            out["snapshot_version"] = SNAPSHOT_VERSION
        out["action"] = action_json(machine.poll(now))
        out["state"] = state_json(machine)
        steps.append(out)
    return {"steps": steps}


def _same(expected: Any, actual: Any, path: str) -> None:
    """Exact equality, absent and null alike (the core writes some nulls and omits others)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in set(expected) | set(actual):
            _same(expected.get(key), actual.get(key), f"{path}.{key}")
        return
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            _same(e, a, f"{path}[{i}]")
        return
    if type(expected) is not type(actual) or expected != actual:
        raise AssertionError(f"{path}: lifecycle.scenario {json.dumps(expected)}, typed {json.dumps(actual)}")


def test_every_scenario_vector_is_run() -> None:
    # The vector files' own count (87 today), so a vector left out of the typed run fails.
    files = {str(path): data for path, data, _, _ in iter_vectors()}
    in_files = sum(
        len(d["vectors"]) for d in files.values() if d["operation"] == "lifecycle.scenario"
    )
    assert len(SCENARIOS) == in_files >= 87


@pytest.mark.parametrize(
    "vector,merged", [(v, m) for _, v, m in SCENARIOS], ids=[v["name"] for _, v, _ in SCENARIOS]
)
def test_typed_machine_equals_lifecycle_scenario(vector: Dict[str, Any], merged: Dict[str, Any]) -> None:
    try:
        operation: Optional[Any] = kirim.run_operation("lifecycle.scenario", merged)
        operation_error: Optional[kirim.KirimError] = None
    except kirim.KirimError as error:
        operation, operation_error = None, error
    try:
        typed: Optional[Any] = run_typed(merged)
        typed_error: Optional[kirim.KirimError] = None
    except kirim.KirimError as error:
        typed, typed_error = None, error
    if "error" in vector:
        assert typed_error is not None, f"expected an error, got {json.dumps(typed)}"
        check_error(vector["error"], typed_error)
        assert operation_error is not None and typed_error.to_dict() == operation_error.to_dict()
        return
    assert typed_error is None, typed_error
    matches(vector["expected"], typed, "typed")
    _same(operation, typed, "steps")


def test_done_and_verdicts_are_typed() -> None:
    path, vector, merged = next(
        s for s in SCENARIOS if s[1]["name"].startswith("happy path: token, create")
    )
    machine = PayoutLifecycle(merged["provider"], merged["config"], merged["order"], now=merged["now"])
    steps = merged["steps"]
    assert isinstance(machine.poll(steps[0]["poll"]), Send)
    machine.handle_response(outcome_of(steps[1]["response"]), steps[1]["now"])
    assert isinstance(machine.poll(steps[1]["now"]), Send)
    machine.handle_response(outcome_of(steps[2]["response"]), steps[2]["now"])
    wait = machine.poll(steps[2]["now"])
    assert isinstance(wait, WaitUntil) and wait.at > steps[2]["now"]
    cb = steps[3]["callback"]
    result = machine.handle_callback(
        [(h["name"], h["value"]) for h in cb["headers"]], cb["body"].encode(), steps[3]["now"]
    )
    assert result.verdicts == (EventVerdict.APPLIED,) and result.error is None
    assert result.acknowledgement is not None and result.acknowledgement.status == 200
    done = machine.poll(steps[3]["now"])
    assert isinstance(done, Done) and done.status is kirim.PayoutStatus.SUCCEEDED
    # A forged callback changes nothing and is answered with the provider's refusal.
    forged = machine.handle_callback([("X-API-Key", "wrong")], cb["body"].encode(), steps[3]["now"])
    assert forged.verdicts is None and isinstance(forged.error, kirim.AuthenticityError)
    # The snapshot never holds the token.
    assert "eyJ.tok.1" not in machine.snapshot()


# The lifecycle's records are generated from the core (kirim._declared); their Python form is
# public API: field order (positional construction), defaults, frozen, and what equality compares.
_NONE = None
_REQUIRED = dataclasses.MISSING
RECORDS = {
    Send: [("purpose", _REQUIRED), ("request", _REQUIRED)],
    WaitUntil: [("at", _REQUIRED), ("reason", _REQUIRED)],
    Done: [("status", _REQUIRED), ("failure", _NONE), ("payout_id", _NONE), ("error", _NONE), ("items", ())],
    ManualReconciliation: [
        ("reason", _REQUIRED), ("idempotency_key", _REQUIRED), ("reference_ids", _REQUIRED),
        ("message", _REQUIRED), ("first_sent_at", _NONE), ("payout_id", _NONE), ("request_body", _NONE),
        ("error", _NONE),
    ],
    kirim.lifecycle.ItemOutcome: [("reference", _REQUIRED), ("status", _REQUIRED), ("failure", _NONE)],
    kirim.lifecycle.ItemState: [("reference", _REQUIRED), ("status", _REQUIRED), ("expected", _NONE)],
    kirim.lifecycle.LifecycleState: [
        ("phase", _REQUIRED), ("status", _REQUIRED), ("creates_sent", _REQUIRED), ("session", _REQUIRED),
        ("expected", _NONE), ("payout_id", _NONE), ("first_sent_at", _NONE), ("items", ()),
    ],
    CallbackOutcome: [("verdicts", _REQUIRED), ("error", _REQUIRED), ("acknowledgement", _REQUIRED)],
}


@pytest.mark.parametrize("cls", list(RECORDS), ids=[c.__name__ for c in RECORDS])
def test_lifecycle_records_keep_their_python_form(cls: Any) -> None:
    fields = dataclasses.fields(cls)
    assert [(f.name, f.default) for f in fields] == RECORDS[cls]
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    # Only the provider's error (a refused create's, or the answer that stopped the payout) is
    # left out of equality: an exception equals only itself.
    uncompared = [f.name for f in fields if not f.compare]
    assert uncompared == (["error"] if cls in (Done, ManualReconciliation) else [])
    assert cls.__name__ in kirim.lifecycle.__all__ and getattr(kirim.lifecycle, cls.__name__) is cls


def test_an_action_is_read_by_its_kind() -> None:
    done = {"kind": "done", "status": "failed", "failure": None, "payout_id": "p-1", "error": None}
    assert kirim.lifecycle.action_from_json(done) == Done(kirim.PayoutStatus.FAILED, payout_id="p-1")
    wait = {"kind": "wait_until", "at": 5, "reason": "settle"}
    assert kirim.lifecycle.action_from_json(wait) == WaitUntil(5, kirim.lifecycle.WaitReason.SETTLE)
    with pytest.raises(TypeError, match="no variant"):
        kirim.lifecycle.action_from_json({"kind": "pay_twice"})
