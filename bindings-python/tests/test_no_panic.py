"""No Rust panic reaches Python: every input of every shared vector, and hostile variants of
every body in them (truncated, bit-flipped, invalid UTF-8, deeply nested, huge numbers), go
through the JSON interface and the typed API; the only exception ever raised is a KirimError
(pyo3's PanicException derives from BaseException and would fail these tests)."""

from __future__ import annotations

import copy
import json
from typing import Any, Callable, Dict, Iterator, List

from hypothesis import given, settings
from hypothesis import strategies as st

import kirim
from kirim import gateway as kg
from kirim import paperid as kpi
from kirim import pivot as kp
from conftest import iter_vectors
from test_typed_api import TYPED_NAMES, NotExpressible, typed_call

CONFIG = kp.PivotConfig(kp.SANDBOX_URL, "m", "s", ["key"])
GATEWAY = kg.Gateway(kg.GatewayConfig("https://payment.example", "PF0002", "key", authorization="auth"))
PAPER = kpi.PaperId(kpi.PaperIdConfig("X-Callback-Token", ["token"], ["203.0.113.0/24"]))


def survives(call: Callable[[], object]) -> None:
    try:
        call()
    except kirim.KirimError:
        pass
    except BaseException as e:  # noqa: B036 - a PanicException must fail the test, not escape it
        raise AssertionError(f"{type(e).__module__}.{type(e).__name__} escaped: {e!r}") from None


def hostile_bodies(body: bytes) -> Iterator[bytes]:
    yield b""
    yield body[: len(body) // 2]
    yield body + b"}"
    yield body.replace(b'"', b"'")
    yield body.replace(b"1", b"1" * 400)
    yield b"\xff\xfe" + body
    yield body.replace(b"}", b"\x00}")
    yield b"[" * 10_000 + b"]" * 10_000
    yield b'{"a":' * 5_000 + b"1" + b"}" * 5_000
    yield b'{"event":"PAYOUT.SUCCESS","data":{"uuid":"' + b"\xc3\x28" * 100 + b'"}}'
    for i in range(0, len(body), max(1, len(body) // 16)):
        flipped = bytearray(body)
        flipped[i] ^= 0x55
        yield bytes(flipped)


def _body_paths(value: Any, path: List[Any]) -> Iterator[List[Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "body" and isinstance(item, str):
                yield path + [key]
            else:
                yield from _body_paths(item, path + [key])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _body_paths(item, path + [i])


def _set(value: Any, path: List[Any], new: Any) -> Any:
    out = copy.deepcopy(value)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return out


def test_every_vector_input_and_its_hostile_variants() -> None:
    calls = 0
    for _, data, _, merged in iter_vectors():
        operation = data["operation"]
        survives(lambda: kirim.run_operation(operation, merged))
        calls += 1
        for path in _body_paths(merged, []):
            original = merged
            for step in path:
                original = original[step]
            for body in hostile_bodies(original.encode("utf-8")):
                mutated = _set(merged, path, {"hex": body.hex()})
                survives(lambda: kirim.run_operation(operation, mutated))
                calls += 1
        for key in list(merged):
            survives(lambda: kirim.run_operation(operation, {k: v for k, v in merged.items() if k != key}))
            survives(lambda: kirim.run_operation(operation, {**merged, key: [None, {"x": 1e308}]}))
            calls += 2
    assert calls > 1000


def test_the_hostile_vectors_through_the_typed_api() -> None:
    # The shared hostile-input corpus (tests/vectors/hostile) through the typed classes too.
    hostile = 0
    for path, data, _, merged in iter_vectors():
        namespace, name = data["operation"].split(".", 1)
        if path.parent.name != "hostile" or namespace not in TYPED_NAMES:
            continue
        hostile += 1
        try:
            typed_call(namespace, name, merged)
        except (kirim.KirimError, TypeError, KeyError, ValueError, NotExpressible):
            pass  # refused as data; a PanicException (a BaseException) would escape
    assert hostile > 100, f"only {hostile} hostile vectors found"


def _typed_calls(pivot: kp.Pivot, body: bytes) -> List[Callable[[], object]]:
    response = kirim.HttpResponse(200, {}, body)
    token = kp.AccessToken("t", 10**12)
    return [
        lambda: pivot.verify_callback({"X-API-Key": "key"}, body),
        lambda: pivot.parse_callback_unverified(body),
        lambda: pivot.handle_callback({"X-API-Key": "key"}, body),
        lambda: pivot.parse_access_token(response, 0),
        lambda: pivot.parse_balance(response),
        lambda: pivot.parse_inquiry(response),
        lambda: pivot.parse_create_payout(response),
        lambda: pivot.parse_retrieve(response),
        lambda: pivot.parse_retrieve(kirim.HttpResponse(500, {}, body)),
        lambda: pivot.inquiry_status_request(token, 0, body.decode("utf-8", "replace")),
        lambda: pivot.retrieve_request(token, 0, body.decode("utf-8", "replace"), "x"),
        lambda: GATEWAY.verify_notification(body),
        lambda: GATEWAY.parse_notification_unverified(body),
        lambda: GATEWAY.handle_notification(body),
        lambda: GATEWAY.sign(body),
        lambda: GATEWAY.parse_create_withdraw(response),
        lambda: GATEWAY.parse_query(response),
        lambda: GATEWAY.parse_balance(response),
        lambda: GATEWAY.query_order_request(body.decode("utf-8", "replace")),
        lambda: PAPER.verify_callback({"X-Callback-Token": "token"}, body, "203.0.113.9"),
        lambda: PAPER.verify_callback({"X-Callback-Token": "token"}, body, body.decode("latin-1")),
        lambda: PAPER.handle_callback({}, body, None),
        lambda: PAPER.parse_callback_unverified(body),
    ]


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=400)
@given(st.one_of(st.binary(max_size=400), JSONISH.map(lambda v: json.dumps(v).encode())))
def test_arbitrary_bytes_through_every_parser(body: bytes) -> None:
    pivot = kp.Pivot(CONFIG)
    for call in _typed_calls(pivot, body):
        survives(call)


OPERATIONS = sorted({data["operation"] for _, data, _, _ in iter_vectors()})


@settings(max_examples=400)
@given(st.sampled_from(OPERATIONS), st.dictionaries(st.sampled_from(
    ["config", "outcome", "now", "body", "headers", "access_token", "payouts", "value", "currency",
     "events", "current", "key", "provider", "minor_units", "inquiry", "payout_id"]), JSONISH, max_size=6))
def test_arbitrary_json_through_every_operation(operation: str, value: Dict[str, Any]) -> None:
    survives(lambda: kirim.run_operation(operation, value))
