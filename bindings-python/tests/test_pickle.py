"""Pickling and copying the model's native values (pickle, copy, deepcopy, multiprocessing).

Every value a typed call returns on every provider vector, and every input class, must come
back equal and of the same class (it crosses as the core's JSON form); a pickle the core cannot
read is a typed error; values that can carry credentials stay unpicklable."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections import Counter
from decimal import Decimal
from typing import Any, Iterator, List

import pytest

import kirim
from kirim import _native
from kirim import gateway as kg
from kirim import pivot as kp
from test_typed_api import TOKEN, _config, _provider_vectors, typed_call

PICKLABLE = tuple(_native.PICKLABLE)


def _values(value: Any, depth: int = 0) -> Iterator[Any]:
    """The native model values in a typed result, nested ones included."""
    if depth > 8 or value is None or isinstance(value, (str, bytes, int, Decimal)):
        return
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _values(item, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _values(getattr(value, field.name), depth + 1)
    elif isinstance(value, PICKLABLE):
        yield value
        for name in dir(value):
            if not name.startswith("_"):
                attribute = getattr(value, name)
                if not callable(attribute):
                    yield from _values(attribute, depth + 1)


def _inputs() -> List[Any]:
    return [
        kirim.Money(minor_units=10_000_050, currency="IDR"),
        kp.PayoutItemInput("REF-1", kp.InquiryDestination("inq-1"), "100000", "Payout"),
        kp.PayoutItemInput("REF-2", kp.AccountDestination("BCA", "12345", "Budi Ñandú"), Decimal("5000"), None),
        kg.WithdrawOrderInput("DEVPOT001", "500", "BCA", "test_name", "4088748280272397", "https://x.example/n"),
        kirim.TestCallbackEvent(kirim.PayoutStatus.SUCCEEDED, "100000", "uuid-9", "REF-1"),
    ]


def _all_values() -> List[Any]:
    values = [value for item in _inputs() for value in _values(item)]
    for namespace, name, _label, merged in _provider_vectors():
        try:
            values.extend(_values(typed_call(namespace, name, merged)))
        except Exception:  # noqa: BLE001 - a vector whose call fails returns no value to pickle
            continue
    return values


def test_every_model_value_pickles_and_copies_through_the_core() -> None:
    seen: Counter[str] = Counter()
    for value in _all_values():
        for again in (
            pickle.loads(pickle.dumps(value)),
            pickle.loads(pickle.dumps(value, protocol=0)),
            copy.copy(value),
            copy.deepcopy(value),
        ):
            assert type(again) is type(value)
            assert again == value, f"{type(value).__name__}: {again!r} != {value!r}"
        # A variant of a native enum (PayoutDestination.Inquiry) is a subclass: count its class.
        seen[next(cls.__name__ for cls in PICKLABLE if isinstance(value, cls))] += 1
    missing = sorted(cls.__name__ for cls in PICKLABLE if seen[cls.__name__] == 0)
    assert not missing, f"no value of {missing} was pickled; add one to the test"
    print(f"pickled {sum(seen.values())} values of {len(seen)} classes")


def test_a_nested_value_keeps_every_field() -> None:
    pivot = kp.Pivot(_config())
    request = pivot.test_callback(_config().callback_api_keys[0], kirim.TestCallbackEvent(
        kirim.PayoutStatus.FAILED, "100000", "uuid-9", "REF-1"))
    [event] = pivot.verify_callback(request.headers, request.body)
    again = pickle.loads(pickle.dumps([event, {"event": event}]))
    assert again == [event, {"event": event}]
    assert again[0].failure == event.failure and again[0].failure is not None
    assert again[0].amount == event.amount and again[0].status is kirim.PayoutStatus.FAILED


def test_an_unreadable_pickle_is_a_typed_error() -> None:
    with pytest.raises(kirim.KirimError) as info:
        _native.pickle_restore("PayoutEvent", '{"provider":"pivot"}')
    assert info.value.code == kirim.ErrorCode.UNEXPECTED_SHAPE
    assert "PayoutEvent" in str(info.value)
    with pytest.raises(kirim.KirimError):
        _native.pickle_restore("Money", '{"value":"1.555","currency":"IDR"}')
    with pytest.raises(TypeError, match="names no picklable kirim class"):
        _native.pickle_restore("HttpRequest", "{}")


def test_values_that_can_carry_credentials_do_not_pickle() -> None:
    pivot = kp.Pivot(_config())
    token = kp.AccessToken(TOKEN, expires_at=10**10)
    request = pivot.balance_request(token, 0)
    assert request.header("Authorization") is not None
    for value in (request, request.headers[0], token, kirim.Secret(TOKEN), pivot, _config()):
        with pytest.raises(TypeError):
            pickle.dumps(value)
    with pytest.raises(TypeError, match="not a picklable kirim class"):
        _native.pickle_state(request)
