"""The typed API: every Pivot method, run on the inputs of every Pivot vector and compared with
the JSON operation interface's answer for the same input; then the model helpers, the error
hierarchy, reprs and the type rules (raw bytes, no floats)."""

from __future__ import annotations

import base64
import inspect
import json
import pickle
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import pytest

import kirim
from kirim import gateway as kg
from kirim import paperid as kpi
from kirim import pivot as kp
from kirim._errors import _from_dict
from conftest import iter_vectors

SECRET = "sentinel-merchant-secret-9f8e"
CALLBACK_KEY = "sentinel-callback-key-7d6c"
TOKEN = "sentinel-bearer-token-5b4a"


# ---- conversions of vector inputs into typed values ------------------------------------------


def body_of(data: Any) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if "hex" in data:
        return bytes.fromhex(data["hex"])
    return base64.b64decode(data["base64"])


def outcome_of(data: Dict[str, Any]) -> kirim.HttpOutcome:
    if "transport_failure" in data:
        return kirim.TransportFailure(data["transport_failure"])
    r = data["response"]
    return kirim.HttpResponse(
        r["status"], [(h["name"], h["value"]) for h in r.get("headers", [])], body_of(r.get("body", ""))
    )


def config_of(data: Dict[str, Any]) -> kp.PivotConfig:
    return kp.PivotConfig(**data)


def token_of(data: Dict[str, Any]) -> kp.AccessToken:
    return kp.AccessToken(data["value"], data["expires_at"], data.get("token_type", "Bearer"))


def destination_of(data: Dict[str, Any]) -> kp.PayoutDestination:
    fields = {k: v for k, v in data.items() if k != "type"}
    if data["type"] == "inquiry":
        return kp.InquiryDestination(**fields)
    return kp.AccountDestination(**fields)


class NotExpressible(Exception):
    """A vector input that typed values cannot carry (e.g. an amount that is not a number)."""


def money_of(data: Any) -> Union[kirim.Money, str]:
    if isinstance(data, str):
        return data  # a decimal string of rupiah, which the typed records take as it is
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        # A bare number: the typed records refuse it too (checked here), before any request.
        with pytest.raises((kirim.ValidationError, TypeError)):
            kirim.Money.of(data)  # type: ignore[arg-type]
        raise NotExpressible("a bare number amount")
    try:
        return kirim.Money.parse(data["value"], data["currency"])
    except kirim.KirimError as e:
        raise NotExpressible(e.code) from e


def payouts_of(items: List[Dict[str, Any]]) -> List[kp.PayoutItemInput]:
    return [
        kp.PayoutItemInput(
            item["reference_id"],
            destination_of(item["destination"]),
            money_of(item["amount"]),
            item.get("description"),
        )
        for item in items
    ]


def event_of(data: Any) -> kirim.TestCallbackEvent:
    known = {"status", "amount", "payout_id", "reference_id", "failure_reason"}
    if not isinstance(data, dict) or not set(data) <= known:
        raise NotExpressible("not an event object")
    return kirim.TestCallbackEvent(
        kirim.PayoutStatus(data["status"]),
        money_of(data["amount"]),
        data["payout_id"],
        data.get("reference_id"),
        data.get("failure_reason"),
    )


def headers_of(data: List[Dict[str, str]]) -> List[Tuple[str, str]]:
    return [(h["name"], h["value"]) for h in data]


# ---- the typed value rendered as the core's JSON form, for comparison -----------------------


