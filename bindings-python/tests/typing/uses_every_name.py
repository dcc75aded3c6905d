"""Uses every public name of the package, with annotations; `mypy --strict` checks it against
the installed wheel's types, and test_typing.py runs it and checks that no public name is
missing from it."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Dict, List, Optional, Sequence, Tuple, Type

import kirim
import kirim.driver
import kirim.gateway
import kirim.http
import kirim.idempotency
import kirim.model
import kirim.paperid
import kirim.pivot
import kirim.store


def model() -> None:
    secret: kirim.Secret = kirim.Secret("s")
    like: kirim.model.SecretLike = "plain"
    assert secret.expose_secret() == "s" and isinstance(like, str)
    currency: kirim.Currency = kirim.Currency.IDR
    money: kirim.Money = kirim.Money(minor_units=123886, currency=currency)
    assert kirim.Money.parse("1238.86") == money == kirim.Money.from_decimal(Decimal("1238.86"))
    assert kirim.Money.of(Decimal("1238.86")).value == "1238.86" == kirim.Money.of("1238.86").value
    assert kirim.Money.from_minor_units(123886, currency) == money
    status: kirim.PayoutStatus = kirim.PayoutStatus.PROCESSING.merge(kirim.PayoutStatus.SUCCEEDED)
    assert status.is_final and kirim.merge_statuses(None, [status]) is status
    advice = kirim.RetryAdvice(kirim.RetryKind.RETRY_AFTER_DELAY, min_delay_seconds=60)
    failure = kirim.Failure(kirim.FailureReason.TEMPORARY_ERROR, advice, "X", "text")
    action = kirim.NextAction(kirim.NextActionKind.REJECTED, new_idempotency_key_required=True)
    totals = kirim.PayoutTotals(success_count=1, success_amount=money)
    event = kirim.PayoutEvent(
        provider=kirim.Provider.PIVOT,
        authenticity=kirim.Authenticity.API_KEY,
        confirmation=kirim.Confirmation.TENTATIVE,
        payout_id="p",
        reference_id="r",
        status=status,
        raw_status="SUCCESS",
        raw_event=None,
        amount=money,
        failure=failure,
        occurred_at=0,
        requires_query=False,
        totals=totals,
        warnings=(kirim.FieldWarning("completed_time", "not a time"),),
        real_amount=money,
        fee=None,
    )
    warning: kirim.model.FieldWarning = event.warnings[0]
    assert warning.field == "completed_time" and event.real_amount == money
    assert event.failure is not None and action.new_idempotency_key_required
    held: kirim.PayoutStatus = kirim.PayoutStatus.PROCESSING.observe(status, kirim.Confirmation.TENTATIVE)
    assert kirim.merge_statuses(kirim.PayoutStatus.PROCESSING, [event]) is held


def http() -> None:
    header: kirim.Header = kirim.Header("Accept", "application/json")
    headers: kirim.http.HeadersLike = [header, ("X-API-Key", "k")]
    pairs: Tuple[kirim.Header, ...] = kirim.http.headers_of(headers)
    body: bytes = kirim.http.raw_body(b"{}")
    assert "raw body bytes" in kirim.http.RAW_BODY_MESSAGE
    response = kirim.HttpResponse(200, pairs, body)
    outcome: kirim.HttpOutcome = response
    failure: kirim.HttpOutcome = kirim.TransportFailure.TIMEOUT
    request = kirim.HttpRequest(kirim.Method.GET, "https://x", pairs, b"")
    ack = kirim.Acknowledgement(200, pairs, b"{}", provider_will_retry=False)
    assert response.header("accept") == request.header("ACCEPT") and ack.status == 200
    assert outcome is response
    assert failure is kirim.TransportFailure.TIMEOUT


def idempotency() -> None:
    provider: kirim.idempotency.ProviderLike = kirim.Provider.PIVOT
    key: str = kirim.derive_idempotency_key(provider, "order-1")
    kirim.validate_idempotency_key("pivot", key)
    reuse: kirim.KeyReuse = kirim.key_reuse(provider, 0, 1)
    assert reuse.kind is kirim.KeyReuseKind.REPLAYS_UNTIL
    rules: kirim.IdempotencyRules = kirim.Pivot(config()).idempotency_rules()
    assert rules.min_len <= len(key) <= rules.max_len


def errors() -> None:
    classes: Sequence[Type[kirim.KirimError]] = (
        kirim.ValidationError,
        kirim.ParseError,
        kirim.AuthenticityError,
        kirim.ProviderError,
    )
    assert kirim.error_class(kirim.ErrorCode.SIGNATURE_MISMATCH) in classes
    try:
        kirim.Money.parse("1.001")
    except kirim.ValidationError as e:
        code: str = e.code
        field: Optional[str] = e.field
        violations: Tuple[kirim.Violation, ...] = e.violations
        details: Tuple[kirim.ProviderDetail, ...] = e.provider_details
        assert code == kirim.ErrorCode.FRACTIONAL_AMOUNT and field == "value"
        assert not violations and not details and e.http_status is None


def config() -> kirim.PivotConfig:
    return kirim.pivot.PivotConfig(
        kirim.pivot.SANDBOX_URL, "merchant", "secret", callback_api_keys=["cb-key"], key_window_margin_seconds=600
    )


def pivot() -> None:
    assert kirim.pivot.PRODUCTION_URL.startswith("https://")
    assert kirim.pivot.SANDBOX_ACCOUNT_SUCCESS != kirim.pivot.SANDBOX_ACCOUNT_INACTIVE
    client: kirim.pivot.Pivot = kirim.Pivot(config())
    token = kirim.pivot.AccessToken("token", expires_at=10**10)
    inquiry = client.inquiry_request(token, 0, kirim.pivot.InquiryInput("BCA", "999966660001", "Budi"))
    destinations: List[kirim.pivot.PayoutDestination] = [
        kirim.pivot.InquiryDestination("inq-1"),
        kirim.pivot.AccountDestination("BCA", "999966660001", "Budi"),
    ]
    items = [
        kirim.pivot.PayoutItemInput(f"ref-{i}", d, "100000") for i, d in enumerate(destinations)
    ]
    create = client.create_payout_request(token, 0, client.derive_request_id("ref"), items)
    assert inquiry.method is create.method is kirim.Method.POST
    outcome: kirim.pivot.CreatePayoutOutcome = client.parse_create_payout(kirim.TransportFailure.TIMEOUT)
    attempt = kirim.pivot.CreateAttempt(create.header("X-REQUEST-ID") or "", ("ref-0",), 0, 86_400)
    late: kirim.NextAction = client.parse_create_payout(kirim.TransportFailure.TIMEOUT, attempt).next_action
    reason: Optional[kirim.ReconciliationReason] = late.reason
    assert late.kind is kirim.NextActionKind.MANUAL_RECONCILIATION and reason is kirim.ReconciliationReason.KEY_WINDOW_OVER
    assert outcome.next_action.kind is kirim.NextActionKind.RESEND_SAME_REQUEST
    batch: Optional[kirim.pivot.PayoutBatch] = outcome.batch
    states: Tuple[kirim.pivot.PayoutItemState, ...] = batch.items if batch else ()
    batch_status: Optional[kirim.pivot.BatchStatus] = batch.batch_status if batch else None
    assert not states and batch_status is None
    body = json.dumps(
        {"code": "00", "data": {"uuid": "u-1", "inquiryResult": {"status": "VALID"}}}
    ).encode()
    result: kirim.pivot.InquiryResult = client.parse_inquiry(kirim.HttpResponse(200, {}, body))
    assert result.status is kirim.pivot.InquiryStatus.VALID
    source: Optional[kirim.pivot.NameSource] = result.bank_record_name_source
    assert source in (None, kirim.pivot.NameSource.SAME_AS_SUBMITTED, kirim.pivot.NameSource.DETAIL_TEXT)
    handled: kirim.pivot.CallbackHandling = client.handle_callback({"X-API-Key": "cb-key"}, b"{}")
    assert handled.acknowledgement.status in (200, 401, 503)


def gateway() -> None:
    assert kirim.gateway.PAYOUTS_PATH and kirim.gateway.BALANCE_PATH and kirim.gateway.SERVICE_ID
    config: kirim.GatewayConfig = kirim.gateway.GatewayConfig(
        "https://payment.example",
        "PF0002",
        "platform-key",
        authorization="auth",
        sign_type=kirim.gateway.SignType.MD5,
        key_join=kirim.gateway.KeyJoin.AMPERSAND,
        hex_case=kirim.gateway.HexCase.LOWER,
    )
    client: kirim.gateway.Gateway = kirim.Gateway(config)
    params: dict[str, kirim.gateway.ParamValue] = {"payout_id": "P1", "payout_cl_id": "ORD1", "amount": 50000, "status": 3}
    signature: kirim.gateway.Signature = client.sign(params)
    notification = json.dumps({**params, "sign": signature.sign}).encode()
    event: kirim.PayoutEvent = client.verify_notification(notification)
    assert event.reference_id == "ORD1"
    order = kirim.gateway.WithdrawOrderInput("ORD1", Decimal("500"), "BCA", "Budi", "4088748280272397")
    request: kirim.HttpRequest = client.create_withdraw_request(order, 1_700_000_000)
    assert request.url.endswith(kirim.gateway.PAYOUTS_PATH)
    created: kirim.gateway.CreateWithdrawOutcome = client.parse_create_withdraw(kirim.TransportFailure.TIMEOUT)
    query = client.query_request(kirim.gateway.QueryFilter(payout_cl_id="ORD1"))
    assert created.next_action.kind is kirim.NextActionKind.QUERY_FIRST and query.method is kirim.Method.GET
    body = json.dumps({"error_code": kirim.gateway.OK_CODE, "data": {"payout_cl_id": "ORD1", "status": 3}})
    result: kirim.gateway.QueryResult = client.parse_query(kirim.HttpResponse(200, {}, body.encode()))
    orders: Tuple[kirim.gateway.WithdrawOrderState, ...] = result.orders
    handled: kirim.gateway.NotificationHandling = client.handle_notification(notification)
    assert len(orders) == 1 and handled.acknowledgement.status == 200


def paperid() -> None:
    config: kirim.PaperIdConfig = kirim.paperid.PaperIdConfig("X-Callback-Token", ["token"])
    client: kirim.paperid.PaperId = kirim.PaperId(config)
    handled: kirim.paperid.CallbackHandling = client.handle_callback({}, b"{}")
    assert handled.error is not None and handled.acknowledgement.status == 401
    event = kirim.TestCallbackEvent(kirim.PayoutStatus.SUCCEEDED, "100000", "DISB-1")
    generated: kirim.HttpRequest = client.test_callback("token", event)
    assert client.verify_callback(generated.headers, generated.body).payout_id == "DISB-1"


def lifecycle() -> None:
    config = kirim.PivotConfig("https://pivot.example", "merchant", "secret", ["cb-key"])
    beneficiary: kirim.lifecycle.Beneficiary = {"bank": "BCA", "account_number": "1234567890", "account_name": "Budi"}
    item: kirim.lifecycle.PayoutItem = {"reference": "ORD1-1", "amount": kirim.Money.parse("1000"), "beneficiary": beneficiary}
    order: kirim.lifecycle.PayoutOrder = {"reference": "ORD1", "amount": kirim.Money.parse("1000"), "items": [item]}
    machine: kirim.PayoutLifecycle = kirim.lifecycle.PayoutLifecycle("pivot", config, order, {"request_timeout_seconds": 60}, now=1_700_000_000)
    action: kirim.lifecycle.Action = machine.poll(1_700_000_000)
    assert isinstance(action, kirim.lifecycle.Send) and action.purpose is kirim.lifecycle.Purpose.SESSION
    assert not isinstance(action, (kirim.lifecycle.WaitUntil, kirim.lifecycle.Done, kirim.lifecycle.ManualReconciliation))
    machine.handle_response(kirim.TransportFailure.TIMEOUT, 1_700_000_001)
    state: kirim.lifecycle.LifecycleState = machine.state()
    items: Tuple[kirim.lifecycle.ItemState, ...] = state.items
    assert state.phase is kirim.lifecycle.Phase.NOT_SENT and items[0].reference == "ORD1-1"
    outcome: kirim.lifecycle.CallbackOutcome = machine.handle_unverified_callback(b"{}", 1_700_000_002)
    assert outcome.verdicts is None and outcome.acknowledgement is None
    restored = kirim.PayoutLifecycle.restore("pivot", config, machine.snapshot())
    assert kirim.lifecycle.SNAPSHOT_VERSION == json.loads(restored.snapshot())["version"]
    order_json = json.dumps(machine.order())
    decision: str = kirim.lifecycle.check_submission(order_json, order_json, "pivot", "pivot", [])
    assert decision == "already_stored"
    wait: kirim.lifecycle.WaitUntil = kirim.lifecycle.WaitUntil(1, kirim.lifecycle.WaitReason.RETRY)
    manual_reason = kirim.lifecycle.ManualReason.KEY_WINDOW_OVER
    outcomes: Tuple[kirim.lifecycle.ItemOutcome, ...] = (kirim.lifecycle.ItemOutcome("ORD1-1", kirim.PayoutStatus.FAILED),)
    done = kirim.lifecycle.Done(kirim.PayoutStatus.FAILED, items=outcomes)
    assert wait.at == 1 and manual_reason.value == "key_window_over" and done.items
    assert kirim.lifecycle.EventVerdict.APPLIED.value == "applied"


class StepClock:
    """A clock for tests: time moves only when the driver waits."""

    def __init__(self) -> None:
        self.at = 1_700_000_000

    def now(self) -> int:
        return self.at

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        self.at += int(seconds)


class Refused:
    def send(self, request: kirim.HttpRequest, timeout: float) -> kirim.HttpOutcome:
        return kirim.TransportFailure.CONNECTION_ERROR


def driver() -> None:
    store: kirim.store.Store = kirim.store.MemoryStore()
    durable: kirim.store.Store = kirim.store.SQLiteStore(":memory:")
    with kirim.store.SQLiteStore(":memory:").claim():  # Driver.run holds it: one driver process per database
        in_use: Type[kirim.store.StoreInUseError] = kirim.store.StoreInUseError
        assert issubclass(in_use, RuntimeError)
    clock: kirim.driver.Clock = StepClock()
    transport: kirim.driver.Transport = Refused()
    # An httpx client is the caller's (kirim does not depend on httpx): the class only, here.
    with_httpx: Type[kirim.driver.HttpxTransport] = kirim.driver.HttpxTransport
    default: kirim.driver.Transport = kirim.driver.UrllibTransport()
    assert with_httpx is not type(default)
    assert kirim.driver.SystemClock().now() > 0
    config = kirim.GatewayConfig("http://127.0.0.1:9", "PF0002", "key", authorization="auth")
    runner = kirim.driver.Driver({"gateway": config}, store, transport=transport, clock=clock,
                                 settings={"max_backoff_seconds": 60})
    order = {"reference": "ORD1", "amount": kirim.Money.parse("500"),
             "beneficiary": {"bank": "BCA", "account_number": "4088748280272397", "account_name": "Budi"}}
    assert runner.submit("gateway", order) == "ORD1"
    record: Optional[kirim.store.PayoutRecord] = store.load("ORD1")
    assert record is not None and record.state == "open" and durable.unfinished() == []
    history: List[kirim.store.Observation] = store.history("ORD1")
    assert history[0].kind == "submitted"
    # What a store of one's own's insert_submitted does inside its transaction.
    rows: Dict[str, kirim.store.PayoutRecord] = {}
    read: kirim.store.Read = rows.get
    decide: kirim.store.Decide = lambda load, find: "new" if load("ORD1") is None else "already_stored"
    assert record is not None
    assert kirim.store.insert_new(record, decide, read, read, lambda r: rows.setdefault(r.reference, r) is r)
    conflict: Type[kirim.store.SubmissionConflictError] = kirim.store.SubmissionConflictError
    assert issubclass(conflict, RuntimeError)
    # A run that drove every payout it could, and names the stored rows it could not restore.
    refused: Type[kirim.driver.RestoreRefusedError] = kirim.driver.RestoreRefusedError
    assert issubclass(refused, kirim.ParseError)
    ack = runner.handle_callback("gateway", {}, b"{}")
    assert ack.status == 200 or ack.body


def operations() -> None:
    out = kirim.run_operation("money.parse", {"value": "1", "currency": "IDR"})
    assert out["minor_units"] == 100
    assert json.loads(kirim.run_operation_json("status.merge", '{"events":["failed"]}'))["final"] == "failed"
    assert kirim.__version__


def main() -> None:
    model()
    http()
    idempotency()
    errors()
    pivot()
    gateway()
    paperid()
    lifecycle()
    driver()
    operations()


if __name__ == "__main__":
    main()
