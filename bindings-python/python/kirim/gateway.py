"""The white-label ``platform_id`` withdraw gateway family: signed create withdraw order,
query (list and single), signed withdraw notifications (verify, parse, acknowledge) and
balance. One method per method of the core's ``Gateway``."""

from __future__ import annotations

from typing import Mapping, Optional, Union

from . import _native

# Declared once, in the core (a native class): a withdraw order whose amount follows `Money.of`
# (rupiah as a decimal.Decimal or a decimal string, or Money; a bare int is refused). It goes on
# the wire as integer cents.
from ._native import WithdrawOrderInput

# Generated from the core (core/tests/python_declarations.rs): the gateway's configuration and its
# own enums and records.
from ._enums import HexCase, KeyJoin, SignType
from ._declared import (
    CreateWithdrawOutcome,
    GatewayConfig,
    NotificationHandling,
    QueryFilter,
    Signature,
)
from ._errors import KirimError
from ._wire import dumps, error_from_core, error_to_core, loads_as, NativeShell, outcome_to_wire, to_wire
from .http import Acknowledgement, HttpOutcome, HttpRequest, raw_body
from .model import Money, NextAction, PayoutEvent, PayoutStatus, Secret, SecretLike
from .model import TestCallbackEvent

PAYOUTS_PATH: str = _native.GATEWAY_PAYOUTS_PATH
BALANCE_PATH: str = _native.GATEWAY_BALANCE_PATH
SERVICE_ID: str = _native.GATEWAY_SERVICE_ID
OK_CODE: str = _native.GATEWAY_OK_CODE


# Declared once, in the core (feature `python`): what a query reports.
WithdrawOrderState = _native.WithdrawOrderState
QueryResult = _native.QueryResult


ParamValue = Union[str, int, bool, None]


class Gateway(NativeShell[GatewayConfig, _native.Gateway]):
    """The gateway protocol shell. Holds configuration only; cheap to keep for the process."""

    __slots__ = ()

    def __init__(self, config: GatewayConfig) -> None:
        super().__init__(_native.Gateway, config, GatewayConfig)

    def sign(
        self,
        params: Union[bytes, Mapping[str, ParamValue]],
        sign_type: Optional[Union[SignType, str]] = None,
    ) -> Signature:
        """Signs a JSON object's parameters: the exact body bytes (numbers kept as written), or
        a mapping of str/int/bool values (the core refuses a float: ``ValidationError``,
        ``unexpected_shape``)."""
        kind = None if sign_type is None else SignType(sign_type).value
        if isinstance(params, Mapping):
            # Escaped as every crossing is (_wire.dumps): the core reads the same values, and a
            # lone surrogate is its typed refusal, not a UnicodeEncodeError quoting the params.
            text = dumps(dict(params))
            return loads_as(Signature, self._inner.sign_host_params(text, kind))
        return loads_as(Signature, self._inner.sign(raw_body(params, "params"), kind))

    def create_withdraw_request(self, order: WithdrawOrderInput, now: int) -> HttpRequest:
        if not isinstance(order, WithdrawOrderInput):
            raise TypeError("order is a kirim.gateway.WithdrawOrderInput")
        return self._inner.create_withdraw_request(order, now)

    def parse_create_withdraw(self, outcome: HttpOutcome) -> CreateWithdrawOutcome:
        """Never raises for a provider answer: ``next_action`` says what to do."""
        next_action, payout_id, error = self._inner.parse_create_withdraw(
            dumps(outcome_to_wire(outcome))
        )
        return CreateWithdrawOutcome(next_action, payout_id, error_from_core(error))

    def query_request(self, filter: Optional[QueryFilter] = None) -> HttpRequest:
        chosen = QueryFilter() if filter is None else filter
        if not isinstance(chosen, QueryFilter):
            raise TypeError("filter is a kirim.gateway.QueryFilter")
        return self._inner.query_request(dumps(to_wire(chosen, "filter")))

    def query_order_request(self, payout_cl_id: str) -> HttpRequest:
        return self._inner.query_order_request(payout_cl_id)

    def parse_query(self, outcome: HttpOutcome) -> QueryResult:
        return self._inner.parse_query(dumps(outcome_to_wire(outcome)))

    def verify_notification(self, body: bytes) -> PayoutEvent:
        """Checks the ``sign`` of the RAW notification body with the platform key (and the
        previous keys during a rotation), then parses it. Raises ``AuthenticityError`` for a
        forged notification."""
        return self._inner.verify_notification(raw_body(body))

    def parse_notification_unverified(self, body: bytes) -> PayoutEvent:
        return self._inner.parse_notification_unverified(raw_body(body))

    def notification_acknowledgement(self, error: Optional[KirimError] = None) -> Acknowledgement:
        return self._inner.notification_acknowledgement(error_to_core(error))

    def handle_notification(self, body: bytes) -> NotificationHandling:
        """``verify_notification`` and ``notification_acknowledgement`` in one call; never
        raises for a bad notification."""
        event, error, ack = self._inner.handle_notification(raw_body(body))
        return NotificationHandling(
            event=None if event is None else event,
            error=error_from_core(error),
            acknowledgement=ack,
        )

    def test_notification(
        self,
        platform_key: SecretLike,
        event: TestCallbackEvent,
        sign_type: Optional[Union[SignType, str]] = None,
        url: Optional[str] = None,
    ) -> HttpRequest:
        """The withdraw notification the gateway would send for ``event``, signed with
        ``platform_key`` by ``sign_type`` (default: the configured one) under this
        configuration's key join and hex case: feed it to your handler in a test."""
        if not isinstance(event, TestCallbackEvent):
            raise TypeError("event is a kirim.TestCallbackEvent")
        kind = None if sign_type is None else SignType(sign_type).value
        key = Secret(platform_key).expose_secret()
        return self._inner.test_notification(key, event, kind, url)

    def balance_request(self) -> HttpRequest:
        return self._inner.balance_request()

    def parse_balance(self, outcome: HttpOutcome) -> Money:
        return loads_as(Money, self._inner.parse_balance(dumps(outcome_to_wire(outcome))))


__all__ = [
    "PAYOUTS_PATH",
    "BALANCE_PATH",
    "SERVICE_ID",
    "OK_CODE",
    "SignType",
    "KeyJoin",
    "HexCase",
    "GatewayConfig",
    "WithdrawOrderInput",
    "Signature",
    "CreateWithdrawOutcome",
    "QueryFilter",
    "WithdrawOrderState",
    "QueryResult",
    "NotificationHandling",
    "ParamValue",
    "Gateway",
]