def core_json(value: Any) -> Any:
    import dataclasses
    import types
    from enum import Enum

    if value is None or isinstance(value, (bool, int, str)) and not isinstance(value, Enum):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"hex": value.hex()}
    if isinstance(value, kirim.Money):
        return {"value": value.value, "currency": value.currency.value}
    if isinstance(value, kirim.KirimError):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [core_json(v) for v in value]
    if isinstance(value, dict):
        return {k: core_json(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: core_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if type(value).__module__.split(".")[0] == "kirim":
        # A native class of the core's model: its fields are its getters (``headers_dict`` is a
        # view of ``headers``, not a field).
        fields = [
            name for name, attr in vars(type(value)).items()
            if isinstance(attr, types.GetSetDescriptorType) and name != "headers_dict"
        ]
        assert fields, type(value)
        return {name: core_json(getattr(value, name)) for name in fields}
    raise TypeError(type(value))


def same(typed: Any, op: Any, path: str = "") -> None:
    """Equal JSON forms, where an absent key equals null (the core leaves some out)."""
    if isinstance(typed, dict) and isinstance(op, dict):
        for key in set(typed) | set(op):
            same(typed.get(key), op.get(key), f"{path}.{key}")
        return
    if isinstance(typed, list) and isinstance(op, list):
        assert len(typed) == len(op), f"{path}: {len(typed)} vs {len(op)} items"
        for i, (a, b) in enumerate(zip(typed, op)):
            same(a, b, f"{path}[{i}]")
        return
    assert type(typed) is type(op) and typed == op, f"{path}: typed {typed!r} vs operation {op!r}"


# ---- every Pivot operation through the typed API ---------------------------------------------

Call = Callable[[kp.Pivot, Dict[str, Any]], Any]


def _token_result(p: kp.Pivot, i: Dict[str, Any]) -> Any:
    token = p.parse_access_token(outcome_of(i["outcome"]), i["now"])
    return {
        "access_token": token.value.expose_secret(),
        "token_type": token.token_type,
        "expires_at": token.expires_at,
        "needs_refresh_now": p.needs_refresh(token, i["now"]),
    }


def _handle(p: kp.Pivot, i: Dict[str, Any]) -> Any:
    h = p.handle_callback(headers_of(i["headers"]), body_of(i["body"]))
    return {"events": h.events, "error": h.error, "acknowledgement": h.acknowledgement}


PIVOT: Dict[str, Call] = {
    "access_token_request": lambda p, i: p.access_token_request(),
    "parse_access_token": _token_result,
    "needs_refresh": lambda p, i: {"needs_refresh": p.needs_refresh(token_of(i["access_token"]), i["now"])},
    "balance_request": lambda p, i: p.balance_request(token_of(i["access_token"]), i["now"]),
    "parse_balance": lambda p, i: p.parse_balance(outcome_of(i["outcome"])),
    "inquiry_request": lambda p, i: p.inquiry_request(
        token_of(i["access_token"]), i["now"], kp.InquiryInput(**i["inquiry"])
    ),
    "inquiry_status_request": lambda p, i: p.inquiry_status_request(
        token_of(i["access_token"]), i["now"], i["inquiry_id"]
    ),
    "parse_inquiry": lambda p, i: p.parse_inquiry(outcome_of(i["outcome"])),
    "create_payout_request": lambda p, i: p.create_payout_request(
        token_of(i["access_token"]), i["now"], i["idempotency_key"], payouts_of(i["payouts"])
    ),
    "derive_request_id": lambda p, i: {
        "idempotency_key": p.derive_request_id(i["merchant_reference"], i.get("revision", 0))
    },
    "parse_create_payout": lambda p, i: p.parse_create_payout(
        outcome_of(i["outcome"]), None if i.get("attempt") is None else kp.CreateAttempt(**i["attempt"])
    ),
    "retrieve_request": lambda p, i: p.retrieve_request(
        token_of(i["access_token"]), i["now"], i["payout_id"], i.get("reference_id")
    ),
    "parse_retrieve": lambda p, i: p.parse_retrieve(outcome_of(i["outcome"])),
    "verify_callback": lambda p, i: p.verify_callback(headers_of(i["headers"]), body_of(i["body"])),
    "parse_callback_unverified": lambda p, i: p.parse_callback_unverified(body_of(i["body"])),
    "handle_callback": _handle,
    "test_callback": lambda p, i: p.test_callback(i["api_key"], event_of(i["event"]), i.get("url")),
    "test_bulk_callback": lambda p, i: p.test_bulk_callback(
        i["api_key"], [event_of(e) for e in i["payouts"]], i.get("url")
    ),
}


def gateway_config_of(data: Dict[str, Any]) -> kg.GatewayConfig:
    fields = dict(data)
    if "status_map" in fields:
        try:
            fields["status_map"] = {int(k): v for k, v in fields["status_map"].items()}
        except (ValueError, AttributeError) as e:
            raise NotExpressible("status_map") from e
    return kg.GatewayConfig(**fields)


def order_of(data: Dict[str, Any]) -> kg.WithdrawOrderInput:
    fields = dict(data)
    fields["amount"] = money_of(fields["amount"])
    return kg.WithdrawOrderInput(**fields)


def _sign(g: kg.Gateway, i: Dict[str, Any]) -> Any:
    params: Any = i["body"].encode() if i.get("body") is not None else i["params"]
    return g.sign(params, i.get("sign_type"))


def _notification(g: kg.Gateway, i: Dict[str, Any]) -> Any:
    h = g.handle_notification(body_of(i["body"]))
    return {"event": h.event, "error": h.error, "acknowledgement": h.acknowledgement}


GATEWAY: Dict[str, Callable[[kg.Gateway, Dict[str, Any]], Any]] = {
    "sign": _sign,
    "create_withdraw_request": lambda g, i: g.create_withdraw_request(order_of(i["order"]), i["now"]),
    "parse_create_withdraw": lambda g, i: g.parse_create_withdraw(outcome_of(i["outcome"])),
    "query_request": lambda g, i: g.query_request(
        None if i.get("filter") is None else kg.QueryFilter(**i["filter"])
    ),
    "query_order_request": lambda g, i: g.query_order_request(i["payout_cl_id"]),
    "parse_query": lambda g, i: g.parse_query(outcome_of(i["outcome"])),
    "verify_notification": lambda g, i: g.verify_notification(body_of(i["body"])),
    "parse_notification_unverified": lambda g, i: g.parse_notification_unverified(body_of(i["body"])),
    "handle_notification": _notification,
    "balance_request": lambda g, i: g.balance_request(),
    "parse_balance": lambda g, i: g.parse_balance(outcome_of(i["outcome"])),
    "test_notification": lambda g, i: g.test_notification(
        i["platform_key"], event_of(i["event"]), i.get("sign_type"), i.get("url")
    ),
}


def _paper_handle(p: kpi.PaperId, i: Dict[str, Any]) -> Any:
    h = p.handle_callback(headers_of(i.get("headers") or []), body_of(i["body"]), i.get("source_address"))
    return {"event": h.event, "error": h.error, "acknowledgement": h.acknowledgement}


def _error_of(data: Any) -> Optional[kirim.KirimError]:
    # The error a host caught, rebuilt from its JSON form as the package does.
    if data is None:
        return None
    if not isinstance(data, dict):
        raise NotExpressible(f"an error is a kirim.KirimError, not {type(data).__name__}")
    return _from_dict(data)


PAPERID: Dict[str, Callable[[kpi.PaperId, Dict[str, Any]], Any]] = {
    "verify_callback": lambda p, i: p.verify_callback(
        headers_of(i.get("headers") or []), body_of(i["body"]), i.get("source_address")
    ),
    "parse_callback_unverified": lambda p, i: p.parse_callback_unverified(body_of(i["body"])),
    "handle_callback": _paper_handle,
    "test_callback": lambda p, i: p.test_callback(i["token"], event_of(i["event"]), i.get("url")),
    "callback_acknowledgement": lambda p, i: p.callback_acknowledgement(_error_of(i.get("error"))),
}


def typed_call(namespace: str, name: str, merged: Dict[str, Any]) -> Any:
    if namespace == "pivot":
        return PIVOT[name](kp.Pivot(config_of(merged["config"])), merged)
    if namespace == "gateway":
        return GATEWAY[name](kg.Gateway(gateway_config_of(merged["config"])), merged)
    config = merged.get("config")
    return PAPERID[name](kpi.PaperId(None if config is None else kpi.PaperIdConfig(**config)), merged)


TYPED_NAMES = {"pivot": set(PIVOT), "gateway": set(GATEWAY), "paperid": set(PAPERID)}


def _provider_vectors() -> List[Tuple[str, str, str, Dict[str, Any]]]:
    out = []
    for path, data, vector, merged in iter_vectors():
        namespace, name = data["operation"].split(".", 1)
        if namespace in TYPED_NAMES:
            out.append((namespace, name, f"{path.parent.name}/{path.name}::{vector.get('name')}", merged))
    return out


def test_every_provider_operation_has_a_typed_method() -> None:
    seen = {(ns, name) for ns, name, _, _ in _provider_vectors()}
    assert {ns for ns, _ in seen} == {"pivot", "gateway", "paperid"}
    missing = sorted(f"{ns}.{name}" for ns, name in seen if name not in TYPED_NAMES[ns])
    assert not missing, f"no typed call for {missing}"


def test_typed_api_agrees_with_the_operation_interface_on_every_provider_vector() -> None:
    compared, not_typed = 0, []
    for namespace, name, label, merged in _provider_vectors():
        try:
            op: Any = kirim.run_operation(f"{namespace}.{name}", merged)
            op_error: Optional[kirim.KirimError] = None
        except kirim.KirimError as e:
            op, op_error = None, e
        try:
            typed: Any = typed_call(namespace, name, merged)
            typed_error: Optional[kirim.KirimError] = None
        except kirim.KirimError as e:
            typed, typed_error = None, e
        except (TypeError, KeyError, ValueError, NotExpressible) as e:
            # An input that a typed call cannot even express (a field of the wrong JSON type,
            # an unknown configuration key, an amount that is not a number): the JSON
            # interface must reject it.
            assert op_error is not None, f"{label}: typed call refused ({e!r}) but the operation succeeded"
            not_typed.append(label)
            continue
        if op_error is not None or typed_error is not None:
            assert op_error is not None and typed_error is not None, (
                f"{label}: operation error {op_error!r}, typed error {typed_error!r}"
            )
            assert typed_error.to_dict() == op_error.to_dict(), label
            assert type(typed_error) is type(op_error)
        else:
            expected = {k: v for k, v in op.items() if k != "refresh_at"} if name == "parse_access_token" else op
            same(core_json(typed), expected, label)
        compared += 1
    print(f"typed API vs JSON interface: {compared} compared, {len(not_typed)} not expressible")
    assert compared >= 300, f"only {compared} vectors compared ({len(not_typed)} not expressible)"
    assert len(not_typed) < compared / 5, not_typed


# ---- a whole flow with typed values -----------------------------------------------------------


def _config() -> kp.PivotConfig:
    return kp.PivotConfig(kp.SANDBOX_URL, "kirim-merchant", kirim.Secret(SECRET), [CALLBACK_KEY, "old-key-2"])


@pytest.mark.parametrize(
    "shell,config,named",
    [
        (kp.Pivot, lambda: kpi.PaperIdConfig(), "Pivot(config) takes a kirim.pivot.PivotConfig"),
        (kg.Gateway, _config, "Gateway(config) takes a kirim.gateway.GatewayConfig"),
        (kpi.PaperId, _config, "PaperId(config) takes a kirim.paperid.PaperIdConfig"),
    ],
)
def test_a_wrong_configuration_names_the_class_where_users_import_it(
    shell: Any, config: Callable[[], Any], named: str
) -> None:
    # The configuration classes are generated in kirim._declared; the message names the
    # provider's module, where they are imported from.
    with pytest.raises(TypeError) as info:
        shell(config())
    assert str(info.value) == named


def _token_response(expires_in: int = 900) -> kirim.HttpResponse:
    body = json.dumps(
        {"code": "00", "message": "Success", "data": {"accessToken": TOKEN, "tokenType": "Bearer", "expiresIn": expires_in}}
    ).encode()
    return kirim.HttpResponse(200, {"Content-Type": "application/json"}, body)


def _callback(reference: str = "REF-1", value: str = "100000", status: str = "SUCCESS") -> bytes:
    return json.dumps(
        {
            "event": f"PAYOUT.{status}",
            "data": {
                "uuid": "d6a46a2c-1b26-40c5-9ca3-e063e69635a0",
                "merchantId": "kirim-merchant",
                "payouts": {
                    "referenceId": reference,
                    "amount": {"currency": "IDR", "value": value},
                    "status": status,
                    "reason": None,
                },
            },
        }
    ).encode()


def test_token_request_payout_and_callback_flow() -> None:
    pivot = kp.Pivot(_config())
    now = 1_715_588_505
    token = pivot.parse_access_token(_token_response(), now)
    assert token.expires_at == now + 900 and token.token_type == "Bearer"
    assert token.value.expose_secret() == TOKEN
    assert not pivot.needs_refresh(token, now) and pivot.needs_refresh(token, now + 900 - 60)

    key = pivot.derive_request_id("order-42")
    assert key == kirim.derive_idempotency_key("pivot", "order-42")
    assert key != pivot.derive_request_id("order-42", revision=1)
    kirim.validate_idempotency_key(kirim.Provider.PIVOT, key)

    item = kp.PayoutItemInput(
        "order-42", kp.AccountDestination("BCA", "999966660001", "Budi"), Decimal("150000"), "gaji"
    )
    assert item.amount == kirim.Money(minor_units=15_000_000)
    request = pivot.create_payout_request(token, now, key, [item])
    assert request.method is kirim.Method.POST and request.url.endswith("/v1/payouts")
    assert request.header("x-request-id") == key
    assert request.header("Authorization") == f"Bearer {TOKEN}"
    sent = json.loads(request.body)
    assert sent["payouts"][0]["amount"] == {"currency": "IDR", "value": "150000"}
    assert request.headers_dict["X-REQUEST-ID"] == key

    events = pivot.verify_callback({"X-API-Key": CALLBACK_KEY}, _callback("order-42", "150000"))
    assert len(events) == 1
    event = events[0]
    assert event.status is kirim.PayoutStatus.SUCCEEDED and event.reference_id == "order-42"
    assert event.amount == kirim.Money(minor_units=15_000_000) and event.authenticity is kirim.Authenticity.API_KEY
    ack = pivot.callback_acknowledgement()
    assert ack.status == 200 and not ack.provider_will_retry


def test_unreadable_non_essential_fields_are_warnings_in_every_result() -> None:
    pivot = kp.Pivot(_config())
    body = (
        b'{"code":"00","data":{"uuid":"u10","status":"DONE","created":"13/05/2024","payouts":'
        b'{"referenceId":"r-10","amount":{"currency":"IDR","value":"100000"},"status":"SUCCESS"}}}'
    )
    batch = pivot.parse_retrieve(kirim.HttpResponse(200, {}, body))
    assert batch.created_at is None and batch.items[0].status is kirim.PayoutStatus.SUCCEEDED
    assert [w.field for w in batch.warnings] == ["data.created"]
    assert isinstance(batch.warnings[0], kirim.FieldWarning) and "13/05/2024" in batch.warnings[0].reason

    paper = kpi.PaperId(kpi.PaperIdConfig())
    event = paper.parse_callback_unverified(
        b'{"disbursement_id":"DISB-1","payment_id":"P-1","status":"COMPLETED","amount":1.0E7,"timestamp":1715588505123}'
    )
    assert event.warnings == (kirim.FieldWarning("timestamp", event.warnings[0].reason),)
    assert event.occurred_at is None and event.amount == kirim.Money.parse("10000000")
    assert event.payout_id == "DISB-1" and event.reference_id is None
    assert event.real_amount is None and event.fee is None

    client = kg.Gateway(kg.GatewayConfig("https://payment.example", "PF0002", "ThisIsYourSecretKey123"))
    notification = client.parse_notification_unverified(
        b'{"payout_id":"P1","payout_cl_id":"C1","amount":400000,"real_amount":396800,"fee":3200,'
        b'"status":3,"create_time":"yesterday","update_time":1567614111}'
    )
    assert notification.real_amount == kirim.Money(minor_units=396800) and notification.fee == kirim.Money(minor_units=3200)
    assert [w.field for w in notification.warnings] == ["create_time"]
    assert notification.occurred_at == 1567614111


def test_expired_token_and_transport_failure() -> None:
    pivot = kp.Pivot(_config())
    token = kp.AccessToken(TOKEN, expires_at=1000)
    with pytest.raises(kirim.ProviderError) as info:
        pivot.balance_request(token, now=1000)
    assert info.value.code == kirim.ErrorCode.ACCESS_TOKEN_EXPIRED and info.value.field == "access_token"
    outcome = pivot.parse_create_payout(kirim.TransportFailure.TIMEOUT)
    # Pivot has no lookup by reference: resend the identical request with the same key.
    assert outcome.next_action.kind is kirim.NextActionKind.RESEND_SAME_REQUEST and outcome.batch is None
    assert outcome.error is not None and outcome.error.code == "transport"
    assert isinstance(outcome.error, kirim.ProviderError)
    with pytest.raises(kirim.ProviderError) as transport:
        pivot.parse_balance(kirim.TransportFailure.CONNECTION_ERROR)
    assert transport.value.code == kirim.ErrorCode.TRANSPORT


def test_forged_callbacks_are_authenticity_errors_with_a_401() -> None:
    pivot = kp.Pivot(_config())
    for headers in ({"X-API-Key": "wrong"}, {}, [("x-api-key", CALLBACK_KEY + "x")]):
        with pytest.raises(kirim.AuthenticityError) as info:
            pivot.verify_callback(headers, _callback())
        assert info.value.code in ("callback_key_mismatch", "callback_key_missing")
        ack = pivot.callback_acknowledgement(info.value)
        assert ack.status == 401 and not ack.provider_will_retry
        handled = pivot.handle_callback(headers, _callback())
        assert handled.events is None and handled.error is not None
        assert handled.error.code == info.value.code and handled.acknowledgement.status == 401
    good = pivot.handle_callback({"X-API-Key": "old-key-2"}, _callback())
    assert good.error is None and good.events is not None and good.acknowledgement.status == 200
    unreadable = pivot.handle_callback({"X-API-Key": CALLBACK_KEY}, b"<html>")
    assert unreadable.error is not None and isinstance(unreadable.error, kirim.ParseError)
    assert unreadable.acknowledgement.status == 503 and unreadable.acknowledgement.provider_will_retry
    unverified = pivot.parse_callback_unverified(_callback())
    assert unverified[0].authenticity is kirim.Authenticity.UNVERIFIED and unverified[0].requires_query
    assert unverified[0].confirmation is kirim.Confirmation.TENTATIVE
    assert good.events[0].confirmation is kirim.Confirmation.CONFIRMED


def test_a_missing_callback_key_is_a_configuration_error_answered_503() -> None:
    pivot = kp.Pivot(kp.PivotConfig(kp.SANDBOX_URL, "kirim-merchant", kirim.Secret(SECRET), []))
    with pytest.raises(kirim.ValidationError) as info:
        pivot.verify_callback({"X-API-Key": CALLBACK_KEY}, _callback())
    assert info.value.code is kirim.ErrorCode.VERIFICATION_NOT_CONFIGURED
    assert not isinstance(info.value, kirim.AuthenticityError)
    ack = pivot.callback_acknowledgement(info.value)
    assert ack.status == 503 and ack.provider_will_retry
    handled = pivot.handle_callback({"X-API-Key": CALLBACK_KEY}, _callback())
    assert handled.error is not None and handled.acknowledgement.status == 503
    paper = kirim.PaperId(None)
    handled_paper = paper.handle_callback({}, b"{}")
    assert handled_paper.error is not None and handled_paper.error.code == "verification_not_configured"
    assert handled_paper.acknowledgement.status == 503


def test_a_tentative_event_never_makes_a_payout_final() -> None:
    pivot = kp.Pivot(_config())
    unverified = pivot.parse_callback_unverified(_callback(status="SUCCESS"))[0]
    assert unverified.status is kirim.PayoutStatus.SUCCEEDED
    S = kirim.PayoutStatus
    held = kirim.merge_statuses(S.PROCESSING, [unverified])
    assert held is S.PROCESSING
    # The query's answer (a confirmed status) decides: the tentative success is not kept.
    assert kirim.merge_statuses(S.PROCESSING, [unverified, S.FAILED]) is S.FAILED
    verified = pivot.verify_callback({"X-API-Key": CALLBACK_KEY}, _callback(status="SUCCESS"))[0]
    assert kirim.merge_statuses(S.PROCESSING, [verified]) is S.SUCCEEDED
    assert S.PROCESSING.observe(S.SUCCEEDED, "tentative") is S.PROCESSING
    assert S.PROCESSING.observe(S.SUCCEEDED) is S.SUCCEEDED
    with pytest.raises(ValueError):
        S.PROCESSING.observe(S.SUCCEEDED, "maybe")


def test_headers_from_mappings_pairs_and_header_objects() -> None:
    pivot = kp.Pivot(_config())
    for headers in (
        {"X-API-Key": CALLBACK_KEY},
        [("X-API-Key", CALLBACK_KEY)],
        [kirim.Header("x-api-key", CALLBACK_KEY)],
        ((b"x-api-key", CALLBACK_KEY.encode()),),
    ):
        assert pivot.verify_callback(headers, _callback())[0].status is kirim.PayoutStatus.SUCCEEDED
    with pytest.raises(TypeError):
        pivot.verify_callback("X-API-Key: k", _callback())  # type: ignore[arg-type]


# ---- model helpers ----------------------------------------------------------------------------


def test_money() -> None:
    m = kirim.Money.parse("1238.86")
    assert m.minor_units == 123886 and m.value == "1238.86" and m.to_decimal() == Decimal("1238.86")
    assert kirim.Money.from_decimal(Decimal("1E+5")) == kirim.Money(minor_units=10_000_000)
    assert kirim.Money.of(Decimal("0.05")) == kirim.Money(minor_units=5) == kirim.Money.from_minor_units(5, "IDR")
    assert kirim.Money.of("1238.86") == kirim.Money.from_minor_units(123886)
    assert kirim.Money(minor_units=-550).value == "-5.50"
    with pytest.raises(kirim.ValidationError) as info:
        kirim.Money.parse("1.001")
    assert info.value.code == "fractional_amount" and isinstance(info.value, ValueError)
    with pytest.raises(kirim.ValidationError) as bad:
        kirim.Money.parse("1e5")
    assert bad.value.code == kirim.ErrorCode.INVALID_AMOUNT
    with pytest.raises(kirim.ValidationError):
        kirim.Money.from_decimal(Decimal("NaN"))
    with pytest.raises(kirim.ValidationError) as cur:
        kirim.Money.parse("1", "usd")
    assert cur.value.code == "unsupported_currency"
    with pytest.raises(ValueError):
        kirim.Money(minor_units=1, currency="USD")  # type: ignore[arg-type]
    # Beyond i64: refused at construction, never wrapped; the core's typed refusal, not a bare
    # OverflowError (which an application's `except kirim.KirimError` or `except ValueError` for
    # a user's input misses: Money.from_minor_units(int(form["sen"]))).
    for beyond in (2**63, -(2**63) - 1, 10**30):
        for build in (lambda: kirim.Money(minor_units=beyond), lambda: kirim.Money.from_minor_units(beyond)):
            with pytest.raises(kirim.ValidationError) as out_of_range:
                build()
            assert out_of_range.value.code == "amount_out_of_range" and out_of_range.value.field == "minor_units"
    assert kirim.Money(minor_units=2**63 - 1).value == "92233720368547758.07"
    assert kirim.Money(minor_units=-(2**63)).minor_units == -(2**63)


def test_a_decimal_with_a_huge_exponent_is_refused_without_expanding_it() -> None:
    # A Decimal parsed from a user's text ("1e999999999999999999" is a valid Decimal) used to be
    # written out digit by digit before the core saw it: a MemoryError (bare) for this one, a
    # gigabyte string and seconds of work for Decimal("1E+999999999"). The core reads the
    # exponent form by integer arithmetic.
    dest = kp.InquiryDestination("i")
    for text, code in (
        ("1E+999999999999999999", "amount_out_of_range"),
        ("-1E+999999999", "amount_out_of_range"),
        ("1E-999999999999999999", "fractional_amount"),
    ):
        for call in (
            lambda: kirim.Money.from_decimal(Decimal(text)),
            lambda: kirim.Money.parse(Decimal(text)),
            lambda: kirim.Money.of(Decimal(text)),
            lambda: kp.PayoutItemInput("r", dest, Decimal(text)),
            lambda: kg.WithdrawOrderInput("o", Decimal(text), "BCA", "Budi", "1"),
        ):
            with pytest.raises(kirim.ValidationError) as info:
                call()
            assert info.value.code == code, (text, info.value)
    # Exact values in exponent form still read exactly (zero with any exponent is zero).
    assert kirim.Money.from_decimal(Decimal("0E-999999999999999999")) == kirim.Money(minor_units=0)
    assert kirim.Money.from_decimal(Decimal("0E+999999999999999999")) == kirim.Money(minor_units=0)
    assert kirim.Money.from_decimal(Decimal("1.50E+2")) == kirim.Money(minor_units=15_000)
    assert kirim.Money.from_decimal(Decimal("150000.000")) == kirim.Money(minor_units=15_000_000)
    assert kirim.Money.from_decimal(Decimal("-0")) == kirim.Money(minor_units=0)


def test_a_bool_is_never_an_int_on_the_native_calls_as_on_the_json_ones() -> None:
    # bool is an int subclass: the native calls took True as 1, where the JSON interface (and
    # every configuration, attempt and filter, which cross as JSON) refuses a boolean. So
    # kirim.derive_idempotency_key("pivot", ref, True) was refused while
    # Pivot.derive_request_id(ref, True) silently gave revision 1's key (a NEW key), and
    # now=True built requests and machines at 1970-01-01T00:00:01.
    with pytest.raises(kirim.KirimError):
        kirim.derive_idempotency_key("pivot", "order-1", True)
    pivot = kp.Pivot(_config())
    token = kp.AccessToken("t", 10**10)
    item = kp.PayoutItemInput("r1", kp.InquiryDestination("i1"), "1000")
    gateway = kg.Gateway(kg.GatewayConfig("https://payment.example", "PF1", "k", authorization="a"))
    order = {"reference": "r1", "amount": kirim.Money.parse("1000"),
             "beneficiary": {"bank": "BCA", "account_number": "1", "account_name": "Budi"}}
    machine = kirim.lifecycle.PayoutLifecycle("pivot", _config(), order, now=1_700_000_000)
    calls: List[Callable[[], object]] = [
        lambda: pivot.derive_request_id("order-1", True),
        lambda: pivot.balance_request(token, True),
        lambda: pivot.create_payout_request(token, True, "kirimPayout000000000000000000001", [item]),
        lambda: pivot.retrieve_request(token, True, "p1"),
        lambda: pivot.parse_access_token(_token_response(), True),
        lambda: pivot.needs_refresh(token, True),
        lambda: kp.AccessToken("t", True),
        lambda: token.needs_refresh(1, True),
        lambda: token.is_expired(True),
        lambda: gateway.create_withdraw_request(kg.WithdrawOrderInput("o1", "1000", "BCA", "Budi", "1"), True),
        lambda: kirim.lifecycle.PayoutLifecycle("pivot", _config(), order, now=True),
        lambda: machine.poll(True),
        lambda: kirim.PayoutTotals(success_count=True),
        lambda: kirim.RetryAdvice("retry_after_delay", min_delay_seconds=True),
        lambda: kirim.NextAction("resend_same_key_after", delay_seconds=True),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="bool"):
            call()
    assert pivot.derive_request_id("order-1", 1) == kirim.derive_idempotency_key("pivot", "order-1", 1)


def test_an_amount_string_that_is_not_unicode_is_the_cores_refusal() -> None:
    # A user's amount field decoded with surrogateescape (or JSON "\\udce9") used to be a
    # TypeError saying "Money.parse takes a decimal string", which it was.
    for call in (
        lambda: kirim.Money.parse("100\udce9"),
        lambda: kirim.Money.of("100\udce9"),
        lambda: kp.PayoutItemInput("r", kp.InquiryDestination("i"), "100\udce9"),
    ):
        with pytest.raises(kirim.ValidationError) as info:
            call()
        assert info.value.code == "invalid_field" and info.value.field == "value"


def test_an_int_subclass_amount_is_refused_by_its_value_not_its_str() -> None:
    # The bare-number refusal used to read the int through its own __str__: an int subclass whose
    # str is a quoted decimal (a formatting helper's) became that many rupiah, silently.
    class Formatted(int):
        def __str__(self) -> str:
            return '"100000"'

    for call in (
        lambda: kirim.Money.of(Formatted(5)),  # type: ignore[arg-type]
        lambda: kp.PayoutItemInput("r", kp.InquiryDestination("i"), Formatted(5)),  # type: ignore[arg-type]
        lambda: kg.WithdrawOrderInput("o", Formatted(5), "BCA", "Budi", "1"),  # type: ignore[arg-type]
    ):
        with pytest.raises(kirim.ValidationError) as info:
            call()
        assert info.value.code == kirim.ErrorCode.INVALID_AMOUNT
        assert "is a bare number (5)" in info.value.message


def test_a_bare_int_amount_is_refused_with_the_fix() -> None:
    # issue 15 item 10: PayoutItemInput(ref, dest, 100000) used to send Rp 1.000 (int = sen).
    dest = kp.InquiryDestination("i")
    calls: List[Tuple[Callable[[], object], str]] = [
        (lambda: kp.PayoutItemInput("r", dest, 100000), "100000"),  # type: ignore[arg-type]
        (lambda: kg.WithdrawOrderInput("o", 500, "BCA", "Budi", "1"), "500"),  # type: ignore[arg-type]
        (lambda: kirim.Money.of(100000), "100000"),  # type: ignore[arg-type]
    ]
    for call, number in calls:
        with pytest.raises(kirim.ValidationError) as info:
            call()
        err = info.value
        assert err.code == kirim.ErrorCode.INVALID_AMOUNT and err.field == "amount"
        assert f"amount is a bare number ({number})" in err.message and "rupiah or sen" in err.message
        assert f'"{number}"' in err.message and "Money.from_minor_units" in err.message
    # The explicit forms: rupiah as a decimal string or Decimal, minor units by name.
    assert kp.PayoutItemInput("r", dest, "100000").amount == kirim.Money.from_minor_units(10_000_000)
    assert kp.PayoutItemInput("r", dest, Decimal("100000")).amount == kirim.Money.from_minor_units(10_000_000)
    assert kp.PayoutItemInput("r", dest, kirim.Money.from_minor_units(10_000_000)).amount.value == "100000.00"
    # The JSON interface: the same rule and message, at the item's path.
    with pytest.raises(kirim.ValidationError) as op:
        kirim.run_operation("pivot.create_payout_request", {
            "config": {"base_url": kp.SANDBOX_URL, "merchant_id": "m", "merchant_secret": "s"},
            "access_token": {"value": "t", "expires_at": 10**10}, "now": 0,
            "idempotency_key": "kirimPayout000000000000000000001",
            "payouts": [{"reference_id": "r", "destination": {"type": "inquiry", "inquiry_id": "i"}, "amount": 100000}],
        })
    assert op.value.code == "invalid_amount" and op.value.field == "payouts[0].amount"
    assert "is a bare number (100000)" in op.value.message


def test_money_says_its_unit_where_it_is_written() -> None:
    # Money(100000) reads as "100000 of money": a rupiah-thinker means Rp 100.000, the field is
    # sen (Rp 1.000). The minor units are keyword only, so the unit is written at the call.
    with pytest.raises(TypeError):
        kirim.Money(100000)  # type: ignore[misc]
    with pytest.raises(TypeError):
        kirim.Money(100000, "IDR")  # type: ignore[misc]
    assert kirim.Money(minor_units=10_000_000) == kirim.Money.from_minor_units(10_000_000) == kirim.Money.parse("100000")


@pytest.mark.parametrize(
    "call",
    [
        lambda: kirim.Money(minor_units=1.5),  # type: ignore[arg-type]
        lambda: kirim.Money.of(100000.0),  # type: ignore[arg-type]
        lambda: kirim.Money.parse(1238.86),  # type: ignore[arg-type]
        lambda: kirim.Money.from_decimal(1.5),  # type: ignore[arg-type]
        lambda: kp.PayoutItemInput("r", kp.InquiryDestination("i"), 150000.0),  # type: ignore[arg-type]
        lambda: kirim.run_operation("money.from_minor_units", {"minor_units": 1.5, "currency": "IDR"}),
    ],
)
def test_a_float_is_never_money(call: Callable[[], object]) -> None:
    with pytest.raises((TypeError, kirim.KirimError)) as info:
        call()
    if isinstance(info.value, TypeError):
        assert "float" in str(info.value)
    else:  # the JSON interface: the core refuses a JSON float where minor units are expected
        assert info.value.code == "unexpected_shape"


@pytest.mark.parametrize("body", ["{}", {"event": "PAYOUT.SUCCESS"}, 12.5, None, ["a"]])
def test_a_body_must_be_raw_bytes(body: Any) -> None:
    pivot = kp.Pivot(_config())
    for call in (
        lambda: pivot.verify_callback({"X-API-Key": CALLBACK_KEY}, body),
        lambda: pivot.parse_callback_unverified(body),
        lambda: pivot.handle_callback({"X-API-Key": CALLBACK_KEY}, body),
        lambda: kirim.HttpResponse(200, {}, body),
    ):
        with pytest.raises(TypeError, match="pass the raw body bytes"):
            call()
    assert pivot.verify_callback({"X-API-Key": CALLBACK_KEY}, bytearray(_callback()))[0].reference_id == "REF-1"


def test_status_merge_and_finality() -> None:
    S = kirim.PayoutStatus
    assert S.SUCCEEDED.merge(S.PROCESSING) is S.SUCCEEDED
    assert S.SUCCEEDED.merge("reversed") is S.REVERSED
    # Pending, processing and delayed are peers: a top-up hold after processing shows.
    assert S.PROCESSING.merge(S.PENDING) is S.PENDING
    assert S.PENDING.merge(S.UNKNOWN) is S.PENDING
    assert kirim.merge_statuses(None, [S.PENDING, S.SUCCEEDED, S.FAILED]) is S.SUCCEEDED
    assert [s for s in S if s.is_final] == [S.SUCCEEDED, S.FAILED, S.CANCELLED, S.REVERSED]


def test_is_final_is_a_property_matching_the_core() -> None:
    # issue 15 item 13: `is_final` was a method, so `if status.is_final:` was always true.
    pending = kirim.PayoutStatus.PENDING
    assert pending.is_final is False
    if pending.is_final:
        pytest.fail("`if PENDING.is_final:` must be false")
    # Looked up through the class's bases: the enum is generated from the core and inherits
    # its methods from `kirim._enum.PayoutStatusRules`.
    assert isinstance(inspect.getattr_static(type(pending), "is_final"), property)
    for status in kirim.PayoutStatus:
        core = kirim.run_operation("status.is_final", {"status": status.value})
        assert status.is_final is core["is_final"], status


def test_a_lost_answer_after_the_key_window_needs_a_person() -> None:
    pivot = kp.Pivot(_config())
    key = pivot.derive_request_id("REF-1")
    attempt = kp.CreateAttempt(key, ("REF-1",), first_sent_at=1000, now=1000 + 86_400 - 600)
    outcome = pivot.parse_create_payout(kirim.TransportFailure.TIMEOUT, attempt)
    action = outcome.next_action
    assert action.kind is kirim.NextActionKind.MANUAL_RECONCILIATION
    assert action.reason is kirim.ReconciliationReason.KEY_WINDOW_OVER
    assert (action.idempotency_key, action.reference_ids, action.first_sent_at) == (key, ("REF-1",), 1000)
    assert action.message is not None and key in action.message and "REF-1" in action.message
    within = pivot.parse_create_payout(kirim.TransportFailure.TIMEOUT, kp.CreateAttempt(key, ("REF-1",), 1000, 1001))
    assert within.next_action == kirim.NextAction(kirim.NextActionKind.RESEND_SAME_REQUEST)
    with pytest.raises(kirim.ValidationError):
        pivot.parse_create_payout(kirim.TransportFailure.TIMEOUT, kp.CreateAttempt("short", ("REF-1",), 1000, 1001))


def test_idempotency_helpers() -> None:
    # The window less the default 600 s safety margin.
    reuse = kirim.key_reuse("pivot", 1000, 1000 + 86_399 - 600)
    assert reuse == kirim.KeyReuse(kirim.KeyReuseKind.REPLAYS_UNTIL, until=1000 + 86_400 - 600)
    expired = kirim.key_reuse(kirim.Provider.PIVOT, 1000, 1000 + 86_400 - 600)
    assert expired.kind is kirim.KeyReuseKind.EXPIRED and expired.since == 1000 + 86_400 - 600
    no_margin = kirim.key_reuse("pivot", 1000, 1000 + 86_399, margin_seconds=0)
    assert no_margin == kirim.KeyReuse(kirim.KeyReuseKind.REPLAYS_UNTIL, until=1000 + 86_400)
    with pytest.raises(kirim.ValidationError):
        kirim.key_reuse("pivot", 1000, 1000, margin_seconds=-1)
    with pytest.raises(kirim.ValidationError) as info:
        kirim.validate_idempotency_key("pivot", "has-dash-1234567890")
    assert info.value.code == "invalid_idempotency_key"
    with pytest.raises(kirim.ValidationError):
        kirim.derive_idempotency_key("nobody", "ref")
    rules = kp.Pivot(_config()).idempotency_rules()
    assert (rules.header, rules.min_len, rules.max_len) == ("X-REQUEST-ID", 16, 36)


# ---- errors -------------------------------------------------------------------------------------


def test_every_core_code_is_known_and_mapped_to_one_subclass() -> None:
    table = kirim._native.error_codes()
    core_codes = [code for code, _, _, _ in table]
    assert [c.value for c in kirim.ErrorCode] == core_codes
    expected_class = {"validation": kirim.ValidationError, "parse": kirim.ParseError,
                      "authenticity": kirim.AuthenticityError, "provider": kirim.ProviderError}
    for code, meaning, fix, category in table:
        assert kirim.error_class(code) is expected_class[category], code
        assert (kirim.ErrorCode(code).meaning, kirim.ErrorCode(code).fix) == (meaning, fix)
        assert meaning and fix
    err = kirim.error_class("signature_mismatch")("signature_mismatch", "m")
    assert err.fix == kirim.ErrorCode.SIGNATURE_MISMATCH.fix and isinstance(err, kirim.AuthenticityError)
    groups = (kirim.ValidationError, kirim.ParseError, kirim.AuthenticityError, kirim.ProviderError)
    for code in core_codes:
        cls = kirim.error_class(code)
        assert sum(issubclass(cls, g) for g in groups) == 1, code
    assert issubclass(kirim.ValidationError, ValueError)
    assert kirim.error_class("some_future_code") is kirim.KirimError


def test_validation_reports_every_field_and_keeps_everything() -> None:
    pivot = kp.Pivot(_config())
    token = kp.AccessToken(TOKEN, expires_at=10**10)
    bad = kp.PayoutItemInput("", kp.AccountDestination("", "12x", "B"), Decimal("1500.50"), "!" * 30)
    with pytest.raises(kirim.ValidationError) as info:
        pivot.create_payout_request(token, 0, "short", [bad])
    err = info.value
    assert err.code == kirim.ErrorCode.VALIDATION_FAILED and len(err.violations) >= 4
    assert err.field == err.violations[0].field
    assert "idempotency_key" in err.violated_fields or any("key" in f for f in err.violated_fields)
    assert str(err).startswith("validation_failed: ")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and again.to_dict() == err.to_dict()


def test_errors_carry_the_core_json_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: List[str] = []
    original = kirim._errors._from_native

    def spy(text: str) -> kirim.KirimError:
        seen.append(text)
        return original(text)

    monkeypatch.setattr(kirim._errors, "_from_native", spy)
    pivot = kp.Pivot(_config())
    response = kirim.HttpResponse(
        409,
        {},
        b'{"code":"duplicate_error","message":"Duplicate","error":{"type":"GATEWAY_ERROR","traceId":"t-1","details":[{"field":"referenceId","message":"dup"}]}}',
    )
    with pytest.raises(kirim.ProviderError) as info:
        pivot.parse_retrieve(response)
    assert info.value.to_dict() == json.loads(seen[-1])
    assert info.value.http_status == 409 and info.value.provider_trace_id == "t-1"
    assert info.value.provider_details[0].field == "referenceId"


def test_invalid_config_is_reported_at_construction() -> None:
    with pytest.raises(kirim.ValidationError) as info:
        kp.Pivot(kp.PivotConfig("http://example.com", "", ""))
    assert info.value.code == "invalid_config"
    assert set(info.value.violated_fields) == {"base_url", "merchant_id", "merchant_secret"}


# ---- reprs never show a secret ------------------------------------------------------------------


def test_reprs_are_readable_and_redact_secrets() -> None:
    config = _config()
    pivot = kp.Pivot(config)
    token = pivot.parse_access_token(_token_response(), 0)
    request = pivot.balance_request(token, 1)
    token_request = pivot.access_token_request()
    shown = [repr(x) for x in (config, pivot, token, request, token_request, kirim.Secret(SECRET))]
    shown += [str(kirim.Secret(SECRET)), repr(request.headers), repr(kp.AccessToken(TOKEN, 5))]
    for text in shown:
        for secret in (SECRET, CALLBACK_KEY, TOKEN):
            assert secret not in text, text
    assert "[redacted]" in repr(token) and "expires_at=900" in repr(token)
    assert "Authorization: [redacted]" in repr(request) and "url=" in repr(request)
    assert "merchant_id" in repr(config) and "Secret([redacted])" in repr(config)
    assert repr(kirim.Money(minor_units=123886)) == "Money(minor_units=123886, currency='IDR', value='1238.86')"
    with pytest.raises(TypeError):
        pickle.dumps(kirim.Secret(SECRET))
    assert SECRET in token_request.body.decode() or token_request.header("X-MERCHANT-SECRET") == SECRET


def test_a_credential_that_is_no_header_value_is_refused_before_an_http_client_shows_it() -> None:
    # A secret read from a file keeps its trailing newline. Pivot's merchant secret is sent as the
    # X-MERCHANT-SECRET header, the host's own AccessToken as Authorization: the core took both
    # as they were, and http.client (the driver's urllib) then refused the request with
    # ValueError("Invalid header value b'<the secret>\n'"): the secret in the exception's message,
    # so in every log and traceback of it.
    import urllib.request

    secret = "sentinel-merchant-secret"
    for bad in (secret + "\n", secret + "\r\nX-Injected: 1", "\x00" + secret):
        with pytest.raises(kirim.ValidationError) as info:
            kp.Pivot(kp.PivotConfig(kp.SANDBOX_URL, "m", bad))
        assert info.value.code == "invalid_config" and info.value.field == "merchant_secret"
        assert secret not in repr(info.value) + str(info.value) + info.value.to_json()
    pivot = kp.Pivot(_config())
    for bad in (secret + "\n", secret + " x", ""):
        with pytest.raises(kirim.KirimError) as refused:
            pivot.balance_request(kp.AccessToken(bad, 10**10), 1)
        assert refused.value.field == "access_token"
        assert secret not in repr(refused.value) + str(refused.value) + refused.value.to_json()
    # What the HTTP client does with such a header (why the core must refuse it first).
    request = urllib.request.Request("http://127.0.0.1:9/", headers={"X-MERCHANT-SECRET": secret + "\n"})
    with pytest.raises(ValueError, match=secret):
        urllib.request.urlopen(request, timeout=0.01)


def test_text_that_is_not_unicode_is_a_kirim_error_that_carries_no_secret() -> None:
    # os.environ holds an undecodable byte as a lone surrogate ('\udce9'). Such text anywhere in a
    # configuration used to raise a bare UnicodeEncodeError whose args (its repr, a pickled or
    # Celery-stored exception) held the whole configuration's JSON: the merchant secret and every
    # callback key in plain text. It is now the core's typed refusal, and shows no secret.
    secrets = ("sentinel-merchant-secret", "sentinel-callback-key", "sentinel-platform-key", "sentinel-auth")
    bad = "m\udce9"
    order = {"reference": "r1", "amount": kirim.Money.parse("1000"),
             "beneficiary": {"bank": "BCA", "account_number": "1", "account_name": "Bud\udce9"}}
    calls: List[Callable[[], object]] = [
        lambda: kp.Pivot(kp.PivotConfig(kp.SANDBOX_URL, bad, secrets[0], [secrets[1]])),
        lambda: kp.Pivot(kp.PivotConfig(kp.SANDBOX_URL, "m", secrets[0] + "\udce9", [secrets[1]])),
        lambda: kg.Gateway(kg.GatewayConfig("https://payment.example", bad, secrets[2], authorization=secrets[3])),
        lambda: kpi.PaperId(kpi.PaperIdConfig("X-Callback-Token", [secrets[1], "\udce9"])),
        lambda: kirim.run_operation("pivot.access_token_request", {
            "config": {"base_url": kp.SANDBOX_URL, "merchant_id": bad, "merchant_secret": secrets[0]}}),
        lambda: kirim.lifecycle.PayoutLifecycle("pivot", kp.PivotConfig(kp.SANDBOX_URL, bad, secrets[0]), order, now=1),
        lambda: kirim.lifecycle.PayoutLifecycle("pivot", _config(), order, now=1),
        lambda: kp.AccessToken(secrets[0] + "\udce9", 10**10),
        lambda: kp.Pivot(_config()).test_callback(
            secrets[1] + "\udce9", kirim.TestCallbackEvent("succeeded", "1000", "p1", "r1")),
        lambda: kg.Gateway(kg.GatewayConfig("https://payment.example", "PF1", "k")).test_notification(
            secrets[2] + "\udce9", kirim.TestCallbackEvent("succeeded", "1000", "p1", "r1")),
        # Parameters to sign hold what a request carries (account numbers, names, tokens).
        lambda: kg.Gateway(kg.GatewayConfig("https://payment.example", "PF1", "k")).sign(
            {"account_number": secrets[2], "account_name": "Bud\udce9"}),
    ]
    for call in calls:
        with pytest.raises(kirim.KirimError) as info:
            call()
        shown = repr(info.value) + str(info.value) + repr(info.value.args) + info.value.to_json()
        shown += pickle.dumps(info.value).decode("latin-1")
        for secret in secrets:
            assert secret not in shown, shown


def test_gateway_and_paperid_reprs_redact_secrets() -> None:
    key, auth, old, token = "sentinel-platform-key", "sentinel-auth-token", "sentinel-old-key", "sentinel-paper"
    config = kg.GatewayConfig("https://payment.example", "PF0002", key, [old], authorization=auth)
    gateway = kg.Gateway(config)
    paper_config = kpi.PaperIdConfig("X-Callback-Token", [token], ["203.0.113.0/24"])
    paper = kpi.PaperId(paper_config)
    balance = gateway.balance_request()
    assert balance.header("Authorization") == auth  # sent, but never shown
    shown = [repr(x) for x in (config, gateway, paper_config, paper, balance, gateway.query_order_request("ORD1"))]
    for text in shown:
        for secret in (key, auth, old, token):
            assert secret not in text, text
    assert "PF0002" in repr(gateway) and "X-Callback-Token" in repr(paper)
    assert "Authorization: [redacted]" in repr(balance)


def test_run_operation_json_and_unknown_operation() -> None:
    out = json.loads(kirim.run_operation_json("money.parse", '{"value":"10000.00","currency":"IDR"}'))
    assert out["minor_units"] == 1_000_000
    with pytest.raises(kirim.ValidationError) as info:
        kirim.run_operation("nope.nothing", {})
    assert info.value.code == "unknown_operation" and info.value.field == "operation"
    with pytest.raises(kirim.ParseError):
        kirim.run_operation_json("money.parse", "{not json")


def test_the_generated_paperid_class_acknowledges_and_converts_as_the_native_ones() -> None:
    # kirim.paperid is generated from the core's table over the generic configured provider:
    # its acknowledgement, errors and argument checks are the ones a native class gives.
    token = "sentinel-paper-token"
    paper = kpi.PaperId(kpi.PaperIdConfig("X-Callback-Token", [token]))
    with pytest.raises(kirim.AuthenticityError) as info:
        paper.verify_callback({"X-Callback-Token": "wrong"}, b"{}")
    assert paper.callback_acknowledgement(info.value).status == 401
    assert paper.callback_acknowledgement().status == 200
    handled = paper.handle_callback({"X-Callback-Token": "wrong"}, b"{}")
    assert handled.error is not None and handled.error.code == info.value.code
    assert handled.acknowledgement == paper.callback_acknowledgement(info.value)
    with pytest.raises(TypeError):
        paper.callback_acknowledgement("callback_token_mismatch")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        paper.verify_callback({}, "{}")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        paper.test_callback(token, {"status": "succeeded"})  # type: ignore[arg-type]
    assert token not in repr(paper) and "X-Callback-Token" in repr(paper)
