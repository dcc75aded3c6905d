"""The test-callback builders through the Python binding: each generated callback verifies with
the binding's own verify/handle call and reads back to its event; a tampered one is refused;
hostile arguments raise the core's typed errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

import kirim
from kirim import PayoutStatus, TestCallbackEvent
from kirim.gateway import GatewayConfig, HexCase, KeyJoin, SignType

KEY = "cb-key-current"


def pivot() -> kirim.Pivot:
    return kirim.Pivot(kirim.PivotConfig("https://pivot.example", "merchant-1", "secret", [KEY]))


def tampered(body: bytes, old: bytes, new: bytes) -> bytes:
    assert old in body
    return body.replace(old, new, 1)


def test_pivot_single_callback_verifies_and_reads_back() -> None:
    event = TestCallbackEvent(
        PayoutStatus.FAILED, Decimal("250000"), "uuid-1", "INV-2", "Invalid Account"
    )
    client = pivot()
    request = client.test_callback(KEY, event, url="https://merchant.example/cb")
    assert request.method is kirim.Method.POST and request.url == "https://merchant.example/cb"
    assert request.header("X-API-Key") == KEY and "cb-key" not in repr(request)
    [read] = client.verify_callback(request.headers, request.body)
    assert (read.status, read.amount, read.payout_id, read.reference_id) == (
        PayoutStatus.FAILED, kirim.Money.parse("250000"), "uuid-1", "INV-2")
    assert read.failure is not None and read.failure.provider_text == "Invalid Account"
    handled = client.handle_callback(request.headers, request.body)
    assert handled.acknowledgement.status == 200 and handled.events == (read,)

    forged = [("X-API-Key", "cb-key-currenT")]
    with pytest.raises(kirim.AuthenticityError) as refused:
        client.verify_callback(forged, request.body)
    assert refused.value.code == "callback_key_mismatch"
    # Pivot's key does not cover the body: a changed body reads back a different event.
    [changed] = client.verify_callback(request.headers, tampered(request.body, b"250000", b"950000"))
    assert changed.amount != read.amount


def test_pivot_bulk_callback_reports_totals() -> None:
    payouts = [
        TestCallbackEvent(PayoutStatus.SUCCEEDED, "100000", "uuid-9", "A"),
        TestCallbackEvent(PayoutStatus.PENDING, "5000", "uuid-9", "B"),
    ]
    client = pivot()
    request = client.test_bulk_callback(kirim.Secret(KEY), payouts)
    [read] = client.verify_callback(request.headers, request.body)
    assert read.raw_event == "PAYOUT.PENDING" and read.status is PayoutStatus.PENDING
    assert read.totals is not None and read.totals.success_count == 1
    assert read.totals.pending_amount == kirim.Money.parse("5000")


@pytest.mark.parametrize("sign_type", [SignType.MD5, SignType.HMAC_SHA256])
@pytest.mark.parametrize("key_join", list(KeyJoin))
@pytest.mark.parametrize("hex_case", list(HexCase))
def test_gateway_notification_verifies_under_each_signing_style(
    sign_type: SignType, key_join: KeyJoin, hex_case: HexCase
) -> None:
    config = GatewayConfig("https://gw.example", "PF0002", "platform-key", key_join=key_join,
                           hex_case=hex_case)
    client = kirim.Gateway(config)
    event = TestCallbackEvent(PayoutStatus.SUCCEEDED, "4000.50", "POT1", "ORD-1")
    request = client.test_notification("platform-key", event, sign_type)
    read = client.verify_notification(request.body)
    assert (read.status, read.amount, read.payout_id, read.reference_id) == (
        PayoutStatus.SUCCEEDED, kirim.Money.parse("4000.50"), "POT1", "ORD-1")
    assert client.handle_notification(request.body).acknowledgement.status == 200
    refused = client.handle_notification(tampered(request.body, b"400050", b"400051"))
    assert refused.event is None and refused.error is not None
    assert refused.error.code == "signature_mismatch" and refused.acknowledgement.status == 401


def test_paperid_callback_verifies_with_its_token() -> None:
    client = kirim.PaperId(kirim.PaperIdConfig("X-Callback-Token", ["tok"]))
    event = TestCallbackEvent("failed", "100000", "DISB-1", failure_reason="TRANSFER_ERROR")
    request = client.test_callback("tok", event)
    assert request.url == "http://localhost/callback"
    read = client.verify_callback(request.headers, request.body)
    assert read.status is PayoutStatus.FAILED and read.payout_id == "DISB-1"
    assert read.failure is not None and read.failure.provider_code == "TRANSFER_ERROR"
    with pytest.raises(kirim.AuthenticityError):
        client.verify_callback({"X-Callback-Token": "tok2"}, request.body)


def test_hostile_arguments_raise_typed_errors() -> None:
    client = pivot()
    with pytest.raises(kirim.ValidationError) as no_status:
        client.test_callback(KEY, TestCallbackEvent("reversed", "1", "u", "r"))
    assert (no_status.value.code, no_status.value.field) == ("invalid_field", "status")
    with pytest.raises(kirim.ValidationError) as sen:
        client.test_callback(KEY, TestCallbackEvent("succeeded", "1.50", "u", "r"))
    assert sen.value.code == "fractional_amount"
    with pytest.raises(kirim.ValidationError) as header:
        client.test_callback("k\r\nX: y", TestCallbackEvent("succeeded", "1", "u", "r"))
    assert header.value.field == "api_key"
    with pytest.raises(kirim.ValidationError) as bare:
        TestCallbackEvent("succeeded", 100000, "u")  # type: ignore[arg-type]
    assert bare.value.code == "invalid_amount"
    with pytest.raises(TypeError):
        client.test_callback(KEY, {"status": "succeeded"})  # type: ignore[arg-type]
    no_header = kirim.PaperId(kirim.PaperIdConfig(allowed_source_addresses=["203.0.113.0/24"]))
    with pytest.raises(kirim.KirimError) as unconfigured:
        no_header.test_callback("tok", TestCallbackEvent("succeeded", "1", "D"))
    assert unconfigured.value.code == "invalid_config"
