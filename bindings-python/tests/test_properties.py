"""Property tests through the binding (hypothesis): money round trips exactly, a callback
authenticated with a configured key verifies, and any single-byte change to that key is
rejected."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

import kirim
from kirim import pivot as kp

I64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(st.one_of(I64, st.sampled_from([-(2**63), 2**63 - 1, 0, -1, 1])))
def test_money_round_trips_through_its_decimal_string(minor: int) -> None:
    money = kirim.Money(minor_units=minor)
    assert kirim.Money.parse(money.value) == money
    assert kirim.Money.from_decimal(money.to_decimal()) == money
    # An independent oracle: exact Decimal arithmetic.
    assert money.to_decimal() == Decimal(minor) / 100


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=99), st.integers(0, 4))
def test_decimal_strings_parse_exactly(whole: int, cents: int, trailing_zeros: int) -> None:
    text = f"{whole}.{cents:02d}" + "0" * trailing_zeros
    assert kirim.Money.parse(text).minor_units == whole * 100 + cents
    assert kirim.Money.parse(Decimal(text)).minor_units == whole * 100 + cents


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=9))
def test_a_third_decimal_is_refused_not_rounded(whole: int, digit: int) -> None:
    try:
        kirim.Money.parse(f"{whole}.00{digit}")
    except kirim.ValidationError as e:
        assert e.code == kirim.ErrorCode.FRACTIONAL_AMOUNT
    else:
        raise AssertionError("a fraction beyond sen was accepted")


KEY = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64)
REFERENCE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=40)


def _body(reference: str, rupiah: int) -> bytes:
    return json.dumps(
        {
            "event": "PAYOUT.SUCCESS",
            "data": {
                "uuid": "d6a46a2c-1b26-40c5-9ca3-e063e69635a0",
                "payouts": {
                    "referenceId": reference,
                    "amount": {"currency": "IDR", "value": str(rupiah)},
                    "status": "SUCCESS",
                },
            },
        }
    ).encode()


@settings(max_examples=200)
@given(KEY, st.lists(KEY, max_size=3), REFERENCE, st.integers(min_value=1, max_value=10**12))
def test_a_callback_with_a_configured_key_verifies(key: str, others: list, reference: str, rupiah: int) -> None:
    pivot = kp.Pivot(kp.PivotConfig(kp.SANDBOX_URL, "m", "s", [*others, key]))
    events = pivot.verify_callback({"X-API-Key": key}, _body(reference, rupiah))
    assert [(e.reference_id, e.amount, e.authenticity) for e in events] == [
        (reference, kirim.Money(minor_units=rupiah * 100), kirim.Authenticity.API_KEY)
    ]


@settings(max_examples=300)
@given(KEY, st.data())
def test_any_single_byte_change_to_the_key_is_rejected(key: str, data: st.DataObject) -> None:
    pivot = kp.Pivot(kp.PivotConfig(kp.SANDBOX_URL, "m", "s", [key]))
    raw = bytearray(key.encode())
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    new = data.draw(st.integers(min_value=0x20, max_value=0x7E).filter(lambda b: b != raw[index]))
    raw[index] = new
    forged = raw.decode()
    try:
        pivot.verify_callback({"X-API-Key": forged}, _body("REF", 1000))
    except kirim.AuthenticityError as e:
        assert e.code == kirim.ErrorCode.CALLBACK_KEY_MISMATCH
        assert pivot.callback_acknowledgement(e).status == 401
    else:
        raise AssertionError("a changed key was accepted")


# ---- the gateway: sign then verify, and any single-byte change is rejected -------------------

from kirim import gateway as kg  # noqa: E402

GW_KEY = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8, max_size=48)
SIGN_TYPE = st.sampled_from([kg.SignType.MD5, kg.SignType.HMAC_SHA256])
CENTS = st.integers(min_value=100, max_value=9_999_999_999)
STATUS = st.sampled_from([1, 2, 3, 4, 5])
ID = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=32)


def _gateway(key: str) -> kg.Gateway:
    return kg.Gateway(kg.GatewayConfig("https://payment.example", "PF0002", key))


def _notification(gateway: kg.Gateway, sign_type: kg.SignType, payout_id: str, reference: str, cents: int, status: int) -> bytes:
    params = {
        "payout_id": payout_id,
        "payout_cl_id": reference,
        "platform_id": "PF0002",
        "amount": cents,
        "real_amount": cents,
        "fee": 0,
        "status": status,
        "create_time": 1_700_000_000,
        "update_time": 1_700_000_100,
    }
    signature = gateway.sign(params, sign_type)
    assert signature.sign_type is sign_type
    return json.dumps({**params, "sign": signature.sign, "sign_type": sign_type.value}, separators=(",", ":")).encode()


@settings(max_examples=200)
@given(GW_KEY, SIGN_TYPE, ID, ID, CENTS, STATUS)
def test_gateway_sign_then_verify(key: str, sign_type: kg.SignType, payout_id: str, reference: str, cents: int, status: int) -> None:
    gateway = _gateway(key)
    event = gateway.verify_notification(_notification(gateway, sign_type, payout_id, reference, cents, status))
    assert event.authenticity is kirim.Authenticity.SIGNATURE
    assert (event.payout_id, event.reference_id, event.amount) == (payout_id, reference, kirim.Money(minor_units=cents))
    assert event.raw_status == str(status)
    handled = gateway.handle_notification(_notification(gateway, sign_type, payout_id, reference, cents, status))
    assert handled.error is None and handled.acknowledgement.status == 200


@settings(max_examples=500)
@given(GW_KEY, SIGN_TYPE, ID, ID, CENTS, STATUS, st.data())
def test_any_single_byte_change_to_a_signed_notification_is_rejected(
    key: str, sign_type: kg.SignType, payout_id: str, reference: str, cents: int, status: int, data: st.DataObject
) -> None:
    gateway = _gateway(key)
    original = _notification(gateway, sign_type, payout_id, reference, cents, status)
    body = bytearray(original)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="index")
    new = data.draw(st.integers(min_value=0, max_value=255).filter(lambda b: b != body[index]), label="byte")
    case_only = _is_case_change_in_signature_members(original, index, new)
    body[index] = new
    try:
        event = gateway.verify_notification(bytes(body))
    except kirim.KirimError as e:
        ack = gateway.notification_acknowledgement(e)
        assert ack.status != 200 and b"0000" not in ack.body
    else:
        # The one accepted change: the letter case of the `sign` hex or of the `sign_type` name,
        # which the core compares case-insensitively by design (as core/tests/properties.rs
        # says); the notification must then read exactly as the original.
        assert case_only, f"a changed notification was accepted: {bytes(body)!r} -> {event!r}"
        assert event == gateway.verify_notification(original)


def _is_case_change_in_signature_members(body: bytes, index: int, new: int) -> bool:
    """Whether writing `new` at `index` only changes a letter's case inside the value of `sign`
    or `sign_type` (the members outside the signed string)."""
    old = body[index]
    if not (chr(old).isalpha() and chr(old).isascii() and chr(new).isascii() and chr(new).lower() == chr(old).lower()):
        return False
    for member in (b'"sign":"', b'"sign_type":"'):
        found = body.find(member)
        if found < 0:
            continue
        start = found + len(member)
        end = body.find(b'"', start)
        if start <= index < end:
            return True
    return False


@settings(max_examples=300)
@given(GW_KEY, SIGN_TYPE, CENTS, st.data())
def test_any_single_byte_change_to_the_platform_key_is_rejected(
    key: str, sign_type: kg.SignType, cents: int, data: st.DataObject
) -> None:
    body = _notification(_gateway(key), sign_type, "POT1", "REF1", cents, 3)
    raw = bytearray(key.encode())
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="index")
    raw[index] = data.draw(st.integers(min_value=0x21, max_value=0x7E).filter(lambda b: b != raw[index]), label="byte")
    try:
        _gateway(raw.decode()).verify_notification(body)
    except kirim.AuthenticityError as e:
        assert e.code == kirim.ErrorCode.SIGNATURE_MISMATCH
    else:
        raise AssertionError("a notification signed with another key was accepted")
